"""``zkpor ceremony`` as people run it: a three-party ceremony plus beacon for the batch
circuit (2 assets, arity 2, depth 1) over a snarkjs-made Powers of Tau file of power 11,
whose keys prove batches that zkpor's verifier and ``snarkjs groth16 verify`` accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from publisher.ceremony.directory import load_ceremony_keys
from publisher.cli import ceremony as cli_ceremony
from publisher.snark.batch import prove_batch, write_snarkjs_files
from publisher.snark.circuit import CircuitShape
from publisher.snark.keys import ProvingKey
from tests import peers, ptau_files
from tests.conftest import make_batch
from verifier.ceremony import verify_published
from verifier.groth16 import verify

app = typer.Typer()
cli_ceremony.register(app)


@app.callback()
def _root() -> None:
    """Keep ``ceremony`` a sub-command even though it is the only one."""


runner = CliRunner()
SHAPE = CircuitShape(n_assets=2, arity=2, batch_depth=1)
SHAPE_ARGS = ["--assets", "2", "--arity", "2", "--batch-depth", "1"]
BEACON = "0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5"


def run(*args: str | Path) -> str:
    result = runner.invoke(app, ["ceremony", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_missing_ceremony_is_bad_input(tmp_path: Path) -> None:
    ptau = tmp_path / "pot.ptau"
    ptau.write_bytes(b"")
    result = runner.invoke(
        app, ["ceremony", "contribute", str(tmp_path), "--name", "alice", "--ptau", str(ptau)]
    )
    assert result.exit_code == 2 and "not a ceremony: no ceremony.json" in result.output


def test_a_contributor_must_give_the_ptau_to_check_against(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ceremony", "contribute", str(tmp_path), "--name", "alice"])
    assert result.exit_code == 2 and "--ptau" in result.output


def test_a_contributor_name_is_required(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ceremony", "contribute", str(tmp_path)])
    assert result.exit_code == 2 and "--name" in result.output


@pytest.mark.interop
def test_init_refuses_a_ptau_too_small_for_the_circuit(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    small = ptau_files.make_ptau(ptau_files.cache_dir(request.config, tmp_path_factory), 5)
    result = runner.invoke(
        app, ["ceremony", "init", str(tmp_path / "c"), "--ptau", str(small), *SHAPE_ARGS]
    )
    assert result.exit_code == 2, result.output
    assert "needs a domain of 2048: use a file of power 11" in result.output
    assert not (tmp_path / "c" / "ceremony.json").exists()


@pytest.mark.slow
@pytest.mark.interop
def test_a_three_party_ceremony_gives_keys_snarkjs_accepts(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    ptau = ptau_files.make_ptau(ptau_files.cache_dir(request.config, tmp_path_factory), 11)
    root, out = tmp_path / "ceremony", tmp_path / "keys"
    assert "circuit hash (snarkjs)" in run("init", root, "--ptau", ptau, *SHAPE_ARGS)
    for person in ("alice", "bob", "carol"):
        said = run(
            "contribute", root, "--name", person, "--entropy", f"{person}'s dice", "--ptau", ptau
        )
        assert f"contribution '{person}': contribution hash" in said
    run("beacon", root, "--name", "block 800000", "--value", BEACON, "--iterations-exp", "10")
    said = run("finalize", root, "--ptau", ptau, "--out", out)
    assert "OK: 3 contributions (alice, bob, carol) and a random beacon" in said

    keys = load_ceremony_keys(out, SHAPE.circuit_id)
    batch = prove_batch(SHAPE, make_batch(SHAPE), ProvingKey.load(keys.proving_key_path))
    verify(keys.verifying_key, batch.public, batch.proof)
    write_snarkjs_files(tmp_path, keys.verifying_key, batch)
    checked = peers.snarkjs(
        "groth16", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path
    )
    assert checked.code == 0 and "OK" in checked.output, checked.output
    vk_doc = json.loads((out / "vk.json").read_text())
    assert vk_doc["vk_gamma_2"][0] == [
        "10857046999023057135944570762232829481370756359578518086990519993285655852781",
        "11559732032986387107991004021392285783925812861821192530917403151452391805634",
    ]  # gamma = 1, as snarkjs's own setups have
    verify_published((out / "transcript.json").read_bytes(), keys.verifying_key, SHAPE.circuit_id)

    # The custodian proves an attestation with these keys; a reviewer checks the setup.
    from publisher.cli.main import app as zkpor
    from tests.snapshots import ACCOUNTS, write_inputs

    csv_path, toml_path = write_inputs(tmp_path / "input", ACCOUNTS)
    toml_path.write_text(toml_path.read_text().replace("batch_depth = 2", "batch_depth = 1"))
    attestation = tmp_path / "attestation"
    args = ["prove", "--liabilities", csv_path, "--config", toml_path, "--out", attestation]
    args += ["--private", tmp_path / "private", "--workers", "1", "--ceremony", out]
    proved = runner.invoke(zkpor, list(map(str, args)))
    assert proved.exit_code == 0, proved.output
    assert (attestation / "ceremony" / "transcript.json").exists()
    unpinned = runner.invoke(zkpor, ["verify", str(attestation)])
    assert unpinned.exit_code == 1, unpinned.output
    assert "9. FAIL: trusted setup" in unpinned.output
    assert "not a known public Powers of Tau file" in unpinned.output
    checked_all = runner.invoke(
        zkpor, ["verify", str(attestation), "--allow-unknown-phase1", "--ptau", str(ptau)]
    )
    assert checked_all.exit_code == 0, checked_all.output
    assert "9. OK: trusted setup" in checked_all.output
    assert "ACCEPTED ONLY BECAUSE ASKED" in checked_all.output
    assert "10. OK: co-signatures" in checked_all.output
    assert "11. OK: key from phase 1 (--ptau)" in checked_all.output
    assert "alice" in checked_all.output
