"""The reviewer's check of an attestation directory (``verifier.attestation``), its CLI
(``zkpor verify``) and its readers (a folder, an http server).

The attestation is made here from the low-level pieces (circuit, dev setup, prover,
protocol), not by the publisher's pipeline, so that every tampering below starts from a
known, hand-built directory: 3 batches of 2 leaves (5 accounts and 1 padding leaf) in a
binary tree with a top depth of 2, so the fourth batch slot is a 0-padded one.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import verifier
from publisher.cli.verify import register
from publisher.snark.circuit import (
    BatchWitnessInput,
    CircuitShape,
    batch_witness,
    build_batch_circuit,
)
from publisher.snark.dev_setup import DEV_SETUP_WARNING, ToxicWaste, dev_setup
from publisher.snark.prove import prove
from verifier.attestation import STEP_NAMES, verify_attestation
from verifier.cosign import SIGNATURES_INDEX
from verifier.errors import MalformedInput, StepSkipped, VerificationError
from verifier.fetch import directory_reader, http_reader
from verifier.field import R
from verifier.groth16 import VerifyingKey
from verifier.manifest import (
    MANIFEST,
    PROOFS,
    SETUP_INSECURE_DEV,
    TREE,
    VK,
    AssetLiability,
    BatchEntry,
    Manifest,
    TreeInfo,
    format_units,
    tree_to_json,
)
from verifier.protocol import (
    accumulator,
    id_commitment,
    initial_accumulator,
    leaf_hash,
    subtree_root,
    top_depth_for,
    top_levels,
    user_id_to_field,
)
from verifier.report import StepResult, passed, run_steps, to_json

SHAPE = CircuitShape(n_assets=2, arity=2, batch_depth=1)
BATCHES = 3
ASSETS = (("BTC", 8), ("USDT", 6))
ACCOUNTS = {
    "alice": (50_000_000, 1_000_000_000),
    "bob": (0, 1),
    "zoë": (100_000_001, 0),
    "carol": (1_200_000_000, 99_500_000),
    "李雷": (0, 0),
}
#: Manifest fields that nothing can check (free text, or only checkable against the
#: circuit): changing them must not be expected to fail verification.
UNCHECKABLE = (
    *("id", "name", "url", "as_of", "symbol"),
    *("constraints", "kind", "statement", "version"),
)

Files = dict[str, bytes]


# --- a real attestation, built from the pieces --------------------------------------------


def _json_bytes(doc: Any) -> bytes:
    """Return ``doc`` as the pipeline writes it: indented UTF-8 JSON and a newline."""
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


def _leaves(rng: random.Random) -> tuple[list[int], list[tuple[int, int]]]:
    """Return the id commitments and balances of the 6 leaves (5 accounts, 1 padding)."""
    idcs = [id_commitment(user_id_to_field(user), rng.randrange(1 << 248)) for user in ACCOUNTS]
    balances = list(ACCOUNTS.values())
    idcs.append(id_commitment(0, rng.randrange(1 << 248)))
    balances.append((0, 0))
    return idcs, balances


def _prove_batches(rng: random.Random) -> tuple[VerifyingKey, list[BatchEntry], list[int], int]:
    """Return the key, the proven batch entries, the final totals and the final blind."""
    cs = build_batch_circuit(SHAPE)
    toxic = ToxicWaste(tau=101, alpha=102, beta=103, gamma=104, delta=105)
    pk, vk = dev_setup(cs, SHAPE.circuit_id, toxic)
    idcs, balances = _leaves(rng)
    blinds = [0] + [rng.randrange(R) for _ in range(BATCHES)]
    totals, entries, size = [0, 0], [], SHAPE.batch_size
    for j in range(BATCHES):
        rows = balances[j * size : (j + 1) * size]
        data = BatchWitnessInput(
            idcs[j * size : (j + 1) * size], rows, totals, blinds[j], blinds[j + 1]
        )
        witness = batch_witness(SHAPE, data)
        public = tuple(witness[1:4])
        totals = [t + sum(row[a] for row in rows) for a, t in enumerate(totals)]
        leaves = [leaf_hash(idc, row) for idc, row in zip(data.id_commitments, rows, strict=True)]
        # The circuit and the native protocol agree, or the fixture is wrong.
        assert public == (
            subtree_root(leaves, SHAPE.arity),
            accumulator(data.totals_in, blinds[j]),
            accumulator(totals, blinds[j + 1]),
        )
        proof = prove(pk, cs, witness, r=rng.randrange(R), s=rng.randrange(R))
        entries.append(BatchEntry(j, public, proof.to_json()))
    return vk, entries, totals, blinds[-1]


def build_attestation(seed: int = 2026) -> Files:
    """Return the four files of a valid attestation, as name -> bytes."""
    vk, entries, totals, blind = _prove_batches(random.Random(seed))
    top_depth = top_depth_for(BATCHES, SHAPE.arity)
    levels = top_levels([e.public[0] for e in entries], SHAPE.arity, top_depth)
    files = {
        VK: _json_bytes(vk.to_json()),
        PROOFS: _json_bytes([e.to_json() for e in entries]),
        TREE: _json_bytes(tree_to_json(SHAPE.arity, levels)),
    }
    manifest = Manifest(
        attestation_id="test-verify-2026-11-21",
        issuer_name="Test Custodian",
        issuer_url="https://custodian.example",
        as_of="2026-11-21T00:00:00Z",
        assets=tuple(
            AssetLiability(symbol, decimals, total)
            for (symbol, decimals), total in zip(ASSETS, totals, strict=True)
        ),
        tree=TreeInfo(SHAPE.arity, SHAPE.batch_depth, top_depth, BATCHES, levels[-1][0]),
        initial_accumulator=initial_accumulator(len(ASSETS)),
        final_accumulator=entries[-1].public[2],
        final_totals=tuple(totals),
        final_blind=blind,
        circuit_id=SHAPE.circuit_id,
        constraints=len(build_batch_circuit(SHAPE).constraints),
        setup_kind=SETUP_INSECURE_DEV,
        setup_statement=DEV_SETUP_WARNING,
        software_version=verifier.__version__,
        files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    )
    files[MANIFEST] = _json_bytes(manifest.to_json())
    return files


@pytest.fixture(scope="module")
def valid() -> Files:
    """Return a valid attestation (made once per module: setup and 3 proofs)."""
    return build_attestation()


# --- helpers -------------------------------------------------------------------------------


def reader(files: Mapping[str, bytes]) -> Callable[[str], bytes]:
    """Return a reader over in-memory files (absent names raise FileNotFoundError)."""

    def read(name: str) -> bytes:
        if name not in files:
            raise FileNotFoundError(name)
        return files[name]

    return read


def check(files: Mapping[str, bytes]) -> list[StepResult]:
    """Return the report over in-memory files."""
    return verify_attestation(reader(files), allow_dev_setup=True)


def status(results: list[StepResult]) -> dict[str, str]:
    """Return step name -> status."""
    return {r.name: r.status for r in results}


def detail(results: list[StepResult], name: str) -> str:
    """Return the detail of step ``name``."""
    return next(r.detail for r in results if r.name == name)


def load(files: Files, name: str) -> Any:
    return json.loads(files[name])


def rehash(files: Files, **docs: Any) -> Files:
    """Return ``files`` with the JSON documents ``docs`` (keys: manifest, vk, proofs, tree)
    replaced, and the manifest's sha256 list rewritten to match, as a thorough forger would."""
    names = {"manifest": MANIFEST, "vk": VK, "proofs": PROOFS, "tree": TREE}
    out = dict(files)
    for key, doc in docs.items():
        out[names[key]] = _json_bytes(doc)
    manifest = docs.get("manifest", load(out, MANIFEST))
    manifest["files"] = {
        name: hashlib.sha256(out[name]).hexdigest() for name in sorted(manifest["files"])
    }
    out[MANIFEST] = _json_bytes(manifest)
    return out


