"""zkpor/2's long-format liabilities file (publisher.attest.ingest2): good files load, every
bad input is an ``InputError`` naming the file, the line and the field, the collateral
check on examples, and a 1,000-asset file read without holding its rows in memory."""

from __future__ import annotations

import csv
import random
import tracemalloc
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import pytest

import publisher.attest.ingest2 as ingest2
from publisher.attest.ingest2 import (
    LongStore,
    Snapshot2,
    collateral_check,
    parse_debt,
    read_liabilities2,
)
from publisher.attest.registry import Registry, load_registry
from publisher.errors import InputError

REGISTRY = """\
[quote]
symbol = "USD"
decimals = 8
price_source = "Test prices"

[[assets]]
symbol = "BTC"
decimals = 8
price = "50000"
tiers = [[0, 100], [1000000, 50]]

[[assets]]
symbol = "ETH"
decimals = 9
price = "2000"
tiers = [[0, 80]]

[[assets]]
symbol = "USDT"
decimals = 6
price = "1"
tiers = [[0, 100]]

[[assets]]
symbol = "DUST"
decimals = 2
price = "0"
tiers = [[0, 0]]
"""
HEADER = "account,asset,equity,debt\n"
MAX64 = (1 << 64) - 1
BTC, ETH, USDT, DUST = range(4)

Read = Callable[[str | bytes], Snapshot2]
Error = Callable[[str | bytes, int | None, str | None, str], InputError]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    path = tmp_path_factory.mktemp("registry") / "registry.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    return load_registry(path)


def write(tmp_path: Path, content: str | bytes, name: str = "liabilities.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


@pytest.fixture
def read(tmp_path: Path, registry: Registry) -> Iterator[Read]:
    """Return ``read(content) -> Snapshot2``; every snapshot is closed after the test."""
    opened: list[Snapshot2] = []

    def read(content: str | bytes) -> Snapshot2:
        snap = read_liabilities2(write(tmp_path, content), registry, tmp_path)
        opened.append(snap)
        return snap

    yield read
    for snap in opened:
        snap.close()


def csv_error(
    tmp_path: Path,
    registry: Registry,
    content: str | bytes,
    line: int | None,
    field: str | None,
    reason: str,
) -> InputError:
    """Read ``content``; assert the error's file, line, field and message, and that the
    private store file is gone."""
    path = write(tmp_path, content)
    with pytest.raises(InputError) as info:
        read_liabilities2(path, registry, tmp_path)
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), line, field), str(err)
    location = str(path) if line is None else f"{path}:{line}"
    prefix = location if field is None else f"{location}: {field}"
    assert str(err).startswith(prefix + ": "), str(err)
    assert reason in str(err), str(err)
    assert not list(tmp_path.glob(f"{ingest2.PREFIX}*"))
    return err


@pytest.fixture
def error(tmp_path: Path, registry: Registry) -> Error:
    def error(content: str | bytes, line: int | None, field: str | None, reason: str) -> InputError:
        return csv_error(tmp_path, registry, content, line, field, reason)

    return error


# --- good files ---------------------------------------------------------------------------------


def test_the_documented_example_loads(tmp_path: Path, registry: Registry) -> None:
    doc = ingest2.__doc__ or ""
    example = doc.split("one row per account and asset held::", 1)[1].split("* UTF-8", 1)[0]
    text = "\n".join(line.strip() for line in example.strip().splitlines()) + "\n"
    with read_liabilities2(write(tmp_path, text), registry, tmp_path) as snap:
        assert [a.account for a in snap.accounts()] == ["alice", "bob, jr.", "carol"]
        assert snap.ignored == 1 and next(snap.accounts()).lines == (2, 6, 3)


