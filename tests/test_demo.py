"""``zkpor demo``: its inputs and shape, its local ceremony (the initial-params cache
included), and the whole command, with the ceremony by default and the development setup
only on request."""

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
from publisher.demo import (
    CEREMONY_DIR,
    DEMO_AS_OF,
    KEYS_DIR,
    demo_beacon_value,
    write_demo_inputs,
)
from tests import peers
from tests.tiny_circuit import TINY_ID, tiny_circuit
from verifier.ceremony import KeyMismatch, parse_transcript

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


def _small_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the demo prove batches of 2 accounts of 2 assets (a 2^11 domain) instead of 16
    of 4 (2^14), with one contributor: the same code path, a ceremony ~20 times cheaper."""

    def write(folder: Path, users: int, seed: int) -> tuple[Path, Path]:
        return write_demo_inputs(folder, users, seed, arity=2, batch_depth=1)

    monkeypatch.setattr(cli_prove, "write_demo_inputs", write)
    monkeypatch.setattr(demo, "DEMO_ASSETS", demo.DEMO_ASSETS[:2])
    wallets = tuple(w for w in demo.DEMO_WALLETS if w[1] in ("BTC", "ETH"))
    monkeypatch.setattr(demo, "DEMO_WALLETS", wallets)
    monkeypatch.setattr(demo, "DEMO_CONTRIBUTORS", SMALL_CONTRIBUTORS)
    monkeypatch.setattr(cli_prove, "DEMO_CONTRIBUTORS", SMALL_CONTRIBUTORS)


def test_the_demo_refuses_an_out_folder_already_used(tmp_path: Path) -> None:
    (tmp_path / CEREMONY_DIR).mkdir()
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--users", "4"])
    assert result.exit_code == 2 and "ceremony already exists" in result.output
    assert not (tmp_path / "input").exists()


@pytest.mark.slow
def test_the_demo_runs_a_ceremony_and_verify_passes_without_the_dev_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_inputs(monkeypatch)
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--users", "6", "--workers", "1"])
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
    assert "10. OK: key from phase 1 (--ptau)" in with_ptau.output

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
    args = ["demo", "--out", str(out), "--users", "6", "--workers", "1", "--insecure-dev-setup"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "WARNING: single-party development setup" in result.output
    assert "9. OK: trusted setup — INSECURE single-party development setup" in result.output
    assert "--allow-insecure-dev-setup" in result.output
    assert not (out / CEREMONY_DIR).exists()
    checked = runner.invoke(app, ["verify", str(out / "attestation")])
    assert checked.exit_code == 1 and "9. FAIL: trusted setup" in checked.output
