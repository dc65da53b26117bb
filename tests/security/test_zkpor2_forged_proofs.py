"""zkpor/2: the batch proofs' statement tampered with: a registry price, a proof moved
between shapes, a key for another number of inputs, a public input plus r. End to end on
a real attestation (tests.verifier.zkpor2_fixture), files rewritten consistently."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app
from tests.verifier.zkpor2_fixture import (
    Built,
    build,
    check,
    check_user,
    copy_of,
    outcome,
    read_json,
    reseal,
    write_json,
)
from verifier.field import R
from verifier.protocol import top_levels


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("zkpor2") / "attestation")


@pytest.fixture
def folder(built: Built, tmp_path: Path) -> Path:
    return copy_of(built, tmp_path / "attestation")


def failing(results: dict[str, tuple[str, str]]) -> list[str]:
    return [name for name, (status, _) in results.items() if status != "OK"]


def test_registry_price_changed(folder: Path, built: Built) -> None:
    """BTC repriced in the manifest's registry after proving: every proof's public inputs
    change (the unit price and the tables it scales), so no proof holds; the registry
    digest is in the challenges too."""
    manifest = read_json(folder, "attestation.json")
    manifest["registry"]["assets"][0]["price"] = "60000"
    write_json(folder, "attestation.json", manifest)
    reseal(folder)
    results = outcome(check(folder))
    assert failing(results) == ["batch proofs", "totals"]
    assert "batch 0 of shape K = 2 (proofs-s2.json) is not proven" in results["batch proofs"][1]
    assert "pairing" in results["batch proofs"][1]
    assert "totals.beta and totals.gamma are not derived" in results["totals"][1]
    report = check_user(folder, built.codes["alice"], samples=0)
    proofs = {r.name: r for r in report.results}["batch proofs"]
    assert proofs.status == "FAIL" and "your batch 0 of shape K = 2 is not proven" in proofs.detail


def test_registry_tier_ratio_raised(folder: Path) -> None:
    """ETH's first tier counted at 100% instead of 90% (more collateral for borrowers)."""
    manifest = read_json(folder, "attestation.json")
    manifest["registry"]["tables"][1]["ratios"] = [90, 90]
    write_json(folder, "attestation.json", manifest)
    reseal(folder)
    results = outcome(check(folder))
    assert failing(results) == ["batch proofs", "totals"]
    assert "is not proven" in results["batch proofs"][1]


def test_proof_moved_between_shapes(folder: Path) -> None:
    """A valid K = 3 batch (inputs and proof) published as batch 1 of shape K = 2, with
    the K = 2 tree and root rebuilt around it: the K = 2 key does not accept it."""
    small, large = read_json(folder, "proofs-s2.json"), read_json(folder, "proofs-s3.json")
    small[1] = {**large[0], "batch": 1}
    write_json(folder, "proofs-s2.json", small)
    levels = top_levels([int(e["public"][0]) for e in small], 2, 1)
    write_json(
        folder, "tree-s2.json", {"arity": 2, "levels": [[str(v) for v in lv] for lv in levels]}
    )
    manifest = read_json(folder, "attestation.json")
    manifest["shapes"][0]["root"] = str(levels[-1][0])
    write_json(folder, "attestation.json", manifest)
    reseal(folder)
    results = outcome(check(folder))
    assert failing(results) == ["batch proofs", "totals"]
    assert "batch 1 of shape K = 2 (proofs-s2.json) is not proven" in results["batch proofs"][1]


def test_only_the_proof_moved_between_shapes(folder: Path) -> None:
    small, large = read_json(folder, "proofs-s2.json"), read_json(folder, "proofs-s3.json")
    small[0]["proof"] = large[0]["proof"]
    write_json(folder, "proofs-s2.json", small)
    reseal(folder)
    results = outcome(check(folder))
    assert failing(results) == ["batch proofs"]
    assert "batch 0 of shape K = 2" in results["batch proofs"][1]


def test_key_for_another_number_of_inputs(folder: Path) -> None:
    """vk-s2.json cut to the three inputs the proofs file publishes: refused at step 2
    (5 + A (3T - 1) = 20 inputs), and no proof is checked against it."""
    vk = read_json(folder, "vk-s2.json")
    vk["IC"] = vk["IC"][:4]
    vk["nPublic"] = 3
    write_json(folder, "vk-s2.json", vk)
    reseal(folder)
    results = outcome(check(folder))
    assert results["verification keys"][0] == "FAIL"
    assert "vk-s2.json is for 3 public inputs" in results["verification keys"][1]
    assert "has 20 (5 + A (3T - 1))" in results["verification keys"][1]
    assert results["batch proofs"][0] == "SKIP"
    assert results["trusted setup"][0] == "SKIP"


def test_keys_swapped_between_shapes(folder: Path) -> None:
    """Both keys have 20 inputs; each shape's proofs fail under the other's key."""
    a, b = (folder / "vk-s2.json").read_bytes(), (folder / "vk-s3.json").read_bytes()
    (folder / "vk-s2.json").write_bytes(b)
    (folder / "vk-s3.json").write_bytes(a)
    reseal(folder)
    results = outcome(check(folder))
    assert failing(results) == ["batch proofs"]
    assert "shape K = 2" in results["batch proofs"][1]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_public_input_plus_r(folder: Path, index: int) -> None:
    """root, c or s published as itself + r: the same value mod r (the identity and the
    challenges would not see it), refused as out of range."""
    proofs = read_json(folder, "proofs-s3.json")
    proofs[1]["public"][index] = str(int(proofs[1]["public"][index]) + R)
    write_json(folder, "proofs-s3.json", proofs)
    reseal(folder)
    results = outcome(check(folder))
    assert results["batch proofs"][0] == "FAIL"
    detail = results["batch proofs"][1]
    assert "batch 1 of shape K = 3" in detail and "not an integer in [0, r)" in detail


def test_cli_exit_code(folder: Path) -> None:
    manifest = read_json(folder, "attestation.json")
    manifest["registry"]["assets"][0]["price"] = "60000"
    write_json(folder, "attestation.json", manifest)
    reseal(folder)
    result = CliRunner().invoke(app, ["verify", str(folder), "--allow-insecure-dev-setup"])
    assert result.exit_code == 1
    assert "3. FAIL: batch proofs" in result.output