def test_happy_path(read: Read, tmp_path: Path) -> None:
    # BOM, CRLF, one account's rows spread out and in any order, quoted and non-ASCII ids.
    content = (
        "\ufeffaccount,asset,equity,debt\r\n"
        "alice,USDT,1000.25,0\r\n"
        '"bob, jr.",ETH,12,0\r\n'
        "alice,BTC,0.5,0\r\n"
        '"bob, jr.",USDT,0,15000\r\n'
        "zoë,BTC,007,0.0\r\n"
        "alice,ETH,0,0.25\r\n"
    )
    snap = read(content)
    assert len(snap) == 3 and snap.rows == 6 and snap.ignored == 0
    accounts = list(snap.accounts())
    assert [(a.index, a.account, a.line) for a in accounts] == [
        (0, "alice", 2),
        (1, "bob, jr.", 3),
        (2, "zoë", 6),
    ]
    # Entries sorted by registry index (BTC, ETH, USDT), each with the line of its row.
    assert accounts[0].entries == (
        (BTC, 50_000_000, 0),
        (ETH, 0, 250_000_000),
        (USDT, 1_000_250_000, 0),
    )
    assert accounts[0].lines == (4, 7, 2)
    assert accounts[1].entries == ((ETH, 12_000_000_000, 0), (USDT, 0, 15_000_000_000))
    assert accounts[2].entries == ((BTC, 700_000_000, 0),)
    assert snap.account(1) == accounts[1]
    with pytest.raises(IndexError):
        snap.account(3)
    assert snap.equity_totals == (750_000_000, 12_000_000_000, 1_000_250_000, 0)
    assert snap.debt_totals == (0, 250_000_000, 15_000_000_000, 0)
    assert snap.rounded_equity == {"BTC": 0, "ETH": 0, "USDT": 0, "DUST": 0}
    assert snap.rounded_debt == {"BTC": 0, "ETH": 0, "USDT": 0, "DUST": 0}


def test_an_all_zero_row_is_ignored_but_its_account_is_kept(read: Read) -> None:
    content = HEADER + "a,BTC,0,0\na,ETH,1,0\nb,USDT,0.000,0\nb,DUST,0,0\n"
    snap = read(content)
    accounts = list(snap.accounts())
    assert [(a.account, a.entries) for a in accounts] == [
        ("a", ((ETH, 1_000_000_000, 0),)),
        ("b", ()),
    ]
    assert snap.ignored == 3 and snap.rows == 4


def test_equity_rounds_up_and_debt_rounds_down_counted_per_asset(read: Read) -> None:
    content = HEADER + (
        "a,BTC,0.000000001,0.000000019\n"  # both rounded: equity 1 unit, debt 1 unit
        "a,ETH,1.0000000001,0\n"  # equity rounded up
        "b,ETH,0,2.0000000009\n"  # debt rounded down
        "b,USDT,1.10000000,3.000000000\n"  # only zeros dropped: exact, not counted
        "c,USDT,0,0.0000001\n"  # debt rounded down to 0: an all-zero row
    )
    snap = read(content)
    a, b, c = snap.accounts()
    assert a.entries == ((BTC, 1, 1), (ETH, 1_000_000_001, 0))
    assert b.entries == ((ETH, 0, 2_000_000_000), (USDT, 1_100_000, 3_000_000))
    assert c.entries == ()
    assert snap.rounded_equity == {"BTC": 1, "ETH": 1, "USDT": 0, "DUST": 0}
    assert snap.rounded_debt == {"BTC": 1, "ETH": 1, "USDT": 1, "DUST": 0}
    assert snap.ignored == 1


def test_largest_amounts_fit(read: Read) -> None:
    # 2^64 - 1 units of USDT is 18446744073709.551615; the debt rounds down to it.
    snap = read(HEADER + "a,USDT,18446744073709.551615,18446744073709.5516159\n")
    (account,) = snap.accounts()
    assert account.entries == ((USDT, MAX64, MAX64),)


