"""A three-party ceremony plus beacon over a snarkjs-made Powers of Tau file (power 5) and
a tiny circuit: its keys prove and verify (here and in snarkjs), and every tampering with
the chain, a proof of knowledge, the phase-1 file or the final keys is rejected."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from publisher import ceremony as ceremony_mod
from publisher.batch import BatchProof, write_snarkjs_files
from publisher.ceremony import (
    CeremonyDir,
    CeremonyInputError,
    beacon,
    check_published,
    contribute,
    finalize,
    init_ceremony,
    keys_for_prove,
    load_ceremony_keys,
    published_files,
    verify_ceremony,
)
from publisher.circuit import CircuitShape
from publisher.curve import G1_GEN, G2_GEN, g1_mul, g2_mul
from publisher.keys import ProvingKey
from publisher.pairing import FAST_OPS
from publisher.phase2 import prove_knowledge
from publisher.prove import prove
from publisher.ptau import PtauError
from tests import peers, ptau_files
from tests.tiny_circuit import TINY_ID, tiny_circuit, tiny_witness
from verifier.ceremony import (
    SETUP_CEREMONY,
    BrokenChain,
    CeremonyError,
    InsecureSetup,
    InvalidBeacon,
    InvalidProofOfKnowledge,
    KeyMismatch,
    MalformedTranscript,
    NoSecretContribution,
    UnknownPhase1,
    challenges,
    check_setup,
    check_vk,
    contribution_from_json,
    describe,
    parse_transcript,
    statement,
    verify_published,
    vk_sha256,
)
from verifier.groth16 import VerifyingKey, verify

pytestmark = pytest.mark.interop
PEOPLE = ("alice", "bob", "carol")
BEACON_VALUE = bytes.fromhex("00000000000000000001a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7")


@dataclass(frozen=True)
class Done:
    """A finished ceremony: its directory, the phase-1 file and the finalized keys."""

    root: Path
    ptau: Path
    out: Path


@pytest.fixture(scope="module")
def ptaus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    cache = ptau_files.cache_dir(request.config, tmp_path_factory)
    return ptau_files.make_ptau(cache, 5), ptau_files.make_ptau(cache, 5, ("bob",), label="b")


@pytest.fixture(scope="module")
def done(ptaus: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Done:
    root = tmp_path_factory.mktemp("ceremony") / "c"
    ptau = ptaus[0]
    init_ceremony(root, ptau, tiny_circuit(), TINY_ID)
    for person in PEOPLE:
        contribute(root, person, entropy=f"{person} typed this".encode())
    beacon(root, "beacon: block 1", BEACON_VALUE, 3)
    out = root.parent / "keys"
    finalize(root, ptau, out, tiny_circuit())
    return Done(root, ptau, out)


@pytest.fixture
def copy(done: Done, tmp_path: Path) -> Iterator[Path]:
    """A copy of the finished ceremony directory, to tamper with."""
    target = tmp_path / "c"
    shutil.copytree(done.root, target)
    yield target


def _record_path(root: Path, index: int) -> Path:
    return CeremonyDir(root).record_path(index)


def _edit_record(root: Path, index: int, **changes: object) -> None:
    path = _record_path(root, index)
    doc = json.loads(path.read_text())
    doc.update(changes)
    path.write_text(json.dumps(doc))


def _verify(root: Path, ptau: Path) -> None:
    verify_ceremony(root, ptau, tiny_circuit())


# --- the ceremony works ------------------------------------------------------------


def test_the_ceremony_verifies_and_names_its_contributors(done: Done) -> None:
    transcript = verify_ceremony(done.root, done.ptau, tiny_circuit(), rederive=True)
    assert [c.name for c in transcript.contributions] == [*PEOPLE, "beacon: block 1"]
    assert [c.kind for c in transcript.contributions] == ["contribution"] * 3 + ["beacon"]
    assert "3 contributions (alice, bob, carol) and a random beacon" in describe(transcript)
    assert "only if every phase-2 contributor kept their secret" in statement(transcript)


def test_the_final_keys_prove_and_snarkjs_accepts_the_proof(done: Done, tmp_path: Path) -> None:
    keys = load_ceremony_keys(done.out, TINY_ID)
    cs, witness = tiny_circuit(), tiny_witness(tiny_circuit())
    proof = prove(ProvingKey.load(keys.proving_key_path), cs, witness)
    verify(keys.verifying_key, witness[1:3], proof)
    write_snarkjs_files(tmp_path, keys.verifying_key, BatchProof(tuple(witness[1:3]), proof))
    run = peers.snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path)
    assert run.code == 0 and "OK" in run.output, run.output


def test_the_published_transcript_checks_out_with_and_without_the_ptau(done: Done) -> None:
    data = (done.out / "transcript.json").read_bytes()
    vk = VerifyingKey.from_json(json.loads((done.out / "vk.json").read_text()))
    assert verify_published(data, vk, TINY_ID).final is not None
    check_published(data, vk, done.ptau, tiny_circuit())


def test_the_secret_is_never_written(
    done: Done, copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in (4,):  # drop the beacon to contribute again
        _record_path(copy, index).unlink()
    secret = 0x1D2C3B4A59687766554433221100FFEEDDCCBBAA99887766554433221100FFEE
    monkeypatch.setattr(ceremony_mod, "fresh_secret", lambda entropy=b"": secret)
    contribute(copy, "dave")
    encodings = [
        secret.to_bytes(32, "big"),
        secret.to_bytes(32, "little"),
        str(secret).encode(),
        f"{secret:x}".encode(),
    ]
    for path in copy.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(e in data for e in encodings), path
    printed = capsys.readouterr()
    assert str(secret) not in printed.out + printed.err


# --- the tool refuses to go wrong ------------------------------------------------------


def test_contributing_after_the_beacon_is_refused(copy: Path) -> None:
    with pytest.raises(CeremonyInputError, match="beacon was the last contribution"):
        contribute(copy, "late")


def test_contributing_on_params_the_transcript_did_not_make_is_refused(copy: Path) -> None:
    _record_path(copy, 4).unlink()
    shutil.copyfile(CeremonyDir(copy).params_path(2), CeremonyDir(copy).params_path(3))
    with pytest.raises(KeyMismatch, match="not the params the last step produced"):
        contribute(copy, "dave")


@pytest.mark.parametrize("name", ["", " padded", "x" * 65, "tab\there"])
def test_a_bad_contributor_name_is_refused(copy: Path, name: str) -> None:
    with pytest.raises(CeremonyInputError, match="contributor name"):
        contribute(copy, name)


def test_a_ceremony_of_only_a_beacon_cannot_be_finalized(
    ptaus: tuple[Path, Path], tmp_path: Path
) -> None:
    root = tmp_path / "c"
    init_ceremony(root, ptaus[0], tiny_circuit(), TINY_ID)
    beacon(root, "beacon", BEACON_VALUE, 0)
    with pytest.raises(NoSecretContribution, match="anyone could forge proofs"):
        finalize(root, ptaus[0], tmp_path / "keys", tiny_circuit())


# --- rejections ---------------------------------------------------------------------------


def test_a_contribution_that_does_not_chain_is_rejected(done: Done, copy: Path, tmp_path: Path):
    """Carol contributes on alice's params instead of bob's: a fork, not a chain."""
    fork = tmp_path / "fork"
    shutil.copytree(done.root, fork)
    for index in (2, 3, 4):
        _record_path(fork, index).unlink()
    contribute(fork, "carol")  # record 2 of the fork, made on params 1
    forked = json.loads(_record_path(fork, 2).read_text())
    for index in (3, 4):
        _record_path(copy, index).unlink()
    forked["index"] = 3
    _record_path(copy, 3).write_text(json.dumps(forked))
    shutil.copyfile(CeremonyDir(fork).params_path(2), CeremonyDir(copy).params_path(3))
    with pytest.raises(
        BrokenChain, match=r"contribution 3 \(carol\) does not chain: it was made on"
    ):
        _verify(copy, done.ptau)


def test_a_contribution_that_resets_delta_is_rejected(done: Done, copy: Path) -> None:
    """Mallory replaces delta by one she knows (x): her proof is for x, but the step from
    the previous delta is not x."""
    _record_path(copy, 4).unlink()
    transcript = CeremonyDir(copy).transcript()
    x = 424242
    pok = prove_knowledge(
        x, 99, challenges(transcript.header, transcript.contributions)[-1], "mallory"
    )
    record = replace(
        transcript.contributions[-1],
        index=4,
        name="mallory",
        params_before=transcript.params_sha256,
        delta_g1=g1_mul(G1_GEN, x),
        delta_g2=g2_mul(G2_GEN, x),
        pok=pok,
    )
    _record_path(copy, 4).write_text(json.dumps(record.to_json()))
    with pytest.raises(BrokenChain, match=r"contribution 4 \(mallory\) does not chain: its delta"):
        _verify(copy, done.ptau)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("r_delta_2", r"contribution 2 \(bob\): the proof of knowledge of its secret does not"),
        ("s_delta_1", r"contribution 2 \(bob\): the proof of knowledge of its secret does not"),
        ("name", r"contribution 2 \(mallory\): the proof of knowledge of its secret does not"),
    ],
)
def test_a_forged_proof_of_knowledge_is_rejected(
    done: Done, copy: Path, change: str, reason: str
) -> None:
    doc = json.loads(_record_path(copy, 2).read_text())
    if change == "name":
        doc["name"] = "mallory"  # claiming bob's contribution
    elif change == "r_delta_2":
        doc["pok"]["r_delta_2"] = contribution_from_json(doc).to_json()["delta_2"]
    else:
        doc["pok"]["s_delta_1"] = doc["pok"]["s_1"]
    _record_path(copy, 2).write_text(json.dumps(doc))
    with pytest.raises(InvalidProofOfKnowledge, match=reason):
        _verify(copy, done.ptau)


def test_a_beacon_that_is_not_its_value_is_rejected(done: Done, copy: Path) -> None:
    doc = json.loads(_record_path(copy, 4).read_text())
    doc["beacon"]["value"] = "ff" + doc["beacon"]["value"][2:]
    _record_path(copy, 4).write_text(json.dumps(doc))
    with pytest.raises(InvalidBeacon, match="not the previous delta times the beacon"):
        _verify(copy, done.ptau)


def test_a_swapped_ptau_is_rejected(done: Done, ptaus: tuple[Path, Path]) -> None:
    with pytest.raises(PtauError, match="not the phase-1 file the ceremony started from"):
        verify_ceremony(done.root, ptaus[1], tiny_circuit())


def test_a_header_naming_another_ptau_is_rejected(copy: Path, ptaus: tuple[Path, Path]) -> None:
    """Rewriting the header to name another phase 1 changes every challenge."""
    header = json.loads((copy / "ceremony.json").read_text())
    header["ptau"]["sha256"] = ceremony_mod.sha256_file(ptaus[1])
    (copy / "ceremony.json").write_text(json.dumps(header))
    with pytest.raises(InvalidProofOfKnowledge, match=r"contribution 1 \(alice\)"):
        _verify(copy, ptaus[1])


def test_a_modified_final_key_is_rejected(done: Done, copy: Path) -> None:
    params = CeremonyDir(copy).params_path(4)
    pk = ProvingKey.load(params)
    pk = replace(pk, l_g1=(g1_mul(G1_GEN, 5), *pk.l_g1[1:]))
    pk.save(params)
    with pytest.raises(KeyMismatch, match="not the params the last step produced"):
        _verify(copy, done.ptau)
    # Even with the record's hash updated to match, the key is not what phase 1 gives.
    _edit_record(copy, 4, params_after=ceremony_mod.sha256_file(params))
    with pytest.raises(KeyMismatch, match="L or H query is not the one phase 1 gives"):
        _verify(copy, done.ptau)


def test_a_modified_vk_is_rejected(done: Done) -> None:
    data = (done.out / "transcript.json").read_bytes()
    transcript = parse_transcript(data)
    vk = VerifyingKey.from_json(json.loads((done.out / "vk.json").read_text()))
    check_vk(transcript, vk)
    with pytest.raises(KeyMismatch, match=r"vk_delta_2 of vk\.json is not the ceremony's"):
        check_vk(transcript, replace(vk, delta_g2=G2_GEN))
    forged = replace(vk, ic=(vk.ic[0], vk.ic[2], vk.ic[1]))
    with pytest.raises(KeyMismatch, match=r"IC\[1\] of vk\.json is not the one the ceremony"):
        check_vk(transcript, forged)
    # With the transcript's vk hash rewritten too, the header still fixes IC.
    doc = json.loads(data)
    doc["final"]["vk_sha256"] = vk_sha256(forged)
    with pytest.raises(KeyMismatch, match=r"IC\[1\]"):
        verify_published(json.dumps(doc).encode(), forged, ops=FAST_OPS)
    # Rewriting the header's IC as well breaks every proof of knowledge: they bind it.
    doc["key"]["IC"] = [doc["key"]["IC"][0], doc["key"]["IC"][2], doc["key"]["IC"][1]]
    with pytest.raises(InvalidProofOfKnowledge, match="contribution 1"):
        verify_published(json.dumps(doc).encode(), forged, ops=FAST_OPS)
    # The ptau check recomputes IC from phase 1 (what the header must hold).
    with pytest.raises(KeyMismatch, match="IC"):
        check_published(data, forged, done.ptau, tiny_circuit())
    check_published(data, vk, done.ptau, tiny_circuit())


def test_a_transcript_with_a_contribution_removed_is_rejected(done: Done) -> None:
    transcript = json.loads((done.out / "transcript.json").read_bytes())
    del transcript["contributions"][1]
    vk = VerifyingKey.from_json(json.loads((done.out / "vk.json").read_text()))
    with pytest.raises(BrokenChain, match=r"contribution 3 \(carol\) is at position 2"):
        verify_published(json.dumps(transcript).encode(), vk)


def test_keys_whose_proving_key_was_swapped_are_refused(done: Done, tmp_path: Path) -> None:
    out = tmp_path / "keys"
    shutil.copytree(done.out, out)
    shutil.copyfile(CeremonyDir(done.root).params_path(2), out / "proving_key.pk")
    with pytest.raises(KeyMismatch, match="not the ceremony's final params"):
        load_ceremony_keys(out)


# --- the attestation's side ---------------------------------------------------------------


def test_the_verify_step_passes_for_the_ceremony_and_fails_for_the_dev_setup(done: Done) -> None:
    files = published_files(done.out)
    vk = VerifyingKey.from_json(json.loads((done.out / "vk.json").read_text()))

    def read(name: str) -> bytes:
        if name not in files:
            raise FileNotFoundError(name)
        return files[name]

    with pytest.raises(UnknownPhase1, match="not a known public Powers of Tau file"):
        check_setup(read, SETUP_CEREMONY, vk, TINY_ID)
    detail = check_setup(read, SETUP_CEREMONY, vk, TINY_ID, allow_unknown_phase1=True)
    assert "with the delta of 3 contributions (alice, bob, carol)" in detail
    assert "ACCEPTED ONLY BECAUSE ASKED (--allow-unknown-phase1)" in detail
    with pytest.raises(InsecureSetup, match="single-party development setup"):
        check_setup(read, "insecure-dev", vk, TINY_ID)
    with pytest.raises(KeyMismatch, match="the ceremony was for circuit tiny-test-circuit"):
        check_setup(read, SETUP_CEREMONY, vk, "zkpor1-a2-k2-d1", ops=FAST_OPS)
    with pytest.raises(UnknownPhase1):  # a pinned file is needed however good the rest
        check_setup(read, SETUP_CEREMONY, vk, TINY_ID, ops=FAST_OPS)
    files.clear()
    with pytest.raises(CeremonyError, match=r"ceremony/transcript\.json is missing"):
        check_setup(read, SETUP_CEREMONY, vk, TINY_ID, ops=FAST_OPS)


def test_prove_gets_the_ceremony_keys_and_their_statement(done: Done) -> None:
    keys = keys_for_prove(done.out)
    with pytest.raises(KeyMismatch, match="is for circuit tiny-test-circuit, not zkpor1"):
        keys(CircuitShape(2, 2, 1))
    assert list(published_files(done.out)) == ["ceremony/transcript.json"]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d.update(format="zkpor-ceremony/0"), 'format must be "zkpor-ceremony/2"'),
        (lambda d: d.update(extra=1), "transcript has unknown key extra"),
        (lambda d: d["contributions"][0].update(params_after="XY"), "params_after must be"),
        (lambda d: d["contributions"][0].update(name=""), "name must be 1 to 64 printable"),
        (lambda d: d["contributions"][0]["delta_1"].__setitem__(2, "2"), r"delta_1\[2\] must"),
        (lambda d: d["contributions"][3].update(kind="contribution"), "has a beacon"),
        (lambda d: d["ptau"].update(power=29), "power must be an integer in"),
    ],
)
def test_a_malformed_transcript_is_rejected_with_where(
    done: Done, edit: Callable[[dict[str, Any]], None], reason: str
) -> None:
    doc = json.loads((done.out / "transcript.json").read_bytes())
    edit(doc)
    with pytest.raises(MalformedTranscript, match=reason):
        parse_transcript(json.dumps(doc).encode())


def test_a_transcript_that_is_not_json_is_rejected() -> None:
    with pytest.raises(MalformedTranscript, match="not valid JSON"):
        parse_transcript(b'{"format": 1, "format": 2}')