def failed_steps(results: list[StepResult]) -> set[str]:
    return {r.name for r in results if r.status == "FAIL"}


#: Poseidon hashes and pairing checks already computed in this module (see fast_checks).
_HASHES: dict[tuple[int, ...], int] = {}
_VALID_BATCHES: set[Any] = set()


@pytest.fixture(autouse=True)
def fast_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remember Poseidon hashes and valid pairing checks across this module's tests.

    Most tests change a file but not the proofs, and one check of 3 proofs takes seconds.
    A pairing check is skipped only for exactly the key, inputs and proofs that already
    passed a real check; anything changed is verified for real.
    """
    from verifier.groth16 import verify_many as real_verify_many
    from verifier.poseidon import poseidon as real_poseidon

    def poseidon(inputs: Any) -> int:
        key = tuple(inputs)
        if key not in _HASHES:
            _HASHES[key] = real_poseidon(inputs)
        return _HASHES[key]

    def verify_many(vk: VerifyingKey, items: Any, rng: Any = None, ops: Any = None) -> None:
        key = (vk, tuple((tuple(public), proof) for public, proof in items))
        if key not in _VALID_BATCHES:
            real_verify_many(vk, items, rng, ops)
            _VALID_BATCHES.add(key)

    monkeypatch.setattr("verifier.protocol.poseidon", poseidon)
    monkeypatch.setattr("verifier.attestation.verify_many", verify_many)


# --- the valid attestation -------------------------------------------------------------------


def test_a_valid_attestation_passes_all_seven_steps(valid: Files) -> None:
    results = check(valid)
    assert [r.name for r in results] == list(STEP_NAMES)
    assert [r.number for r in results] == list(range(1, len(STEP_NAMES) + 1))
    assert all(r.status == "OK" for r in results), results
    assert passed(results)
    assert detail(results, "manifest and file hashes") == "3 files match their sha256"
    assert detail(results, "batch proofs") == "3 Groth16 proofs valid"
    assert to_json(results)[2] == {
        "number": 3,
        "name": "batch proofs",
        "status": "OK",
        "detail": "3 Groth16 proofs valid",
    }
    json.dumps(to_json(results))


def test_the_fixture_has_a_zero_padded_batch_slot(valid: Files) -> None:
    manifest = Manifest.from_json(load(valid, MANIFEST))
    assert (manifest.tree.batches, manifest.tree.top_depth) == (3, 2)
    assert load(valid, TREE)["levels"][0][3] == "0"


def test_each_file_is_read_once(valid: Files) -> None:
    reads: list[str] = []

    def read(name: str) -> bytes:
        reads.append(name)
        if name not in valid:
            raise FileNotFoundError(name)
        return valid[name]

    assert passed(verify_attestation(read, allow_dev_setup=True))
    # Every file once, and the index of co-signatures, which this attestation lacks.
    assert sorted(reads) == sorted([*valid, SIGNATURES_INDEX])


# --- any changed byte -----------------------------------------------------------------------


def _flipped(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


@pytest.mark.parametrize("name", [VK, PROOFS, TREE])
def test_every_changed_byte_of_a_listed_file_fails_its_hash(
    valid: Files, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hash is what must catch these; the pairings of thousands of variants would only
    # add minutes, so they are skipped here (tampered proofs are verified for real below).
    monkeypatch.setattr("verifier.attestation.verify_many", lambda *args, **kwargs: None)
    for position in range(len(valid[name])):
        results = check({**valid, name: _flipped(valid[name], position)})
        first = results[0]
        assert first.status == "FAIL", (position, first)
        assert f"{name} has sha256" in first.detail and "but the manifest lists" in first.detail


def _uncheckable_spans(text: str) -> list[range]:
    """Return the character ranges of the values of ``UNCHECKABLE`` keys in a manifest."""
    import re

    keys = "|".join(UNCHECKABLE)
    pattern = re.compile(rf'"(?:{keys})": ("(?:[^"\\]|\\.)*"|\d+)')
    return [range(m.start(1), m.end(1)) for m in pattern.finditer(text)]


def test_every_changed_byte_of_the_manifest_outside_free_text_fails_a_step(
    valid: Files,
) -> None:
    data = valid[MANIFEST]
    spans = _uncheckable_spans(data.decode())
    assert data.isascii() and len(spans) == 12
    uncaught = []
    for position in range(len(data)):
        if not passed(check({**valid, MANIFEST: _flipped(data, position)})):
            continue
        if not any(position in span for span in spans):
            uncaught.append((position, data[max(0, position - 30) : position + 10]))
    assert not uncaught


def test_the_free_text_of_the_manifest_is_not_checkable(valid: Files) -> None:
    """Documents a limit: nothing binds the issuer's name; the site must not imply it."""
    manifest = load(valid, MANIFEST)
    manifest["issuer"]["name"] = "Someone Else"
    assert passed(check({**valid, MANIFEST: _json_bytes(manifest)}))


