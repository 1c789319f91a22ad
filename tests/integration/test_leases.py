"""The webhook lease: one holder at a time, renewed by its holder, taken over by another
process only once it has expired or was released (so webhooks go out from one process)."""

from __future__ import annotations

from creditdesk.bootstrap import WEBHOOK_LEASE, Lease
from creditdesk.service_layer.runtime import Runtime
from tests.support import FixedClock


def test_a_lease_has_one_holder_until_it_expires_or_is_released(runtime: Runtime) -> None:
    clock = FixedClock("2026-11-23")
    runtime.clock = clock
    a = Lease(runtime, WEBHOOK_LEASE, "host-a:1", 30)
    b = Lease(runtime, WEBHOOK_LEASE, "host-b:2", 30)

    assert a.renew()
    assert not b.renew()
    clock.advance(seconds=20)
    assert a.renew()  # renewed: good for 30 s from now
    clock.advance(seconds=20)
    assert not b.renew()
    clock.advance(seconds=11)  # a stopped renewing 31 s ago
    assert b.renew()
    assert not a.renew()
    b.release()
    assert a.renew()
