"""Webhook URLs under the default setting: the server refuses URLs whose host is, or resolves
to, a loopback, private, link-local, multicast, reserved or cloud metadata address (in any IPv4
or IPv6 spelling), and names that do not resolve, with ``422 webhook_url_not_allowed``; nothing
is created. ``CREDITDESK_WEBHOOK_ALLOW_PRIVATE=true`` allows receivers inside the network.
Name resolution is faked (or is of a literal address): no test sends anything off this machine."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.service_layer.runtime import Runtime
from tests.support import ADMIN_TOKEN, Api

REFUSED = [
    "http://127.0.0.1:8000/hook",
    "http://127.1/hook",
    "http://0.0.0.0/hook",
    "http://10.0.0.7/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.10/hook",
    "http://100.64.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://168.63.129.16/metadata",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fc00::5]/hook",
    "http://[ff02::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://[2002:7f00:1::]/hook",
    "https://localhost.example.test/hook",
    "https://internal.example.test/hook",
    "https://split.example.test/hook",
    "https://nowhere.example.test/hook",
]

NAMES = {
    "localhost.example.test": ["127.0.0.1", "::1"],
    "internal.example.test": ["10.20.30.40"],
    "split.example.test": ["93.184.216.34", "192.168.0.2"],  # one inside is one too many
    "metadata.example.test": ["169.254.169.254"],
    "erp.example.test": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
}


def fake_resolver(host: str, _port: int, /) -> list[str]:
    if host not in NAMES:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return NAMES[host]


@pytest.fixture
def hooks(api: Api, runtime: Runtime) -> Api:
    """The default settings (the conftest's), with the fake resolver."""
    assert runtime.webhook_allow_private is False
    runtime.resolve_host = fake_resolver
    return api


@pytest.mark.parametrize("url", REFUSED)
def test_a_url_that_reaches_inside_the_network_is_refused_and_nothing_is_created(
    hooks: Api, url: str
) -> None:
    r = hooks.post("/webhooks", {"url": url})

    body = Api.problem(r, 422, "webhook_url_not_allowed")
    assert "CREDITDESK_WEBHOOK_ALLOW_PRIVATE" in body["detail"]
    assert hooks.get("/webhooks").json()["items"] == []


def test_a_url_whose_every_address_is_public_is_accepted(hooks: Api) -> None:
    r = hooks.post("/webhooks", {"url": "https://erp.example.test/creditdesk"})

    assert r.status_code == 201, r.text
    assert [h["url"] for h in hooks.get("/webhooks").json()["items"]] == [
        "https://erp.example.test/creditdesk"
    ]


def test_a_url_with_a_bad_form_is_invalid_input_not_a_refused_address(hooks: Api) -> None:
    for url in (
        "ftp://erp.example.test/x",
        "http:///x",
        "http://erp.example.test:99999/x",
        "http://[::1/x",
    ):
        Api.problem(hooks.post("/webhooks", {"url": url}), 422, "invalid_input")


def test_private_addresses_are_refused_unless_the_server_setting_allows_them(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.delenv("CREDITDESK_WEBHOOK_ALLOW_PRIVATE", raising=False)
    assert Settings(database_url=database_url).webhook_allow_private is False
    monkeypatch.setenv("CREDITDESK_WEBHOOK_ALLOW_PRIVATE", "true")
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, deliver_webhooks=False)
    runtime = build_runtime(settings)
    try:
        with TestClient(create_app(settings, runtime)) as client:
            api = Api(client)
            runtime.resolve_host = fake_resolver

            assert api.post("/webhooks", {"url": "http://127.0.0.1:8000/hook"}).status_code == 201
            internal = api.post("/webhooks", {"url": "https://internal.example.test/hook"})
            assert internal.status_code == 201
            # a name not resolvable yet is taken; every delivery checks it again
            assert api.post("/webhooks", {"url": "https://new.example.test/"}).status_code == 201
            for url in ("http://169.254.169.254/", "https://metadata.example.test/"):
                Api.problem(api.post("/webhooks", {"url": url}), 422, "webhook_url_not_allowed")
    finally:
        dispose(runtime)
