"""C2SP signed notes and tlog-checkpoints: the spec's vector, round trips, refusals."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.audit.note import (
    Checkpoint,
    NoteError,
    Verifier,
    key_id,
    open_checkpoint,
    open_note,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verifier_key,
)

README = Path(__file__).parent.parent / "vectors" / "signed-note" / "README.md"

# The vector, exactly as tests/vectors/signed-note/README.md gives it.
VECTOR_KEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
VECTOR_NAME = "example.com/foo"
VECTOR_KEY_ID = "530d903a"
VECTOR_TEXT = "This is an example message.\n"
VECTOR_SIGNATURE = (
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
)
VECTOR_LINE = f"\u2014 {VECTOR_NAME} {VECTOR_SIGNATURE}"
VECTOR_NOTE = VECTOR_TEXT + "\n" + VECTOR_LINE + "\n"

ROOT = hashlib.sha256(b"root").digest()
NOT_VERIFIED = "does not verify|no signature by a known key"


class Key:
    """A fresh Ed25519 key under a name, for signing in tests."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.private = Ed25519PrivateKey.generate()
        self.public = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.verifier = Verifier.from_public_key(name, self.public)

    def sign(self, text: str, name: str | None = None) -> str:
        return sign_note(text, self.name if name is None else name, self.private.sign, self.public)

    def line(self, text: str, name: str | None = None) -> str:
        """The signature line (newline ended) this key puts on `text`."""
        return self.sign(text, name)[len(text) + 1 :]


@pytest.fixture
def vector() -> Verifier:
    return parse_verifier_key(VECTOR_KEY)


@pytest.fixture
def alice() -> Key:
    return Key("example.com/alice")


@pytest.fixture
def bob() -> Key:
    return Key("example.com/bob")