def test_parse_debt() -> None:
    assert parse_debt("1.5", 2) == (150, False)
    assert parse_debt("1.509", 2) == (150, True)
    assert parse_debt("1.500", 2) == (150, False)
    assert parse_debt("0" * 5000 + "7", 0) == (7, False)
    assert parse_debt(f"{MAX64}.99", 0) == (MAX64, True)
    for bad, reason in [
        ("-1", "negative"),
        ("-0", "signed"),
        ("1e5", "malformed"),
        ("", "empty"),
        (f"{MAX64 + 1}", "does not fit 64 bits"),
    ]:
        with pytest.raises(ValueError, match=reason):
            parse_debt(bad, 0)


def test_amounts_are_exact_64_bit_values_in_the_store(tmp_path: Path) -> None:
    store = LongStore(tmp_path)
    try:
        store.add(2, "a", "a", 0, MAX64, 1 << 63)
        store.add(3, "a", "a", 1, 0, (1 << 63) - 1)
        store.flush()
        store.finish()
        (account,) = store.accounts()
        assert account.entries == ((0, MAX64, 1 << 63), (1, 0, (1 << 63) - 1))
    finally:
        store.close()
    assert not store.path.exists()


def test_the_store_file_is_deleted_on_close(tmp_path: Path, registry: Registry) -> None:
    snap = read_liabilities2(write(tmp_path, HEADER + "a,BTC,1,0\n"), registry, tmp_path)
    assert len(list(tmp_path.glob(f"{ingest2.PREFIX}*"))) == 1
    snap.close()
    assert not list(tmp_path.glob(f"{ingest2.PREFIX}*"))


def test_remove_stale(tmp_path: Path) -> None:
    (tmp_path / f"{ingest2.PREFIX}x{ingest2.SUFFIX}").write_bytes(b"")
    ingest2.remove_stale(tmp_path)
    assert not list(tmp_path.iterdir())


# --- bad files: the file and the header ---------------------------------------------------------


def test_missing_file(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "liabilities.csv"
    with pytest.raises(InputError) as info:
        read_liabilities2(path, registry, tmp_path)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), None, None)
    assert "cannot read" in str(info.value)


def test_empty_file(error: Error) -> None:
    error("", 1, "header", "empty file")


def test_header_only_has_no_accounts(error: Error) -> None:
    error(HEADER, None, None, "no accounts")


@pytest.mark.parametrize(
    "header",
    [
        "user_id,BTC,ETH,USDT",  # the zkpor/1 wide format
        "account,asset,equity",
        "account,asset,equity,debt,note",
        "account,asset,debt,equity",
        "Account,asset,equity,debt",
        "account, asset,equity,debt",
        "alice,BTC,1,0",  # no header at all
    ],
)
def test_header_must_be_exact(error: Error, header: str) -> None:
    err = error(header + "\nalice,BTC,1,0\n", 1, "header", "must be exactly")
    assert "alice" not in str(err)


def test_bad_utf8_in_the_header(error: Error) -> None:
    error(b"\xef\xbb\xbfaccount,asset\xff,equity,debt\n", 1, None, "invalid UTF-8")


def test_bad_utf8_names_the_line(error: Error) -> None:
    content = (HEADER + "a,BTC,0,0\nb,BTC,0,0\n").encode() + b"caf\xe9,BTC,0,0\n"
    error(content, 4, None, "invalid UTF-8 (byte 0xe9)")


def test_malformed_csv_quoting(error: Error) -> None:
    error(HEADER + 'a,BTC,1,0\n"b"x,BTC,1,0\n', 3, None, "malformed CSV")


def test_blank_line(error: Error) -> None:
    error(HEADER + "a,BTC,1,0\n\nb,BTC,1,0\n", 3, None, "empty row")


def test_too_many_cells(error: Error) -> None:
    error(HEADER + "a,BTC,1,0,5\n", 2, None, "too many cells: expected 4")


def test_too_few_cells(error: Error) -> None:
    error(HEADER + "a,BTC,1\n", 2, None, "too few cells: expected 4")


