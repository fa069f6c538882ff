"""Token Status List (IETF OAuth draft "Token Status List"): a status per certificate.

Each certificate token names an index `idx` in a list published at a `uri`. The list
holds 2 bits per index: 0 valid, 1 invalid (revoked), 2 suspended, 3 reserved. Its bytes
are packed as the draft says (index 0 in the least significant bits of byte 0, index 1
in the next two bits, ...), compressed with DEFLATE in the ZLIB format and base64url
encoded: that string is `lst`. A signed status list is a JWS of type `statuslist+jwt`
with the claims `{"sub": uri, "iat", "exp", "ttl", "iss", "status_list": {"bits", "lst"}}`.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import IntEnum

from registry.signing._b64 import b64url_decode, b64url_encode
from registry.signing.errors import StatusListInvalid
from registry.signing.jws import SignsBytes, sign

STATUS_LIST_TYP = "statuslist+jwt"
"""The `typ` of a signed status list."""

BITS = 2
"""Bits per entry in the lists the registry writes."""

MAX_BYTES = 1 << 24
"""The largest decompressed list accepted (16 MiB, 67 million entries at 2 bits)."""


class Status(IntEnum):
    """The value of a certificate's entry in the status list. 3 is reserved."""

    VALID = 0
    INVALID = 1
    SUSPENDED = 2


class StatusList:
    """A decoded status list: `get(idx)` reads one entry in constant time."""

    __slots__ = ("_data", "_low", "_mask", "_shift", "bits")

    def __init__(self, data: bytes, bits: int = BITS) -> None:
        if bits not in (1, 2, 4, 8):
            raise StatusListInvalid(f"bits must be 1, 2, 4 or 8, not {bits!r}")
        per_byte = 8 // bits
        self._data = bytes(data)
        self.bits = bits
        self._mask = (1 << bits) - 1
        self._low = per_byte - 1
        self._shift = per_byte.bit_length() - 1

    def get(self, idx: int) -> int:
        """The status at `idx`; IndexError if the list is shorter."""
        if idx < 0:
            raise IndexError(f"status list index {idx} is negative")
        try:
            byte = self._data[idx >> self._shift]
        except IndexError:
            raise IndexError(f"status list index {idx} is past its {len(self)} entries") from None
        return (byte >> ((idx & self._low) * self.bits)) & self._mask

    def __len__(self) -> int:
        return len(self._data) << self._shift

    def __repr__(self) -> str:
        return f"StatusList({len(self)} entries, bits={self.bits})"


def pack(values: Sequence[int] | bytes) -> bytes:
    """The draft's byte array for `values`, one status (0, 1 or 2) per entry, 2 bits each.

    `bytes` or `bytearray` with one status per byte is the fast way to pass a long list.
    """
    if isinstance(values, int | str):
        raise TypeError("values is a sequence of statuses, one per entry")
    entries = bytes(values)  # ValueError for an int outside 0..255
    if entries.translate(None, b"\x00\x01\x02"):
        raise ValueError("a status is 0 (valid), 1 (invalid) or 2 (suspended); 3 is reserved")
    entries += bytes(-len(entries) % 4)
    # Entry i goes to byte i // 4 at bit 2 * (i % 4). Each quarter is a big integer whose
    # bytes are 0..3, so shifting it by 2, 4 or 6 bits never carries into the next byte.
    q0, q1, q2, q3 = (int.from_bytes(entries[i::4], "little") for i in range(4))
    return (q0 | q1 << 2 | q2 << 4 | q3 << 6).to_bytes(len(entries) // 4, "little")


def encode(values: Sequence[int] | bytes) -> str:
    """The `lst` of `values` (one status per entry): packed, ZLIB-compressed, base64url."""
    return b64url_encode(zlib.compress(pack(values), 9))


def decode(lst: str, *, bits: int = BITS, max_bytes: int = MAX_BYTES) -> StatusList:
    """The status list an `lst` holds; `StatusListInvalid` if it cannot be read.

    Decode once and keep the result: look-ups are then constant time.
    """
    try:
        compressed = b64url_decode(lst)
    except (ValueError, TypeError) as e:
        raise StatusListInvalid(f"lst: {e}") from None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, max_bytes)
    except zlib.error as e:
        raise StatusListInvalid(f"lst is not ZLIB-compressed: {e}") from None
    if inflater.unconsumed_tail:
        raise StatusListInvalid(f"lst inflates to more than {max_bytes} bytes")
    if not inflater.eof or inflater.unused_data:
        raise StatusListInvalid("lst is not exactly one complete ZLIB stream")
    return StatusList(data, bits)


def sign_status_list(
    values: Sequence[int] | bytes,
    *,
    signer: SignsBytes,
    iss: str,
    sub: str,
    iat: datetime | int,
    ttl: timedelta | int,
    exp: datetime | int,
) -> str:
    """A `statuslist+jwt` for `values`, published at the uri `sub`, fresh for `ttl`.

    `iat` and `exp` are aware datetimes or seconds since the epoch; `ttl` a timedelta or
    seconds: how long a verifier may use this list before it must fetch a newer one.
    """
    issued, expires, fresh_for = _seconds(iat), _seconds(exp), _seconds(ttl)
    if fresh_for <= 0 or expires <= issued:
        raise ValueError("a status list needs ttl > 0 and exp after iat")
    claims = {
        "sub": sub,
        "iat": issued,
        "exp": expires,
        "ttl": fresh_for,
        "iss": iss,
        "status_list": {"bits": BITS, "lst": encode(values)},
    }
    return sign(claims, signer, STATUS_LIST_TYP)


def _seconds(value: datetime | timedelta | int) -> int:
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError("a datetime in a status list must be timezone-aware")
        return int(value.timestamp())
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a datetime, timedelta or int, not {type(value).__name__}")
    return value
