"""Verification codes (``verifier.codes``): display form, parsing, typo detection, derivation.

Expected values are computed here from the definitions (Crockford base32 of the 128-bit
big-endian integer, check symbol = value mod 37; keyed BLAKE2b), not by the module.
"""

from __future__ import annotations

import hashlib
import random
import re

import pytest

from verifier.codes import (
    ALPHABET,
    CHECK_ALPHABET,
    derived_code,
    format_code,
    parse_code,
    random_code,
)
from verifier.errors import InvalidCode, VerificationError

TYPO = "the code has a typo: its check character does not match"
_D = "[0-9A-HJKMNP-TV-Z]"
#: Six groups of four data symbols, then two data symbols and the check symbol.
DISPLAY = re.compile(rf"{_D}{{4}}(?:-{_D}{{4}}){{5}}-{_D}{{2}}[0-9A-HJKMNP-TV-Z*~$=U]")
SECRET = bytes(range(32))


def sample_codes(count: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    edge = [bytes(16), b"\xff" * 16, b"\x80" + bytes(15), bytes(15) + b"\x01"]
    return edge + [rng.randbytes(16) for _ in range(count)]


def symbols(code: bytes) -> str:
    return format_code(code).replace("-", "")


# --- display form and round trip ------------------------------------------------------------


def test_known_display_forms() -> None:
    assert format_code(bytes(16)) == "0000-0000-0000-0000-0000-0000-000"
    top = (1 << 128) - 1  # 128 bits: a first symbol of 3 bits (7), then 25 of 5 bits (Z)
    expected = "7" + "Z" * 25 + CHECK_ALPHABET[top % 37]
    assert symbols(b"\xff" * 16) == expected
    # 36 is "14" in base32, and 36 mod 37 is the check symbol "U".
    assert format_code((36).to_bytes(16, "big")) == "0000-0000-0000-0000-0000-0000-14U"


@pytest.mark.parametrize("code", sample_codes(200))
def test_round_trip(code: bytes) -> None:
    text = format_code(code)
    assert DISPLAY.fullmatch(text), text
    assert parse_code(text) == code


def test_display_is_the_big_endian_integer_in_base32() -> None:
    for code in sample_codes(50, seed=2):
        value = int.from_bytes(code, "big")
        digits = symbols(code)[:26]
        assert sum(ALPHABET.index(d) << (5 * (25 - i)) for i, d in enumerate(digits)) == value
        assert symbols(code)[26] == CHECK_ALPHABET[value % 37]


def test_format_refuses_a_code_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="16 bytes, got 15"):
        format_code(bytes(15))


def test_random_codes_are_16_fresh_bytes() -> None:
    codes = {random_code() for _ in range(100)}
    assert len(codes) == 100 and all(len(code) == 16 for code in codes)


# --- Crockford normalization ----------------------------------------------------------------


def test_case_dashes_whitespace_and_look_alikes_do_not_matter() -> None:
    # A code with 0 and 1 symbols in it, so O, I and L have something to stand for.
    code = next(c for c in sample_codes(500, seed=3) if {"0", "1"} <= set(symbols(c)[:26]))
    text = format_code(code)
    variants = [
        text.lower(),
        text.replace("-", ""),
        " " + text.replace("-", " \t") + "\n",
        "--" + text.replace("-", "--") + "-",
        text.replace("0", "O").replace("1", "I"),
        text.replace("0", "o").replace("1", "l"),
        text.replace("1", "L"),
    ]
    for variant in variants:
        assert parse_code(variant) == code, variant


def test_a_lower_case_u_check_symbol_is_read() -> None:
    code = next(c for c in sample_codes(2000, seed=4) if symbols(c)[-1] == "U")
    assert parse_code(format_code(code).lower()) == code


# --- typos ----------------------------------------------------------------------------------


def single_symbol_typos(text: str) -> list[str]:
    """Return every code with one symbol replaced by another symbol valid at its place."""
    typos = []
    for i, original in enumerate(text):
        alphabet = CHECK_ALPHABET if i == len(text) - 1 else ALPHABET
        typos += [text[:i] + s + text[i + 1 :] for s in alphabet if s != original]
    return typos


def adjacent_transpositions(text: str) -> list[str]:
    """Return every code with two different adjacent symbols swapped."""
    return [
        text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        for i in range(len(text) - 1)
        if text[i] != text[i + 1]
    ]


def test_every_single_symbol_typo_is_caught_by_the_check_symbol() -> None:
    caught = total = 0
    for code in sample_codes(30, seed=5):
        for typo in single_symbol_typos(symbols(code)):
            total += 1
            with pytest.raises(InvalidCode) as error:
                parse_code(typo)
            caught += str(error.value) == TYPO
    # 30 + 4 codes x (26 data symbols x 31 others + 1 check symbol x 36 others).
    assert total == 34 * (26 * 31 + 36)
    assert caught == total