# --- bad files: account -------------------------------------------------------------------------


def test_empty_account(error: Error) -> None:
    error(HEADER + "a,BTC,1,0\n,BTC,1,0\n", 3, "account", "empty account id")


def test_account_with_surrounding_whitespace(error: Error) -> None:
    error(HEADER + "alice ,BTC,1,0\n", 2, "account", "leading or trailing whitespace")


@pytest.mark.parametrize(
    ("account", "code"),
    [("a\x00b", "U+0000"), ("a\u200bb", "U+200B"), ("a\u202eb", "U+202E"), ("a\u00a0b", "U+00A0")],
)
def test_account_with_control_or_invisible_character(error: Error, account: str, code: str) -> None:
    error(HEADER + f"ok,BTC,1,0\n{account},BTC,1,0\n", 3, "account", code)


def test_account_too_long(error: Error, read: Read) -> None:
    error(HEADER + "é" * 129 + ",BTC,1,0\n", 2, "account", "258 bytes")
    assert len(read(HEADER + "é" * 128 + ",BTC,1,0\n")) == 1


def test_an_account_spelled_two_ways_names_both_lines(error: Error) -> None:
    composed, decomposed = "jos\u00e9", "jose\u0301"  # both print as "josé"
    content = HEADER + f"{composed},BTC,1,0\nx,BTC,1,0\n{decomposed},ETH,1,0\n"
    err = error(content, 4, "account", "the account of line 2, spelled differently")
    assert composed not in str(err) and decomposed not in str(err)


def test_a_respelled_account_before_a_bad_row_is_the_error_reported(error: Error) -> None:
    content = HEADER + "jose\u0301,BTC,1,0\njos\u00e9,ETH,1,0\nx,BTC,oops,0\n"
    error(content, 3, "account", "the account of line 2")


def test_the_same_non_nfc_spelling_twice_is_one_account(read: Read) -> None:
    snap = read(HEADER + "jose\u0301,BTC,1,0\njose\u0301,ETH,1,0\n")
    (account,) = snap.accounts()
    assert account.account == "jose\u0301" and len(account.entries) == 2


# --- bad files: asset ---------------------------------------------------------------------------


def test_unknown_asset(error: Error) -> None:
    error(HEADER + "a,BTC,1,0\na,DOGE,1,0\n", 3, "asset", "'DOGE' is not a registry asset")


@pytest.mark.parametrize("asset", ["btc", "BTC ", "", "12.5", "alice"])
def test_asset_matched_exactly_and_not_quoted_unless_a_symbol(error: Error, asset: str) -> None:
    err = error(HEADER + f"a,{asset},1,0\n", 2, "asset", "not a registry asset")
    if asset:
        assert repr(asset) not in str(err)


def test_repeated_pair_names_both_lines(error: Error) -> None:
    content = HEADER + "a,BTC,1,0\nb,BTC,1,0\na,ETH,1,0\na,BTC,2,0\n"
    error(content, 5, "asset", "repeated account and asset: the same pair is on line 2")


def test_a_repeated_all_zero_pair_is_still_an_error(error: Error) -> None:
    error(HEADER + "a,BTC,0,0\na,BTC,1,0\n", 3, "asset", "same pair is on line 2")


def test_a_pair_repeated_in_a_later_chunk_names_both_lines(
    error: Error, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest2, "CHUNK", 16)
    rows = [f"u{i},BTC,1,0\n" for i in range(100)]
    rows[60] = "u5,BTC,2,0\n"  # line 62; u5's first row is line 7
    error(HEADER + "".join(rows), 62, "asset", "same pair is on line 7")


def test_a_repeated_pair_spelled_differently(error: Error) -> None:
    # The pair repeats and the spelling differs: the earlier problem is the repeated
    # pair's line itself (line 3); the respelling is on the same line.
    content = HEADER + "jos\u00e9,BTC,1,0\njose\u0301,BTC,1,0\n"
    error(content, 3, "asset", "same pair is on line 2")


