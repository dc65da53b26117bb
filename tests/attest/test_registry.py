"""zkpor/2's ``registry.toml`` (publisher.attest.registry): good files load, every bad input is
an ``InputError`` naming the file, the line and the field, and the tier tables in equity
units never overstate collateral (checked against exact rational arithmetic)."""

from __future__ import annotations

import tempfile
import textwrap
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import publisher.attest.registry as registry_module
from publisher.attest.registry import MAX_TABLES, Registry, TierSpec, format_units, load_registry
from publisher.errors import InputError
from publisher.snark.account2 import AMOUNT_LIMIT, TierTable

GOOD = """\
[quote]
symbol = "USD"
decimals = 8
price_source = "https://prices.example.com/2026-11-21"

[[tier_tables]]
name = "major"
tiers = [
  [0, 100],
  [1000000, 95],
  [5000000, 80],
]

[[tier_tables]]
name = "unused"
tiers = [[0, 10]]

[[assets]]
symbol = "BTC"
decimals = 8
price = "97000.12"
table = "major"

[[assets]]
symbol = "ETH"
decimals = 9
price = "3000.5"
table = "major"

[[assets]]
symbol = "SHIB"
decimals = 4
price = "0.00001234"
tiers = [[0, 50], ["100000.5", 0]]

[[assets]]
symbol = "USDT"
decimals = 6
price = "1"
tiers = [[0, 100]]
"""


def write(tmp_path: Path, content: str | bytes, name: str = "registry.toml") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def line_of(text: str, needle: str, occurrence: int = 0) -> int:
    """Return the 1-based line of the ``occurrence``-th line containing ``needle``."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[occurrence]


def error(
    tmp_path: Path, text: str | bytes, line: int | None, field: str | None, reason: str
) -> InputError:
    """Load ``text``; assert the error's file, line, field and message."""
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_registry(path)
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), line, field), str(err)
    location = str(path) if line is None else f"{path}:{line}"
    prefix = location if field is None else f"{location}: {field}"
    assert str(err).startswith(prefix + ": "), str(err)
    assert reason in str(err), str(err)
    return err


def load(tmp_path: Path, text: str = GOOD) -> Registry:
    return load_registry(write(tmp_path, text))


# --- good files ----------------------------------------------------------------------------


def test_good_registry(tmp_path: Path) -> None:
    registry = load(tmp_path)
    assert (registry.quote_symbol, registry.quote_decimals) == ("USD", 8)
    assert registry.price_source == "https://prices.example.com/2026-11-21"
    assert [a.symbol for a in registry.assets] == ["BTC", "ETH", "SHIB", "USDT"]
    assert registry.index_of("SHIB") == 2
    assert registry.symbol_indexes() == {"BTC": 0, "ETH": 1, "SHIB": 2, "USDT": 3}
    with pytest.raises(KeyError):
        registry.index_of("DOGE")
    # Prices in 10^-8 USD per whole asset, exactly as written.
    assert [a.price for a in registry.assets] == [9700012000000, 300050000000, 1234, 100000000]
    # SHIB (4 decimals, a price to 10^-8) needs value units of 10^-12 USD.
    assert registry.value_decimals == 12
    assert [a.unit_price for a in registry.assets] == [970001200, 3000500, 1234, 1000000]
    # Tables interned in order of first use; the unused one is left out.
    assert registry.tables == (
        TierSpec((0, 10**14, 5 * 10**14), (100, 95, 80)),
        TierSpec((0, 10000050000000), (50, 0)),
        TierSpec((0,), (100,)),
    )
    assert [a.table for a in registry.assets] == [0, 0, 1, 2]


