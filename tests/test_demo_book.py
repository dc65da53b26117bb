"""``publisher.demo_book``: the synthetic zkpor/2 book of ``zkpor demo`` (its default).

The generator's promises, checked on the files it writes through the readers
``zkpor prove`` uses (``load_registry``, ``read_liabilities2``): the registry loads (every
unit price fits 64 bits), about 120 assets with prices and shared tables of at most 4
tiers; 1,000 accounts with heavy-tailed holdings (a few holding 100 or more assets), about
10% margin accounts with debts in 1 to 3 assets, every account collateralised; and the
failure variant, refused by ``zkpor prove --registry`` at the under-collateralised
account's first line. Two slow tests run the whole demo on a small book: with
development keys, and with a local ceremony per shape. Then the reserves (each positive net
liability covered at 105%), the pinned auditor, and the command itself on a small book:
all nine steps, codes and site; its flags per format; ``--under-collateralised``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher import demo_book
from publisher.attest.ingest2 import Account2, collateral_check, read_liabilities2
from publisher.attest.registry import Registry, load_registry
from publisher.cli import prove as cli_prove
from publisher.cli.main import app
from publisher.config import load_config2
from publisher.demo import DEMO_AUDITOR, demo_auditor_key
from publisher.demo_book import (
    BOOK_SHAPES,
    MAX_SCALE,
    TIER_TABLES,
    BookInputs,
    _check_written,
    book_assets,
    book_wallets,
    config_toml,
    generate_book,
    reserves_config,
    run_book_demo,
    summary_lines,
    write_book_inputs,
    write_book_reserves,
)
from publisher.errors import InputError, PipelineError
from publisher.reserves.ingest import read_reserves
from verifier.book import AMOUNT_LIMIT
from verifier.segregation import CUSTOMER

USERS = 1000


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> BookInputs:
    return write_book_inputs(tmp_path_factory.mktemp("book"), USERS, seed=1)


@pytest.fixture(scope="module")
def registry(inputs: BookInputs) -> Registry:
    return load_registry(inputs.registry)


@pytest.fixture(scope="module")
def accounts(inputs: BookInputs, registry: Registry) -> list[Account2]:
    with read_liabilities2(inputs.liabilities, registry) as snapshot:
        return list(snapshot.accounts())


def _debts(account: Account2) -> int:
    return sum(1 for _, _, debt in account.entries if debt)


# --- the registry ------------------------------------------------------------------------


def test_the_registry_loads_with_120_priced_assets(registry: Registry) -> None:
    assert len(registry) == 120 >= 40
    symbols = [a.symbol for a in registry.assets]
    assert symbols[:5] == ["BTC", "ETH", "USDT", "USDC", "SOL"]
    assert len(set(symbols)) == len(symbols)
    assert registry.quote_symbol == "USD"
    assert "not market data" in registry.price_source
    # every unit price fits 64 bits (load_registry refuses otherwise); one delisted token
    assert all(0 <= a.unit_price < AMOUNT_LIMIT for a in registry.assets)
    assert sum(1 for a in registry.assets if a.price == 0) == 1
    assert registry.value_decimals - registry.quote_decimals <= MAX_SCALE


def test_decimals_span_2_to_18(registry: Registry) -> None:
    decimals = {a.decimals for a in registry.assets}
    assert min(decimals) == 2
    assert max(decimals) == 18
    assert len(decimals) >= 6


def test_shared_tier_tables_of_at_most_4_tiers(registry: Registry) -> None:
    assert len(registry.tables) == len(TIER_TABLES)
    assert max(len(t.ratios) for t in registry.tables) == 4
    ratios = {t.ratios for t in registry.tables}
    assert (100, 95, 80, 50) in ratios  # majors
    assert (0,) in ratios  # illiquid tokens count for nothing
    assert (40,) in ratios  # a flat haircut
    by_symbol = {a.symbol: registry.tables[a.table].ratios for a in registry.assets}
    assert by_symbol["BTC"] == (100, 95, 80, 50)
    assert by_symbol["USDT"] == (100, 98, 90)
    # every asset has a tier table in equity units for the circuit
    assert all(a.tiers.price == a.unit_price for a in registry.assets)


def test_every_asset_count_gives_a_loadable_registry(tmp_path: Path) -> None:
    for count, seed in ((40, 2), (64, 3), (300, 4)):
        path = tmp_path / f"registry-{count}.toml"
        book = generate_book(20, seed, assets=count, whales=0)
        path.write_text(book.registry_toml)
        assert len(load_registry(path)) == count
    with pytest.raises(ValueError, match="1024 assets"):
        book_assets(1, 30)


# --- the accounts ------------------------------------------------------------------------


def test_1000_accounts_with_unicode_ids(accounts: list[Account2]) -> None:
    assert len(accounts) == USERS
    assert len({a.account for a in accounts}) == USERS
    assert sum(1 for a in accounts if not a.account.isascii()) > USERS // 4
    assert any("," in a.account for a in accounts)  # quoted in the CSV


def test_holdings_are_heavy_tailed(accounts: list[Account2]) -> None:
    held = Counter(len(a.entries) for a in accounts)
    small = sum(n for k, n in held.items() if 1 <= k <= 4)
    middle = sum(n for k, n in held.items() if 5 <= k <= 16)
    whales = sum(n for k, n in held.items() if k >= 100)
    assert small >= 0.75 * USERS
    assert 0.05 * USERS <= middle <= 0.2 * USERS
    assert 3 <= whales <= 5
    # nothing between the 16-slot and the whales' shape, nothing beyond 128 slots
    assert not [k for k in held if 16 < k < 100 or k > BOOK_SHAPES[-1][0]]


def test_some_accounts_hold_only_zero_rows(inputs: BookInputs, accounts: list[Account2]) -> None:
    empty = [a for a in accounts if not a.entries]
    assert 0.02 * USERS <= len(empty) <= 0.06 * USERS
    rows = inputs.liabilities.read_text().splitlines()
    assert all(rows[a.line - 1].endswith(",0,0") for a in empty)


def test_about_10_percent_margin_accounts_owing_1_to_3_assets(
    inputs: BookInputs, accounts: list[Account2]
) -> None:
    margin = [a for a in accounts if _debts(a)]
    assert 0.08 * USERS <= len(margin) <= 0.12 * USERS
    assert {_debts(a) for a in margin} == {1, 2, 3}
    assert len(margin) == len(inputs.book.margin)


def test_every_account_is_collateralised(inputs: BookInputs, registry: Registry) -> None:
    with read_liabilities2(inputs.liabilities, registry) as snapshot:
        assert list(snapshot.shortfalls()) == []
        snapshot.check_collateral()
        # equity rounded up and debt rounded down (ETH written with 18 decimals, kept at 9)
        assert snapshot.rounded_equity["ETH"] > 0
        assert snapshot.rounded_debt["ETH"] > 0
        assert snapshot.ignored > 0


def test_some_margin_accounts_sit_near_their_limit(
    accounts: list[Account2], registry: Registry
) -> None:
    ratios = []
    for account in accounts:
        collateral, debt, ok = collateral_check(account.entries, registry)
        assert ok
        if debt:
            ratios.append(debt / collateral)
    assert max(ratios) > 0.97
    assert min(ratios) < 0.5


def test_the_written_files_are_read_back_as_prove_reads_them(inputs: BookInputs) -> None:
    _check_written(inputs.registry, inputs.liabilities, inputs.book)
    # a book that claims an under-collateralised account the file does not have
    claimed = replace(inputs.book, bad_line=5)
    expected = r"under-collateralised on lines \[\] \(expected \[5\]\)"
    with pytest.raises(PipelineError, match=expected):
        _check_written(inputs.registry, inputs.liabilities, claimed)


def test_the_generator_is_deterministic() -> None:
    first, again = generate_book(200, seed=5), generate_book(200, seed=5)
    assert first.csv_text == again.csv_text
    assert first.registry_toml == again.registry_toml
    assert generate_book(200, seed=6).csv_text != first.csv_text


def test_config_declares_the_demo_shapes(inputs: BookInputs) -> None:
    config = load_config2(inputs.config)
    assert config.arity == 4
    assert [(s.slots, s.batch_depth) for s in config.shapes] == list(BOOK_SHAPES)
    assert config.attestation_id == "demo-book-2026-11-21"
    assert "synthetic" in config.issuer_name
    assert "slots = 16\nbatch_depth = 0\n" in config_toml(((16, 0),))


# --- the failure variant -----------------------------------------------------------------


@pytest.fixture(scope="module")
def failure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BookInputs]:
    yield write_book_inputs(tmp_path_factory.mktemp("bad"), USERS, 1, under_collateralised=True)


def test_the_failure_variant_has_one_under_collateralised_account(
    failure: BookInputs, registry: Registry
) -> None:
    with read_liabilities2(failure.liabilities, registry) as snapshot:
        (shortfall,) = list(snapshot.shortfalls())
        assert shortfall.account.line == failure.book.bad_line
        assert shortfall.debt_value_x100 > shortfall.collateral_x100
        with pytest.raises(InputError) as refused:
            snapshot.check_collateral()
    error = refused.value
    assert (error.file, error.line, error.field) == (
        str(failure.liabilities),
        failure.book.bad_line,
        "account",
    )
    assert "under-collateralised" in str(error)


def test_the_failure_variant_changes_one_account_only(inputs: BookInputs) -> None:
    bad = generate_book(USERS, 1, under_collateralised=True)
    good = inputs.book
    changed = [
        i for i, (a, b) in enumerate(zip(good.accounts, bad.accounts, strict=True)) if a != b
    ]
    assert len(changed) == 1
    assert bad.first_lines == good.first_lines
    assert bad.first_lines[changed[0]] == bad.bad_line
    # the same file but for the one debt row that grew
    lines = zip(good.csv_text.splitlines(), bad.csv_text.splitlines(), strict=True)
    (differing,) = [n for n, (a, b) in enumerate(lines, start=1) if a != b]
    (row,) = csv.reader([bad.csv_text.splitlines()[differing - 1]])
    assert row[0] == good.accounts[changed[0]].account


def test_zkpor_prove_refuses_the_failure_variant_naming_file_and_line(
    failure: BookInputs, tmp_path: Path
) -> None:
    out, private = tmp_path / "attestation", tmp_path / "private"
    result = CliRunner().invoke(
        app,
        [
            "prove",
            "--registry",
            str(failure.registry),
            "--liabilities",
            str(failure.liabilities),
            "--config",
            str(failure.config),
            "--out",
            str(out),
            "--private",
            str(private),
            "--insecure-dev-setup",
        ],
    )
    assert result.exit_code == 2, result.output
    assert f"{failure.liabilities}:{failure.book.bad_line}: account: under-collateralised" in (
        result.output
    )
    assert not out.exists()
    assert not private.exists()


# --- the whole demo ----------------------------------------------------------------------


#: Small circuits for the end-to-end tests: 4 slots in batches of 4, 16 slots alone.
SMALL_SHAPES = ((4, 1), (16, 0))


@pytest.mark.slow
def test_a_small_book_demo_proves_and_verifies(tmp_path: Path) -> None:
    """40 accounts, 40 assets, no whale, small shapes, development keys: every step of
    ``zkpor verify`` passes, and the failure variant is refused first."""
    logged: list[str] = []
    demo = run_book_demo(
        tmp_path / "demo",
        users=40,
        seed=3,
        insecure_dev_setup=True,
        under_collateralised=True,
        assets=40,
        whales=0,
        shapes=SMALL_SHAPES,
        log=logged.append,
    )
    assert demo.passed, [(r.name, r.detail) for r in demo.results if r.status != "OK"]
    assert [r.name for r in demo.results][:5] == [
        "manifest and file hashes",
        "verification keys",
        "batch proofs",
        "totals",
        "trees",
    ]
    assert demo.refusal is not None
    assert demo.refusal.line == generate_book(40, 3, 40, 0, True).bad_line
    assert any("refused" in line for line in logged)
    assert demo.keys is None
    assert [(f.slots, f.batch_size) for f in demo.shapes] == [(4, 4), (16, 1)]
    assert sum(f.accounts for f in demo.shapes) == 40
    assert set(demo.seconds) == set(demo.cpu_seconds) == {"inputs", "setup", "prove", "verify"}
    assert demo.cpu_seconds["prove"] > 0  # the prover processes' CPU is counted
    lines = summary_lines(demo)
    assert len(lines) == 3
    assert lines[0].startswith("  zkpor2-a40-t4-s4-k4-d1: ")
    for figures in demo.shapes:
        assert figures.domain >= figures.constraints
        assert figures.batches == -(-figures.accounts // figures.batch_size)
    manifest = json.loads((demo.attestation / "attestation.json").read_text())
    assert manifest["format"] == "zkpor/2"
    assert manifest["setup"]["kind"] == "insecure-dev"
    assert len(manifest["registry"]["assets"]) == 40
    # secrets stay in private/
    assert (demo.private / "codes.csv").exists()
    assert not (demo.attestation / "codes.csv").exists()
    with pytest.raises(PipelineError, match="already exists"):
        run_book_demo(tmp_path / "demo", users=40, insecure_dev_setup=True)


@pytest.mark.slow
def test_a_small_book_demo_with_a_ceremony_per_shape(tmp_path: Path) -> None:
    """The same with a local ceremony per shape (3 contributions and the beacon each),
    two at a time in worker processes: the setup step passes for every shape."""
    logged: list[str] = []
    demo = run_book_demo(
        tmp_path / "demo",
        users=24,
        seed=4,
        assets=40,
        whales=0,
        shapes=SMALL_SHAPES,
        workers=2,
        parallel_setup=2,
        log=logged.append,
        cache=tmp_path / "cache",
    )
    assert demo.passed, [(r.name, r.detail) for r in demo.results if r.status != "OK"]
    assert demo.keys == tmp_path / "demo" / "keys"
    ids = [f.circuit_id for f in demo.shapes]
    assert ids == ["zkpor2-a40-t4-s4-k4-d1", "zkpor2-a40-t4-s16-k4-d0"]
    for circuit in ids:
        assert (demo.keys / circuit / "transcript.json").exists()
        done = [line for line in logged if f"done: {circuit}: contribution" in line]
        assert len(done) == 3  # alice, bob, carol
    manifest = json.loads((demo.attestation / "attestation.json").read_text())
    assert manifest["setup"]["kind"] == "ceremony"
    assert sorted(n for n in manifest["files"] if n.startswith("ceremony-")) == [
        "ceremony-s16.json",
        "ceremony-s4.json",
    ]
    (setup,) = [r for r in demo.results if r.name == "trusted setup"]
    assert "alice, bob, carol" in setup.detail


# --- reserves and the command ------------------------------------------------------------


def test_the_reserves_cover_each_positive_net_liability_at_105_percent(
    inputs: BookInputs, registry: Registry, tmp_path: Path
) -> None:
    config = load_config2(inputs.config)
    with read_liabilities2(inputs.liabilities, registry) as snapshot:
        equity, debt = snapshot.equity_totals, snapshot.debt_totals
    path, wallets = write_book_reserves(tmp_path, config, registry, equity, debt)
    assert path == tmp_path / "reserves.csv"
    net = {a.symbol: e - d for a, e, d in zip(registry.assets, equity, debt, strict=True)}
    covered = {w.asset: w for w in wallets}
    assert len(covered) == len(wallets)  # one wallet per asset
    assert set(covered) == {symbol for symbol, owed in net.items() if owed > 0}
    # an asset that nets to zero or below has nothing to cover: no wallet
    lent = list(debt)
    lent[0], lent[1] = equity[0], equity[1] + 1
    assert [w.asset for w in book_wallets(registry, equity, lent)][:2] == ["USDT", "USDC"]
    for symbol, wallet in covered.items():
        # 105%, rounded up to a whole unit
        assert 0 <= wallet.balance * 100 - net[symbol] * 105 < 100
        assert wallet.role == CUSTOMER
    assert covered["BTC"].chain == "bitcoin" and covered["SOL"].chain == "solana"
    assert covered["USDT"].chain == "ethereum"
    # the wallets are as `zkpor prove --reserves` reads them: every signature checked
    assert read_reserves(path, reserves_config(config, registry))[0] == wallets


def test_the_book_pins_the_demo_auditor(inputs: BookInputs) -> None:
    (pinned,) = load_config2(inputs.config).cosigners
    assert (pinned.name, pinned.scheme) == (DEMO_AUDITOR, "ed25519")
    assert pinned.key == demo_auditor_key().public_key()


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--under-covered"], "--under-covered is for the zkpor/1 demo: add --format zkpor/1"),
        (
            ["--under-covered", "--segregation-failures"],
            "--under-covered and --segregation-failures are for the zkpor/1 demo",
        ),
        (
            ["--format", "zkpor/2", "--segregation-failures"],
            "--segregation-failures is for the zkpor/1 demo",
        ),
        (
            ["--format", "zkpor/1", "--under-collateralised"],
            "--under-collateralised is the zkpor/2 book's failure variant",
        ),
        (["--format", "zkpor/3"], "--format must be zkpor/2 (the default) or zkpor/1"),
    ],
)
def test_the_demo_flags_must_fit_the_format(tmp_path: Path, flags: list[str], said: str) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--users", "4", *flags])
    assert result.exit_code == 2
    assert f"error: {said}" in " ".join(result.output.split())
    assert not out.exists()


def test_the_book_demo_refuses_an_out_folder_already_used(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--users", "4"])
    assert result.exit_code == 2 and "site already exists" in result.output
    assert not (tmp_path / "input").exists()


def _small_book(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``zkpor demo`` prove a book of 40 assets without whales in ``SMALL_SHAPES``:
    the same code path as the default (120 assets, 3 shapes of 2^16), at a fraction of
    the time."""
    small = partial(run_book_demo, assets=40, whales=0, shapes=SMALL_SHAPES)
    monkeypatch.setattr(cli_prove, "run_book_demo", small)