# --- a forger who also rewrites the manifest's sha256 list -----------------------------------


def test_swapped_proof_entries_fail_batch_proofs(valid: Files) -> None:
    proofs = load(valid, PROOFS)
    proofs[0], proofs[1] = proofs[1], proofs[0]
    results = check(rehash(valid, proofs=proofs))
    assert status(results)["manifest and file hashes"] == "OK"
    assert status(results)["batch proofs"] == "FAIL"
    assert detail(results, "batch proofs") == "proofs.json entry 0 is for batch 1, expected 0"
    # Without the batches of proofs.json, the chain and the tree cannot be checked.
    assert status(results)["accumulator chain"] == status(results)["tree"] == "SKIP"
    assert "step 3" in detail(results, "tree")


def test_swapped_proof_objects_fail_batch_proofs_naming_the_batch(valid: Files) -> None:
    proofs = load(valid, PROOFS)
    proofs[1]["proof"], proofs[2]["proof"] = proofs[2]["proof"], proofs[1]["proof"]
    results = check(rehash(valid, proofs=proofs))
    assert failed_steps(results) == {"batch proofs"}
    assert detail(results, "batch proofs").startswith("batch 1 is not proven: proof 1 does not")
    assert "pairing" in detail(results, "batch proofs")


def _drop_batch(valid: Files, index: int) -> Files:
    """Return the attestation without batch ``index``, renumbered, and a manifest that
    claims one batch fewer (with the leaf count to match)."""
    proofs = load(valid, PROOFS)
    del proofs[index]
    for j, entry in enumerate(proofs):
        entry["batch"] = j
    manifest = load(valid, MANIFEST)
    manifest["tree"]["batches"] -= 1
    manifest["tree"]["leaves"] -= manifest["tree"]["batch_size"]
    return rehash(valid, proofs=proofs, manifest=manifest)


