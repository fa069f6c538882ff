"""Signed notes (c2sp.org/signed-note) and checkpoints (c2sp.org/tlog-checkpoint), Ed25519 only.

A signed note is a text ending in a newline, a blank line, then one or more
signature lines, each "— <key name> <base64(4-byte key id || signature)>":

    This is an example message.

    — example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3m...

The key id is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key), and a
verifier key, the text form of a public key, is `name+<hex key id>+<base64(0x01 || key)>`.
Opening a note ignores signatures by unknown keys (name and key id not both known),
refuses the note if a known key's signature does not verify, and needs at least one
known key's signature that does.

A checkpoint is a signed note whose text is the log's origin, its tree size in decimal,
its base64 RFC 6962 root hash, then any extension lines.

Everything malformed or unverifiable raises `NoteError`, saying what is wrong. Base64 is
the standard alphabet with padding, and only its canonical form is accepted, so a note
has exactly one spelling.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.domain.errors import InvalidInput

ED25519 = 0x01
KEY_SIZE = 32
SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4
HASH_SIZE = 32
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16
MAX_TREE_SIZE = 2**64 - 1

_HEX_ID = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class NoteError(InvalidInput, ValueError):
    """A malformed or unverifiable signed note, verifier key or checkpoint."""


# Names, text and base64


def _is_space(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def _check_utf8(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(f"{what} is not valid UTF-8 (it holds a lone surrogate)") from None


def _check_controls(text: str, what: str) -> None:
    """Refuse ASCII control characters other than newline."""
    for char in text:
        if char < " " and char != "\n":
            raise NoteError(f"{what} holds the control character U+{ord(char):04X}")


def check_name(name: str) -> None:
    """Refuse a key name that is empty or holds a Unicode space, a plus or a control."""
    if not isinstance(name, str):
        raise NoteError("a key name must be a string")
    if not name:
        raise NoteError("the key name is empty")
    for char in name:
        if char == "+":
            raise NoteError(f"the key name {name!r} contains a plus sign")
        if _is_space(char):
            raise NoteError(f"the key name {name!r} contains a space (U+{ord(char):04X})")
        if char < " " or char == "\x7f":
            raise NoteError(f"the key name {name!r} contains a control character")
    _check_utf8(name, f"the key name {name!r}")


def _check_public_key(public_key: bytes) -> None:
    if not isinstance(public_key, bytes):
        raise NoteError("an Ed25519 public key must be bytes")
    if len(public_key) != KEY_SIZE:
        raise NoteError(f"an Ed25519 public key is {KEY_SIZE} bytes, not {len(public_key)}")


def _encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decode(text: str, what: str) -> bytes:
    """Decode standard, padded, canonical base64."""
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or a non-ASCII string
        raise NoteError(f"{what} is not valid base64") from None
    if _encode(data) != text:
        raise NoteError(f"{what} is not canonical base64")
    return data


# Keys


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    check_name(name)
    _check_public_key(public_key)
    data = name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key
    return hashlib.sha256(data).digest()[:KEY_ID_SIZE]


def verifier_key(name: str, public_key: bytes) -> str:
    """The verifier key of an Ed25519 key: `name+<hex key id>+<base64(0x01 || key)>`."""
    kid = key_id(name, public_key)
    return f"{name}+{kid.hex()}+{_encode(bytes([ED25519]) + public_key)}"


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 public key known by name, that verifies note signatures."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        # `key_id` below is the module's function; the field only shadows it on instances.
        expected = key_id(self.name, self.public_key)
        if self.key_id != expected:
            raise NoteError(
                f"the key id {_hex(self.key_id)} of {self.name!r} does not match its key "
                f"(whose id is {expected.hex()})"
            )

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Verifier:
        """The verifier of `public_key` under `name`, its key id computed."""
        return cls(name, key_id(name, public_key), public_key)

    @classmethod
    def parse_verifier_key(cls, text: str) -> Verifier:
        """Parse a verifier key `name+<hex key id>+<base64(0x01 || key)>`, checking it all."""
        return parse_verifier_key(text)

    parse = parse_verifier_key

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether `signature` is this key's Ed25519 signature of `message`."""
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _hex(data: object) -> str:
    return data.hex() if isinstance(data, bytes) else repr(data)