def test_every_adjacent_transposition_is_caught() -> None:
    caught = total = 0
    for code in sample_codes(300, seed=6):
        for swapped in adjacent_transpositions(symbols(code)):
            total += 1
            with pytest.raises(InvalidCode) as error:
                parse_code(swapped)
            # Only a swap that moves a check-only symbol (*~$=U) into the data is not
            # reported as a typo: it is not a code at all.
            caught += str(error.value) == TYPO or swapped[25] in "*~$=U"
    assert total > 300 * 20
    assert caught == total


def test_a_typo_in_the_first_symbol_is_a_typo_even_past_128_bits() -> None:
    text = symbols(bytes(16))
    with pytest.raises(InvalidCode, match=TYPO):
        parse_code("Z" + text[1:])


def test_a_value_past_128_bits_with_a_valid_check_is_not_a_code() -> None:
    value = 1 << 128
    digits = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(26)))
    with pytest.raises(InvalidCode, match="is not a zkpor code: it is larger than 128 bits"):
        parse_code(digits + CHECK_ALPHABET[value % 37])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "it has 0 symbols, expected 27"),
        ("0000-0000-0000-0000-0000-0000-00", "it has 26 symbols, expected 27"),
        ("0000-0000-0000-0000-0000-0000-0000", "it has 28 symbols, expected 27"),
        ("U000-0000-0000-0000-0000-0000-000", "'U' is not one of its symbols"),
        ("0000-0000-0000-0000-0000-0000-0!0", "'!' is not one of its symbols"),
        ("0000-0000-0000-0000-0000-0000-00!", "its last symbol '!' is not a check symbol"),
    ],
)
def test_malformed_codes_are_not_codes(text: str, reason: str) -> None:
    with pytest.raises(InvalidCode, match=re.escape(reason)) as error:
        parse_code(text)
    assert "is not a zkpor code: " in str(error.value)


def test_a_long_paste_is_quoted_short() -> None:
    with pytest.raises(InvalidCode) as error:
        parse_code("x" * 1000)
    assert len(str(error.value)) < 120


def test_an_invalid_code_is_not_a_verdict_on_the_attestation() -> None:
    assert not issubclass(InvalidCode, VerificationError)


# --- derived codes --------------------------------------------------------------------------


def test_derived_code_is_keyed_blake2b_of_the_user_id() -> None:
    expected = hashlib.blake2b(
        "zoë".encode(), digest_size=16, key=SECRET, person=b"zkpor-code"
    ).digest()
    assert derived_code(SECRET, "zoë") == expected


def test_derived_codes_are_deterministic_and_distinct_per_user_and_secret() -> None:
    users = [f"user-{i}" for i in range(1000)] + ["", "zoë", "李雷"]
    codes = [derived_code(SECRET, user) for user in users]
    assert codes == [derived_code(SECRET, user) for user in users]
    assert len(set(codes)) == len(users)
    other = bytes(range(1, 33))
    assert not set(codes) & {derived_code(other, user) for user in users}


def test_a_long_secret_is_hashed_to_64_bytes_first() -> None:
    long_secret = bytes(range(100))
    key = hashlib.blake2b(long_secret, digest_size=64, person=b"zkpor-codekey").digest()
    expected = hashlib.blake2b(b"alice", digest_size=16, key=key, person=b"zkpor-code").digest()
    assert derived_code(long_secret, "alice") == expected
    assert derived_code(long_secret, "alice") != derived_code(long_secret[:64], "alice")
    assert len(derived_code(bytes(64), "alice")) == 16  # 64 bytes is used as is


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        derived_code(bytes(15), "alice")


def test_two_runs_with_one_id_and_secret_keep_the_codes_but_not_keys_or_nonces() -> None:
    """Issue 11, finding 9: with ``--code-secret``, proving one attestation id twice gives
    every user the same code; the bundles must not be sealed twice under one key and nonce
    (a two-time pad). Both runs' bundles still open with the code."""
    from publisher.attest.bundles import UserEntry, build_buckets
    from publisher.crypto import NaclBackend
    from tests.verifier.test_bundle import make_bundle
    from tests.verifier.test_verify_attestation import reader
    from verifier.bundle import derive, open_bundle

    backend = NaclBackend()
    users = [f"user-{i}" for i in range(20)]
    codes = {user: derived_code(SECRET, user) for user in users}
    runs = []
    for seed, salt_of_bundle in ((bytes(32), 1), (b"\x01" * 32, 2)):
        # The second run commits to other leaf salts: the plaintexts differ, as they do.
        entries = [
            UserEntry(codes[u], make_bundle(f"{u}/{salt_of_bundle}", i, "same-id"))
            for i, u in enumerate(users)
        ]
        info, files = build_buckets("same-id", entries, backend.secretbox_seal, seed)
        for entry in entries:
            assert open_bundle(reader(files), info, "same-id", entry.code, backend) == entry.bundle
        runs.append(info)
    first, second = runs
    assert first.run_salt != second.run_salt
    for user in users:
        a = derive(codes[user], "same-id", first.run_salt)
        b = derive(codes[user], "same-id", second.run_salt)
        assert a.key != b.key and a.nonce != b.nonce and a.lookup != b.lookup