def test_equity_unit_bounds_are_rounded_down(tmp_path: Path) -> None:
    btc = load(tmp_path).assets[0]
    # 1,000,000 USD / 97,000.12 USD = 10.30926559...  BTC = 1030926559.x satoshi.
    assert btc.tiers == TierTable(970001200, (1030926559, 5154632798), (100, 95, 80))
    assert 1000000 * 10**8 * 10**8 // 9700012000000 == 1030926559
    # The straddling satoshi counts at 95%, not 100%: a little less collateral.
    at = btc.tiers.collateral_x100(1030926560)
    exact = Fraction(100 * 1000000 * 10**12) + Fraction(95) * (
        Fraction(1030926560 * 9700012000000, 10**8) * 10**4 - 1000000 * 10**12
    )
    assert at < exact


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = registry_module.__doc__ or ""
    example = doc.split("Full example::", 1)[1].split("Rules:", 1)[0]
    registry = load(tmp_path, textwrap.dedent(example))
    assert [a.symbol for a in registry.assets] == ["BTC", "DOGE"]
    assert registry.tables[1] == TierSpec((0, 10**13), (50, 0))


def test_a_price_source_may_be_a_description(tmp_path: Path) -> None:
    text = GOOD.replace('"https://prices.example.com/2026-11-21"', '"Close on Example Index, 0h"')
    assert load(tmp_path, text).price_source == "Close on Example Index, 0h"


def test_a_zero_price_is_allowed_and_worth_nothing(tmp_path: Path) -> None:
    usdt = load(tmp_path, GOOD.replace('price = "1"', 'price = "0.000"')).assets[3]
    assert (usdt.price, usdt.unit_price) == (0, 0)
    assert usdt.tiers.collateral_x100(AMOUNT_LIMIT - 1) == 0


def test_integer_and_decimal_boundaries_and_inline_or_shared_tables_agree(tmp_path: Path) -> None:
    inline = GOOD.replace('table = "major"', 'tiers = [[0, 100], ["1000000.0", 95], [5000000, 80]]')
    assert load(tmp_path, inline).digest() == load(tmp_path).digest()
    assert load(tmp_path, inline).tables == load(tmp_path).tables


def test_digest_covers_prices_tables_and_the_source(tmp_path: Path) -> None:
    registry = load(tmp_path)
    digest = registry.digest()
    assert len(digest) == 64 and digest == load(tmp_path).digest()
    body = registry.canonical_json().decode()
    assert body.startswith('{"assets":[{"decimals":8,"price":"97000.12","symbol":"BTC","table":0}')
    assert '"tables":[{"bounds":["0","1000000","5000000"],"ratios":[100,95,80]}' in body
    changes = [
        GOOD.replace('"97000.12"', '"97000.13"'),
        GOOD.replace("[5000000, 80]", "[5000000, 79]"),
        GOOD.replace("2026-11-21", "2026-11-22"),
        GOOD.replace('symbol = "USD"', 'symbol = "USDC"'),
        GOOD.replace("decimals = 6", "decimals = 7"),
    ]
    assert len({load(tmp_path, text).digest() for text in changes} | {digest}) == 6


def test_format_units() -> None:
    assert format_units(9700012000000, 8) == "97000.12"
    assert format_units(0, 8) == "0"
    assert format_units(5, 0) == "5"
    assert format_units(1234, 8) == "0.00001234"


def test_value_tables(tmp_path: Path) -> None:
    registry = load(tmp_path)
    assert registry.value_tables()[0] == ((0, 100), (10**18, 95), (5 * 10**18, 80))


def test_1024_assets_load(tmp_path: Path) -> None:
    head = GOOD.split("[[assets]]", 1)[0]
    assets = "".join(
        f'[[assets]]\nsymbol = "A{i}"\ndecimals = 6\nprice = "{i}.5"\ntable = "major"\n'
        for i in range(1024)
    )
    registry = load(tmp_path, head + assets)
    assert len(registry) == 1024 and len(registry.tables) == 1


def test_tiers_beyond_2_64_units_are_dropped(tmp_path: Path) -> None:
    # 0.00001234 USD a SHIB, 10^-4 SHIB a unit: 2^64 units are worth about 22.8e9 USD.
    text = GOOD.replace('["100000.5", 0]', "[100000000000, 0]")
    shib = load(tmp_path, text).assets[2]
    assert shib.tiers.lower == () and shib.tiers.ratios == (50,)


# --- bad files: the file as a whole ----------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "registry.toml"
    with pytest.raises(InputError) as info:
        load_registry(path)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), None, None)
    assert "cannot read" in str(info.value)


