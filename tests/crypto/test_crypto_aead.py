"""Properties of the field cipher: round trips, tamper rejection, context binding, nonce freshness."""

from __future__ import annotations

import random
import uuid
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sspf.crypto import DecryptionError, Keyring, KeySet, UnknownKeyIdError, decrypt, encrypt, generate_keyring
from sspf.crypto.aead import NONCE_BYTES, TAG_BYTES, ciphertext_key_id, key_header

KEYRING = generate_keyring()
ROW = uuid.UUID("12345678-1234-5678-1234-567812345678")

names = st.text(alphabet=st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=12)


@given(st.text())
def test_text_round_trips(text: str) -> None:
    blob = encrypt(KEYRING, "people", "name", ROW, text.encode())
    assert decrypt(KEYRING, "people", "name", ROW, blob).decode() == text


@given(st.binary(max_size=4096))
def test_bytes_round_trip(data: bytes) -> None:
    assert decrypt(KEYRING, "forms", "scan", ROW, encrypt(KEYRING, "forms", "scan", ROW, data)) == data


def test_empty_and_unicode() -> None:
    for text in ["", "Åsa Öberg", "🙂 \u0000 \U0010ffff", "x" * 100_000]:
        assert decrypt(KEYRING, "t", "c", ROW, encrypt(KEYRING, "t", "c", ROW, text.encode())).decode() == text


def test_format_header_and_no_compression() -> None:
    plaintext = b"a" * 2000  # would compress to a few bytes
    blob = encrypt(KEYRING, "t", "c", ROW, plaintext)
    header = key_header(KEYRING.active_data_key)
    assert blob[0] == 1 and blob.startswith(header)
    assert ciphertext_key_id(blob) == KEYRING.active_data_key
    assert len(blob) == len(header) + NONCE_BYTES + len(plaintext) + TAG_BYTES
    assert len(zlib.compress(plaintext)) < 100


def _mutate(rng: random.Random, blob: bytes, header_len: int) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:  # single bit flip anywhere
        i = rng.randrange(len(blob) * 8)
        out = bytearray(blob)
        out[i // 8] ^= 1 << (i % 8)
        return bytes(out)
    if kind == 1:  # truncation
        return blob[: rng.randrange(len(blob))]
    if kind == 2:  # header edit: any header byte to any other value
        i = rng.randrange(header_len)
        out = bytearray(blob)
        out[i] = (out[i] + rng.randrange(1, 256)) % 256
        return bytes(out)
    if kind == 3:  # extension
        return blob + bytes([rng.randrange(256)])
    # header naming another key id (one that exists, and one that does not)
    other = rng.choice([*KEYRING.blind_index_keys, "d-other"])
    return key_header(other) + blob[header_len:]


def test_10000_mutations_are_all_rejected() -> None:
    rng = random.Random(20240501)
    header_len = len(key_header(KEYRING.active_data_key))
    blobs = [encrypt(KEYRING, "people", "note", ROW, rng.randbytes(rng.randrange(0, 64))) for _ in range(50)]
    rejected = 0
    for n in range(10_000):
        blob = blobs[n % len(blobs)]
        mutated = _mutate(rng, blob, header_len)
        assert mutated != blob
        with pytest.raises(DecryptionError) as err:
            decrypt(KEYRING, "people", "note", ROW, mutated)
        assert "people.note" in str(err.value)
        rejected += 1
    assert rejected == 10_000


@settings(max_examples=200)
@given(
    st.tuples(names, names, st.uuids()),
    st.tuples(names, names, st.uuids()),
    st.text(max_size=50),
)
def test_ciphertext_is_bound_to_table_column_and_row(a: tuple, b: tuple, text: str) -> None:
    if a == b:
        return
    blob = encrypt(KEYRING, *a, text.encode())
    with pytest.raises(DecryptionError):
        decrypt(KEYRING, *b, blob)


def test_swaps_between_rows_columns_and_tables_are_rejected() -> None:
    blob = encrypt(KEYRING, "people", "name", ROW, b"Kim")
    for table, column, row in [("people", "name", uuid.uuid4()), ("people", "note", ROW), ("notes", "name", ROW)]:
        with pytest.raises(DecryptionError):
            decrypt(KEYRING, table, column, row, blob)
    # length prefixes: moving a character between table and column does not help
    blob = encrypt(KEYRING, "ab", "c", ROW, b"x")
    with pytest.raises(DecryptionError):
        decrypt(KEYRING, "a", "bc", ROW, blob)


def test_decryption_uses_exactly_the_named_key() -> None:
    keyring, new_id = KEYRING.with_new_key(KeySet.DATA)
    keyring = keyring.with_active(KeySet.DATA, new_id)
    blob = encrypt(keyring, "t", "c", ROW, b"secret")
    assert ciphertext_key_id(blob) == new_id
    assert decrypt(keyring, "t", "c", ROW, blob) == b"secret"
    # the old key alone cannot read it, and it does not "try" other keys
    with pytest.raises(UnknownKeyIdError):
        decrypt(KEYRING, "t", "c", ROW, blob)
    old_blob = encrypt(KEYRING, "t", "c", ROW, b"old")
    assert decrypt(keyring, "t", "c", ROW, old_blob) == b"old"


def test_error_message_never_contains_plaintext() -> None:
    blob = bytearray(encrypt(KEYRING, "t", "c", ROW, b"HEMLIGT-VARDE"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError) as err:
        decrypt(KEYRING, "t", "c", ROW, bytes(blob))
    assert "HEMLIGT" not in str(err.value) and str(ROW) in str(err.value)


def test_no_nonce_repeats_in_100000_encryptions() -> None:
    header_len = len(key_header(KEYRING.active_data_key))
    nonces = {encrypt(KEYRING, "t", "c", ROW, b"")[header_len : header_len + NONCE_BYTES] for _ in range(100_000)}
    assert len(nonces) == 100_000


def test_row_id_is_required() -> None:
    with pytest.raises(ValueError):
        encrypt(KEYRING, "t", "c", None, b"x")


def test_subkeys_are_per_column_and_cached() -> None:
    keyring: Keyring = generate_keyring()
    a = keyring.field_aead(keyring.active_data_key, "t", "a")
    assert keyring.field_aead(keyring.active_data_key, "t", "a") is a
    assert keyring.field_aead(keyring.active_data_key, "t", "b") is not a
