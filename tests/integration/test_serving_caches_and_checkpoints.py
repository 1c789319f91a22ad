"""What a serving process keeps for itself: WAL checkpoints in a background thread (SQLite)
and authenticated API tokens for a couple of seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from creditdesk.adapters.db import WalCheckpointer, make_engine
from creditdesk.bootstrap import build_runtime, dispose, start_wal_checkpointer
from creditdesk.config import Settings
from creditdesk.service_layer import tokens
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.errors import AuthenticationError
from creditdesk.service_layer.runtime import TokenCache


def test_the_background_checkpointer_copies_the_wal_into_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
    checkpointer = WalCheckpointer(url, interval_seconds=0.01).start()
    try:
        for index in range(50):
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO t (id, body) VALUES (:i, :b)"), {"i": index, "b": "x" * 2000}
                )
        deadline = time.monotonic() + 10
        while checkpointer.frames_checkpointed == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        checkpointer.stop()
        engine.dispose()
    assert checkpointer.frames_checkpointed > 0
    assert checkpointer.rounds > 0


def test_one_checkpointer_per_database_file_and_another_takes_over_when_it_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each server process starts one; only one checkpoints the file at a time."""
    monkeypatch.setattr(WalCheckpointer, "RETRY_SECONDS", 0.02)
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = WalCheckpointer(url, interval_seconds=0.01).start()
    deadline = time.monotonic() + 10
    while first.rounds == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    second = WalCheckpointer(url, interval_seconds=0.01).start()
    try:
        time.sleep(0.2)
        assert [first.active, second.active] == [True, False]
        assert second.rounds == 0
        first.stop()
        while second.rounds == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [first.active, second.active] == [False, True]
        assert second.rounds > 0
    finally:
        first.stop()
        second.stop()


def test_the_checkpointer_stops_with_its_thread(tmp_path: Path) -> None:
    checkpointer = WalCheckpointer(f"sqlite:///{tmp_path / 'x.db'}", interval_seconds=0.01).start()
    checkpointer.stop()
    assert not checkpointer._thread.is_alive()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "postgresql+psycopg://postgres@127.0.0.1/test"]
)
def test_only_a_sqlite_file_gets_a_checkpointer(url: str) -> None:
    assert not WalCheckpointer.applies_to(url)
    with pytest.raises(ValueError, match="needs a SQLite database file"):
        WalCheckpointer(url)
    assert start_wal_checkpointer(Settings(database_url=url)) is None


def test_the_checkpointer_can_be_switched_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'off.db'}"
    assert start_wal_checkpointer(Settings(database_url=url, background_checkpoints=False)) is None
    started = start_wal_checkpointer(Settings(database_url=url))
    assert started is not None
    started.stop()


def test_an_authenticated_token_is_not_read_again_within_the_cache_time(
    settings: Settings,
) -> None:
    rt = build_runtime(settings)
    try:
        secret = tokens.create_token(rt, SYSTEM, "erp", "integration", None)["token"]
        opened = 0
        factory = rt.uow

        def counting(*, read_only: bool = False):  # type: ignore[no-untyped-def]
            nonlocal opened
            opened += 1
            return factory(read_only=read_only)

        rt.uow = counting
        first = tokens.authenticate(rt, secret)  # reads it, and records its first use
        assert opened == 2
        second = tokens.authenticate(rt, secret)
        assert first == second
        assert opened == 2
        rt.uow = factory
    finally:
        dispose(rt)


def test_a_revocation_holds_at_once_in_its_process_and_within_seconds_elsewhere(
    settings: Settings,
) -> None:
    here = build_runtime(settings)
    elsewhere = build_runtime(settings)  # another server process on the same database
    elsewhere.tokens = TokenCache(seconds=0.2)
    try:
        created = tokens.create_token(here, SYSTEM, "erp", "integration", None)
        secret = created["token"]
        tokens.authenticate(here, secret)
        tokens.authenticate(elsewhere, secret)
        tokens.revoke_token(here, SYSTEM, created["id"])
        with pytest.raises(AuthenticationError):
            tokens.authenticate(here, secret)
        tokens.authenticate(elsewhere, secret)  # still trusted for the cache time
        time.sleep(0.25)
        with pytest.raises(AuthenticationError):
            tokens.authenticate(elsewhere, secret)
    finally:
        dispose(here)
        dispose(elsewhere)