def test_bad_utf8(tmp_path: Path) -> None:
    data = GOOD.replace("BTC", "B\udcffTC").encode("utf-8", "surrogateescape")
    error(tmp_path, data, line_of(GOOD, '"BTC"'), None, "invalid UTF-8")


def test_toml_syntax_error(tmp_path: Path) -> None:
    text = GOOD.replace("decimals = 9", "decimals 9")
    error(tmp_path, text, line_of(GOOD, "decimals = 9"), None, "TOML syntax error")


def test_unknown_section(tmp_path: Path) -> None:
    error(tmp_path, GOOD + "\n[prices]\nBTC = 1\n", GOOD.count("\n") + 2, "prices", "unknown")


def test_unknown_top_level_key(tmp_path: Path) -> None:
    error(tmp_path, "version = 2\n" + GOOD, 1, "version", "unknown section")


def test_missing_quote(tmp_path: Path) -> None:
    text = GOOD.split("[[tier_tables]]", 1)[1]
    error(tmp_path, "[[tier_tables]]" + text, None, "quote", "missing section [quote]")


def test_quote_not_a_table(tmp_path: Path) -> None:
    text = 'quote = "USD"\n' + GOOD.split("\n", 4)[4]
    error(tmp_path, text, 1, "quote", "must be a table")


# --- bad files: the quote --------------------------------------------------------------------


def test_quote_unknown_key(tmp_path: Path) -> None:
    text = GOOD.replace("decimals = 8\nprice_source", "decimals = 8\nname = 1\nprice_source")
    error(tmp_path, text, 4, "quote.name", "unknown key")


def test_quote_bad_symbol(tmp_path: Path) -> None:
    error(tmp_path, GOOD.replace('"USD"', '"usd"'), 2, "quote.symbol", "[A-Z0-9]{1,12}")


@pytest.mark.parametrize(
    ("value", "reason"), [("31", "must be in 0..30"), ("-1", "0..30"), ('"8"', "an integer")]
)
def test_quote_bad_decimals(tmp_path: Path, value: str, reason: str) -> None:
    text = GOOD.replace("decimals = 8\nprice_source", f"decimals = {value}\nprice_source")
    error(tmp_path, text, 3, "quote.decimals", reason)


def test_quote_missing_price_source(tmp_path: Path) -> None:
    text = GOOD.replace('price_source = "https://prices.example.com/2026-11-21"\n', "")
    error(tmp_path, text, 1, "quote.price_source", "missing key")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("http://prices.example.com", "must be https://"),
        ("HTTPS://prices.example.com", "must be https://"),
        ("https://prices.example.com/<script>", "characters"),
        ("https://", "must be https://host"),
        ("Index <b>close</b>", "must not contain < >"),
        (" padded", "leading or trailing whitespace"),
        ("", "non-empty"),
        ("x" * 201, "at most 200"),
        ("zero\u200bwidth", "control or invisible"),
    ],
)
def test_quote_bad_price_source(tmp_path: Path, source: str, reason: str) -> None:
    text = GOOD.replace('"https://prices.example.com/2026-11-21"', f'"{source}"')
    error(tmp_path, text, 4, "quote.price_source", reason)


# --- bad files: assets -------------------------------------------------------------------------


def test_no_assets(tmp_path: Path) -> None:
    head = GOOD.split("[[assets]]", 1)[0]
    error(tmp_path, head, None, "assets", "missing [[assets]]")


def test_empty_assets(tmp_path: Path) -> None:
    error(tmp_path, "assets = []\n" + GOOD.split("[[assets]]", 1)[0], 1, "assets", "at least one")


def test_assets_not_an_array_of_tables(tmp_path: Path) -> None:
    head = GOOD.split("[[assets]]", 1)[0]
    text = head + '[assets]\nsymbol = "BTC"\n'
    error(tmp_path, text, line_of(text, "[assets]"), "assets", "array of tables")