def parse_verifier_key(text: str) -> Verifier:
    """Parse a verifier key `name+<hex key id>+<base64(0x01 || key)>`, checking it all."""
    if not isinstance(text, str):
        raise NoteError("a verifier key must be a string")
    # The name and the hex id hold no '+'; the base64 key may.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise NoteError(
            "a verifier key has three parts separated by '+' (name, key id, key), "
            f"this one has {len(parts)}"
        )
    name, hex_id, key_text = parts
    check_name(name)
    if not _HEX_ID.fullmatch(hex_id):
        raise NoteError(f"the key id {hex_id!r} is not 8 lowercase hex digits")
    data = _decode(key_text, "the verifier key's public key")
    if not data:
        raise NoteError("the verifier key's public key is empty")
    if data[0] != ED25519:
        raise NoteError(
            f"the verifier key is of signature type 0x{data[0]:02x}; only Ed25519 (0x01) is "
            "supported"
        )
    if len(data) != 1 + KEY_SIZE:
        raise NoteError(f"an Ed25519 public key is {KEY_SIZE} bytes, not {len(data) - 1}")
    public_key = data[1:]
    computed = key_id(name, public_key)
    if computed.hex() != hex_id:
        raise NoteError(
            f"the key id {hex_id} does not match the key of {name!r} (whose id is {computed.hex()})"
        )
    return Verifier(name, computed, public_key)


# Notes


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise NoteError("a note text must be a string")
    if not text:
        raise NoteError("the note text is empty")
    if not text.endswith("\n"):
        raise NoteError("the note text does not end with a newline")
    _check_utf8(text, "the note text")
    _check_controls(text, "the note text")


def signature_line(text: str, name: str, sign: Callable[[bytes], bytes], public_key: bytes) -> str:
    """The signature line `— name base64(key id || signature)` of `text`, newline ended."""
    _check_text(text)
    verifier = Verifier.from_public_key(name, public_key)
    message = text.encode("utf-8")
    signature = sign(message)
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        size = len(signature) if isinstance(signature, bytes) else type(signature).__name__
        raise NoteError(f"the signer gave {size} bytes, not a {SIGNATURE_SIZE}-byte signature")
    if not verifier.verify(message, signature):
        raise NoteError(f"the signer's signature does not verify with the public key of {name!r}")
    return f"{SIGNATURE_PREFIX}{name} {_encode(verifier.key_id + signature)}\n"


def sign_note(text: str, name: str, sign: Callable[[bytes], bytes], public_key: bytes) -> str:
    """The signed note of `text` (non-empty, newline ended), signed by `sign` as `name`.

    `sign` returns the 64-byte Ed25519 signature of the bytes it is given, by the
    private key of `public_key`; the signature is checked against that key.
    """
    return text + "\n" + signature_line(text, name, sign, public_key)


def _note_text(note: str | bytes) -> str:
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("the note is not valid UTF-8") from None
    elif not isinstance(note, str):
        raise NoteError("a note must be a string or bytes")
    else:
        _check_utf8(note, "the note")
    _check_controls(note, "the note")
    return note


