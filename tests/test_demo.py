"""``zkpor demo --format zkpor/1`` (the zkpor/2 book, the default, is tests/test_demo_book.py):
its inputs and shape, its segregated reserves (a wrapped token, a protection fund, a
corporate wallet) and pinned auditor, its local ceremony (the initial-params cache
included), and the whole command, with the ceremony by default and the development setup
only on request, and its failure variant (--segregation-failures)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher import demo
from publisher.ceremony.demo_ptau import DEMO_CONTRIBUTOR, cached_path, write_demo_ptau
from publisher.ceremony.directory import contribute, finalize, init_ceremony, verify_ceremony
from publisher.ceremony.zkey import read_zkey, write_zkey
from publisher.ceremony.zkey_verify import ZkeyMismatch
from publisher.cli import prove as cli_prove
from publisher.cli.main import app
from publisher.config import load_config
from publisher.crypto import NaclBackend
from publisher.demo import (
    CEREMONY_DIR,
    DEMO_AS_OF,
    DEMO_AUDITOR,
    DEMO_WRAPPED,
    KEYS_DIR,
    demo_auditor_key,
    demo_beacon_value,
    write_demo_inputs,
    write_demo_reserves,
)
from publisher.errors import InputError
from publisher.reserves.ingest import COLUMNS, read_reserves
from tests import peers
from tests.tiny_circuit import TINY_ID, tiny_circuit
from verifier.attestation import verify_attestation
from verifier.ceremony import KeyMismatch, parse_transcript
from verifier.cosign import cosign_message
from verifier.fetch import directory_reader
from verifier.manifest import Manifest
from verifier.segregation import CORPORATE, CUSTOMER, PROTECTION_FUND, wrapped_role

runner = CliRunner()


@pytest.fixture(scope="module")
def small_ptau(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ptau") / "p3.ptau"
    write_demo_ptau(path, 3)
    return path


# --- inputs ----------------------------------------------------------------------------


def test_the_demo_proves_batches_of_16_accounts(tmp_path: Path) -> None:
    _, toml = write_demo_inputs(tmp_path, 40, 1)
    config = load_config(toml)
    assert (config.arity, config.batch_depth, config.batch_size, config.pad_to) == (4, 2, 16, 64)
    _, toml = write_demo_inputs(tmp_path, 1000, 1, batch_depth=3)
    assert load_config(toml).batch_size == 64 and load_config(toml).pad_to == 1024


def test_only_the_demo_declares_a_wrapped_token_and_pins_the_auditor(tmp_path: Path) -> None:
    """Benchmarks and other tests write the plain inputs: a pinned co-signer there would
    fail their step 10."""
    _, plain = write_demo_inputs(tmp_path / "plain", 10, 1)
    assert load_config(plain).wrapped == () and load_config(plain).cosigners == ()
    _, toml = write_demo_inputs(tmp_path / "demo", 10, 1, segregated=True)
    config = load_config(toml)
    (token,) = config.wrapped
    assert (token.symbol, token.origin, token.chain, token.decimals) == (
        "ZBTC",
        "BTC",
        "ethereum",
        8,
    )
    assert token.contract == DEMO_WRAPPED.contract and token.supply == 12_5000_0000
    (pinned,) = config.cosigners
    assert (pinned.name, pinned.scheme) == (DEMO_AUDITOR, "ed25519")
    assert pinned.key == demo_auditor_key().public_key()


def test_the_auditor_test_key_is_derived_from_its_label() -> None:
    key = demo_auditor_key()
    assert key == demo_auditor_key("demo-auditor") != demo_auditor_key("another")
    message = cosign_message("demo", "00" * 32, DEMO_AUDITOR)
    signature = bytes.fromhex(key.sign(message))
    assert NaclBackend().ed25519_verify(bytes.fromhex(key.public_key()), message, signature)
    assert not NaclBackend().ed25519_verify(
        bytes.fromhex(key.public_key()), message + b"!", signature
    )


def _demo_reserves(tmp_path: Path, **variant: bool) -> tuple[Path, Path]:
    liabilities, toml = write_demo_inputs(tmp_path, 30, 1, segregated=True)
    return write_demo_reserves(tmp_path, liabilities, toml, **variant), toml


def test_the_demo_reserves_segregate_collateral_fund_and_corporate(tmp_path: Path) -> None:
    path, toml = _demo_reserves(tmp_path)
    assert path.read_text().splitlines()[0] == ",".join(COLUMNS)
    wallets, _ = read_reserves(path, load_config(toml))
    roles = [w.role for w in wallets]
    assert roles.count(CUSTOMER) == len(demo.DEMO_WALLETS)
    (collateral,) = [w for w in wallets if w.role == wrapped_role("ZBTC")]
    assert (collateral.chain, collateral.asset) == ("bitcoin", "BTC")
    assert collateral.balance == 12_5625_0000  # 100.5% of 12.5 ZBTC
    assert [(w.asset, w.role) for w in wallets if w.role in (PROTECTION_FUND, CORPORATE)] == [
        ("USDT", PROTECTION_FUND),
        ("ETH", CORPORATE),
    ]
    customer = {w.address for w in wallets if w.role == CUSTOMER}
    assert collateral.address not in customer  # a dedicated wallet


def test_the_failure_variant_under_backs_and_declares_a_wallet_twice(tmp_path: Path) -> None:
    path, toml = _demo_reserves(tmp_path, under_backed=True)
    wallets, _ = read_reserves(path, load_config(toml))
    (collateral,) = [w for w in wallets if w.role == wrapped_role("ZBTC")]
    assert collateral.balance == 12_1250_0000  # 97% of 12.5 ZBTC
    path, toml = _demo_reserves(tmp_path, under_backed=True, two_roles=True)
    rows = [row.split(",") for row in path.read_text().splitlines()]
    with pytest.raises(InputError) as refused:
        read_reserves(path, load_config(toml))
    # the last row declares a customer wallet again, as ZBTC collateral
    address = rows[-1][2]
    lines = [number for number, row in enumerate(rows, 1) if row[2] == address]
    assert len(lines) == 2 and lines[1] == len(rows)
    assert (rows[lines[0] - 1][-1], rows[-1][-1]) == (CUSTOMER, wrapped_role("ZBTC"))
    assert (refused.value.line, refused.value.field) == (len(rows), "address")
    assert f"declared as customer on line {lines[0]}: a wallet has exactly one role" in str(
        refused.value
    )


def test_the_beacon_value_is_the_stated_hash() -> None:
    stated = hashlib.sha256(f"zkpor demo beacon|{DEMO_AS_OF}|7".encode()).digest()
    assert demo_beacon_value(DEMO_AS_OF, 7) == stated != demo_beacon_value(DEMO_AS_OF, 8)


# --- the initial-params cache ----------------------------------------------------------------


def test_the_initial_zkey_is_reused_from_the_cache(small_ptau: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    said: list[str] = []
    first = init_ceremony(tmp_path / "a", small_ptau, tiny_circuit(), TINY_ID, params_cache=cache)
    second = init_ceremony(
        tmp_path / "b", small_ptau, tiny_circuit(), TINY_ID, log=said.append, params_cache=cache
    )
    assert first == second
    assert any("reusing the initial zkey" in line for line in said)
    assert len(list(cache.iterdir())) == 1
    contribute(tmp_path / "b", "alice")
    finalize(tmp_path / "b", small_ptau, tmp_path / "keys", tiny_circuit())


def test_a_damaged_cached_copy_is_caught(small_ptau: Path, tmp_path: Path) -> None:
    """A cached zkey whose A query was changed: a contributor's check refuses it, and so
    does verify (which recomputes the initial zkey)."""
    cache = tmp_path / "cache"
    init_ceremony(tmp_path / "a", small_ptau, tiny_circuit(), TINY_ID, params_cache=cache)
    (cached,) = cache.iterdir()
    zkey = read_zkey(cached)
    write_zkey(replace(zkey, a_g1=(zkey.a_g1[1], *zkey.a_g1[1:])), cached)  # valid points
    root = tmp_path / "b"
    init_ceremony(root, small_ptau, tiny_circuit(), TINY_ID, params_cache=cache)
    with pytest.raises(KeyMismatch, match="A query is not the one phase 1 gives"):
        contribute(root, "alice", ptau=small_ptau, cs=tiny_circuit())
    contribute(root, "alice")
    with pytest.raises(ZkeyMismatch, match=r"A \(section 5\)"):
        verify_ceremony(root, small_ptau, tiny_circuit())


# --- the command -------------------------------------------------------------------------


#: The small demo's contributors: one is the same code path as three (the ceremony's
#: tests run chains of several), at a third of the time.
SMALL_CONTRIBUTORS = ("alice",)


def quick_zkpor1_demo(out: Path) -> list[str]:
    """Return the arguments of a quick zkpor/1 demo into ``out``: 6 users, one worker, the
    development setup."""
    options = ["--format", "zkpor/1", "--users", "6", "--workers", "1", "--insecure-dev-setup"]
    return ["demo", "--out", str(out), *options]


def _small_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the demo prove batches of 2 accounts of 2 assets (a 2^11 domain) instead of 16
    of 4 (2^14), with one contributor: the same code path, a ceremony ~20 times cheaper.
    The protection fund, held in USDT, is then held in ETH."""

    def write(folder: Path, users: int, seed: int, segregated: bool) -> tuple[Path, Path]:
        return write_demo_inputs(folder, users, seed, 2, 1, segregated)

    monkeypatch.setattr(cli_prove, "write_demo_inputs", write)
    monkeypatch.setattr(demo, "DEMO_ASSETS", demo.DEMO_ASSETS[:2])
    wallets = tuple(w for w in demo.DEMO_WALLETS if w[1] in ("BTC", "ETH"))
    monkeypatch.setattr(demo, "DEMO_WALLETS", wallets)
    segregated = tuple(
        (role, chain, "ETH" if asset == "USDT" else asset, label, share)
        for role, chain, asset, label, share in demo.SEGREGATED_WALLETS
    )
    monkeypatch.setattr(demo, "SEGREGATED_WALLETS", segregated)
    monkeypatch.setattr(demo, "DEMO_CONTRIBUTORS", SMALL_CONTRIBUTORS)
    monkeypatch.setattr(cli_prove, "DEMO_CONTRIBUTORS", SMALL_CONTRIBUTORS)


