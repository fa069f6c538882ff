"""Ed25519 keys: RFC 7638 kids, a key store that keeps private keys private."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import pickle
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from registry.domain.errors import RegistryError
from registry.signing import (
    InsecureKeyStore,
    KeyNotFound,
    KeySet,
    KeyStore,
    KeyStoreError,
    Signer,
    UnknownKey,
    thumbprint,
)

# RFC 8032 section 7.1, TEST 1 (the key RFC 8037 appendix A uses)
RFC_8032_TEST_1_D = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC_8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
# RFC 8037 appendix A.3: SHA-256 90 fa ca fe a9 b1 55 66 98 54 0f 70 c0 11 7a 22 ...
RFC_8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys")


def private_encodings(key: Ed25519PrivateKey) -> list[str]:
    """Every way the private key's bytes could leak into text."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    body = pem.decode().splitlines()[1]
    return [raw.hex(), b64url(raw), base64.b64encode(raw).decode(), body, repr(raw)[2:-1]]


def test_the_kid_is_the_rfc_7638_thumbprint_of_the_public_key(store: KeyStore) -> None:
    public = store.create("token")
    # RFC 7638 section 3.1: required members, sorted, no whitespace, SHA-256, base64url
    members = {"kty": "OKP", "crv": "Ed25519", "x": public.x}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    assert public.kid == b64url(hashlib.sha256(canonical).digest())
    assert public.kid == thumbprint(public.x)


def test_the_rfc_8037_key_has_the_rfc_8037_thumbprint() -> None:
    assert thumbprint(RFC_8037_X) == RFC_8037_THUMBPRINT


def test_the_rfc_8032_test_1_private_key_gives_the_rfc_8037_public_key_and_kid() -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC_8032_TEST_1_D))
    signer = Signer(key)
    assert signer.public_key.x == RFC_8037_X
    assert signer.kid == RFC_8037_THUMBPRINT


def test_a_thumbprint_needs_a_32_byte_x() -> None:
    with pytest.raises(ValueError):
        thumbprint('x","evil":"')


def test_keys_are_pem_files_of_mode_0600_named_by_kid_in_0700_folders_per_purpose(
    store: KeyStore,
) -> None:
    token_key = store.create("token")
    checkpoint_key = store.create("checkpoint")
    token_file = store.directory / "token" / f"{token_key.kid}.pem"
    assert token_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (store.directory / "checkpoint" / f"{checkpoint_key.kid}.pem").exists()
    assert mode(token_file) == 0o600
    assert mode(store.directory) == mode(store.directory / "token") == 0o700
    assert store.kids("token") == [token_key.kid]
    assert store.kids("checkpoint") == [checkpoint_key.kid]
    assert not list(store.directory.rglob("*.partial"))


def test_files_stay_private_whatever_the_umask(store: KeyStore) -> None:
    old = os.umask(0)
    try:
        public = store.create()
    finally:
        os.umask(old)
    assert mode(store.directory / "token" / f"{public.kid}.pem") == 0o600
    assert mode(store.directory) == 0o700


def test_a_signer_signs_with_the_stored_key(store: KeyStore) -> None:
    public = store.create()
    signature = store.signer(public.kid).sign(b"message")
    public.ed25519().verify(signature, b"message")


def test_a_key_of_one_purpose_cannot_sign_for_another(store: KeyStore) -> None:
    checkpoint = store.create("checkpoint")
    with pytest.raises(KeyNotFound, match="is a checkpoint key, not a token key"):
        store.signer(checkpoint.kid)
    assert store.signer(checkpoint.kid, "checkpoint").purpose == "checkpoint"
    with pytest.raises(KeyStoreError, match="unknown key purpose"):
        store.create("everything")


def test_public_jwk_and_jwks_are_rfc_7517_with_kid_alg_and_use(store: KeyStore) -> None:
    first, second = store.create(), store.create()
    assert store.public_jwk(first.kid) == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": first.x,
        "kid": first.kid,
        "alg": "EdDSA",
        "use": "sig",
    }
    jwks = store.jwks([second.kid, first.kid])
    assert [k["kid"] for k in jwks["keys"]] == [second.kid, first.kid]
    assert all("d" not in k for k in jwks["keys"])
    assert KeySet(jwks).public_keys().keys() == {first.kid, second.kid}


@pytest.mark.parametrize("loose", [0o640, 0o604, 0o644, 0o660])
def test_a_key_file_readable_by_group_or_others_is_refused(store: KeyStore, loose: int) -> None:
    public = store.create()
    fresh = KeyStore(store.directory)
    os.chmod(store.directory / "token" / f"{public.kid}.pem", loose)
    with pytest.raises(InsecureKeyStore, match=r"open to group or others .*expected 0600"):
        fresh.signer(public.kid)
    with pytest.raises(InsecureKeyStore):
        fresh.public_jwk(public.kid)


@pytest.mark.parametrize("folder", ["", "token"])
def test_a_key_folder_open_to_others_is_refused(store: KeyStore, folder: str) -> None:
    public = store.create()
    os.chmod(store.directory / folder, 0o755)
    with pytest.raises(InsecureKeyStore, match="expected 0700"):
        KeyStore(store.directory).signer(public.kid)
    with pytest.raises(InsecureKeyStore):
        store.create()