def test_dropping_the_last_batch_fails_the_chain_and_the_tree(valid: Files) -> None:
    results = check(_drop_batch(valid, 2))
    assert failed_steps(results) == {"accumulator chain", "tree"}
    assert detail(results, "accumulator chain").startswith("batch 1 ends with accumulator")
    assert detail(results, "tree") == (
        "attestation.json says the top of the tree has 2 levels, "
        "but 2 batches of arity 2 need exactly 1"
    )


def test_dropping_a_middle_batch_breaks_the_chain(valid: Files) -> None:
    results = check(_drop_batch(valid, 1))
    assert "accumulator chain" in failed_steps(results)
    assert detail(results, "accumulator chain").startswith(
        "batch 1 starts from a different accumulator than batch 0 ended with"
    )


def test_a_changed_published_liability_fails_totals(valid: Files) -> None:
    manifest = load(valid, MANIFEST)
    asset = manifest["assets"][1]
    proven = int(asset["liabilities"])
    asset["liabilities"] = str(proven - 1)
    asset["liabilities_amount"] = format_units(proven - 1, 6)
    results = check(rehash(valid, manifest=manifest))
    assert failed_steps(results) == {"totals"}
    assert detail(results, "totals") == (
        "asset USDT: the manifest publishes liabilities of 1099.5 (1099500000 units), "
        "but the proofs add up to 1099.500001 (1099500001 units)"
    )


