"""Inputs of ``zkpor prove``: ``zkpor.toml`` (publisher.config) and ``liabilities.csv``
(publisher.attest.ingest). One named test per kind of bad input; each checks that the error
names the file, the right line and the field."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest

import publisher.attest.ingest as ingest
import publisher.config as config_module
from publisher.attest.accounts import CHUNK
from publisher.attest.ingest import Snapshot, parse_amount, read_liabilities
from publisher.config import Asset, Config, load_config
from publisher.errors import InputError
from verifier.protocol import MAX_ASSETS

ASSETS = (Asset("BTC", 8), Asset("ETH", 9), Asset("USDT", 6))
CONFIG = Config(
    issuer_name="Example Exchange",
    issuer_url="https://example.com",
    attestation_id="example-2026-11-21",
    as_of="2026-11-21T00:00:00Z",
    assets=ASSETS,
    arity=4,
    batch_depth=3,
    pad_to=0,
)
HEADER = "user_id,BTC,ETH,USDT\n"
MAX64 = (1 << 64) - 1


def write(tmp_path: Path, content: str | bytes, name: str = "liabilities.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def read(tmp_path: Path, content: str | bytes, config: Config = CONFIG) -> Snapshot:
    return read_liabilities(write(tmp_path, content), config)


def check_error(
    error: InputError, path: Path, line: int | None, field: str | None, reason: str
) -> None:
    """Assert the attributes and the message ``file:line: field: reason``."""
    assert (error.file, error.line, error.field) == (str(path), line, field)
    message = str(error)
    location = str(path) if line is None else f"{path}:{line}"
    assert message.startswith(location + ": ")
    if field is not None:
        assert message.startswith(f"{location}: {field}: ")
    assert reason in message, message


def csv_error(
    tmp_path: Path,
    content: str | bytes,
    line: int | None,
    field: str | None,
    reason: str,
    config: Config = CONFIG,
) -> InputError:
    path = write(tmp_path, content)
    with pytest.raises(InputError) as info:
        read_liabilities(path, config)
    check_error(info.value, path, line, field, reason)
    return info.value


# --- liabilities.csv: the happy path ---------------------------------------------------


def test_happy_path(tmp_path: Path) -> None:
    # BOM, CRLF, columns in another order than the config, non-ASCII and quoted ids,
    # zero balances, amounts with fewer decimals than configured.
    content = (
        "\ufeffuser_id,USDT,BTC,ETH\r\n"
        "alice,1000.25,0.5,12\r\n"
        '"bob, jr.",0,0,0\r\n'
        "zoë,0,1.00000001,0.000000001\r\n"
        "用户-7,3,007,0.0\r\n"
    )
    snap = read(tmp_path, content)
    assert len(snap) == 4
    assert snap.assets == ASSETS
    assert [user_id for user_id, _ in snap.accounts()] == ["alice", "bob, jr.", "zoë", "用户-7"]
    # Balances are in the config's order (BTC, ETH, USDT), whatever the column order.
    assert snap.balances_of(0) == (50_000_000, 12_000_000_000, 1_000_250_000)
    assert snap.balances_of(1) == (0, 0, 0)
    assert snap.balances_of(2) == (100_000_001, 1, 0)
    assert snap.balances_of(3) == (700_000_000, 0, 3_000_000)
    assert snap.totals == [850_000_001, 12_000_000_001, 1_003_250_000]
    assert snap.rounded == {"BTC": 0, "ETH": 0, "USDT": 0}
    with pytest.raises(IndexError):
        snap.balances_of(4)


def test_more_decimals_than_configured_rounds_up_and_counts_per_asset(tmp_path: Path) -> None:
    content = HEADER + (
        "a,0.000000001,1.0000000001,0.0000001\n"  # all three rounded up by one unit
        "b,0.123456789,0,5\n"  # BTC rounded
        "c,1.00000000000,2.5000000000000,0.1000000\n"  # only zeros dropped: exact
    )
    snap = read(tmp_path, content)
    assert snap.balances_of(0) == (1, 1_000_000_001, 1)
    assert snap.balances_of(1) == (12_345_679, 0, 5_000_000)
    assert snap.balances_of(2) == (100_000_000, 2_500_000_000, 100_000)
    assert snap.rounded == {"BTC": 2, "ETH": 1, "USDT": 1}


def test_largest_balance_fits(tmp_path: Path) -> None:
    assets = (Asset("SATS", 0),)
    config = Config("x", "https://x.org", "x", "2026-11-21T00:00:00Z", assets, 2, 1, 0)
    snap = read(tmp_path, f"user_id,SATS\nu,{MAX64}\n", config)
    assert snap.balances_of(0) == (MAX64,)


def test_parse_amount() -> None:
    assert parse_amount("12.5", 8) == (1_250_000_000, False)
    assert parse_amount("0", 0) == (0, False)
    assert parse_amount("0.5", 0) == (1, True)
    assert parse_amount("0.00", 0) == (0, False)
    assert parse_amount("184467440737.09551615", 8) == (MAX64, False)


def test_fast_parser_agrees_with_parse_amount() -> None:
    rng = random.Random(5)
    alphabet = "0000123456789....-e "
    for decimals in (0, 1, 6, 8, 18, 30):
        rounded = [0]
        fast = ingest._amount_parser(decimals, rounded, 0)
        expected_rounded = 0
        for _ in range(3000):
            if rng.random() < 0.5:  # mostly junk
                text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
            else:  # a well-formed amount, sometimes with more decimals than configured
                whole = str(rng.randrange(10 ** rng.randrange(1, 22)))
                fraction = "".join(rng.choice("0123456789") for _ in range(rng.randrange(34)))
                text = f"{whole}.{fraction}" if fraction else whole
            try:
                expected: tuple[int, bool] | str = parse_amount(text, decimals)
            except ValueError as exc:
                expected = str(exc)
            try:
                got: int | str = fast(text)
            except ValueError as exc:
                got = str(exc)
            if isinstance(expected, tuple):
                assert got == expected[0], text
                expected_rounded += expected[1]
            else:
                assert got == expected, text
        assert rounded[0] == expected_rounded


# --- liabilities.csv: one test per bad input -------------------------------------------


def test_negative_amount(tmp_path: Path) -> None:
    error = csv_error(tmp_path, HEADER + "a,1,2,3\nsecret-id,0,-12.5,0\n", 3, "ETH", "negative")
    # The snapshot is private and CI logs may be public: no id, no amount in the message.
    assert "secret-id" not in str(error) and "12.5" not in str(error)


def test_negative_zero_is_rejected(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + "a,-0,0,0\n", 2, "BTC", "no sign is allowed")


def test_more_decimals_than_configured_is_not_an_error(tmp_path: Path) -> None:
    snap = read(tmp_path, HEADER + "a,0.123456789012,0,0\n")
    assert snap.balances_of(0)[0] == 12_345_679
    assert snap.rounded["BTC"] == 1


def test_amount_does_not_fit_64_bits_after_scaling(tmp_path: Path) -> None:
    # 184467440737.09551616 BTC is 2^64 satoshis.
    csv_error(
        tmp_path,
        HEADER + "a,1,1,1\nb,1,1,1\nc,184467440737.09551616,0,0\n",
        4,
        "BTC",
        "does not fit 64 bits after scaling to 8 decimals",
    )


def test_rounding_up_past_64_bits(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + "a,184467440737.095516151,0,0\n", 2, "BTC", "does not fit 64 bits")


def test_huge_amount(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + "a,0,0," + "9" * 5000 + "\n", 2, "USDT", "does not fit 64 bits")


def test_unknown_asset_column(tmp_path: Path) -> None:
    csv_error(tmp_path, "user_id,BTC,ETH,USDT,DOGE\na,0,0,0,0\n", 1, "header", "'DOGE'")


def test_asset_column_matched_exactly(tmp_path: Path) -> None:
    csv_error(tmp_path, "user_id,BTC,eth,USDT\na,0,0,0\n", 1, "header", "unknown asset column")


def test_missing_asset_column(tmp_path: Path) -> None:
    csv_error(tmp_path, "user_id,BTC,USDT\na,0,0\n", 1, "header", "missing asset column(s): ETH")


def test_duplicate_column(tmp_path: Path) -> None:
    csv_error(
        tmp_path,
        "user_id,BTC,ETH,BTC,USDT\na,0,0,0,0\n",
        1,
        "header",
        "duplicate column 'BTC' (columns 2 and 4)",
    )


def test_first_column_must_be_user_id(tmp_path: Path) -> None:
    error = csv_error(tmp_path, "alice,1,2,3\n", 1, "header", "must be named 'user_id'")
    assert "alice" not in str(error)


def test_duplicate_user_id_names_both_lines(tmp_path: Path) -> None:
    content = HEADER + "".join(f"u{i},0,0,0\n" for i in range(10)) + "u5,1,1,1\n"
    # u5 is on line 7 (the header is line 1); the duplicate on line 12.
    csv_error(tmp_path, content, 12, "user_id", "duplicate user_id, first seen on line 7")


def test_duplicate_user_id_in_a_later_chunk_names_both_lines(tmp_path: Path) -> None:
    # Accounts reach the store in chunks of CHUNK rows: the first u5 was written long before.
    rows = [f"u{i},0,0,0\n" for i in range(2 * CHUNK + 10)]
    rows[CHUNK + 100] = "u5,1,1,1\n"
    line = CHUNK + 100 + 2
    csv_error(tmp_path, HEADER + "".join(rows), line, "user_id", "first seen on line 7")


def test_a_repeated_id_before_a_bad_amount_is_the_error_reported(tmp_path: Path) -> None:
    # The repeat (line 12) waits in an unwritten chunk when the bad cell (line 13) is read:
    # the first bad row in the file is still the one reported.
    content = HEADER + "".join(f"u{i},0,0,0\n" for i in range(10)) + "u5,1,1,1\nu99,x,0,0\n"
    csv_error(tmp_path, content, 12, "user_id", "duplicate user_id, first seen on line 7")


def test_duplicate_user_id_after_unicode_normalisation(tmp_path: Path) -> None:
    composed, decomposed = "jos\u00e9", "jose\u0301"  # both print as "josé"
    csv_error(
        tmp_path,
        HEADER + f"{composed},0,0,0\nx,0,0,0\n{decomposed},0,0,0\n",
        4,
        "user_id",
        "duplicate user_id (equal after Unicode NFC normalisation), first seen on line 2",
    )


def test_empty_user_id(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + "a,0,0,0\n,1,1,1\n", 3, "user_id", "empty user_id")


def test_user_id_with_surrounding_whitespace(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + "alice ,0,0,0\n", 2, "user_id", "leading or trailing whitespace")
    csv_error(tmp_path, HEADER + "\talice,0,0,0\n", 2, "user_id", "leading or trailing whitespace")


@pytest.mark.parametrize(
    ("user_id", "code"),
    [("a\x00b", "U+0000"), ("a\u200bb", "U+200B"), ("a\u202eb", "U+202E"), ("a\u00a0b", "U+00A0")],
)
def test_user_id_with_control_or_invisible_character(
    tmp_path: Path, user_id: str, code: str
) -> None:
    csv_error(tmp_path, HEADER + f"ok,0,0,0\n{user_id},0,0,0\n", 3, "user_id", code)


def test_user_id_with_a_line_break_is_reported_on_its_first_line(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + 'a,0,0,0\n"b\nc",0,0,0\n', 3, "user_id", "U+000A")


def test_user_id_too_long(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + "é" * 129 + ",0,0,0\n", 2, "user_id", "258 bytes")
    assert len(read(tmp_path, HEADER + "é" * 128 + ",0,0,0\n")) == 1
    csv_error(tmp_path, HEADER + "a" * 257 + ",0,0,0\n", 2, "user_id", "257 bytes")


def test_bad_utf8_names_the_line(tmp_path: Path) -> None:
    content = (HEADER + "a,0,0,0\nb,0,0,0\n").encode() + b"caf\xe9,0,0,0\nd,0,0,0\n"
    csv_error(tmp_path, content, 4, None, "invalid UTF-8 (byte 0xe9)")


def test_bad_utf8_in_the_header_after_a_bom(tmp_path: Path) -> None:
    csv_error(tmp_path, b"\xef\xbb\xbfuser_id,BTC\xff\n", 1, None, "invalid UTF-8")


@pytest.mark.parametrize(
    "amount", ["1.2.3", "1e5", "abc", " 5", "5 ", "5.", ".5", "+5", "1_000", '"1,000"', "١", "inf"]
)
def test_malformed_number(tmp_path: Path, amount: str) -> None:
    csv_error(tmp_path, HEADER + f"a,0,0,0\nb,0,{amount},0\n", 3, "ETH", "malformed amount")


def test_empty_amount(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + "a,0,0,0\nb,1,,1\n", 3, "ETH", "missing amount")


def test_first_bad_cell_in_column_order(tmp_path: Path) -> None:
    content = "user_id,USDT,ETH,BTC\na,x,-1,\n"
    csv_error(tmp_path, content, 2, "USDT", "malformed amount")


def test_too_many_cells(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + "a,0,0,0\nb,0,0,0,0\n", 3, None, "too many cells: expected 4")


def test_too_few_cells(tmp_path: Path) -> None:
    csv_error(
        tmp_path,
        HEADER + "a,0,0\n",
        2,
        None,
        "too few cells: expected 4 (user_id and one per asset), found 3",
    )


def test_blank_line(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + "a,0,0,0\n\nb,0,0,0\n", 3, None, "empty row")


def test_malformed_csv_quoting(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER + 'a,0,0,0\n"b"x,0,0,0\n', 3, None, "malformed CSV")


def test_empty_file(tmp_path: Path) -> None:
    csv_error(tmp_path, b"", 1, "header", "empty file")


def test_header_only_has_no_accounts(tmp_path: Path) -> None:
    csv_error(tmp_path, HEADER, None, None, "no accounts")


def test_totals_overflow_96_bits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Reaching 2^96 takes 2^32 maximal balances; the check is the same at a lower bound.
    monkeypatch.setattr(ingest, "TOTAL_LIMIT", 1 << 65)
    config = Config("x", "https://x.org", "x", "2026-11-21T00:00:00Z", (Asset("A", 0),), 2, 1, 0)
    content = f"user_id,A\na,{MAX64}\nb,{MAX64}\nc,2\nd,0\n"
    csv_error(
        tmp_path, content, 4, "A", "the total of A up to this row does not fit 96 bits", config
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError) as info:
        read_liabilities(path, CONFIG)
    check_error(info.value, path, None, None, "cannot read")


# --- zkpor.toml ------------------------------------------------------------------------

GOOD_TOML = """\
[issuer]
name = "Example Exchange"
url = "https://example.com"