def test_too_many_assets(tmp_path: Path) -> None:
    head = GOOD.split("[[assets]]", 1)[0]
    assets = "".join(
        f'[[assets]]\nsymbol = "A{i}"\ndecimals = 0\nprice = "1"\ntable = "major"\n'
        for i in range(1025)
    )
    text = head + assets
    line = line_of(text, '"A1024"') - 1
    error(tmp_path, text, line, "assets[1024]", "1025 entries, at most 1024")


def test_asset_unknown_key(tmp_path: Path) -> None:
    text = GOOD.replace('price = "1"\n', 'price = "1"\ncollateral = true\n')
    error(tmp_path, text, line_of(text, "collateral"), "assets[3].collateral", "unknown key")


def test_asset_missing_key(tmp_path: Path) -> None:
    text = GOOD.replace('price = "1"\n', "")
    error(tmp_path, text, line_of(text, '"USDT"') - 1, "assets[3].price", "missing key")


def test_asset_bad_symbol(tmp_path: Path) -> None:
    text = GOOD.replace('"SHIB"', '"SHIB-2"')
    error(tmp_path, text, line_of(text, "SHIB-2"), "assets[2].symbol", "[A-Z0-9]{1,12}")


def test_duplicate_symbol_names_both_entries(tmp_path: Path) -> None:
    text = GOOD.replace('"SHIB"', '"ETH"')
    err = error(tmp_path, text, line_of(text, '"ETH"', 1), "assets[2].symbol", "duplicate symbol")
    first = line_of(text, '"ETH"')
    assert f"also assets[1], line {first}" in str(err)


@pytest.mark.parametrize(
    ("value", "reason"),
    [("31", "0..30"), ("-1", "0..30"), ("true", "an integer"), ("8.0", "float")],
)
def test_asset_bad_decimals(tmp_path: Path, value: str, reason: str) -> None:
    text = GOOD.replace("decimals = 9", f"decimals = {value}")
    error(tmp_path, text, line_of(GOOD, "decimals = 9"), "assets[1].decimals", reason)


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        ("3000.5", "must be a decimal string"),  # a float
        ("3000", "must be a decimal string"),  # an integer
        ('"-1"', "plain decimal number"),
        ('"+1"', "plain decimal number"),
        ('"1e3"', "plain decimal number"),
        ('"1,000"', "plain decimal number"),
        ('"1."', "plain decimal number"),
        ('".5"', "plain decimal number"),
        ('""', "plain decimal number"),
        ('"٣"', "plain decimal number"),
        ('"0.000000001"', "more than 8 decimals"),
        ('"1' + "0" * 41 + '"', "more than 40 digits"),
    ],
)
def test_asset_bad_price(tmp_path: Path, price: str, reason: str) -> None:
    text = GOOD.replace('"3000.5"', price)
    error(tmp_path, text, line_of(GOOD, '"3000.5"'), "assets[1].price", reason)


def test_trailing_zeros_beyond_the_quote_decimals_are_exact(tmp_path: Path) -> None:
    text = GOOD.replace('"3000.5"', '"3000.500000000000"')
    assert load(tmp_path, text).assets[1].price == 300050000000


def test_a_unit_price_that_does_not_fit_64_bits(tmp_path: Path) -> None:
    # A 20-decimal token priced to 10^-8 USD needs value units of 10^-28 USD: BTC's
    # satoshi is then worth 9.7e23 of them.
    text = GOOD + '\n[[assets]]\nsymbol = "TINY"\ndecimals = 20\nprice = "0.00000001"\n'
    text += "tiers = [[0, 0]]\n"
    err = error(tmp_path, text, line_of(GOOD, '"97000.12"'), "assets[0].price", "fit 64 bits")
    assert "set by TINY's price" in str(err)


def test_a_whole_unit_price_that_does_not_fit_64_bits(tmp_path: Path) -> None:
    text = GOOD.split("[[tier_tables]]", 1)[0] + (
        '[[assets]]\nsymbol = "BIG"\ndecimals = 0\nprice = "184467440737.09551616"\n'
        "tiers = [[0, 100]]\n"
    )
    err = error(tmp_path, text, line_of(text, '"184467440737'), "assets[0].price", "fit 64 bits")
    assert "set by" not in str(err)