def test_changed_final_totals_fail_the_chain(valid: Files) -> None:
    manifest = load(valid, MANIFEST)
    manifest["accumulator"]["final_totals"][0] = "1"
    results = check(rehash(valid, manifest=manifest))
    assert failed_steps(results) == {"accumulator chain", "totals"}
    assert "do not open its final accumulator" in detail(results, "accumulator chain")


def test_changed_final_totals_and_liabilities_fail_the_chain(valid: Files) -> None:
    manifest = load(valid, MANIFEST)
    manifest["accumulator"]["final_totals"][0] = "1"
    manifest["assets"][0]["liabilities"] = "1"
    manifest["assets"][0]["liabilities_amount"] = "0.00000001"
    results = check(rehash(valid, manifest=manifest))
    assert failed_steps(results) == {"accumulator chain"}


def test_a_changed_final_blind_fails_the_chain(valid: Files) -> None:
    manifest = load(valid, MANIFEST)
    manifest["accumulator"]["final_blind"] = "5"
    assert failed_steps(check(rehash(valid, manifest=manifest))) == {"accumulator chain"}


def test_a_wrong_initial_accumulator_fails_the_chain(valid: Files) -> None:
    manifest = load(valid, MANIFEST)
    manifest["accumulator"]["initial"] = "5"
    results = check(rehash(valid, manifest=manifest))
    assert failed_steps(results) == {"accumulator chain"}
    assert "initial accumulator is 5" in detail(results, "accumulator chain")


@pytest.mark.parametrize(
    ("level", "slot", "reason"),
    [
        (0, 1, "the root of batch 1 in proofs.json"),
        (0, 3, "an empty batch slot is 0"),
        (1, 0, "the hash of the level below"),
        (2, 0, "the hash of the level below"),
    ],
)
def test_a_changed_tree_value_fails_the_tree(
    valid: Files, level: int, slot: int, reason: str
) -> None:
    tree = load(valid, TREE)
    tree["levels"][level][slot] = str((int(tree["levels"][level][slot]) + 1) % R)
    results = check(rehash(valid, tree=tree))
    assert failed_steps(results) == {"tree"}
    assert detail(results, "tree").startswith(f"tree.json level {level} slot {slot} is ")
    assert detail(results, "tree").endswith(f"({reason})")


def test_a_tree_with_a_level_too_many_fails(valid: Files) -> None:
    tree = load(valid, TREE)
    tree["levels"].append(tree["levels"][-1])
    results = check(rehash(valid, tree=tree))
    assert detail(results, "tree") == "tree.json has 4 levels, expected 3 (batch slots to root)"


def test_a_changed_root_in_the_manifest_fails_the_tree(valid: Files) -> None:
    manifest = load(valid, MANIFEST)
    manifest["tree"]["root"] = "12345"
    results = check(rehash(valid, manifest=manifest))
    assert failed_steps(results) == {"tree"}
    assert detail(results, "tree").startswith("attestation.json publishes root 12345, but")


def test_a_public_input_plus_r_fails_batch_proofs_as_out_of_range(valid: Files) -> None:
    proofs = load(valid, PROOFS)
    proofs[1]["public"][0] = str(int(proofs[1]["public"][0]) + R)
    results = check(rehash(valid, proofs=proofs))
    assert failed_steps(results) == {"batch proofs", "tree"}
    message = detail(results, "batch proofs")
    assert message.startswith("batch 1 is not proven: proof 1: public input 0")
    assert "not an integer in [0, r)" in message
    assert detail(results, "tree") == "the root of batch 1 in proofs.json is not below r"


def test_a_chain_link_plus_r_fails_batch_proofs(valid: Files) -> None:
    proofs = load(valid, PROOFS)
    for entry, position in ((proofs[0], 2), (proofs[1], 1)):
        entry["public"][position] = str(int(entry["public"][position]) + R)
    results = check(rehash(valid, proofs=proofs))
    assert failed_steps(results) == {"batch proofs"}
    assert "batch 0 is not proven" in detail(results, "batch proofs")


# --- malformed and missing files --------------------------------------------------------------


def test_a_missing_tree_fails_the_hash_and_the_tree(valid: Files) -> None:
    files = {name: data for name, data in valid.items() if name != TREE}
    results = check(files)
    assert failed_steps(results) == {"manifest and file hashes", "tree"}
    assert detail(results, "tree") == "tree.json is missing from the attestation"


