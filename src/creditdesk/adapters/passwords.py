"""Password hashing (argon2id) and the list of commonly used passwords (zxcvbn's 30,000 most
common, shipped with that package): the service layer sees them only through ``Passwords``."""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    """OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): strong, and a sign-in stays well
    under a tenth of a second on a busy server. A stored hash made with other settings is
    rehashed at the next sign-in."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    @cached_property
    def _common(self) -> frozenset[str]:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

        return frozenset(str(word).lower() for word in FREQUENCY_LISTS["passwords"])

    def is_common(self, password: str) -> bool:
        return password.lower() in self._common