[attestation]
id = "example-2026-11-21"
as_of = "2026-11-21T00:00:00Z"

[tree]
arity = 4
batch_depth = 3
pad_to = 1024

[[assets]]
symbol = "BTC"
decimals = 8

[[assets]]
symbol = "ETH"
decimals = 9

[[assets]]
symbol = "USDT"
decimals = 6
"""


def toml_error(
    tmp_path: Path, text: str | bytes, line: int | None, field: str | None, reason: str
) -> InputError:
    path = write(tmp_path, text, "zkpor.toml")
    with pytest.raises(InputError) as info:
        load_config(path)
    check_error(info.value, path, line, field, reason)
    return info.value


def test_load_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD_TOML, "zkpor.toml"))
    assert config == Config(
        issuer_name="Example Exchange",
        issuer_url="https://example.com",
        attestation_id="example-2026-11-21",
        as_of="2026-11-21T00:00:00Z",
        assets=ASSETS,
        arity=4,
        batch_depth=3,
        pad_to=1024,
    )
    assert config.batch_size == 64


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = config_module.__doc__ or ""
    example = doc.split("Full example::", 1)[1].split("There must be", 1)[0]
    config = load_config(write(tmp_path, textwrap.dedent(example), "zkpor.toml"))
    assert [a.symbol for a in config.assets] == ["BTC", "ETH"]


def test_site_url_is_optional_and_ends_in_a_slash(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, GOOD_TOML, "zkpor.toml")).site_url == ""
    text = GOOD_TOML.replace("as_of = ", 'site_url = "https://x.github.io/por"\nas_of = ')
    assert load_config(write(tmp_path, text, "zkpor.toml")).site_url == "https://x.github.io/por/"


def test_site_url_must_be_https(tmp_path: Path) -> None:
    text = GOOD_TOML.replace("as_of = ", 'site_url = "http://x.github.io/por/"\nas_of = ')
    toml_error(tmp_path, text, 7, "attestation.site_url", "must be an https:// URL")


def test_pad_to_defaults_to_zero(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD_TOML.replace("pad_to = 1024\n", ""), "zkpor.toml"))
    assert config.pad_to == 0


@pytest.mark.parametrize(
    "as_of",
    [
        '"2026-11-21t00:00:00z"',
        '"2026-11-21 00:00:00+00:00"',
        '"2026-11-21T00:00:00.000Z"',
        "2026-11-21T00:00:00Z",  # an unquoted TOML offset date-time
    ],
)
def test_as_of_is_normalised(tmp_path: Path, as_of: str) -> None:
    text = GOOD_TOML.replace('"2026-11-21T00:00:00Z"', as_of)
    assert load_config(write(tmp_path, text, "zkpor.toml")).as_of == "2026-11-21T00:00:00Z"


def test_config_missing_section(tmp_path: Path) -> None:
    text = GOOD_TOML.replace("[tree]\narity = 4\nbatch_depth = 3\npad_to = 1024\n", "")
    toml_error(tmp_path, text, None, "tree", "missing section [tree]")


def test_config_missing_key(tmp_path: Path) -> None:
    # Reported on the line of the section header.
    toml_error(tmp_path, GOOD_TOML.replace("arity = 4\n", ""), 9, "tree.arity", "missing key")


def test_config_missing_key_in_an_asset(tmp_path: Path) -> None:
    text = GOOD_TOML.replace('symbol = "ETH"\n', "")
    toml_error(tmp_path, text, 18, "assets[1].symbol", "missing key")


def test_config_unknown_key(tmp_path: Path) -> None:
    text = GOOD_TOML.replace("pad_to =", "pad-to =")
    toml_error(tmp_path, text, 12, "tree.pad-to", "unknown key")


def test_config_unknown_section(tmp_path: Path) -> None:
    toml_error(tmp_path, GOOD_TOML + "\n[reserves]\nx = 1\n", 26, "reserves", "unknown section")


@pytest.mark.parametrize(
    ("arity", "reason"),
    [
        ("3", "must be 2, 4 or 8, found 3"),
        ("16", "must be 2, 4 or 8, found 16"),
        ("0", "must be 2, 4 or 8, found 0"),
        ("true", "must be an integer, found a boolean"),
        ('"4"', "must be an integer, found a string"),
        ("4.0", "must be an integer, found a float"),
    ],
)
def test_config_bad_arity(tmp_path: Path, arity: str, reason: str) -> None:
    text = GOOD_TOML.replace("arity = 4", f"arity = {arity}")
    toml_error(tmp_path, text, 10, "tree.arity", reason)


def test_config_bad_batch_depth(tmp_path: Path) -> None:
    text = GOOD_TOML.replace("batch_depth = 3", "batch_depth = 0")
    toml_error(tmp_path, text, 11, "tree.batch_depth", "at least 1")
    text = GOOD_TOML.replace("batch_depth = 3", "batch_depth = 10")
    toml_error(tmp_path, text, 11, "tree.batch_depth", "too large")


def test_config_bad_pad_to(tmp_path: Path) -> None:
    text = GOOD_TOML.replace("pad_to = 1024", "pad_to = -1")
    toml_error(tmp_path, text, 12, "tree.pad_to", "must be in 0..2**32")


@pytest.mark.parametrize(
    ("decimals", "reason"),
    [
        ("31", "must be in 0..30, found 31"),
        ("-1", "must be in 0..30, found -1"),
        ("8.5", "must be an integer, found a float"),
        ('"8"', "must be an integer, found a string"),
    ],
)
def test_config_bad_decimals(tmp_path: Path, decimals: str, reason: str) -> None:
    # Reported on the `decimals =` line of the third [[assets]] entry.
    text = GOOD_TOML.replace("decimals = 6", f"decimals = {decimals}")
    toml_error(tmp_path, text, 24, "assets[2].decimals", reason)


def test_config_duplicate_asset_symbol(tmp_path: Path) -> None:
    text = GOOD_TOML.replace('symbol = "USDT"', 'symbol = "BTC"')
    toml_error(tmp_path, text, 23, "assets[2].symbol", "duplicate symbol 'BTC' (also assets[0])")


@pytest.mark.parametrize("symbol", ["btc", "", "TOOLONGSYMBOL1", "US-D"])
def test_config_bad_asset_symbol(tmp_path: Path, symbol: str) -> None:
    text = GOOD_TOML.replace('symbol = "ETH"', f'symbol = "{symbol}"')
    toml_error(tmp_path, text, 19, "assets[1].symbol", "must match [A-Z0-9]{1,12}")


@pytest.mark.parametrize("attestation_id", ["has space", "a/b", "x" * 65, "", "..", "é"])
def test_config_bad_attestation_id(tmp_path: Path, attestation_id: str) -> None:
    text = GOOD_TOML.replace('"example-2026-11-21"', f'"{attestation_id}"')
    toml_error(tmp_path, text, 6, "attestation.id", "must match [A-Za-z0-9._-]{1,64}")


@pytest.mark.parametrize(
    ("as_of", "reason"),
    [
        ('"2026-11-21T00:00:00+01:00"', "must be in UTC"),
        ('"2026-11-21T00:00:00"', "not an RFC 3339 date-time"),
        ('"2026-11-21"', "not an RFC 3339 date-time"),
        ('"21/11/2026"', "not an RFC 3339 date-time"),
        ('"2026-02-30T00:00:00Z"', "not a valid date-time"),
        ('"2026-11-21T24:00:00Z"', "not a valid date-time"),
        ('"2026-11-21T00:00:00.5Z"', "fractional seconds"),
        ("2026-11-21T00:00:00", "must carry a UTC offset"),
        ("2026-11-21T00:00:00+02:00", "must be in UTC"),
        ("20261121", "must be an RFC 3339 date-time string"),
    ],
)
def test_config_bad_as_of(tmp_path: Path, as_of: str, reason: str) -> None:
    text = GOOD_TOML.replace('"2026-11-21T00:00:00Z"', as_of)
    toml_error(tmp_path, text, 7, "attestation.as_of", reason)


def test_config_bad_issuer_url(tmp_path: Path) -> None:
    text = GOOD_TOML.replace("https://example.com", "http://example.com")
    toml_error(tmp_path, text, 3, "issuer.url", "must be an https:// URL")


def test_config_bad_issuer_name(tmp_path: Path) -> None:
    text = GOOD_TOML.replace('"Example Exchange"', '""')
    toml_error(tmp_path, text, 2, "issuer.name", "must be non-empty")


def test_config_toml_syntax_error_reports_the_line(tmp_path: Path) -> None:
    text = GOOD_TOML.replace("batch_depth = 3", "batch_depth 3")
    toml_error(tmp_path, text, 11, None, "TOML syntax error")


def test_config_duplicate_key_is_a_syntax_error(tmp_path: Path) -> None:
    text = GOOD_TOML.replace("arity = 4\n", "arity = 4\narity = 8\n")
    toml_error(tmp_path, text, 11, None, "TOML syntax error")


def test_config_bad_utf8(tmp_path: Path) -> None:
    data = GOOD_TOML.replace("Example", "Ex\udcffample").encode("utf-8", "surrogateescape")
    toml_error(tmp_path, data, 2, None, "invalid UTF-8")


def test_config_too_many_assets(tmp_path: Path) -> None:
    entries = "".join(f'\n[[assets]]\nsymbol = "A{i}"\ndecimals = 0\n' for i in range(MAX_ASSETS))
    text = GOOD_TOML + entries  # 3 + 28 assets
    # Reported on the [[assets]] header of the first entry too many (the 29th).
    line = GOOD_TOML.count("\n") + 2 + 4 * (MAX_ASSETS - 3)
    error = toml_error(tmp_path, text, line, "assets[28]", "31 assets, zkpor/1 supports at most 28")
    assert write(tmp_path, text, "zkpor.toml").read_text().splitlines()[line - 1] == "[[assets]]"
    assert error.line == line


def test_config_exactly_max_assets(tmp_path: Path) -> None:
    head = GOOD_TOML.split("[[assets]]", 1)[0]
    entries = "".join(f'[[assets]]\nsymbol = "A{i}"\ndecimals = 0\n' for i in range(MAX_ASSETS))
    assert len(load_config(write(tmp_path, head + entries, "zkpor.toml")).assets) == MAX_ASSETS


def test_config_no_assets(tmp_path: Path) -> None:
    head = GOOD_TOML.split("[[assets]]", 1)[0]
    toml_error(tmp_path, head, None, "assets", "at least one asset")


def test_config_assets_not_an_array_of_tables(tmp_path: Path) -> None:
    head = GOOD_TOML.split("[[assets]]", 1)[0]
    toml_error(tmp_path, head + '[assets]\nsymbol = "BTC"\n', 14, "assets", "array of tables")


def test_config_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "zkpor.toml"
    with pytest.raises(InputError) as info:
        load_config(path)
    check_error(info.value, path, None, None, "cannot read")


def test_input_error_message_format() -> None:
    assert str(InputError("f.csv", 3, "BTC", "bad")) == "f.csv:3: BTC: bad"
    assert str(InputError("f.csv", None, "BTC", "bad")) == "f.csv: BTC: bad"
    assert str(InputError("f.csv", 3, None, "bad")) == "f.csv:3: bad"
    assert str(InputError("f.csv", None, None, "bad")) == "f.csv: bad"