def test_a_manifest_that_is_not_json_skips_every_step_that_needs_it(valid: Files) -> None:
    results = check({**valid, MANIFEST: b"{not json"})
    assert [r.status for r in results] == ["FAIL", "OK", *["SKIP"] * (len(STEP_NAMES) - 2)]
    assert detail(results, "manifest and file hashes").startswith("attestation.json is not valid")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"a": 1, "a": 2}', "duplicate key a"),
        (b"[NaN]", "NaN is not valid JSON"),
        (b"\xff", "can't decode"),
        (b"[" * 100_000, "attestation.json is not valid JSON"),
        (b"[1" + b"0" * 5000 + b"]", "attestation.json is not valid JSON"),
    ],
)
def test_strict_json(valid: Files, text: bytes, reason: str) -> None:
    results = check({**valid, MANIFEST: text})
    assert reason in detail(results, "manifest and file hashes")


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("assets", 0, "decimals"), 10**9, "decimals must be at most 77"),
        (("tree", "batch_depth"), 10**9, "batch_depth is 1000000000: a batch of 2^1000000000"),
        (("tree", "arity"), 10**4000, "arity must be 2 or 4 or 8"),
        (("tree", "arity"), 3, "arity must be 2 or 4 or 8"),
        (("tree", "batches"), 10**4000, "batches must be at most 4294967296"),
        (("tree", "top_depth"), 10**4000, "the top of the tree has 1000"),
    ],
)
def test_hostile_counts_in_the_manifest_fail_fast(
    valid: Files, path: tuple[Any, ...], value: int, reason: str
) -> None:
    manifest = load(valid, MANIFEST)
    parent = manifest
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    start = time.perf_counter()
    results = check(rehash(valid, manifest=manifest))
    assert time.perf_counter() - start < 5
    assert not passed(results)
    assert any(reason in r.detail for r in results), results


def test_a_manifest_field_zkpor1_does_not_define_fails(valid: Files) -> None:
    manifest = load(valid, MANIFEST)
    manifest["tree"]["audited_by"] = "Big Four"
    results = check(rehash(valid, manifest=manifest))
    assert detail(results, "manifest and file hashes") == (
        "attestation.json.tree has a field zkpor/1 does not define: audited_by"
    )


def test_a_wrong_derived_amount_fails(valid: Files) -> None:
    manifest = load(valid, MANIFEST)
    manifest["assets"][0]["liabilities_amount"] = "1000000"
    results = check(rehash(valid, manifest=manifest))
    assert detail(results, "manifest and file hashes").startswith(
        'attestation.json.assets[0].liabilities_amount is "1000000", expected "13.50000001"'
    )


def test_a_manifest_without_a_listed_file_fails(valid: Files) -> None:
    manifest = load(valid, MANIFEST)
    del manifest["files"][VK]
    results = check({**valid, MANIFEST: _json_bytes(manifest)})
    assert detail(results, "manifest and file hashes") == (
        "attestation.json does not list the sha256 of vk.json"
    )


def test_a_key_for_another_number_of_inputs_fails_the_key_step(valid: Files) -> None:
    vk = load(valid, VK)
    vk["IC"].pop()
    vk["nPublic"] = 2
    results = check(rehash(valid, vk=vk))
    assert failed_steps(results) == {"verification key"}
    assert "is for 2 public inputs" in detail(results, "verification key")
    assert status(results)["batch proofs"] == "SKIP"


def test_a_key_point_off_the_curve_fails_batch_proofs(valid: Files) -> None:
    vk = load(valid, VK)
    vk["vk_alpha_1"][1] = str(int(vk["vk_alpha_1"][1]) + 1)
    results = check(rehash(valid, vk=vk))
    assert failed_steps(results) == {"batch proofs"}
    assert detail(results, "batch proofs").startswith("the proofs cannot be checked: ")