def _split(note: str) -> tuple[str, list[str]]:
    """The text (up to and including the newline before the last blank line) and the
    signature lines of a note."""
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise NoteError("the note has no signature lines after its last blank line")
    if not block.endswith("\n"):
        raise NoteError("the note's last signature line does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"the note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    return text, lines


def _parse_signature(line: str, number: int) -> tuple[str, bytes, bytes]:
    """The key name, key id and signature of signature line `number` (from 1)."""
    where = f"signature line {number}"
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(f"{where} does not start with an em dash and a space")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise NoteError(f"{where} has no space between the key name and the signature")
    try:
        check_name(name)
    except NoteError as e:
        raise NoteError(f"{where}: {e}") from None
    data = _decode(encoded, f"the signature on {where}")
    if len(data) <= KEY_ID_SIZE:
        raise NoteError(
            f"the signature on {where} is {len(data)} bytes, too short for a key id and a signature"
        )
    return name, data[:KEY_ID_SIZE], data[KEY_ID_SIZE:]


def _known(verifiers: Iterable[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    known: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        if not isinstance(verifier, Verifier):
            raise NoteError("the verifiers must be Verifier objects")
        ident = (verifier.name, verifier.key_id)
        if known.get(ident, verifier) != verifier:
            raise NoteError(
                f"two verifiers of {verifier.name!r} share key id {verifier.key_id.hex()}"
            )
        known[ident] = verifier
    return known


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[Verifier]]:
    """The text of `note` and the verifiers whose signatures on it verified.

    Signatures by keys not among `verifiers` (name and key id) are ignored; one by a
    known key that does not verify refuses the note, as does a note with no verified
    signature by a known key.
    """
    note = _note_text(note)
    text, lines = _split(note)
    known = _known(verifiers)
    message = text.encode("utf-8")
    verified: list[Verifier] = []
    for number, line in enumerate(lines, start=1):
        name, kid, signature = _parse_signature(line, number)
        verifier = known.get((name, kid))
        if verifier is None:
            continue
        if not verifier.verify(message, signature):
            raise NoteError(
                f"the signature by {name!r} (key id {kid.hex()}) on signature line {number} "
                "does not verify"
            )
        if verifier not in verified:
            verified.append(verifier)
    if not verified:
        raise NoteError("the note has no signature by a known key")
    return text, verified


# Checkpoints


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str):
        raise NoteError(f"the checkpoint's {what} must be a string")
    if not line:
        raise NoteError(f"the checkpoint's {what} is empty")
    if "\n" in line:
        raise NoteError(f"the checkpoint's {what} contains a newline")
    _check_utf8(line, f"the checkpoint's {what}")
    _check_controls(line, f"the checkpoint's {what}")


def _parse_size(text: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise NoteError(
            f"the checkpoint's tree size {text!r} is not a decimal number without sign or "
            "leading zeros"
        )
    size = int(text) if len(text) <= 20 else MAX_TREE_SIZE + 1
    if size > MAX_TREE_SIZE:
        raise NoteError(f"the checkpoint's tree size {text[:24]!r} is larger than 2^64 - 1")
    return size


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint: the log's origin, its tree size and root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise NoteError("the checkpoint's tree size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError(f"the checkpoint's tree size {self.size} is out of range")
        if not isinstance(self.root, bytes):
            raise NoteError("the checkpoint's root hash must be bytes")
        if len(self.root) != HASH_SIZE:
            raise NoteError(
                f"the checkpoint's root hash is {len(self.root)} bytes, not {HASH_SIZE}"
            )
        if isinstance(self.extensions, str):
            raise NoteError("the checkpoint's extensions must be a sequence of lines")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for number, line in enumerate(self.extensions, start=1):
            _check_line(line, f"extension line {number}")

    def text(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each newline ended."""
        lines = [self.origin, str(self.size), _encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint's note text, strictly."""
        if not isinstance(text, str):
            raise NoteError("a checkpoint text must be a string")
        if not text.endswith("\n"):
            raise NoteError("the checkpoint text does not end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError(
                f"a checkpoint has at least 3 lines (origin, tree size, root hash), this one "
                f"has {len(lines)}"
            )
        origin, size_text, root_text, *extensions = lines
        _check_line(origin, "origin")
        size = _parse_size(size_text)
        root = _decode(root_text, "the checkpoint's root hash")
        if len(root) != HASH_SIZE:
            raise NoteError(f"the checkpoint's root hash is {len(root)} bytes, not {HASH_SIZE}")
        return cls(origin, size, root, tuple(extensions))


def sign_checkpoint(
    checkpoint: Checkpoint,
    sign: Callable[[bytes], bytes],
    public_key: bytes,
    name: str | None = None,
) -> str:
    """The signed note of `checkpoint`, signed as `name` (by default, its origin)."""
    return sign_note(
        checkpoint.text(), checkpoint.origin if name is None else name, sign, public_key
    )


def open_checkpoint(
    note: str | bytes, verifiers: Iterable[Verifier], origin: str | None = None
) -> Checkpoint:
    """The checkpoint in `note` once verified, refused unless its origin is `origin` (if given)."""
    text, _ = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(
            f"the checkpoint's origin {checkpoint.origin!r} is not the expected {origin!r}"
        )
    return checkpoint