def test_a_repeated_pair_before_a_bad_row_is_the_error_reported(error: Error) -> None:
    content = HEADER + "a,BTC,1,0\na,BTC,1,0\nb,BTC,-1,0\n"
    error(content, 3, "asset", "same pair is on line 2")


# --- bad files: amounts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("equity", "reason"),
    [
        ("-1", "negative"),
        ("-0", "signed"),
        ("", "empty"),
        ("1e5", "malformed"),
        ("1,000", "malformed"),
        ("٣", "malformed"),
        ("184467440737.09551616", "does not fit 64 bits"),
        ("184467440737.095516151", "does not fit 64 bits"),  # rounds up past 2^64 - 1
    ],
)
def test_bad_equity(error: Error, equity: str, reason: str) -> None:
    cell = f'"{equity}"' if "," in equity else equity
    error(HEADER + f"a,BTC,1,0\na,ETH,{cell},0\n", 3, "equity", reason)


@pytest.mark.parametrize(
    ("debt", "reason"),
    [
        ("-1", "negative"),
        ("-0", "signed"),
        ("", "empty"),
        ("0x10", "malformed"),
        ("1.2.3", "malformed"),
        ("184467440737.09551616", "does not fit 64 bits"),
    ],
)
def test_bad_debt(error: Error, debt: str, reason: str) -> None:
    error(HEADER + f"a,BTC,1,0\na,ETH,1,{debt}\n", 3, "debt", reason)


def test_the_first_bad_cell_in_column_order(error: Error) -> None:
    error(HEADER + "a,ETH,x,y\n", 2, "equity", "malformed")


def test_debt_in_a_zero_priced_asset(error: Error, read: Read) -> None:
    error(HEADER + "a,USDT,100,0\na,DUST,0,1\n", 3, "debt", "registry price is 0")
    # Equity in it is fine (worth nothing as collateral), and so is a debt rounded to 0.
    snap = read(HEADER + "a,DUST,5,0.001\n")
    assert next(snap.accounts()).entries == ((DUST, 500, 0),)


def test_totals_overflow_96_bits(error: Error, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest2, "TOTAL_LIMIT", 10**9 + 1)
    content = HEADER + "a,ETH,0.5,0\nb,ETH,0.5,0\nc,ETH,0.000000001,0\n"
    error(content, 4, "equity", "the total equity of ETH up to this row does not fit 96 bits")
    content = HEADER + "a,ETH,0,0.5\nb,ETH,0,0.5\nc,ETH,0,0.000000001\n"
    error(content, 4, "debt", "the total debt of ETH")


def test_errors_never_quote_an_account_or_an_amount(error: Error) -> None:
    err = error(HEADER + "secret-id,ETH,12.34x,0\n", 2, "equity", "malformed")
    assert "secret-id" not in str(err) and "12.34x" not in str(err)


# --- the collateral check -----------------------------------------------------------------------

# Unit prices in value units (10^-8 USD): a satoshi is worth 50000, a gwei 200, a
# micro-USDT 100. BTC counts 100% up to 1,000,000 USD (20 BTC), 50% beyond; ETH 80%.


def test_unit_prices(registry: Registry) -> None:
    assert registry.value_decimals == 8
    assert [a.unit_price for a in registry.assets] == [50_000, 200, 100, 0]


def test_collateral_check_exactly_at_the_limit(registry: Registry) -> None:
    # 0.0625 ETH = 125 USD, at 80%: 100 USD of collateral against 100 USDT of debt.
    entries = [(ETH, 62_500_000, 0), (USDT, 0, 100_000_000)]
    assert collateral_check(entries, registry) == (10**12, 10**12, True)
    entries = [(ETH, 62_500_000, 0), (USDT, 0, 100_000_001)]
    assert collateral_check(entries, registry)[2] is False


