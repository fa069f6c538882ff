"""Passwords: hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended
profile), checked against a few rules before they are accepted, and never kept or logged.

This module and `totp.py` are the only places that touch a password or a second-factor
secret. A hash is a PHC string (`$argon2id$v=19$m=...`) that names its own parameters,
so hashes made with older parameters still verify and are replaced at the next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from registry.domain.errors import InvalidInput

#: The shortest and the longest password accepted (the longest: Argon2 costs the same
#: for any length, but a megabyte of "password" is no one's).
MIN_LENGTH, MAX_LENGTH = 12, 256
#: Passwords of 12 characters or more that lists of breached passwords put first.
COMMON = frozenset(
    {
        "password1234", "password12345", "password123456", "passwordpassword", "123456789012",
        "1234567890123", "12345678901234", "qwertyuiopasdf", "qwertyuiop123", "qwerty123456",
        "iloveyou1234", "administrator", "letmein12345", "welcome12345", "changeme1234",
        "correcthorsebatterystaple", "abc123456789", "111111111111", "000000000000",
        "aaaaaaaaaaaa", "passw0rd1234", "p@ssw0rd1234", "p@ssword1234", "trustno1trustno1",
        "football1234", "baseball1234", "monkey123456", "dragon123456", "sunshine1234",
        "princess1234", "superman1234", "starwars1234", "crisisintervention", "citregistry123",
        "policeofficer", "password!234", "1q2w3e4r5t6y", "zaq12wsxcde3", "asdfghjkl123",
    }
)  # fmt: skip
#: Runs of keys or letters a password may not be made of.
RUNS = ("0123456789" * 3, "abcdefghijklmnopqrstuvwxyz" * 2, "qwertyuiopasdfghjklzxcvbnm" * 2)

_hasher = PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4


def hash_password(password: str) -> str:
    """The Argon2id hash of `password` (a PHC string with its own random salt)."""
    return _hasher.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    """Whether `password` matches `hashed`. With no hash (an unknown account, a password
    not yet set) a dummy hash is checked, so that the answer takes as long either way."""
    try:
        return _hasher.verify(hashed or _DUMMY, password) and hashed is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """Whether `hashed` was made with other parameters than today's."""
    return _hasher.check_needs_rehash(hashed)


def check_password(password: str, *, email: str = "") -> None:
    """Refuse a password that is too short, too long or obviously guessable, saying why."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Use at least {MIN_LENGTH} characters (this has {len(password)}).")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"Use at most {MAX_LENGTH} characters.")
    folded = password.casefold()
    local = email.split("@", 1)[0].casefold()
    if (
        folded in COMMON
        or len(set(folded)) < 4
        or any(folded in run for run in RUNS)
        or (len(local) >= 4 and local in folded)
        or (email and folded == email.casefold())
    ):
        raise InvalidInput(
            "That password is too easy to guess: it is a common one, a run of keys, "
            "or holds your e-mail address. Try three or four unrelated words."
        )


_DUMMY = _hasher.hash("not the password of any account")