def test_asset_with_both_tiers_and_table(tmp_path: Path) -> None:
    text = GOOD.replace('price = "1"\n', 'price = "1"\ntable = "major"\n')
    error(tmp_path, text, line_of(text, 'table = "major"', 2), "assets[3].table", "not both")


def test_asset_with_neither_tiers_nor_table(tmp_path: Path) -> None:
    text = GOOD.replace("tiers = [[0, 100]]\n", "")
    error(tmp_path, text, line_of(text, '"USDT"') - 1, "assets[3]", "missing key: tiers")


def test_asset_refers_to_an_unknown_table(tmp_path: Path) -> None:
    text = GOOD.replace('table = "major"', 'table = "mayor"', 1)
    err = error(tmp_path, text, line_of(text, "mayor"), "assets[0].table", "no [[tier_tables]]")
    assert "major, unused" in str(err)


def test_asset_table_not_a_string(tmp_path: Path) -> None:
    text = GOOD.replace('table = "major"', "table = 0", 1)
    error(tmp_path, text, line_of(text, "table = 0"), "assets[0].table", "must be a string")


# --- bad files: tier tables ----------------------------------------------------------------------

SHIB_TIERS = 'tiers = [[0, 50], ["100000.5", 0]]'


def tiers_error(tmp_path: Path, tiers: str, field: str, reason: str) -> InputError:
    """Replace SHIB's inline tiers by ``tiers`` (one line) and expect an error there."""
    text = GOOD.replace(SHIB_TIERS, f"tiers = {tiers}")
    return error(tmp_path, text, line_of(GOOD, SHIB_TIERS), field, reason)


@pytest.mark.parametrize(
    ("tiers", "field", "reason"),
    [
        ('"flat"', "assets[2].tiers", "must be an array"),
        ("[]", "assets[2].tiers", "1..8 tiers, found 0"),
        (
            "[" + ", ".join(f"[{i}, 50]" for i in range(9)) + "]",
            "assets[2].tiers",
            "1..8 tiers, found 9",
        ),
        ("[0, 100]", "assets[2].tiers[0]", "must be [boundary, ratio]"),
        ("[[0, 100, 1]]", "assets[2].tiers[0]", "must be [boundary, ratio]"),
        ("[[0.0, 100]]", "assets[2].tiers[0]", "an integer or a decimal string"),
        ("[[0, 100], [-5, 50]]", "assets[2].tiers[1]", "must not be negative"),
        ('[[0, 100], ["5.000000001", 50]]', "assets[2].tiers[1]", "more than 8 decimals"),
        ('[[0, 100], ["5 000", 50]]', "assets[2].tiers[1]", "plain decimal"),
        ("[[0, 100], [184467440738, 50]]", "assets[2].tiers[1]", "below 2^64 units"),
        ('[[0, 100], ["184467440737.09551616", 50]]', "assets[2].tiers[1]", "below 2^64"),
        ("[[1, 100]]", "assets[2].tiers[0]", "start at boundary 0"),
        ("[[0, 100], [10, 90], [10, 80]]", "assets[2].tiers[2]", "strictly increase"),
        ("[[0, 100], [10, 90], [5, 80]]", "assets[2].tiers[2]", "strictly increase"),
        ("[[0, 90], [10, 95]]", "assets[2].tiers[1]", "must not increase (95% after 90%)"),
        ("[[0, 101]]", "assets[2].tiers[0]", "0..100"),
        ("[[0, -1]]", "assets[2].tiers[0]", "0..100"),
        ("[[0, true]]", "assets[2].tiers[0]", "integer percent"),
        ("[[0, 99.5]]", "assets[2].tiers[0]", "integer percent"),
        ('[[0, "100"]]', "assets[2].tiers[0]", "integer percent"),
    ],
)
def test_bad_inline_tiers(tmp_path: Path, tiers: str, field: str, reason: str) -> None:
    tiers_error(tmp_path, tiers, field, reason)


def test_largest_boundary_fits(tmp_path: Path) -> None:
    text = GOOD.replace(SHIB_TIERS, 'tiers = [[0, 100], ["184467440737.09551615", 50]]')
    assert load(tmp_path, text).tables[1].bounds == (0, AMOUNT_LIMIT - 1)