def test_collateral_check_across_tiers(registry: Registry) -> None:
    # 30 BTC = 1,500,000 USD: 1,000,000 at 100% + 500,000 at 50% = 1,250,000 USD.
    entries = [(BTC, 30 * 10**8, 0), (USDT, 0, 1_250_000 * 10**6)]
    collateral, debt, ok = collateral_check(entries, registry)
    assert collateral == debt == 125 * 10**14 and ok
    entries = [(BTC, 30 * 10**8, 0), (USDT, 0, 1_250_000 * 10**6 + 1)]
    assert not collateral_check(entries, registry)[2]


def test_collateral_check_under_collateralised(registry: Registry) -> None:
    # 1 ETH (2,000 USD, 1,600 at 80%) against 1,700 USDT.
    entries = [(ETH, 10**9, 0), (USDT, 0, 1700 * 10**6)]
    assert collateral_check(entries, registry) == (160_000 * 10**8, 170_000 * 10**8, False)
    # Borrowing the asset one holds: 1 BTC against 0.9 BTC passes, 1.1 BTC does not.
    assert collateral_check([(BTC, 10**8, 9 * 10**7)], registry)[2]
    assert not collateral_check([(BTC, 10**8, 11 * 10**7)], registry)[2]


def test_collateral_check_debt_with_no_collateral(registry: Registry) -> None:
    assert collateral_check([(USDT, 0, 1)], registry) == (0, 100 * 100, False)
    # Equity in an asset with a 0% table, or priced 0, is no collateral either.
    assert not collateral_check([(DUST, 10**6, 0), (USDT, 0, 1)], registry)[2]
    assert collateral_check([], registry) == (0, 0, True)


def test_collateral_check_agrees_with_exact_arithmetic(registry: Registry) -> None:
    rng = random.Random(13)
    for _ in range(200):
        entries = [
            (
                index,
                rng.randrange(10 ** rng.randrange(1, 13)),
                rng.randrange(10 ** rng.randrange(1, 12)),
            )
            for index in sorted(rng.sample(range(3), rng.randrange(1, 4)))
        ]
        collateral, debt, ok = collateral_check(entries, registry)
        # Exact, in USD: BTC's boundary (20 BTC) falls on a whole satoshi here.
        exact_collateral = Fraction(0)
        exact_debt = Fraction(0)
        for index, equity, owed in entries:
            asset = registry.assets[index]
            value = Fraction(equity * asset.price, 10**asset.decimals * 10**8)
            if index == BTC:
                above = max(value - 10**6, Fraction(0))
                exact_collateral += min(value, Fraction(10**6)) + above / 2
            else:
                exact_collateral += value * Fraction([100, 80, 100][index], 100)
            exact_debt += Fraction(owed * asset.price, 10**asset.decimals * 10**8)
        assert Fraction(collateral, 100 * 10**8) == exact_collateral
        assert Fraction(debt, 100 * 10**8) == exact_debt
        assert ok == (exact_collateral >= exact_debt)


def test_shortfalls_and_check_collateral_name_the_account(read: Read) -> None:
    content = HEADER + (
        "ok,ETH,0.0625,0\n"  # line 2
        "short,USDT,0,5\n"  # line 3: debt with no collateral
        "ok,USDT,0,100\n"  # line 4: exactly at the limit
        "thin,ETH,1,0\n"  # line 5
        "short,BTC,0,0.0001\n"  # line 6
        "thin,USDT,0,1700\n"  # line 7: 1,600 USD of collateral
    )
    snap = read(content)
    shortfalls = list(snap.shortfalls())
    assert [(s.account.account, s.account.line) for s in shortfalls] == [("short", 3), ("thin", 5)]
    assert shortfalls[1].collateral_x100 == 160_000 * 10**8
    assert shortfalls[1].debt_value_x100 == 170_000 * 10**8
    with pytest.raises(InputError) as info:
        snap.check_collateral()
    err = info.value
    assert (err.file, err.line, err.field) == (snap.file, 3, "account")
    assert "under-collateralised" in str(err) and "rows on lines 6, 3" in str(err)
    assert "short" not in str(err).split(": ", 2)[-1].replace("under-collateralised", "")


