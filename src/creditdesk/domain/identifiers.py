"""What an id may be: the one rule for legal entities, customer accounts, credit groups,
documents and every other key a caller chooses, wherever it comes in (an API path or body,
a web form, an import file).

An id is 1 to ``MAX_ID_LENGTH`` characters (fewer where its column is shorter: legal
entities 20, customer accounts and credit groups 40), in Unicode normal form NFC, made of
visible characters and the plain space, with no space at either end. Refused: control and
format characters (right-to-left overrides, zero-width spaces, byte-order marks), other
spaces and line separators, unassigned and private-use code points, surrogates, and U+FFFD
(what undecodable bytes turn into: two different raw ids must never name one record).
Nothing is ever normalised silently: an id either passes as it is or is refused.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from creditdesk.domain.errors import InvalidIdentifierError

MAX_ID_LENGTH: Final = 80
LEGAL_ENTITY_ID_LENGTH: Final = 20
ACCOUNT_LENGTH: Final = 40
"""Customer accounts and credit group ids."""

_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
_REPLACEMENT: Final = "\ufffd"


def id_problem(value: object, max_length: int = MAX_ID_LENGTH) -> str | None:
    """Why ``value`` is not an id (a sentence), or ``None`` when it is one."""
    if not isinstance(value, str):
        return "an id must be text"
    if not value:
        return "an id must not be empty"
    if len(value) > max_length:
        return f"an id is at most {max_length} characters"
    if value.isascii():  # the common case, without a look at each character's category
        if not value.isprintable():
            return "an id must not contain control characters"
        if value.strip(" ") != value:
            return "an id must not begin or end with a space"
        return None
    if value.strip() != value:
        return "an id must not begin or end with a space"
    if not unicodedata.is_normalized("NFC", value):
        return "an id must be in Unicode normal form NFC"
    for char in value:
        if char == " ":
            continue
        if char == _REPLACEMENT or unicodedata.category(char) in _REFUSED_CATEGORIES:
            return (
                f"an id must be visible characters; U+{ord(char):04X} "
                f"({unicodedata.name(char, 'unnamed')}) is not one"
            )
    return None


def is_id(value: object, max_length: int = MAX_ID_LENGTH) -> bool:
    return id_problem(value, max_length) is None


def check_id(value: object, what: str = "id", max_length: int = MAX_ID_LENGTH) -> str:
    """``value`` when it is an id, else ``InvalidIdentifierError`` (``invalid_id``)."""
    problem = id_problem(value, max_length)
    if problem is not None:
        shown = value[:max_length] if isinstance(value, str) else type(value).__name__
        raise InvalidIdentifierError(f"{what}: {problem}", id=shown)
    assert isinstance(value, str)
    return value