def test_eight_tiers_load(tmp_path: Path) -> None:
    tiers = "[" + ", ".join(f"[{i * 10}, {100 - i}]" for i in range(8)) + "]"
    text = GOOD.replace(SHIB_TIERS, f"tiers = {tiers}")
    assert len(load(tmp_path, text).tables[1].ratios) == 8


def test_an_error_in_a_multi_line_table_names_the_tier_line(tmp_path: Path) -> None:
    text = GOOD.replace("[1000000, 95],", "[1000000, 101],")
    error(tmp_path, text, line_of(text, "[1000000, 101]"), "tier_tables[0].tiers[1]", "0..100")
    # Brackets in comments and strings do not count.
    text = GOOD.replace("[0, 100],\n", '[0, 100],  # [x] "[" \n  ["1]", 90],\n', 1)
    error(tmp_path, text, line_of(text, '["1]"'), "tier_tables[0].tiers[1]", "plain decimal")


def test_tier_table_unknown_key(tmp_path: Path) -> None:
    text = GOOD.replace('name = "unused"\n', 'name = "unused"\nratio = 5\n')
    error(tmp_path, text, line_of(text, "ratio = 5"), "tier_tables[1].ratio", "unknown key")


def test_tier_table_missing_name(tmp_path: Path) -> None:
    text = GOOD.replace('name = "unused"\n', "")
    line = line_of(text, "[[tier_tables]]", 1)
    error(tmp_path, text, line, "tier_tables[1].name", "missing key")


def test_tier_table_missing_tiers(tmp_path: Path) -> None:
    text = GOOD.replace("tiers = [[0, 10]]\n", "")
    line = line_of(text, "[[tier_tables]]", 1)
    error(tmp_path, text, line, "tier_tables[1].tiers", "missing key")


@pytest.mark.parametrize("name", ["", "-major", "a b", "x" * 33, "ünused"])
def test_tier_table_bad_name(tmp_path: Path, name: str) -> None:
    text = GOOD.replace('name = "unused"', f'name = "{name}"')
    error(tmp_path, text, line_of(GOOD, '"unused"'), "tier_tables[1].name", "must match")


def test_duplicate_tier_table_name_names_both_entries(tmp_path: Path) -> None:
    text = GOOD.replace('name = "unused"', 'name = "major"')
    err = error(
        tmp_path, text, line_of(GOOD, '"unused"'), "tier_tables[1].name", "duplicate table name"
    )
    first = line_of(GOOD, '"major"')
    assert f"also tier_tables[0], line {first}" in str(err)


def test_too_many_shared_tables(tmp_path: Path) -> None:
    head, rest = GOOD.split("[[tier_tables]]", 1)
    extra = "".join(f'[[tier_tables]]\nname = "t{i}"\ntiers = [[0, 1]]\n\n' for i in range(63))
    text = head + extra + "[[tier_tables]]" + rest
    line = line_of(text, '"unused"') - 1  # the 65th entry: t0..t62, "major", "unused"
    error(tmp_path, text, line, "tier_tables[64]", "65 entries, at most 64")


def test_more_than_64_distinct_tables(tmp_path: Path) -> None:
    head = GOOD.split("[[assets]]", 1)[0]
    assets = "".join(
        f'[[assets]]\nsymbol = "A{i}"\ndecimals = 0\nprice = "1"\ntiers = [[0, {i}]]\n'
        for i in range(MAX_TABLES + 1)
    )
    text = head + assets
    field = f"assets[{MAX_TABLES}].tiers"
    error(tmp_path, text, line_of(text, "[[0, 64]]"), field, "more than 64 distinct tier tables")
    # The same 64 tables, shared, are fine.
    assert len(load(tmp_path, head + assets.replace("[[0, 64]]", "[[0, 63]]")).tables) == 64


def test_tier_tables_not_an_array_of_tables(tmp_path: Path) -> None:
    text = "tier_tables = 3\n" + GOOD.split("[[tier_tables]]", 1)[0]
    text += '[[assets]]\nsymbol = "BTC"\ndecimals = 8\nprice = "1"\ntiers = [[0, 100]]\n'
    error(tmp_path, text, 1, "tier_tables", "array of tables")