def test_check_collateral_passes_a_collateralised_snapshot(read: Read) -> None:
    snap = read(HEADER + "a,ETH,0.0625,0\na,USDT,0,100\nb,BTC,1,0\n")
    snap.check_collateral()
    assert list(snap.shortfalls()) == []


# --- streaming: 1,000 assets ----------------------------------------------------------------------


def big_registry(tmp_path: Path, assets: int) -> Registry:
    text = REGISTRY.split("[[assets]]", 1)[0] + (
        '[[tier_tables]]\nname = "t"\ntiers = [[0, 100], [1000, 90]]\n\n'
    )
    text += "".join(
        f'[[assets]]\nsymbol = "A{i}"\ndecimals = 6\nprice = "{i % 7 + 1}.25"\ntable = "t"\n'
        for i in range(assets)
    )
    path = tmp_path / "registry.toml"
    path.write_text(text, encoding="utf-8")
    return load_registry(path)


def test_a_thousand_assets_stream_through_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n_assets, n_accounts, chunk = 1000, 6, 250
    registry = big_registry(tmp_path, n_assets)
    rng = random.Random(5)
    rows = [
        (f"acct{a}", f"A{i}", f"{rng.randrange(10**6)}.{rng.randrange(10**6):06d}", "0")
        for a in range(n_accounts)
        for i in range(n_assets)
    ]
    rng.shuffle(rows)  # every account's rows spread over the whole file
    path = tmp_path / "liabilities.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        csv.writer(out, lineterminator="\n").writerows(rows)

    # What holding the rows would cost: the file read into a list.
    tracemalloc.start()
    with path.open(encoding="utf-8") as source:
        held = list(csv.reader(source))
    holding = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del held

    # The store never queues more than a chunk of rows.
    monkeypatch.setattr(ingest2, "CHUNK", chunk)
    most = 0
    add = LongStore.add

    def counting_add(self: LongStore, *args: int | str) -> None:
        nonlocal most
        add(self, *args)  # type: ignore[arg-type]
        most = max(most, self.pending())

    monkeypatch.setattr(LongStore, "add", counting_add)
    tracemalloc.start()
    snap = read_liabilities2(path, registry, tmp_path)
    reading = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with snap:
        assert most == chunk - 1
        assert reading < holding / 3, (reading, holding)
        assert len(snap) == n_accounts and snap.rows == n_assets * n_accounts
        total = [0] * n_assets
        for account in snap.accounts():
            assert [index for index, _, _ in account.entries] == list(range(n_assets))
            for index, equity, _ in account.entries:
                total[index] += equity
            assert collateral_check(account.entries, registry)[2]
        assert tuple(total) == snap.equity_totals


def test_no_query_of_the_store_sorts_or_builds_a_temporary_table(read: Read) -> None:
    """The rows hold balances: no statement may need a temporary B-tree, which SQLite
    would spill to its temporary folder outside --private (``temp_store = MEMORY`` keeps
    one in memory anyway). Each statement the store runs is planned, as run."""
    snap = read("account,asset,equity,debt\nalice,BTC,1,0\nbob,ETH,2,0\nalice,ETH,0,0.5\n")
    db = snap.store.db
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    snap.store.finish()
    list(snap.accounts())
    snap.account(1)
    snap.store.spelling_conflict()
    db.set_trace_callback(None)
    planned = [sql for sql in statements if sql.lstrip().upper().startswith(("SELECT", "INSERT"))]
    assert len(planned) >= 4, statements
    for sql in planned:
        plan = " | ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "TEMP B-TREE" not in plan, (sql, plan)
    assert db.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
