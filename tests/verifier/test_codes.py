"""Verification codes (``verifier.codes``): display form, parsing, typo detection, derivation.

Expected values are computed here from the definitions (Crockford base32 of the 128-bit
big-endian integer; two check symbols making the 28 symbols a codeword of the GF(32) code
with parity checks sum c_i = 0 and sum c_i x^i = 0 modulo x^5 + x^2 + 1; the first format's
check symbol = value mod 37; keyed BLAKE2b), not by the module.
"""

from __future__ import annotations

import hashlib
import random
import re

import pytest

from verifier.codes import (
    ALPHABET,
    V1_CHECK_ALPHABET,
    derived_code,
    format_code,
    format_code_v1,
    parse_code,
    random_code,
)
from verifier.errors import InvalidCode, VerificationError

_D = "[0-9A-HJKMNP-TV-Z]"
#: Seven groups of four symbols, every one a letter or a digit: auto-linking keeps them.
DISPLAY = re.compile(rf"{_D}{{4}}(?:-{_D}{{4}}){{6}}")
SECRET = bytes(range(32))


def sample_codes(count: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    edge = [bytes(16), b"\xff" * 16, b"\x80" + bytes(15), bytes(15) + b"\x01"]
    return edge + [rng.randbytes(16) for _ in range(count)]


def symbols(code: bytes) -> str:
    return format_code(code).replace("-", "")


def gf32_mul(a: int, b: int) -> int:
    """Carry-less product modulo x^5 + x^2 + 1, bit by bit (the definition)."""
    out = 0
    for i in range(5):
        if b >> i & 1:
            out ^= a << i
    for bit in range(8, 4, -1):
        if out >> bit & 1:
            out ^= 0b100101 << (bit - 5)
    return out


def is_codeword(text: str) -> bool:
    digits = [ALPHABET.index(c) for c in text]
    s0 = s1 = 0
    power = 1  # x^i
    for digit in digits:
        s0 ^= digit
        s1 ^= gf32_mul(digit, power)
        power = gf32_mul(power, 2)
    return s0 == 0 and s1 == 0


# --- display form and round trip ------------------------------------------------------------


def test_known_display_forms() -> None:
    assert format_code(bytes(16)) == "0000-0000-0000-0000-0000-0000-0000"
    top = symbols(b"\xff" * 16)  # a first symbol of 3 bits (7), then 25 of 5 bits (Z)
    assert top[:26] == "7" + "Z" * 25 and is_codeword(top)


@pytest.mark.parametrize("code", sample_codes(200))
def test_round_trip(code: bytes) -> None:
    text = format_code(code)
    assert DISPLAY.fullmatch(text), text
    assert parse_code(text) == code


def test_display_is_the_big_endian_integer_in_base32_then_two_check_symbols() -> None:
    for code in sample_codes(50, seed=2):
        value = int.from_bytes(code, "big")
        digits = symbols(code)[:26]
        assert sum(ALPHABET.index(d) << (5 * (25 - i)) for i, d in enumerate(digits)) == value
        assert is_codeword(symbols(code))


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


# --- typos: caught, and located -------------------------------------------------------------


def single_symbol_typos(text: str) -> list[tuple[int, str]]:
    """Return (place, code) for every code with one symbol replaced by another."""
    return [
        (i, text[:i] + s + text[i + 1 :])
        for i, original in enumerate(text)
        for s in ALPHABET
        if s != original
    ]


def adjacent_transpositions(text: str) -> list[tuple[int, str]]:
    """Return (place, code) for every code with two different adjacent symbols swapped."""
    return [
        (i, text[:i] + text[i + 1] + text[i] + text[i + 2 :])
        for i in range(len(text) - 1)
        if text[i] != text[i + 1]
    ]


def test_every_single_symbol_typo_is_caught_and_located() -> None:
    total = 0
    for code in sample_codes(20, seed=5):
        for place, typo in single_symbol_typos(symbols(code)):
            total += 1
            with pytest.raises(InvalidCode) as error:
                parse_code(typo)
            group = place // 4 + 1
            assert str(error.value) == (
                f"the code has a typo: symbol {place + 1} (group {group}) looks wrong"
            )
    assert total == 24 * 28 * 31


def test_every_adjacent_transposition_is_caught_and_named_among_few_candidates() -> None:
    named = total = 0
    for code in sample_codes(100, seed=6):
        for place, swapped in adjacent_transpositions(symbols(code)):
            total += 1
            with pytest.raises(InvalidCode) as error:
                parse_code(swapped)
            message = str(error.value)
            assert message.startswith("the code has a typo: two neighbouring symbols look swapped")
            named += f"{place + 1} and {place + 2}" in message
    assert total > 100 * 20
    assert named / total > 0.97  # the rest: more than three candidate pairs, "or others"


def test_a_value_past_128_bits_with_valid_checks_is_not_a_code() -> None:
    # 2^128 needs a first symbol of 8: build its codeword by brute force on the checks.
    value = 1 << 128
    digits = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(26)))
    text = next(digits + a + b for a in ALPHABET for b in ALPHABET if is_codeword(digits + a + b))
    with pytest.raises(InvalidCode, match="its first symbol must be 0 to 7"):
        parse_code(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no code was entered"),
        ("  - ", "no code was entered"),
        ("0000-0000-0000-0000-0000-0000-00", "the code has 26 symbols, but a code has 28"),
        ("0000-0000-0000-0000-0000-0000-0000-0", "the code has 29 symbols, but a code has 28"),
        ("U000-0000-0000-0000-0000-0000-0000", 'symbol 1 (group 1) is "U", which is not used'),
        ("0000-0000-0000-0000-0000-0000-0!00", 'symbol 26 (group 7) is "!", which is not used'),
        ("0000-0000-0000-0000-0000-0000-000*", 'symbol 28 (group 7) is "*", which is not used'),
        ("0000-0000-0000-0000-0000-0000-*00", 'symbol 25 (group 7) is "*", which is not used'),
        ("0000-0000-0000-0000-0000-0000-00\u200b00", "the invisible character U+200B"),
    ],
)
def test_malformed_codes_say_what_is_wrong_in_plain_words(text: str, reason: str) -> None:
    with pytest.raises(InvalidCode, match=re.escape(reason)) as error:
        parse_code(text)
    assert "'" not in str(error.value)  # plain words, no Python reprs


def test_a_long_paste_gets_a_short_message() -> None:
    with pytest.raises(InvalidCode) as error:
        parse_code("x" * 1000)
    assert len(str(error.value)) < 160


def test_an_invalid_code_is_not_a_verdict_on_the_attestation() -> None:
    assert not issubclass(InvalidCode, VerificationError)


# --- the first format: 27 symbols, still read for earlier attestations ---------------------


@pytest.mark.parametrize("code", sample_codes(50, seed=7))
def test_codes_of_the_first_format_are_still_read(code: bytes) -> None:
    value = int.from_bytes(code, "big")
    text = format_code_v1(code)
    assert text.replace("-", "")[-1] == V1_CHECK_ALPHABET[value % 37]
    assert parse_code(text) == code
    assert parse_code(text.lower()) == code


def test_a_first_format_typo_or_a_new_code_cut_short_is_reported() -> None:
    cut = symbols(bytes(range(16)))[:-1]  # a new code with its last symbol cut off
    old = format_code_v1(bytes(range(16))).replace("-", "")
    typo = ("1" if old[3] != "1" else "2").join((old[:3], old[4:]))
    for text in (cut, typo):
        with pytest.raises(InvalidCode, match="the code has a typo, or its last symbol is missing"):
            parse_code(text)


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