# --- tier rounding never overstates collateral ---------------------------------------------------


def exact_collateral(value: Fraction, bounds: list[Fraction], ratios: list[int]) -> Fraction:
    """Return the piecewise collateral of a position worth ``value``, exactly."""
    total = Fraction(0)
    for j, (bound, ratio) in enumerate(zip(bounds, ratios, strict=True)):
        end = bounds[j + 1] if j + 1 < len(bounds) else None
        upper = value if end is None else min(value, end)
        if upper > bound:
            total += Fraction(ratio, 100) * (upper - bound)
    return total


@st.composite
def registries(draw: st.DrawFn) -> tuple[int, int, int, list[int], list[int]]:
    """Return (quote decimals, asset decimals, price, bounds, ratios), all in the file's
    units: price and bounds in 10^-quote_decimals of the quote."""
    quote_decimals = draw(st.integers(0, 12))
    decimals = draw(st.integers(0, 18))
    price = draw(st.integers(1, 10 ** draw(st.integers(1, 16))))
    count = draw(st.integers(1, 8))
    steps = draw(
        st.lists(
            st.integers(1, 10 ** draw(st.integers(0, 18))), min_size=count - 1, max_size=count - 1
        )
    )
    bounds = [0]
    for step in steps:
        bounds.append(bounds[-1] + step)
    ratios = sorted(
        draw(st.lists(st.integers(0, 100), min_size=count, max_size=count)), reverse=True
    )
    return quote_decimals, decimals, price, bounds, ratios


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries(), st.lists(st.integers(0, AMOUNT_LIMIT - 1), min_size=1, max_size=6))
def test_tier_rounding_never_overstates_collateral(
    case: tuple[int, int, int, list[int], list[int]], equities: list[int]
) -> None:
    quote_decimals, decimals, price, bounds, ratios = case
    tiers = ", ".join(
        f'["{format_units(b, quote_decimals)}", {r}]' for b, r in zip(bounds, ratios, strict=True)
    )
    text = (
        f'[quote]\nsymbol = "USD"\ndecimals = {quote_decimals}\nprice_source = "test"\n\n'
        f'[[assets]]\nsymbol = "X"\ndecimals = {decimals}\n'
        f'price = "{format_units(price, quote_decimals)}"\ntiers = [{tiers}]\n'
    )
    with tempfile.TemporaryDirectory() as folder:
        try:
            registry = load_registry(write(Path(folder), text))
        except InputError as exc:
            # Only a unit price beyond 64 bits may be refused.
            assert "fit 64 bits" in str(exc)
            scale = max(0, decimals - _trailing_zeros(price))
            assert price * 10**scale // 10**decimals >= AMOUNT_LIMIT
            return
    asset = registry.assets[0]
    # Near the boundaries too, where rounding happens.
    near = [b * 10**decimals // price + d for b in bounds for d in (-1, 0, 1)]
    for equity in [*equities, *(e for e in near if 0 <= e < AMOUNT_LIMIT)]:
        # Exact value in the quote: equity units × price per whole asset / 10^decimals.
        value = Fraction(equity * price, 10**decimals * 10**quote_decimals)
        exact = exact_collateral(value, [Fraction(b, 10**quote_decimals) for b in bounds], ratios)
        computed = Fraction(asset.tiers.collateral_x100(equity), 100 * 10**registry.value_decimals)
        assert computed <= exact
        # And short by less than a unit's value per boundary, at the ratio it steps down.
        unit = Fraction(price, 10**decimals * 10**quote_decimals)
        slack = sum(Fraction(a - b, 100) for a, b in pairwise(ratios)) * unit
        assert exact - computed <= slack
    # The unit price is exact: the debt side of the check is not rounded at all.
    assert Fraction(asset.unit_price, 10**registry.value_decimals) == Fraction(
        price, 10**decimals * 10**quote_decimals
    )


def _trailing_zeros(value: int) -> int:
    text = str(value)
    return len(text) - len(text.rstrip("0"))
