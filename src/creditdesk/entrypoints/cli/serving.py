"""Run the ASGI app under uvicorn and say "serving on" only once the port is really listening.

Printing the address before binding lied whenever the port was taken: the line appeared, then
the bind error. Uvicorn's own "running on" message is an INFO log, below the warning level the
server logs at, so this is the one line announcing the server.
"""

from __future__ import annotations

import contextlib
import inspect
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "creditdesk.entrypoints.asgi:app_factory"
STARTUP_FAILURE = 3  # uvicorn's exit status when the server could not start

Announce = Callable[[str], None]


def announcement(address: Any, workers: int) -> str:
    """The line printed once listening: the address actually bound (port 0 picks one)."""
    host, port = address[0], address[1]
    shown = f"[{host}]" if ":" in str(host) else host
    processes = f"{workers} process{'es' if workers > 1 else ''}"
    return f"creditdesk serving on http://{shown}:{port} ({processes}; API docs at /api/docs)"


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, announce: Announce) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.servers and self.servers[0].sockets:
            self._announce(announcement(self.servers[0].sockets[0].getsockname(), 1))


def serve_forever(host: str, port: int, workers: int, *, announce: Announce) -> None:
    """Serve until interrupted; exit with status 3 when the server cannot start."""
    config = uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        log_config=None,  # logging is set up by configure_logging (JSON or text)
        access_log=False,  # the app writes its own access line, with the request id
    )
    if workers > 1:
        _serve_processes(config, announce)
        return
    server = _AnnouncingServer(config, announce)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def _serve_processes(config: uvicorn.Config, announce: Announce) -> None:
    """Bind and listen in this process, announce, then start the workers sharing the socket.

    Listening here means a client connecting right after the announcement waits in the backlog
    while the workers start, instead of being refused."""
    sock = config.bind_socket()  # raises SystemExit(1) after logging when the port is taken
    sock.listen(config.backlog)
    announce(announcement(sock.getsockname(), config.workers))
    # older uvicorn releases want the server's run method as ``target``; newer ones build it
    if "target" in inspect.signature(Multiprocess).parameters:
        supervisor = Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock])  # type: ignore[call-arg]
    else:
        supervisor = Multiprocess(config, sockets=[sock])
    with contextlib.suppress(KeyboardInterrupt):
        supervisor.run()
