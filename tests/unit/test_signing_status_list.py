"""Token Status List: the draft's bit layout and examples, compression, the signed list."""

from __future__ import annotations

import base64
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.signing import (
    STATUS_LIST_TYP,
    KeySet,
    Signer,
    Status,
    StatusList,
    StatusListInvalid,
    decode,
    encode,
    jws,
    sign_status_list,
)
from registry.signing._b64 import b64url_encode
from registry.signing.status_list import pack

# draft-ietf-oauth-status-list, "Status List" examples: 1 bit and 2 bits per entry
DRAFT_1_BIT = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
DRAFT_1_BIT_LST = "eNrbuRgAAhcBXQ"  # bytes b9 a3
DRAFT_2_BITS = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
DRAFT_2_BITS_LST = "eNo76fITAAPfAgc"  # bytes c9 44 f9


def test_the_draft_two_bit_example_decodes_entry_by_entry() -> None:
    statuses = decode(DRAFT_2_BITS_LST)
    assert [statuses.get(i) for i in range(len(DRAFT_2_BITS))] == DRAFT_2_BITS
    assert len(statuses) == 12


def test_the_draft_one_bit_example_decodes_with_bits_1() -> None:
    statuses = decode(DRAFT_1_BIT_LST, bits=1)
    assert [statuses.get(i) for i in range(16)] == DRAFT_1_BIT


def test_entries_are_packed_least_significant_bits_first_as_the_draft_says() -> None:
    # the draft's 2-bit example without its reserved 3s
    assert pack([1, 2, 0, 0, 0, 1, 0, 1, 1, 2]) == bytes([0b00001001, 0b01000100, 0b00001001])
    assert pack([0, 0, 0, 2]) == bytes([0b10000000])
    assert pack([]) == b""


@given(st.lists(st.sampled_from([0, 1, 2]), max_size=2000))
def test_encode_then_decode_gives_every_status_back(values: list[int]) -> None:
    lst = encode(values)
    statuses = decode(lst)
    assert [statuses.get(i) for i in range(len(values))] == values
    assert len(statuses) == len(values) + (-len(values) % 4)
    assert encode(bytes(values)) == lst


def test_a_list_is_zlib_deflate_in_base64url() -> None:
    lst = encode([Status.VALID, Status.INVALID, Status.SUSPENDED])
    assert "=" not in lst
    assert zlib.decompress(base64.urlsafe_b64decode(lst + "==")) == bytes([0b100100])


@pytest.mark.parametrize("values", [[3], [0, 4], [-1], [256]])
def test_reserved_and_impossible_statuses_are_not_encoded(values: list[int]) -> None:
    with pytest.raises(ValueError):
        encode(values)


def test_a_count_is_not_mistaken_for_a_list() -> None:
    with pytest.raises(TypeError):
        encode(5)  # type: ignore[arg-type]


def test_look_ups_past_the_end_or_negative_are_index_errors() -> None:
    statuses = decode(encode([0, 1, 2]))
    assert statuses.get(3) == 0  # padding of the last byte
    with pytest.raises(IndexError, match="past its 4 entries"):
        statuses.get(4)
    with pytest.raises(IndexError, match="negative"):
        statuses.get(-1)


def test_a_million_entries_decode_once_then_look_up_directly() -> None:
    values = bytes(i % 3 for i in range(1_000_000))
    statuses = decode(encode(values))
    assert len(statuses) == 1_000_000
    assert [statuses.get(i) for i in (0, 1, 2, 999_998, 999_999)] == [0, 1, 2, 2, 0]
    assert repr(statuses) == "StatusList(1000000 entries, bits=2)"


@pytest.mark.parametrize(
    ("lst", "why"),
    [
        ("eNo76fITAAPfAgc=", "no padding"),
        ("eNo7*fITAAPfAgc", "base64url characters only"),
        (b64url_encode(b"not zlib"), "not ZLIB"),
        (b64url_encode(zlib.compress(b"abc")[:-2]), "not exactly one complete"),
        (b64url_encode(zlib.compress(b"abc") + b"junk"), "not exactly one complete"),
    ],
)
def test_an_unreadable_lst_is_refused(lst: str, why: str) -> None:
    with pytest.raises(StatusListInvalid, match=why):
        decode(lst)


def test_a_list_that_inflates_past_the_limit_is_refused() -> None:
    bomb = b64url_encode(zlib.compress(bytes(1 << 20), 9))
    assert len(bomb) < 2000
    with pytest.raises(StatusListInvalid, match="more than 65536 bytes"):
        decode(bomb, max_bytes=1 << 16)


def test_only_whole_byte_fractions_of_bits_are_understood() -> None:
    with pytest.raises(StatusListInvalid):
        StatusList(b"\x00", bits=3)


def test_a_signed_status_list_is_a_statuslist_jwt_with_the_draft_claims() -> None:
    signer = Signer.generate()
    iat = datetime(2026, 3, 1, 12, tzinfo=UTC)
    token = sign_status_list(
        [0, 1, 2],
        signer=signer,
        iss="https://registry.example",
        sub="https://registry.example/status/1",
        iat=iat,
        ttl=timedelta(hours=1),
        exp=iat + timedelta(days=1),
    )
    keys = KeySet({"keys": [signer.public_key.jwk()]}).public_keys()
    header, claims = jws.verify(token, keys, typ=STATUS_LIST_TYP)
    assert header == {"alg": "EdDSA", "kid": signer.kid, "typ": "statuslist+jwt"}
    assert claims == {
        "sub": "https://registry.example/status/1",
        "iat": int(iat.timestamp()),
        "exp": int(iat.timestamp()) + 86400,
        "ttl": 3600,
        "iss": "https://registry.example",
        "status_list": {"bits": 2, "lst": encode([0, 1, 2])},
    }


@pytest.mark.parametrize(("ttl", "exp"), [(0, 100), (60, 0), (60, -5)])
def test_a_status_list_needs_a_positive_ttl_and_an_exp_after_iat(ttl: int, exp: int) -> None:
    with pytest.raises(ValueError):
        sign_status_list([0], signer=Signer.generate(), iss="i", sub="u", iat=0, ttl=ttl, exp=exp)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_status_list(
            [0], signer=Signer.generate(), iss="i", sub="u", iat=datetime(2026, 1, 1), ttl=1, exp=9
        )