def test_the_demo_refuses_an_out_folder_already_used(tmp_path: Path) -> None:
    (tmp_path / CEREMONY_DIR).mkdir()
    result = runner.invoke(
        app, ["demo", "--format", "zkpor/1", "--out", str(tmp_path), "--users", "4"]
    )
    assert result.exit_code == 2 and "ceremony already exists" in result.output
    assert not (tmp_path / "input").exists()


@pytest.mark.slow
def test_the_demo_runs_a_ceremony_and_verify_passes_without_the_dev_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_inputs(monkeypatch)
    # A cache of its own: other tests of this worker may have made the power-11 phase 1.
    monkeypatch.setenv("ZKPOR_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "demo"
    result = runner.invoke(
        app, ["demo", "--format", "zkpor/1", "--out", str(out), "--users", "6", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    text = result.output
    assert "done: phase 1 of power 11 (single party, demo only)" in text
    assert "made by one party (zkpor, on this machine) for demos only" in text
    for stage in ("init", *(f"contribution by {name}" for name in SMALL_CONTRIBUTORS)):
        assert f"done: {stage}" in text
    for stage in ("beacon", "verify (as snarkjs zkey verify, and the header) and finalize"):
        assert f"done: {stage}" in text
    assert "9. OK: trusted setup — vk.json is the key the ceremony's header fixed" in text
    assert "ACCEPTED ONLY BECAUSE ASKED (--allow-unknown-phase1)" in text
    assert "development setup" not in text and "--allow-insecure-dev-setup" not in text
    assert f"zkpor ceremony verify {out / CEREMONY_DIR} --ptau" in text

    attestation = out / "attestation"
    manifest = json.loads((attestation / "attestation.json").read_text())
    assert manifest["setup"]["kind"] == "ceremony"
    transcript = parse_transcript((attestation / "ceremony" / "transcript.json").read_bytes())
    names = [c.name for c in transcript.contributions]
    assert names == [*SMALL_CONTRIBUTORS, demo.DEMO_BEACON_NAME]
    assert transcript.header.ptau.contributors == (DEMO_CONTRIBUTOR,)
    # snarkjs accepts the demo ceremony's final key, and so does the --ptau step
    ptau = cached_path(11)
    keys = out / KEYS_DIR
    said = peers.snarkjs("zkey", "verify", keys / "circuit.r1cs", ptau, keys / "final.zkey")
    assert said.code == 0 and "ZKey Ok!" in said.output, said.output
    with_ptau = runner.invoke(
        app, ["verify", str(attestation), "--allow-unknown-phase1", "--ptau", str(ptau)]
    )
    assert with_ptau.exit_code == 0, with_ptau.output
    assert "11. OK: key from phase 1 (--ptau)" in with_ptau.output

    # a reviewer without the flag: the demo's own phase 1 is not a public one
    checked = runner.invoke(app, ["verify", str(attestation)])
    assert checked.exit_code == 1 and "9. FAIL: trusted setup" in checked.output, checked.output
    assert "not a known public Powers of Tau file" in checked.output
    checked = runner.invoke(app, ["verify", str(attestation), "--allow-unknown-phase1"])
    assert checked.exit_code == 0 and "9. OK: trusted setup" in checked.output, checked.output

    # the demo also builds the site, and says how to open it
    site = out / "site"
    assert f"zkpor site serve {site}" in text
    proofs = (site / "proofs" / "index.html").read_text(encoding="utf-8")
    assert all(name in proofs for name in SMALL_CONTRIBUTORS)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "INSECURE" not in index
    assert "Phase 1 is not a public Powers of Tau ceremony" in index
    assert runner.invoke(app, ["site", "reproduce", str(site)]).exit_code == 0


@pytest.mark.slow
def test_the_development_setup_is_an_explicit_opt_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_inputs(monkeypatch)
    out = tmp_path / "demo"
    args = quick_zkpor1_demo(out)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "WARNING: single-party development setup" in result.output
    assert "9. OK: trusted setup — INSECURE single-party development setup" in result.output
    assert "--allow-insecure-dev-setup" in result.output
    assert not (out / CEREMONY_DIR).exists()
    checked = runner.invoke(app, ["verify", str(out / "attestation")])
    assert checked.exit_code == 1 and "9. FAIL: trusted setup" in checked.output


@pytest.mark.slow
def test_the_demo_shows_segregated_reserves_and_a_pinned_co_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_inputs(monkeypatch)
    out = tmp_path / "demo"
    args = quick_zkpor1_demo(out)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = result.output
    attestation = out / "attestation"
    checked = runner.invoke(app, ["verify", str(attestation), "--allow-insecure-dev-setup"])
    assert checked.exit_code == 0, checked.output
    for output in (text, checked.output):
        assert "PASSED: all 10 checks passed" in output
        assert [_step(output, n)[len(f"{n}. ") :][:4] for n in range(1, 11)] == ["OK: "] * 10
        assert "every wrapped token backed 1:1 (ZBTC 1.0050)" in _step(output, 8)
        key = demo_auditor_key().public_key()
        assert _step(output, 10) == (
            f"10. OK: co-signatures — co-signed by {DEMO_AUDITOR} (ed25519 key {key}), pinned"
        )
    # the summary names the token's backing, the fund, the corporate wallet, the co-signer
    assert "backed by 12.5625 BTC in its own wrapped:ZBTC wallet (ratio 1.0050" in text
    assert "protection fund: " in text and "corporate wallet: " in text
    assert f"co-signed as {DEMO_AUDITOR}" in text and "a TEST key, never for real use" in text
    assert f"co-signer pinned in zkpor.toml: {DEMO_AUDITOR}" in text

    doc = json.loads((attestation / "attestation.json").read_text())
    segregation = doc["segregation"]
    assert [w["symbol"] for w in segregation["wrapped"]] == ["ZBTC"]
    assert segregation["wrapped"][0]["collateral_amount"] == "12.5625"
    assert [h["asset"] for h in segregation["protection_fund"]] == ["ETH"]
    assert [h["asset"] for h in segregation["corporate"]] == ["ETH"]
    reserves = json.loads((attestation / "reserves.json").read_text())["wallets"]
    for role, holding in ((PROTECTION_FUND, "protection_fund"), (CORPORATE, "corporate")):
        held = sum(int(w["balance"]) for w in reserves if w.get("role") == role)
        assert held > 0 and int(segregation[holding][0]["balance"]) == held
    assert doc["cosigners"] == [
        {"name": DEMO_AUDITOR, "scheme": "ed25519", "key": demo_auditor_key().public_key()}
    ]
    # the co-signature is over this manifest: removing it fails step 10 (the key is pinned)
    (attestation / "signatures" / "index.json").unlink()
    unsigned = runner.invoke(app, ["verify", str(attestation), "--allow-insecure-dev-setup"])
    assert unsigned.exit_code == 1
    assert "10. FAIL: co-signatures — no valid co-signature by Demo Audit LLP" in unsigned.output
    summary = (out / "site" / "index.html").read_text(encoding="utf-8")
    assert f"Co-signed by <strong>{DEMO_AUDITOR}</strong>" in summary
    assert "key pinned by the manifest" in summary and "UNDER-BACKED" not in summary


@pytest.mark.slow
def test_the_failure_variant_shows_a_wallet_in_two_roles_and_an_under_backed_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_inputs(monkeypatch)
    out = tmp_path / "demo"
    args = quick_zkpor1_demo(out)
    result = runner.invoke(app, [*args, "--segregation-failures"])
    assert result.exit_code == 0, result.output
    text = result.output
    # failure 1: prove refuses the file that declares a wallet in two roles, naming the
    # line and the field, and publishes nothing from it
    refused = out / "input" / "reserves-two-roles.csv"
    rows = refused.read_text().splitlines()
    assert rows[-1].endswith(",wrapped:ZBTC")
    assert (
        f"error: {refused}:{len(rows)}: address: the same wallet is declared as customer on line "
    ) in text
    assert "a wallet has exactly one role" in text and "zkpor prove exits 2" in text
    # failure 2: the published attestation backs ZBTC at 97%: step 8 fails for it alone
    attestation = out / "attestation"
    checked = runner.invoke(app, ["verify", str(attestation), "--allow-insecure-dev-setup"])
    assert checked.exit_code == 1
    for output in (text, checked.output):
        assert _step(output, 8) == (
            "8. FAIL: reserves — wrapped token ZBTC is under-backed: collateral 12.125 BTC < "
            "issued supply 12.5 ZBTC (ratio 0.9700; required 1:1)"
        )
        assert "FAILED: 1 of 10 checks failed, 0 skipped" in output
        assert _step(output, 10).startswith(f"10. OK: co-signatures — co-signed by {DEMO_AUDITOR}")
    assert "(--segregation-failures: the reserves step fails on purpose" in text
    assert "backed by 12.125 BTC in its own wrapped:ZBTC wallet (ratio 0.9700" in text
    summary = (out / "site" / "index.html").read_text(encoding="utf-8")
    assert "Under-backed: ZBTC" in summary
    assert "97.00%: FAIL, UNDER-BACKED, short by 0.375 BTC" in summary

    # the demo accepts this failure only in the variant that asks for it
    results = verify_attestation(directory_reader(attestation), NaclBackend(), allow_dev_setup=True)
    manifest = Manifest.from_json(json.loads((attestation / "attestation.json").read_text()))
    assert cli_prove._only_intended_failures(results, manifest, False, True)
    assert not cli_prove._only_intended_failures(results, manifest, False, False)
    assert not cli_prove._only_intended_failures(results, manifest, True, True)
    assert not cli_prove._only_intended_failures(results, manifest, True, False)


@pytest.mark.slow
def test_the_failure_variant_stops_if_prove_accepted_a_wallet_in_two_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the two-role row were not refused, the variant would show nothing: it stops."""
    _small_inputs(monkeypatch)

    def without_the_row(*args: Path | bool, two_roles: bool = False, **kwargs: bool) -> Path:
        return write_demo_reserves(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_prove, "write_demo_reserves", without_the_row)
    out = tmp_path / "demo"
    args = quick_zkpor1_demo(out)
    result = runner.invoke(app, [*args, "--segregation-failures"])
    assert result.exit_code == 1
    assert "error: prove accepted a wallet declared in two roles" in result.output


def _step(output: str, number: int) -> str:
    """Return the report line of step ``number``."""
    return next(line for line in output.splitlines() if line.startswith(f"{number}. "))