def test_an_existing_loose_folder_is_not_silently_used(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir(mode=0o777)
    os.chmod(tmp_path / "keys", 0o777)
    with pytest.raises(InsecureKeyStore):
        KeyStore(tmp_path / "keys").create()


def test_a_symlinked_key_file_is_refused(store: KeyStore, tmp_path: Path) -> None:
    public = store.create()
    path = store.directory / "token" / f"{public.kid}.pem"
    target = tmp_path / "elsewhere.pem"
    path.rename(target)
    path.symlink_to(target)
    with pytest.raises(KeyStoreError, match="cannot open key file"):
        KeyStore(store.directory).signer(public.kid)


def test_a_key_file_named_after_another_kid_is_refused(store: KeyStore) -> None:
    first, second = store.create(), store.create()
    folder = store.directory / "token"
    (folder / f"{second.kid}.pem").unlink()
    (folder / f"{first.kid}.pem").rename(folder / f"{second.kid}.pem")
    with pytest.raises(KeyStoreError, match="another key than the kid"):
        KeyStore(store.directory).signer(second.kid)


@pytest.mark.parametrize("kid", ["", "../../etc/passwd", "a" * 42, "a" * 44, "a/b" * 15])
def test_a_kid_that_cannot_be_a_thumbprint_is_not_looked_for(store: KeyStore, kid: str) -> None:
    store.create()
    with pytest.raises(KeyNotFound):
        store.signer(kid)


def test_an_unknown_kid_is_not_found(store: KeyStore) -> None:
    store.create()
    with pytest.raises(KeyNotFound, match="no key"):
        store.signer(RFC_8037_THUMBPRINT)
    assert issubclass(KeyNotFound, RegistryError)


def test_private_key_material_never_shows_in_reprs_errors_or_published_keys(
    store: KeyStore,
) -> None:
    public = store.create()
    path = store.directory / "token" / f"{public.kid}.pem"
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    signer = store.signer(public.kid)
    shown = [repr(signer), str(signer), repr(store), repr(public), str(store.jwks([public.kid]))]
    shown += [repr(KeySet(store.jwks([public.kid]))), repr(vars(store))]
    for leak in private_encodings(key):
        for text in shown:
            assert leak not in text
    assert not hasattr(signer, "__dict__")


def test_a_signer_cannot_be_pickled_or_copied() -> None:
    signer = Signer.generate()
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(signer)
    with pytest.raises(TypeError):
        copy.copy(signer)


def test_an_unreadable_key_file_is_refused_without_echoing_its_content(store: KeyStore) -> None:
    public = store.create()
    path = store.directory / "token" / f"{public.kid}.pem"
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    body = private_encodings(key)[3]
    path.write_bytes(path.read_bytes().replace(body.encode(), body[::-1].encode()))
    with pytest.raises(KeyStoreError) as refused:
        KeyStore(store.directory).signer(public.kid)
    assert "not an unencrypted PKCS8 PEM Ed25519 private key" in str(refused.value)
    for text in (str(refused.value), repr(refused.value)):
        assert body not in text and body[::-1] not in text
    assert refused.value.__cause__ is None and refused.value.__context__ is None


def test_a_pem_of_another_kind_of_key_is_refused(store: KeyStore) -> None:
    public = store.create()
    other = X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (store.directory / "token" / f"{public.kid}.pem").write_bytes(other)
    with pytest.raises(KeyStoreError, match="not an unencrypted PKCS8 PEM Ed25519"):
        KeyStore(store.directory).signer(public.kid)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"kty": "EC"}, "not an OKP Ed25519 key"),
        ({"crv": "Ed448"}, "not an OKP Ed25519 key"),
        ({"use": "enc"}, "not published for EdDSA"),
        ({"alg": "RS256"}, "not published for EdDSA"),
        ({"key_ops": ["sign"]}, "may not be used to verify"),
        ({"d": "private"}, "carries private key material"),
        ({"x": "short"}, "no x of 32 bytes"),
    ],
)
def test_a_jwks_entry_that_is_not_an_ed25519_verification_key_is_unusable(
    change: dict[str, object], why: str
) -> None:
    jwk = Signer.generate().public_key.jwk() | change
    with pytest.raises(UnknownKey, match=why):
        KeySet({"keys": [jwk]}).key(jwk["kid"])


def test_a_kid_published_twice_is_no_key() -> None:
    first, second = Signer.generate().public_key.jwk(), Signer.generate().public_key.jwk()
    second["kid"] = first["kid"]
    key_set = KeySet({"keys": [first, second]})
    with pytest.raises(UnknownKey, match="more than one key"):
        key_set.key(first["kid"])
    assert key_set.public_keys() == {}


def test_a_jwks_without_keys_has_no_key() -> None:
    with pytest.raises(UnknownKey, match='no "keys" list'):
        KeySet({"kty": "OKP"}).key("anything")