def _step(output: str, number: int) -> str:
    """Return the report line of step ``number``."""
    return next(line for line in output.splitlines() if line.startswith(f"{number}. "))


def test_zkpor_demo_runs_the_book_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``zkpor demo --users 40 --insecure-dev-setup``: the zkpor/2 book, with reserves
    covering every positive net liability, the pinned auditor's co-signature, all nine
    steps of verify, sample codes and the site."""
    _small_book(monkeypatch)
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--users", "40", "--insecure-dev-setup"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "WARNING: single-party development setup" in text
    assert "PASSED: all 9 checks passed" in text
    assert [_step(text, n)[len(f"{n}. ") :][:4] for n in range(1, 10)] == ["OK: "] * 9
    assert "7. OK: reserves — " in _step(text, 7) and "every asset's net covered" in text
    # 40 assets: the step summarises their ratios rather than listing each one
    assert "every asset's net covered (40 assets, lowest net cover " in _step(text, 7)
    key = demo_auditor_key().public_key()
    assert _step(text, 9) == (
        f"9. OK: co-signatures — co-signed by {DEMO_AUDITOR} (ed25519 key {key}), pinned"
    )
    assert "what it took:" in text and "  zkpor2-a40-t4-s4-k4-d1: " in text
    assert sorted(p.name for p in out.iterdir()) == ["attestation", "input", "private", "site"]
    assert (out / "input" / "reserves.csv").exists()

    attestation = out / "attestation"
    manifest = json.loads((attestation / "attestation.json").read_text())
    assert manifest["format"] == "zkpor/2" and manifest["setup"]["kind"] == "insecure-dev"
    assert "reserves.json" in manifest["files"]
    assert manifest["cosigners"] == [{"name": DEMO_AUDITOR, "scheme": "ed25519", "key": key}]
    for asset in manifest["assets"]:
        if int(asset["net"]) > 0:  # reserves pass against net: 105% each
            assert asset["ratio_net"] == "1.0500", asset
            assert int(asset["reserves"]) >= int(asset["net"])
        else:
            assert asset["ratio_net"] is None
    # a few codes of synthetic accounts, and how to open the site
    with (out / "private" / "codes.csv").open(encoding="utf-8", newline="") as f:
        codes = [row["code"] for row in csv.DictReader(f)]
    assert sum(code in text for code in codes) == 3
    site = out / "site"
    assert (site / "index.html").exists()
    assert f"zkpor site serve {site}" in text
    assert f"zkpor verify {attestation} --allow-insecure-dev-setup" in text
    checked = CliRunner().invoke(app, ["verify", str(attestation), "--allow-insecure-dev-setup"])
    assert checked.exit_code == 0, checked.output


@pytest.mark.slow
def test_zkpor_demo_under_collateralised_shows_prove_refusing_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--under-collateralised``: prove refuses the failure variant naming the file and
    the account's line; the demo then proves the good book and exits 0."""
    _small_book(monkeypatch)
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--users", "40", "--insecure-dev-setup"]
    result = CliRunner().invoke(app, [*args, "--under-collateralised"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    bad = out / "input" / "liabilities-under-collateralised.csv"
    line = generate_book(40, 1, 40, 0, True).bad_line
    assert f"{bad}:{line}: account: under-collateralised" in text
    assert "(--under-collateralised: zkpor prove refused the failure variant" in text
    assert "PASSED: all 9 checks passed" in text
    assert (out / "site" / "index.html").exists()


def test_zkpor_demo_exits_1_unless_prove_refused_the_failure_variant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def accepted(*args: object, **kwargs: object) -> InputError:
        raise PipelineError("prove accepted an under-collateralised account")

    monkeypatch.setattr(demo_book, "_refuse_under_collateralised", accepted)
    _small_book(monkeypatch)
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--users", "40", "--insecure-dev-setup"]
    result = CliRunner().invoke(app, [*args, "--under-collateralised"])
    assert result.exit_code == 1
    assert "error: prove accepted an under-collateralised account" in result.output
    assert not (out / "attestation").exists() and not (out / "site").exists()