def non_canonical(encoded: str) -> str:
    """`encoded` (padded) with an unused bit of its last character set: same bytes."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    data = encoded.rstrip("=")
    last = alphabet[alphabet.index(data[-1]) | 1]
    return data[:-1] + last + encoded[len(data) :]


def verifier_text(name: str, hex_id: str, data: bytes) -> str:
    return f"{name}+{hex_id}+{base64.b64encode(data).decode()}"


# The vector


def test_the_vector_constants_are_those_of_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    assert f"    {VECTOR_KEY}\n" in readme
    assert f"    {VECTOR_TEXT.rstrip()}\n\n    {VECTOR_LINE}\n" in readme
    assert f"Here it is {VECTOR_KEY_ID}." in readme


def test_the_vector_key_id(vector: Verifier) -> None:
    assert vector.name == VECTOR_NAME
    assert vector.key_id.hex() == VECTOR_KEY_ID
    assert key_id(VECTOR_NAME, vector.public_key) == bytes.fromhex(VECTOR_KEY_ID)
    assert verifier_key(VECTOR_NAME, vector.public_key) == VECTOR_KEY
    assert parse_verifier_key(VECTOR_KEY) == Verifier.parse_verifier_key(VECTOR_KEY) == vector


def test_the_vector_note_opens_with_its_key(vector: Verifier) -> None:
    assert open_note(VECTOR_NOTE, [vector]) == (VECTOR_TEXT, [vector])
    assert open_note(VECTOR_NOTE.encode(), [vector]) == (VECTOR_TEXT, [vector])


def test_the_vector_signature_is_the_key_id_then_the_signature(vector: Verifier) -> None:
    data = base64.b64decode(VECTOR_SIGNATURE)
    assert data[:4].hex() == VECTOR_KEY_ID
    assert len(data) == 4 + 64
    assert vector.verify(VECTOR_TEXT.encode(), data[4:])
    assert not vector.verify(b"This is another message.\n", data[4:])


@pytest.mark.parametrize("index", range(len(VECTOR_TEXT) - 1))
def test_changing_any_character_of_the_text_fails(vector: Verifier, index: int) -> None:
    other = "x" if VECTOR_TEXT[index] != "x" else "y"
    text = VECTOR_TEXT[:index] + other + VECTOR_TEXT[index + 1 :]
    with pytest.raises(NoteError, match=r"signature by 'example.com/foo'.*does not verify"):
        open_note(text + "\n" + VECTOR_LINE + "\n", [vector])


def test_changing_the_texts_final_newline_fails(vector: Verifier) -> None:
    with pytest.raises(NoteError, match="no blank line"):
        open_note(VECTOR_TEXT[:-1] + "x\n" + VECTOR_LINE + "\n", [vector])
    with pytest.raises(NoteError, match="control character U\\+000B"):
        open_note(VECTOR_TEXT[:-1] + "\x0b\n" + VECTOR_LINE + "\n", [vector])


@pytest.mark.parametrize("index", range(len(VECTOR_SIGNATURE) - 1))
def test_changing_any_character_of_the_signature_fails(vector: Verifier, index: int) -> None:
    # 'A' and 'Q' leave the two unused low bits of the last character zero, so the
    # base64 stays canonical and the change reaches the key id or the signature.
    other = "A" if VECTOR_SIGNATURE[index] != "A" else "Q"
    signature = VECTOR_SIGNATURE[:index] + other + VECTOR_SIGNATURE[index + 1 :]
    with pytest.raises(NoteError, match=NOT_VERIFIED):
        open_note(f"{VECTOR_TEXT}\n\u2014 {VECTOR_NAME} {signature}\n", [vector])


def test_changing_any_byte_of_the_signature_fails(vector: Verifier) -> None:
    data = base64.b64decode(VECTOR_SIGNATURE)
    for index in range(len(data)):
        changed = data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]
        signature = base64.b64encode(changed).decode()
        with pytest.raises(NoteError, match=NOT_VERIFIED):
            open_note(f"{VECTOR_TEXT}\n\u2014 {VECTOR_NAME} {signature}\n", [vector])


def test_a_signature_line_padded_with_a_non_canonical_last_character_fails(
    vector: Verifier,
) -> None:
    signature = non_canonical(VECTOR_SIGNATURE)
    assert base64.b64decode(signature) == base64.b64decode(VECTOR_SIGNATURE)
    with pytest.raises(NoteError, match="not canonical base64"):
        open_note(f"{VECTOR_TEXT}\n\u2014 {VECTOR_NAME} {signature}\n", [vector])


def test_an_unknown_keys_extra_signature_is_ignored(vector: Verifier, alice: Key) -> None:
    after = VECTOR_NOTE + alice.line(VECTOR_TEXT)
    assert open_note(after, [vector]) == (VECTOR_TEXT, [vector])
    before = VECTOR_TEXT + "\n" + alice.line(VECTOR_TEXT) + VECTOR_LINE + "\n"
    assert open_note(before, [vector]) == (VECTOR_TEXT, [vector])


def test_a_signature_of_an_unknown_algorithm_is_ignored(vector: Verifier) -> None:
    other = base64.b64encode(b"\x01\x02\x03\x04" + b"\x00" * 2000).decode()
    note = VECTOR_NOTE + f"\u2014 witness.example/w1 {other}\n"
    assert open_note(note, [vector]) == (VECTOR_TEXT, [vector])


def test_the_vector_alone_does_not_open_without_its_key(alice: Key) -> None:
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_note(VECTOR_NOTE, [alice.verifier])
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_note(VECTOR_NOTE, [])


# Round trips


def test_a_note_round_trips(alice: Key) -> None:
    text = "line one\nline two \u00e9\u2603\n"
    note = alice.sign(text)
    assert note.startswith(text + "\n\u2014 example.com/alice ")
    assert note.endswith("\n")
    assert open_note(note, [alice.verifier]) == (text, [alice.verifier])
    assert open_note(note.encode(), [alice.verifier]) == (text, [alice.verifier])


@pytest.mark.parametrize(
    "text",
    [
        "\n",
        "one\n\ntwo\n",
        "ends with a blank line\n\n",
        "\n\n\n",
        "looks signed\n\n\u2014 example.com/alice AAAAAAAA\n",
    ],
)
def test_texts_with_blank_lines_round_trip(alice: Key, text: str) -> None:
    assert open_note(alice.sign(text), [alice.verifier]) == (text, [alice.verifier])


def test_signature_line_form(alice: Key) -> None:
    note = alice.sign("hello\n")
    line = note.split("\n")[2]
    dash, name, encoded = line.split(" ")
    assert dash == "\u2014"
    assert name == alice.name
    data = base64.b64decode(encoded, validate=True)
    assert data[:4] == alice.verifier.key_id
    assert len(data) == 68


def test_a_second_valid_signature_by_another_known_key(alice: Key, bob: Key) -> None:
    text = "cosigned\n"
    note = alice.sign(text) + bob.line(text)
    assert open_note(note, [alice.verifier, bob.verifier]) == (
        text,
        [alice.verifier, bob.verifier],
    )
    assert open_note(note, [bob.verifier]) == (text, [bob.verifier])
    assert open_note(note, [alice.verifier]) == (text, [alice.verifier])


def test_a_repeated_signature_lists_its_verifier_once(alice: Key) -> None:
    text = "twice\n"
    note = alice.sign(text) + alice.line(text)
    assert open_note(note, [alice.verifier, alice.verifier]) == (text, [alice.verifier])


def test_a_bad_signature_by_a_known_key_fails_the_whole_note(alice: Key, bob: Key) -> None:
    text = "cosigned\n"
    note = alice.sign(text) + bob.line("something else\n")
    with pytest.raises(NoteError, match=r"signature by 'example.com/bob'.*line 2 does not verify"):
        open_note(note, [alice.verifier, bob.verifier])
    assert open_note(note, [alice.verifier]) == (text, [alice.verifier])


def test_a_note_signed_with_a_known_name_but_another_key_fails(alice: Key) -> None:
    impostor = Key(alice.name)
    note = impostor.sign("hello\n")
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_note(note, [alice.verifier])


def test_a_forged_signature_under_a_known_name_and_key_id_fails(alice: Key) -> None:
    impostor = Key(alice.name)
    signature = impostor.private.sign(b"hello\n")
    encoded = base64.b64encode(alice.verifier.key_id + signature).decode()
    note = f"hello\n\n\u2014 {alice.name} {encoded}\n"
    with pytest.raises(NoteError, match=r"'example.com/alice'.*does not verify"):
        open_note(note, [alice.verifier])


def test_a_known_key_id_under_another_name_is_ignored(alice: Key, bob: Key) -> None:
    signature = alice.private.sign(b"hello\n")
    encoded = base64.b64encode(alice.verifier.key_id + signature).decode()
    note = alice.sign("hello\n") + f"\u2014 {bob.name} {encoded}\n"
    assert open_note(note, [alice.verifier, bob.verifier]) == ("hello\n", [alice.verifier])


# Malformed notes


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("hello\n\u2014 a AAAA\n", "no blank line"),
        ("hello\n", "no blank line"),
        ("", "no blank line"),
        ("hello\n\n", "no signature lines"),
        (VECTOR_NOTE[:-1], "does not end with a newline"),
        (VECTOR_NOTE + "\n", "no signature lines"),
        (VECTOR_TEXT + "\n" + VECTOR_LINE + "\n\n" + VECTOR_LINE + "\n", "does not verify"),
        (VECTOR_NOTE + "trailing\n", "line 2 does not start with an em dash"),
        (VECTOR_TEXT + "\n- example.com/foo " + VECTOR_SIGNATURE + "\n", "em dash"),
        (VECTOR_TEXT + "\n\u2014example.com/foo " + VECTOR_SIGNATURE + "\n", "em dash"),
        (VECTOR_TEXT + "\n\u2014 example.com/foo\n", "no space between"),
        (VECTOR_TEXT + "\n\u2014  " + VECTOR_SIGNATURE + "\n", "key name is empty"),
        (VECTOR_TEXT + "\n\u2014 a+b " + VECTOR_SIGNATURE + "\n", "line 1: .*plus sign"),
        (VECTOR_TEXT + "\n\u2014 a\u00a0b " + VECTOR_SIGNATURE + "\n", "space \\(U\\+00A0\\)"),
        (VECTOR_TEXT + "\n\u2014 example.com/foo " + VECTOR_SIGNATURE + " \n", "not valid base64"),
        (VECTOR_TEXT + "\n\u2014 example.com/foo  " + VECTOR_SIGNATURE + "\n", "not valid base64"),
        (VECTOR_TEXT + "\n\u2014 example.com/foo " + VECTOR_SIGNATURE[:-1] + "\n", "base64"),
        (VECTOR_TEXT + "\n\u2014 example.com/foo Uw2QOkn8!\n", "not valid base64"),
        (VECTOR_TEXT + "\n\u2014 example.com/foo \n", "0 bytes, too short"),
        (VECTOR_TEXT + "\n\u2014 example.com/foo Uw2QOg==\n", "4 bytes, too short"),
        (VECTOR_TEXT + "\n\u2014 example.com/foo Uw2Q\n", "3 bytes, too short"),
        ("hello\tworld\n\n" + VECTOR_LINE + "\n", "control character U\\+0009"),
        ("hello\r\n\n" + VECTOR_LINE + "\n", "control character U\\+000D"),
        (VECTOR_NOTE.replace("\n", "\r\n"), "control character U\\+000D"),
        ("hello\ud800\n\n" + VECTOR_LINE + "\n", "not valid UTF-8"),
    ],
)
def test_malformed_notes_are_refused(vector: Verifier, note: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        open_note(note, [vector])


def test_a_note_that_is_not_utf8_is_refused(vector: Verifier) -> None:
    with pytest.raises(NoteError, match="not valid UTF-8"):
        open_note(b"caf\xe9\n\n" + VECTOR_LINE.encode() + b"\n", [vector])
    with pytest.raises(NoteError, match="not valid UTF-8"):
        open_note(VECTOR_NOTE.encode("utf-16"), [vector])


def test_a_note_that_is_neither_text_nor_bytes_is_refused(vector: Verifier) -> None:
    with pytest.raises(NoteError, match="string or bytes"):
        open_note(None, [vector])  # type: ignore[arg-type]


def test_too_many_signatures_are_refused(vector: Verifier, alice: Key) -> None:
    sixteen = VECTOR_NOTE + alice.line(VECTOR_TEXT) * 15
    assert open_note(sixteen, [vector]) == (VECTOR_TEXT, [vector])
    many = VECTOR_NOTE + alice.line(VECTOR_TEXT) * 100
    with pytest.raises(NoteError, match="101 signatures, more than 100"):
        open_note(many, [vector])


def test_colliding_verifiers_are_refused(alice: Key) -> None:
    other = Key(alice.name).public
    # Not a real collision (that would need 2^32 tries), so build one past the checks.
    clash = object.__new__(Verifier)
    object.__setattr__(clash, "name", alice.name)
    object.__setattr__(clash, "key_id", alice.verifier.key_id)
    object.__setattr__(clash, "public_key", other)
    with pytest.raises(NoteError, match="share key id"):
        open_note(alice.sign("hello\n"), [alice.verifier, clash])


# Signing refusals


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "text is empty"),
        ("no newline", "does not end with a newline"),
        ("tab\there\n", "control character U\\+0009"),
        ("carriage\r\n", "control character U\\+000D"),
        ("nul\x00\n", "control character U\\+0000"),
        ("lone \udc80\n", "not valid UTF-8"),
    ],
)
def test_sign_note_refuses_bad_text(alice: Key, text: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        alice.sign(text)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "key name is empty"),
        ("a b", "space \\(U\\+0020\\)"),
        ("a\u2003b", "space \\(U\\+2003\\)"),
        ("a\u3000b", "space \\(U\\+3000\\)"),
        ("a+b", "plus sign"),
        ("a\nb", "space \\(U\\+000A\\)"),
        ("a\x01b", "control character"),
    ],
)
def test_sign_note_refuses_bad_names(alice: Key, name: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        alice.sign("hello\n", name)


def test_sign_note_refuses_a_signer_that_is_not_the_public_keys(alice: Key, bob: Key) -> None:
    with pytest.raises(NoteError, match="does not verify with the public key of"):
        sign_note("hello\n", alice.name, bob.private.sign, alice.public)


def test_sign_note_refuses_a_signature_of_the_wrong_size(alice: Key) -> None:
    with pytest.raises(NoteError, match="gave 65 bytes, not a 64-byte signature"):
        sign_note("hello\n", alice.name, lambda m: alice.private.sign(m) + b"\0", alice.public)


def test_sign_note_refuses_a_public_key_of_the_wrong_size(alice: Key) -> None:
    with pytest.raises(NoteError, match="32 bytes, not 33"):
        sign_note("hello\n", alice.name, alice.private.sign, b"\x01" + alice.public)


def test_errors_never_show_the_private_key(alice: Key) -> None:
    private = alice.private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    for call in (
        lambda: sign_note("hello\n", alice.name, lambda m: private + private, alice.public),
        lambda: sign_note("hello\n", "a b", alice.private.sign, alice.public),
    ):
        with pytest.raises(NoteError) as info:
            call()
        text = str(info.value)
        for form in (private.hex(), base64.b64encode(private).decode(), repr(private)):
            assert form not in text


# Verifier keys


def test_verifier_key_round_trips(alice: Key) -> None:
    text = verifier_key(alice.name, alice.public)
    name, hex_id, encoded = text.split("+", 2)
    assert name == alice.name
    assert hex_id == alice.verifier.key_id.hex()
    assert base64.b64decode(encoded) == b"\x01" + alice.public
    assert parse_verifier_key(text) == alice.verifier


def test_a_verifier_key_whose_base64_holds_a_plus_round_trips() -> None:
    # The base64 alphabet has '+': only the first two '+' separate the parts.
    key = next(
        k
        for k in (Key("example.com/plus") for _ in range(1000))
        if "+" in base64.b64encode(b"\x01" + k.public).decode()
    )
    text = verifier_key(key.name, key.public)
    assert text.count("+") > 2
    assert parse_verifier_key(text) == key.verifier
    note = key.sign("hello\n")
    assert open_note(note, [parse_verifier_key(text)]) == ("hello\n", [key.verifier])


def test_key_id_is_the_spec_hash(alice: Key) -> None:
    digest = hashlib.sha256(alice.name.encode() + b"\n\x01" + alice.public).digest()
    assert key_id(alice.name, alice.public) == digest[:4]


def test_a_verifier_with_the_wrong_key_id_is_refused(alice: Key) -> None:
    with pytest.raises(NoteError, match=r"key id 00000000 of 'example.com/alice' does not match"):
        Verifier(alice.name, b"\0\0\0\0", alice.public)


VECTOR_PUBLIC = base64.b64decode(VECTOR_KEY.split("+")[2])[1:]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("example.com/foo+530d903a", "three parts .* has 2"),
        ("example.com/foo", "three parts .* has 1"),
        ("example.com/foo+530d903a" + VECTOR_KEY.split("+")[2], "three parts .* has 2"),
        ("a+b+" + VECTOR_KEY, "key id 'b' is not 8 lowercase hex digits"),
        ("example.com/foo+530d903a+" + VECTOR_KEY, "public key is not valid base64"),
        (VECTOR_KEY + "+", "public key is not valid base64"),
        ("example+com+530d903a+" + VECTOR_KEY.split("+")[2], "'com' is not 8 lowercase hex"),
        ("+530d903a+" + VECTOR_KEY.split("+")[2], "key name is empty"),
        (VECTOR_KEY.replace("example.com/foo", "example.com foo"), "space \\(U\\+0020\\)"),
        (VECTOR_KEY.replace("example.com/foo", "example.com\u00a0foo"), "U\\+00A0"),
        (VECTOR_KEY.replace("example.com/foo", "example.com\u2028foo"), "U\\+2028"),
        (VECTOR_KEY.replace("example.com/foo", "example\tcom"), "U\\+0009"),
        (VECTOR_KEY.replace("530d903a", "530D903A"), "not 8 lowercase hex digits"),
        (VECTOR_KEY.replace("530d903a", "530d903"), "not 8 lowercase hex digits"),
        (VECTOR_KEY.replace("530d903a", "0530d903a"), "not 8 lowercase hex digits"),
        (VECTOR_KEY.replace("530d903a", "530d903g"), "not 8 lowercase hex digits"),
        (VECTOR_KEY.replace("530d903a", ""), "not 8 lowercase hex digits"),
        (VECTOR_KEY.replace("530d903a", "530d903b"), "key id 530d903b does not match"),
        (VECTOR_KEY.replace("example.com/foo", "example.com/bar"), "does not match"),
        (VECTOR_KEY + "\n", "not valid base64"),
        (" " + VECTOR_KEY, "space"),
        (VECTOR_KEY[:-1] + "!", "not valid base64"),
        (VECTOR_KEY[:-1], "not valid base64"),
        ("example.com/foo+530d903a+", "public key is empty"),
        (verifier_text(VECTOR_NAME, VECTOR_KEY_ID, VECTOR_PUBLIC), "0xe9; only Ed25519"),
        (verifier_text(VECTOR_NAME, VECTOR_KEY_ID, b"\x02" + VECTOR_PUBLIC), "type 0x02"),
        (verifier_text(VECTOR_NAME, VECTOR_KEY_ID, b"\x01" + VECTOR_PUBLIC[:31]), "not 31"),
        (verifier_text(VECTOR_NAME, VECTOR_KEY_ID, b"\x01" + VECTOR_PUBLIC + b"\0"), "not 33"),
    ],
)
def test_verifier_key_refusals(text: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        parse_verifier_key(text)


def test_a_verifier_key_that_is_not_text_is_refused() -> None:
    with pytest.raises(NoteError, match="must be a string"):
        parse_verifier_key(VECTOR_KEY.encode())  # type: ignore[arg-type]


# Checkpoints


def test_checkpoint_text() -> None:
    checkpoint = Checkpoint("example.com/log", 42, ROOT)
    assert checkpoint.text() == f"example.com/log\n42\n{base64.b64encode(ROOT).decode()}\n"
    extended = Checkpoint("example.com/log", 0, ROOT, ("ext one", "ext two"))
    assert extended.text().endswith("\next one\next two\n")


@pytest.mark.parametrize("extensions", [(), ("one",), ("one", "two \u2014 three")])
@pytest.mark.parametrize("size", [0, 1, 20852163, 2**64 - 1])
def test_checkpoint_round_trips(size: int, extensions: tuple[str, ...]) -> None:
    checkpoint = Checkpoint("example.com/log", size, ROOT, extensions)
    assert Checkpoint.parse(checkpoint.text()) == checkpoint


def test_the_specs_checkpoint_text_parses() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.text() == text


def test_a_signed_checkpoint_round_trips(alice: Key) -> None:
    checkpoint = Checkpoint("example.com/alice", 7, ROOT, ("extension",))
    note = sign_checkpoint(checkpoint, alice.private.sign, alice.public)
    assert note.startswith(checkpoint.text() + "\n\u2014 example.com/alice ")
    assert open_checkpoint(note, [alice.verifier]) == checkpoint
    assert open_checkpoint(note, [alice.verifier], origin="example.com/alice") == checkpoint


def test_a_checkpoint_signed_under_another_name(alice: Key) -> None:
    checkpoint = Checkpoint("example.com/log", 7, ROOT)
    note = sign_checkpoint(checkpoint, alice.private.sign, alice.public, name=alice.name)
    assert f"\n\u2014 {alice.name} " in note
    assert open_checkpoint(note, [alice.verifier], origin="example.com/log") == checkpoint
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_checkpoint(note, [Verifier.from_public_key("example.com/log", alice.public)])


def test_a_checkpoint_of_another_origin_is_refused(alice: Key) -> None:
    note = sign_checkpoint(
        Checkpoint("example.com/alice", 7, ROOT), alice.private.sign, alice.public
    )
    with pytest.raises(
        NoteError, match=r"origin 'example.com/alice' is not the expected 'example.com/other'"
    ):
        open_checkpoint(note, [alice.verifier], origin="example.com/other")


def test_a_tampered_checkpoint_is_refused(alice: Key) -> None:
    note = sign_checkpoint(
        Checkpoint("example.com/alice", 7, ROOT), alice.private.sign, alice.public
    )
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(note.replace("\n7\n", "\n8\n"), [alice.verifier])


def test_a_signed_note_that_is_not_a_checkpoint_is_refused(alice: Key) -> None:
    with pytest.raises(NoteError, match="at least 3 lines"):
        open_checkpoint(alice.sign("example.com/alice\n7\n"), [alice.verifier])


def test_sign_checkpoint_refuses_an_origin_that_is_no_key_name(alice: Key) -> None:
    checkpoint = Checkpoint("example.com/a log", 7, ROOT)
    with pytest.raises(NoteError, match=r"key name 'example.com/a log' contains a space"):
        sign_checkpoint(checkpoint, alice.private.sign, alice.public)
    note = sign_checkpoint(checkpoint, alice.private.sign, alice.public, name=alice.name)
    assert open_checkpoint(note, [alice.verifier]) == checkpoint


B64_ROOT = base64.b64encode(ROOT).decode()
URL_SAFE_ROOT = base64.urlsafe_b64encode(b"\xff" * 32).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"o\n1\n{B64_ROOT}", "does not end with a newline"),
        ("", "does not end with a newline"),
        ("o\n1\n", "at least 3 lines .* has 2"),
        ("\n", "at least 3 lines .* has 1"),
        (f"\n1\n{B64_ROOT}\n", "origin is empty"),
        (f"o\n\n{B64_ROOT}\n", "tree size '' is not a decimal"),
        (f"o\n+1\n{B64_ROOT}\n", "tree size '\\+1' is not a decimal"),
        (f"o\n-1\n{B64_ROOT}\n", "tree size '-1' is not a decimal"),
        (f"o\n01\n{B64_ROOT}\n", "tree size '01' is not a decimal"),
        (f"o\n00\n{B64_ROOT}\n", "tree size '00' is not a decimal"),
        (f"o\n1.0\n{B64_ROOT}\n", "tree size '1.0' is not a decimal"),
        (f"o\n 1\n{B64_ROOT}\n", "tree size ' 1' is not a decimal"),
        (f"o\n1_000\n{B64_ROOT}\n", "tree size '1_000' is not a decimal"),
        (f"o\n0x10\n{B64_ROOT}\n", "tree size '0x10' is not a decimal"),
        (f"o\n\u0661\n{B64_ROOT}\n", "tree size '\u0661' is not a decimal"),
        (f"o\n{2**64}\n{B64_ROOT}\n", "larger than 2\\^64 - 1"),
        (f"o\n{'9' * 5000}\n{B64_ROOT}\n", "larger than 2\\^64 - 1"),
        ("o\n1\n\n", "root hash is 0 bytes, not 32"),
        ("o\n1\nnot base64!\n", "root hash is not valid base64"),
        (f"o\n1\n{B64_ROOT[:-1]}\n", "root hash is not valid base64"),
        (f"o\n1\n{B64_ROOT} \n", "root hash is not valid base64"),
        (f"o\n1\n{non_canonical(B64_ROOT)}\n", "root hash is not canonical base64"),
        (f"o\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", "root hash is 31 bytes, not 32"),
        (f"o\n1\n{base64.b64encode(ROOT + b'x').decode()}\n", "root hash is 33 bytes, not 32"),
        (f"o\n1\n{URL_SAFE_ROOT}\n", "root hash is not valid base64"),
        (f"o\n1\n{B64_ROOT}\n\n", "extension line 1 is empty"),
        (f"o\n1\n{B64_ROOT}\next\n\n", "extension line 2 is empty"),
        (f"o\n1\n{B64_ROOT}\n\next\n", "extension line 1 is empty"),
        (f"o\tx\n1\n{B64_ROOT}\n", "origin holds the control character U\\+0009"),
        (f"o\n1\n{B64_ROOT}\ne\x7f\x01\n", "extension line 1 holds the control character"),
    ],
)
def test_checkpoint_parse_refusals(text: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("", 1, ROOT), "origin is empty"),
        (("a\nb", 1, ROOT), "origin contains a newline"),
        (("o", -1, ROOT), "tree size -1 is out of range"),
        (("o", 2**64, ROOT), "out of range"),
        (("o", True, ROOT), "tree size must be an integer"),
        (("o", "1", ROOT), "tree size must be an integer"),
        (("o", 1, ROOT[:31]), "root hash is 31 bytes, not 32"),
        (("o", 1, B64_ROOT), "root hash must be bytes"),
        (("o", 1, ROOT, ("",)), "extension line 1 is empty"),
        (("o", 1, ROOT, ("a", "b\nc")), "extension line 2 contains a newline"),
        (("o", 1, ROOT, "abc"), "extensions must be a sequence of lines"),
    ],
)
def test_checkpoint_refuses_bad_fields(fields: tuple, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Checkpoint(*fields)


def test_checkpoint_extensions_become_a_tuple() -> None:
    checkpoint = Checkpoint("o", 1, ROOT, ["one"])  # type: ignore[arg-type]
    assert checkpoint.extensions == ("one",)
    assert hash(checkpoint) == hash(Checkpoint("o", 1, ROOT, ("one",)))