def test_a_malformed_proof_names_its_batch(valid: Files) -> None:
    proofs = load(valid, PROOFS)
    del proofs[2]["proof"]["pi_c"]
    results = check(rehash(valid, proofs=proofs))
    assert failed_steps(results) == {"batch proofs"}
    assert detail(results, "batch proofs").startswith("the proof of batch 2 is malformed")
    # The public inputs were readable, so the chain and the tree were still checked.
    assert status(results)["accumulator chain"] == status(results)["tree"] == "OK"


def test_a_manifest_listing_a_path_outside_the_directory_fails(
    valid: Files, tmp_path: Path
) -> None:
    (tmp_path / "secret").write_text("x")
    folder = tmp_path / "attestation"
    write_directory(folder, valid)
    manifest = load(valid, MANIFEST)
    manifest["files"]["../secret"] = hashlib.sha256(b"x").hexdigest()
    (folder / MANIFEST).write_bytes(_json_bytes(manifest))
    results = verify_attestation(directory_reader(folder), allow_dev_setup=True)
    # The manifest's own parser refuses the name before any reader is asked for it.
    assert "the name '../secret' must match" in detail(results, "manifest and file hashes")


# --- the step runner ---------------------------------------------------------------------------


def test_run_steps_numbers_and_classifies() -> None:
    def fail() -> str:
        raise MalformedInput("bad")

    def skip() -> str:
        raise StepSkipped("needs x")

    results = run_steps([("a", lambda: "fine"), ("b", fail), ("c", skip)])
    assert results == [
        StepResult(1, "a", "OK", "fine"),
        StepResult(2, "b", "FAIL", "bad"),
        StepResult(3, "c", "SKIP", "needs x"),
    ]
    assert not passed(results) and passed(results[:1]) and not passed([])


def test_a_bug_in_a_step_is_not_reported_as_a_failed_check() -> None:
    def bug() -> str:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        run_steps([("a", bug)])
    assert issubclass(MalformedInput, VerificationError)
    assert not issubclass(StepSkipped, VerificationError)


# --- readers --------------------------------------------------------------------------------


def write_directory(folder: Path, files: Mapping[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "", "a\\b", "c:x"])
def test_directory_reader_refuses_names_that_are_not_plain(tmp_path: Path, name: str) -> None:
    with pytest.raises(PermissionError, match="not a plain file name"):
        directory_reader(tmp_path)(name)


def test_directory_reader_reads_and_reports_absent_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"{}")
    read = directory_reader(tmp_path)
    assert read("a.json") == b"{}"
    with pytest.raises(FileNotFoundError):
        read("b.json")


def test_http_reader_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="not an http"):
        http_reader("file:///etc/")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(valid: Files, tmp_path: Path) -> Iterator[str]:
    """Serve a valid attestation with ``python -m http.server``; yield its base URL."""
    root = write_directory(tmp_path / "site" / "attestation", valid).parent
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/attestation"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_http_reader_verifies_a_served_attestation(served: str) -> None:
    results = verify_attestation(http_reader(served), allow_dev_setup=True)
    assert passed(results), results
    with pytest.raises(FileNotFoundError):
        http_reader(served)("bundles.json")


# --- the CLI ----------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """zkpor (test)."""

    register(app)
    return app


