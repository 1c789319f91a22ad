"""Customer credit groups: a shared limit that always has an expiry (B40)."""

from __future__ import annotations

from datetime import date

import pytest

from creditdesk.domain.errors import ExpirationDateRequiredError
from creditdesk.domain.groups import CreditGroup
from tests.unit.domain.builders import eur


def test_a_group_without_an_expiration_date_is_refused() -> None:
    with pytest.raises(ExpirationDateRequiredError) as raised:
        CreditGroup.create("G1", "Nordic retail", eur("15,000"), None)

    assert raised.value.code == "expiration_date_required"


def test_a_group_keeps_its_shared_limit_and_expiry() -> None:
    group = CreditGroup.create("G1", "Nordic retail", eur("15,000"), date(2026, 12, 31))

    assert group.limit == eur("15,000")
    assert group.limit_expires_on == date(2026, 12, 31)
