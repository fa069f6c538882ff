"""Ed25519 signing keys: a key store on disk, signers, public JWKs and JWK Sets.

Private keys live as unencrypted PKCS8 PEM files, mode 0600, in one folder per purpose
(`token/`, `checkpoint/`) under a folder of mode 0700; each file is named after its key
id (`<kid>.pem`). The kid is the key's RFC 7638 JWK thumbprint, so it names the key
itself and cannot be moved onto another key. Private key bytes never appear in a repr,
a message or an exception: errors name the file, never its content.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.signing._b64 import b64url_encode
from registry.signing.errors import InsecureKeyStore, KeyNotFound, KeyStoreError
from registry.signing.keyset import key_from_x

PURPOSES = ("token", "checkpoint", "webhook")
"""What a key may sign. Each purpose has its own folder, and a signer is asked for by both."""

_B64URL_32_BYTES = re.compile(r"[A-Za-z0-9_-]{43}")


def thumbprint(x: str) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url) of the Ed25519 key whose `x` is given.

    RFC 7638 section 3.2: the required members of an OKP key (RFC 8037 section 2: crv, kty,
    x) in lexicographic order, no whitespace. `x` is base64url, so it needs no escaping.
    """
    if not _B64URL_32_BYTES.fullmatch(x):
        raise ValueError("x must be the 43 base64url characters of a 32-byte Ed25519 key")
    canonical = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True)
class PublicKey:
    """A public Ed25519 key: its kid, its purpose and `x` (its 32 bytes in base64url)."""

    kid: str
    purpose: str
    x: str

    def jwk(self) -> dict[str, str]:
        """The key as an RFC 7517 / RFC 8037 JWK, ready to publish."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.x,
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }

    def ed25519(self) -> Ed25519PublicKey:
        """The key as a `cryptography` object, for verifying."""
        return key_from_x(self.x)


class Signer:
    """Signs bytes with one private key. Shows only its kid and purpose, never the key."""

    __slots__ = ("__key", "kid", "public_key", "purpose")

    def __init__(self, private_key: Ed25519PrivateKey, purpose: str = "token") -> None:
        if not isinstance(private_key, Ed25519PrivateKey):
            raise TypeError("a Signer needs an Ed25519 private key")
        _check_purpose(purpose)
        self.__key = private_key
        self.public_key = _public(private_key.public_key(), purpose)
        self.kid = self.public_key.kid
        self.purpose = purpose

    @classmethod
    def generate(cls, purpose: str = "token") -> Signer:
        """A signer with a new key that lives only in memory (tests, benchmarks)."""
        return cls(Ed25519PrivateKey.generate(), purpose)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `data`."""
        return self.__key.sign(data)

    def __repr__(self) -> str:
        return f"Signer(kid={self.kid!r}, purpose={self.purpose!r})"

    def __reduce__(self) -> Any:
        raise TypeError("a Signer holds a private key and cannot be pickled or copied")


class KeyStore:
    """Private keys on disk, one folder per purpose; refuses folders or files others can read."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._public: dict[str, PublicKey] = {}

    def __repr__(self) -> str:
        return f"KeyStore({str(self.directory)!r})"

    def create(self, purpose: str = "token") -> PublicKey:
        """Make a new key for `purpose`, save it (mode 0600) and return its public half."""
        _check_purpose(purpose)
        folder = self._folder(purpose, create=True)
        key = Ed25519PrivateKey.generate()
        public = _public(key.public_key(), purpose)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(folder / f"{public.kid}.pem", pem)
        self._public[public.kid] = public
        return public

    def signer(self, kid: str, purpose: str = "token") -> Signer:
        """A signer for the key `kid`, which must be a key of `purpose`."""
        _check_purpose(purpose)
        found, key = self._load(kid)
        if found != purpose:
            raise KeyNotFound(f"key {kid} is a {found} key, not a {purpose} key")
        return Signer(key, purpose)

    def public_key(self, kid: str) -> PublicKey:
        """The public half of the key `kid`, of whatever purpose."""
        if kid not in self._public:
            purpose, key = self._load(kid)
            self._public[kid] = _public(key.public_key(), purpose)
        return self._public[kid]

    def public_jwk(self, kid: str) -> dict[str, str]:
        """The public JWK of the key `kid`: kty OKP, crv Ed25519, x, kid, alg EdDSA, use sig."""
        return self.public_key(kid).jwk()

    def jwks(self, kids: Iterable[str]) -> dict[str, list[dict[str, str]]]:
        """An RFC 7517 JWK Set of the keys named, in the order given."""
        return {"keys": [self.public_jwk(kid) for kid in kids]}

    def kids(self, purpose: str = "token") -> list[str]:
        """The kids of every key of `purpose` in the store, sorted."""
        _check_purpose(purpose)
        if not (self.directory / purpose).exists():
            return []
        folder = self._folder(purpose, create=False)
        return sorted(p.stem for p in folder.glob("*.pem") if _B64URL_32_BYTES.fullmatch(p.stem))

    def _folder(self, purpose: str, *, create: bool) -> Path:
        folder = self.directory / purpose
        if create:
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            _make_private_folder(self.directory)
            _make_private_folder(folder)
        for path in (self.directory, folder):
            _check_private(path, os.stat(path), folder=True)
        return folder

    def _load(self, kid: str) -> tuple[str, Ed25519PrivateKey]:
        if not isinstance(kid, str) or not _B64URL_32_BYTES.fullmatch(kid):
            raise KeyNotFound("a kid is 43 base64url characters (an RFC 7638 thumbprint)")
        for purpose in PURPOSES:
            path = self.directory / purpose / f"{kid}.pem"
            if path.exists() or path.is_symlink():
                self._folder(purpose, create=False)
                key = _read_private(path)
                if _public(key.public_key(), purpose).kid != kid:
                    raise KeyStoreError(f"{path} holds another key than the kid it is named after")
                return purpose, key
        raise KeyNotFound(f"no key {kid} in {self.directory}")


def _public(key: Ed25519PublicKey, purpose: str) -> PublicKey:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = b64url_encode(raw)
    return PublicKey(kid=thumbprint(x), purpose=purpose, x=x)


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise KeyStoreError(f"unknown key purpose {purpose!r}; expected one of {PURPOSES}")


def _check_private(path: Path, st: os.stat_result, *, folder: bool) -> None:
    kind, expected = ("folder", "0700") if folder else ("key file", "0600")
    if not (stat.S_ISDIR(st.st_mode) if folder else stat.S_ISREG(st.st_mode)):
        raise InsecureKeyStore(f"{path} is not a {kind}")
    if st.st_mode & 0o077:
        mode = oct(stat.S_IMODE(st.st_mode))
        raise InsecureKeyStore(
            f"{kind} {path} is open to group or others (mode {mode}); expected {expected}"
        )


def _make_private_folder(path: Path) -> None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)  # whatever the umask


def _write_private(path: Path, pem: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(pem)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        partial.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(partial, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _read_private(path: Path) -> Ed25519PrivateKey:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as e:
        raise KeyStoreError(f"cannot open key file {path}: {e.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        st = os.fstat(file.fileno())
        _check_private(path, st, folder=False)
        pem = bytearray(st.st_size)
        try:
            file.readinto(pem)
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            key = None
        finally:
            pem[:] = bytes(len(pem))  # do not leave the PEM text lying in memory
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyStoreError(f"{path} is not an unencrypted PKCS8 PEM Ed25519 private key")
    return key
