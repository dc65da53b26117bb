"""zkpor/2, the reviewer's nine steps on a real tiny attestation (tests.verifier.zkpor2_fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.verifier.zkpor2_fixture import (
    Built,
    build,
    check,
    copy_of,
    outcome,
    read_json,
    reseal,
    write_json,
)
from verifier.attestation import STEP_NAMES, AttestationFiles, attestation_steps
from verifier.attestation2 import STEP_NAMES2, figures_json, folded_key, read_manifest2
from verifier.bn254 import g1_msm
from verifier.book import PUBLIC_REGISTRY
from verifier.fetch import directory_reader
from verifier.field import P
from verifier.groth16 import VerifyingKey, verify
from verifier.manifest2 import Manifest2
from verifier.report import run_steps


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("zkpor2") / "attestation")


@pytest.fixture
def folder(built: Built, tmp_path: Path) -> Path:
    return copy_of(built, tmp_path / "attestation")


def test_honest_attestation_passes_all_nine_steps(built: Built) -> None:
    results = check(built.folder)
    assert [r.name for r in results] == list(STEP_NAMES2)
    assert all(r.status == "OK" for r in results), [(r.name, r.detail) for r in results]
    details = outcome(results)
    assert "4 Groth16 proofs valid (K = 2: 2, K = 3: 2)" in details["batch proofs"][1]
    assert "USDT net n/a (net <= 0)" in details["reserves"][1]
    assert details["trusted setup"][1].startswith("INSECURE")


def test_dev_setup_fails_unless_accepted(built: Built) -> None:
    status, detail = outcome(check(built.folder, allow_dev=False))["trusted setup"]
    assert status == "FAIL" and "single-party development setup" in detail


def test_format_dispatch_keeps_zkpor1_steps(built: Built, tmp_path: Path) -> None:
    """A manifest without format zkpor/2 (here: missing) gets zkpor/1's ten steps."""
    assert len(attestation_steps(directory_reader(built.folder))) == len(STEP_NAMES2)
    (tmp_path / "attestation.json").write_text("{}")
    assert [name for name, _ in attestation_steps(directory_reader(tmp_path))] == list(STEP_NAMES)
    assert [name for name, _ in attestation_steps(directory_reader(tmp_path / "none"))] == list(
        STEP_NAMES
    )


def test_manifest_is_read_once_for_the_format_and_the_check(built: Built) -> None:
    """The format probe and step 1 judge the same bytes: a server answering the manifest
    differently the second time is not asked twice."""
    reads: list[str] = []
    base = directory_reader(built.folder)

    def read(name: str) -> bytes:
        reads.append(name)
        return base(name)

    steps = attestation_steps(read, allow_dev_setup=True)
    run_steps(steps)
    assert reads.count("attestation.json") == 1


def test_folded_key_verifies_as_the_full_key(built: Built) -> None:
    """Folding the registry part of vk_x into IC_0 gives the verdict of the full key on the
    full public input vector, and a registry value changed fails both."""
    files = AttestationFiles(directory_reader(built.folder))
    manifest, _ = read_manifest2(files)
    vk = VerifyingKey.from_json(read_json(built.folder, "vk-s2.json"))
    proofs = read_json(built.folder, "proofs-s2.json")
    from verifier.groth16 import Proof

    proof = Proof.from_json(proofs[0]["proof"])
    published = [int(x) for x in proofs[0]["public"]]
    registry = manifest.registry.public_inputs
    full = [*published, manifest.beta, manifest.gamma, *registry]
    verify(vk, full, proof)
    key = folded_key(vk, registry, None)
    assert key.n_public == PUBLIC_REGISTRY
    verify(key, [*published, manifest.beta, manifest.gamma], proof)
    other = [*registry]
    other[0] += 1  # BTC's unit price
    with pytest.raises(Exception, match="pairing"):
        verify(folded_key(vk, other, None), [*published, manifest.beta, manifest.gamma], proof)
    assert key.ic[0] == g1_msm([vk.ic[0], *vk.ic[6:]], [1, *registry])


