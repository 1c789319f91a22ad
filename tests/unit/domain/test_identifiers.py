"""The one id rule: visible characters in NFC, 1 to 80 characters (fewer where the column is
shorter), no space at either end; everything else is ``invalid_id``."""

from __future__ import annotations

import pytest

from creditdesk.domain.errors import InvalidIdentifierError
from creditdesk.domain.identifiers import ACCOUNT_LENGTH, check_id, id_problem, is_id


@pytest.mark.parametrize(
    "good", ["C100", "FI-INV-1001", "Ö-100", "顧客 7", "Café", "a/b", "x" * 80, "'; --", "€"]
)
def test_visible_nfc_text_of_at_most_80_characters_is_an_id(good: str) -> None:
    assert check_id(good) == good
    assert is_id(good)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        " ",
        "   ",
        " C1",
        "C1 ",
        "x" * 81,
        "C" * 5000,
        "C\x00",
        "C\t1",
        "C\x7f",
        "C\u202e1",  # right-to-left override
        "C\u200b1",  # zero-width space
        "\ufeffC1",  # byte-order mark
        "C\u00a01",  # no-break space
        "C\u20281",  # line separator
        "C\ue0001",  # private use
        "C\u03781",  # unassigned
        "C\ud8001",  # lone surrogate
        "C\ufffd",  # what undecodable bytes become
        "Cafe\u0301",  # not NFC
    ],
)
def test_anything_else_is_refused_with_invalid_id(bad: str) -> None:
    assert id_problem(bad) is not None
    with pytest.raises(InvalidIdentifierError) as raised:
        check_id(bad, "the invoice id")
    assert raised.value.code == "invalid_id"
    assert str(raised.value).startswith("the invoice id: ")


def test_a_shorter_column_has_a_shorter_maximum() -> None:
    assert is_id("C" * ACCOUNT_LENGTH, ACCOUNT_LENGTH)
    assert not is_id("C" * (ACCOUNT_LENGTH + 1), ACCOUNT_LENGTH)


def test_an_id_that_is_not_text_is_refused() -> None:
    with pytest.raises(InvalidIdentifierError):
        check_id(7)