def test_cli_passes_a_valid_directory(cli: typer.Typer, valid: Files, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["verify", "--allow-insecure-dev-setup", str(write_directory(tmp_path / "a", valid))]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "1. OK: manifest and file hashes — 3 files match their sha256"
    assert lines[2] == "3. OK: batch proofs — 3 Groth16 proofs valid"
    assert lines[-1] == f"PASSED: all {len(STEP_NAMES)} checks passed"


def test_cli_fails_a_tampered_directory(cli: typer.Typer, valid: Files, tmp_path: Path) -> None:
    proofs = load(valid, PROOFS)
    proofs[0], proofs[1] = proofs[1], proofs[0]
    folder = write_directory(tmp_path / "a", rehash(valid, proofs=proofs))
    result = runner.invoke(cli, ["verify", "--allow-insecure-dev-setup", str(folder)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[2] == "3. FAIL: batch proofs — proofs.json entry 0 is for batch 1, expected 0"
    assert lines[3].startswith("4. SKIP: accumulator chain — needs the batches of proofs.json")
    assert lines[-1] == f"FAILED: 1 of {len(STEP_NAMES)} checks failed, 2 skipped"


@pytest.mark.parametrize("name", [MANIFEST, VK, PROOFS, TREE])
def test_cli_exit_1_for_one_changed_byte(
    cli: typer.Typer, valid: Files, tmp_path: Path, name: str
) -> None:
    position = valid[name].rindex(b'"') - 3  # a digit of the last number or hex digest
    folder = write_directory(tmp_path / "a", {**valid, name: _flipped(valid[name], position)})
    result = runner.invoke(cli, ["verify", "--allow-insecure-dev-setup", str(folder)])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and result.output.endswith("skipped\n")


def test_cli_json_report(cli: typer.Typer, valid: Files, tmp_path: Path) -> None:
    folder = write_directory(tmp_path / "a", valid)
    result = runner.invoke(cli, ["verify", "--allow-insecure-dev-setup", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] is True
    assert [s["name"] for s in report["steps"]] == list(STEP_NAMES)
    assert {s["status"] for s in report["steps"]} == {"OK"}

    (folder / TREE).write_bytes(valid[TREE] + b" ")
    result = runner.invoke(cli, ["verify", "--allow-insecure-dev-setup", str(folder), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["passed"] is False
    assert report["steps"][0]["status"] == "FAIL"


def test_cli_prints_file_contents_literally(cli: typer.Typer, valid: Files, tmp_path: Path) -> None:
    manifest = load(valid, MANIFEST)
    manifest["assets"][0]["symbol"] = "[bold red]BTC[/]\x1b[2J"
    manifest["assets"][0]["liabilities"] = "1"
    manifest["assets"][0]["liabilities_amount"] = "0.00000001"
    folder = write_directory(tmp_path / "a", rehash(valid, manifest=manifest))
    result = runner.invoke(cli, ["verify", "--allow-insecure-dev-setup", str(folder)])
    assert result.exit_code == 1
    # The manifest's parser refuses the symbol (step 1) and shows it literally.
    assert (
        "1. FAIL: manifest and file hashes — attestation.json.assets[0].symbol must match "
        "[A-Z0-9]{1,12}, found '[bold red]BTC[/]\\x1b[2J'" in result.output
    )
    assert "\x1b" not in result.output


@pytest.mark.parametrize("case", ["missing", "file", "empty"])
def test_cli_exit_2_without_an_attestation(cli: typer.Typer, tmp_path: Path, case: str) -> None:
    target = tmp_path / "x"
    if case == "file":
        target.write_text("{}")
    elif case == "empty":
        target.mkdir()
    result = runner.invoke(cli, ["verify", "--allow-insecure-dev-setup", str(target)])
    assert result.exit_code == 2
    expected = {
        "missing": "does not exist",
        "file": "is not a directory",
        "empty": "has no attestation.json",
    }[case]
    assert expected in result.output


def test_cli_verifies_a_url(cli: typer.Typer, served: str) -> None:
    result = runner.invoke(cli, ["verify", "--allow-insecure-dev-setup", served])
    assert result.exit_code == 0, result.output
    missing = runner.invoke(cli, ["verify", "--allow-insecure-dev-setup", served + "/nothing-here"])
    assert missing.exit_code == 2
    assert "has no attestation.json" in missing.output
    port = _free_port()
    unreachable = runner.invoke(
        cli, ["verify", "--allow-insecure-dev-setup", f"http://127.0.0.1:{port}/"]
    )
    assert unreachable.exit_code == 2
    # asked twice (verifier.download), then said plainly
    assert "could not download attestation.json from" in unreachable.output
    assert "the connection was refused twice; try again later" in unreachable.output


def test_cli_is_the_one_zkpor_runs(valid: Files, tmp_path: Path) -> None:
    from publisher.cli.main import app

    folder = write_directory(tmp_path / "a", valid)
    assert runner.invoke(app, ["verify", "--allow-insecure-dev-setup", str(folder)]).exit_code == 0
