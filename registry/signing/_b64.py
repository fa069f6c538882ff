"""base64url without padding (RFC 7515 section 2), strict on input.

The `*_ascii` functions work on ASCII bytes, which spares the JWS hot paths a
conversion from and to `str` at every step.
"""

from __future__ import annotations

import binascii

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# base64url to standard base64; "+", "/" and "=" become "*", which strict decoding refuses
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/***")
# the characters that set bits a decoder drops at the end of a string of length 2 or 3 mod 4
_UNUSED: tuple[frozenset[int], ...] = (
    frozenset(),
    frozenset(),
    frozenset(c for i, c in enumerate(_ALPHABET) if i & 0x0F),
    frozenset(c for i, c in enumerate(_ALPHABET) if i & 0x03),
)
_PADDING = (b"", b"", b"==", b"=")


def b64url_encode(data: bytes) -> str:
    """`data` in base64url, without the `=` padding."""
    return encode_ascii(data).decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes `text` encodes; ValueError unless it is canonical unpadded base64url.

    Refuses padding, characters outside the base64url alphabet, an impossible length,
    and a last character whose unused low bits are set: those would let two different
    strings decode to the same bytes, so a changed token could still verify.
    """
    return decode_ascii(text.encode("ascii"))  # UnicodeEncodeError is a ValueError


def encode_ascii(data: bytes) -> bytes:
    """`data` in base64url without padding, as ASCII bytes."""
    encoded = binascii.b2a_base64(data, newline=False).replace(b"+", b"-").replace(b"/", b"_")
    padding = -len(data) % 3  # measured: faster than rstrip and translate here
    return encoded[:-padding] if padding else encoded


def decode_ascii(raw: bytes) -> bytes:
    """Like `b64url_decode`, for ASCII bytes."""
    tail = len(raw) & 3
    if tail == 1:
        raise ValueError(f"a base64url string cannot be {len(raw)} characters long")
    if tail and raw[-1] in _UNUSED[tail]:
        raise ValueError("not canonical base64url: the last character sets unused bits")
    try:
        return binascii.a2b_base64(raw.translate(_TO_STANDARD) + _PADDING[tail], strict_mode=True)
    except binascii.Error:
        message = "expected base64url characters only (A-Z a-z 0-9 - _), no padding"
        raise ValueError(message) from None