def test_key_point_off_the_curve_is_refused_before_folding(folder: Path) -> None:
    """IC_7 off the curve: step 3 names the point (the folded key is never built from it)."""
    vk = read_json(folder, "vk-s2.json")
    x, y, z = vk["IC"][7]
    vk["IC"][7] = [x, str((int(y) + 1) % P), z]
    write_json(folder, "vk-s2.json", vk)
    reseal(folder)
    status, detail = outcome(check(folder))["batch proofs"]
    assert status == "FAIL"
    assert "vk-s2.json" in detail and "IC[7] is not on the BN254 curve" in detail


def test_unknown_key_in_the_manifest(folder: Path) -> None:
    manifest = read_json(folder, "attestation.json")
    manifest["shapes"][0]["note"] = "x"
    write_json(folder, "attestation.json", manifest)
    results = outcome(check(folder))
    assert results["manifest and file hashes"][0] == "FAIL"
    assert "a field zkpor/2 does not define: note" in results["manifest and file hashes"][1]
    assert all(results[name][0] == "SKIP" for name in STEP_NAMES2[1:5])


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("shapes", 0, "batch_size"), 4),
        (("shapes", 0, "leaves"), 3),
        (("shapes", 1, "top_depth"), 2),
        (("shapes", 1, "circuit", "id"), "zkpor2-a3-t2-s3-k2-d1"),
        (("assets", 0, "symbol"), "XBT"),
        (("assets", 0, "decimals"), 6),
        (("assets", 0, "equity_amount"), "1.6"),
    ],
)
def test_derived_field_that_lies_rejects_the_manifest(
    folder: Path, path: tuple[object, ...], value: object
) -> None:
    manifest = read_json(folder, "attestation.json")
    node = manifest
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    write_json(folder, "attestation.json", manifest)
    status, detail = outcome(check(folder))["manifest and file hashes"]
    assert status == "FAIL"
    assert "as zkpor/2 writes it from the other fields" in detail


def test_listed_files_are_required_per_shape(folder: Path) -> None:
    manifest = read_json(folder, "attestation.json")
    del manifest["files"]["tree-s3.json"]
    write_json(folder, "attestation.json", manifest)
    status, detail = outcome(check(folder))["manifest and file hashes"]
    assert status == "FAIL" and "does not list the sha256 of tree-s3.json" in detail


def test_a_ceremony_transcript_listed_under_a_dev_setup(folder: Path) -> None:
    (folder / "ceremony-s2.json").write_text("{}")
    manifest = read_json(folder, "attestation.json")
    manifest["files"]["ceremony-s2.json"] = ""
    write_json(folder, "attestation.json", manifest)
    reseal(folder)
    status, detail = outcome(check(folder))["trusted setup"]
    assert status == "FAIL" and "lists ceremony-s2.json" in detail


def test_a_ceremony_needs_every_shape_transcript(folder: Path) -> None:
    manifest = read_json(folder, "attestation.json")
    manifest["setup"]["kind"] = "ceremony"
    write_json(folder, "attestation.json", manifest)
    status, detail = outcome(check(folder))["trusted setup"]
    assert status == "FAIL"
    assert "ceremony-s2.json, ceremony-s3.json" in detail


def test_tree_file_that_is_not_the_proven_roots(folder: Path) -> None:
    tree = read_json(folder, "tree-s3.json")
    tree["levels"][0][1] = tree["levels"][0][0]
    write_json(folder, "tree-s3.json", tree)
    reseal(folder)
    status, detail = outcome(check(folder))["trees"]
    assert status == "FAIL"
    assert "tree-s3.json level 0 slot 1" in detail and "proofs-s3.json" in detail


def test_figures(built: Built) -> None:
    manifest = Manifest2.from_json(json.loads((built.folder / "attestation.json").read_text()))
    figures = figures_json(manifest)
    assert figures["quote"] == "USD"
    usdt = figures["assets"][2]  # type: ignore[index]
    assert usdt["net_amount"] == "-399.99" and usdt["ratio_net"] is None
    assert usdt["price"] == "1"
