"""A ceremony over a snarkjs-made Powers of Tau file (power 5) and a tiny circuit, in
snarkjs's zkey format: alice (zkpor, the anchor), bob (snarkjs zkey contribute), carol
(zkpor), a beacon. Its keys prove and verify (here and in snarkjs), ``snarkjs zkey
verify`` accepts its final zkey, and every tampering with the header, a contribution,
the phase-1 file or the final keys is rejected."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from publisher.ceremony import zkey_mpc
from publisher.ceremony.directory import (
    FINAL_ZKEY_FILE,
    R1CS_FILE,
    CeremonyDir,
    CeremonyInputError,
    add_zkey,
    beacon,
    check_before_contributing,
    check_published,
    contribute,
    finalize,
    init_ceremony,
    keys_for_prove,
    load_ceremony_keys,
    published_files,
    verify_ceremony,
)
from publisher.ceremony.ptau import PtauError
from publisher.ceremony.zkey import read_zkey, write_zkey
from publisher.ceremony.zkey_verify import ZkeyMismatch
from publisher.snark.batch import BatchProof, write_snarkjs_files
from publisher.snark.circuit import CircuitShape
from publisher.snark.curve import G1_GEN, G2_GEN, g1_mul
from publisher.snark.keys import ProvingKey
from publisher.snark.pairing import FAST_OPS
from publisher.snark.prove import prove
from tests import peers, ptau_files
from tests.tiny_circuit import TINY_ID, tiny_circuit, tiny_witness
from verifier.ceremony import (
    SETUP_CEREMONY,
    BrokenChain,
    CeremonyError,
    InsecureSetup,
    KeyMismatch,
    MalformedTranscript,
    UnknownPhase1,
    check_setup,
    check_vk,
    describe,
    header_anchor,
    parse_transcript,
    statement,
    verify_published,
    verify_transcript,
    vk_sha256,
)
from verifier.groth16 import VerifyingKey, verify
from verifier.mpc import InconsistentTranscript, MpcError, contribution_hash
from verifier.mpc_primitives import ChaCha, fr_from_rng

pytestmark = pytest.mark.interop
BEACON_HEX = "00000000000000000001a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
NAMES = ["alice", "bob (snarkjs)", "carol", "beacon: block 1"]


@dataclass(frozen=True)
class Done:
    """A finished ceremony: its directory, the phase-1 file and the finalized keys."""

    root: Path
    ptau: Path
    out: Path


def _snarkjs(*args: str | Path, cwd: Path) -> str:
    run = peers.snarkjs(*args, cwd=cwd)
    assert run.code == 0, run.output
    return run.output


@pytest.fixture(scope="module")
def ptaus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    cache = ptau_files.cache_dir(request.config, tmp_path_factory)
    return ptau_files.make_ptau(cache, 5), ptau_files.make_ptau(cache, 5, ("bob",), label="b")


def _snarkjs_contributes(root: Path, name: str, entropy: str) -> None:
    """Give the latest zkey to a snarkjs contributor and add what they send back."""
    folder = CeremonyDir(root)
    latest = folder.params_path(folder.latest_index())
    out = root.parent / f"{name.split()[0]}-snarkjs.zkey"
    _snarkjs("zkey", "contribute", latest, out, f"--name={name}", f"-e={entropy}", cwd=root)
    add_zkey(root, out)


@pytest.fixture(scope="module")
def done(ptaus: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Done:
    root = tmp_path_factory.mktemp("ceremony") / "c"
    ptau = ptaus[0]
    cs = tiny_circuit()
    init_ceremony(root, ptau, cs, TINY_ID)
    contribute(root, "alice", b"alice typed this", ptau=ptau, cs=cs)
    _snarkjs_contributes(root, "bob (snarkjs)", "bob's dice")
    contribute(root, "carol", b"carol typed this", ptau=ptau, cs=cs)
    beacon(root, "beacon: block 1", bytes.fromhex(BEACON_HEX), 10)
    out = root.parent / "keys"
    finalize(root, ptau, out, cs)
    return Done(root, ptau, out)


@pytest.fixture
def copy(done: Done, tmp_path: Path) -> Iterator[Path]:
    """A copy of the finished ceremony directory, to tamper with."""
    target = tmp_path / "c"
    shutil.copytree(done.root, target)
    yield target


def _drop_last(root: Path, count: int = 1) -> None:
    folder = CeremonyDir(root)
    for _ in range(count):
        folder.params_path(folder.latest_index()).unlink()


def _verify(root: Path, ptau: Path) -> None:
    verify_ceremony(root, ptau, tiny_circuit())


def _published(done: Done) -> tuple[bytes, VerifyingKey]:
    data = (done.out / "transcript.json").read_bytes()
    return data, VerifyingKey.from_json(json.loads((done.out / "vk.json").read_text()))


# --- the ceremony works, with snarkjs on both sides ----------------------------------


def test_the_ceremony_verifies_and_names_its_contributors(done: Done) -> None:
    transcript = verify_ceremony(done.root, done.ptau, tiny_circuit())
    assert [c.name for c in transcript.contributions] == NAMES
    assert [c.kind for c in transcript.contributions] == ["contribution"] * 3 + ["beacon"]
    assert transcript.contributions[0].g1_s == header_anchor(transcript.header)
    assert "3 contributions (alice, bob (snarkjs), carol) and a random beacon" in describe(
        transcript
    )
    assert "only if every phase-2 contributor kept their secret" in statement(transcript)


def test_snarkjs_zkey_verify_accepts_the_final_zkey_and_rejects_a_changed_one(
    done: Done, tmp_path: Path
) -> None:
    said = _snarkjs("zkey", "verify", done.out / R1CS_FILE, done.ptau, done.out / FINAL_ZKEY_FILE,
                    cwd=done.out)  # fmt: skip
    assert "ZKey Ok!" in said
    for name in NAMES[:3]:
        assert name in said
    zkey = read_zkey(done.out / FINAL_ZKEY_FILE)
    changed = [
        replace(zkey, c_g1=(g1_mul(G1_GEN, 5), *zkey.c_g1[1:])),
        replace(zkey, h_g1=(*zkey.h_g1[:-1], g1_mul(G1_GEN, 7))),
        replace(zkey, ic=(g1_mul(G1_GEN, 3), *zkey.ic[1:])),
        replace(zkey, delta_g1=g1_mul(zkey.delta_g1, 2)),
    ]
    for k, bad in enumerate(changed):
        path = tmp_path / f"bad{k}.zkey"
        write_zkey(bad, path)
        run = peers.snarkjs("zkey", "verify", done.out / R1CS_FILE, done.ptau, path, cwd=tmp_path)
        assert "ZKey Ok!" not in run.output, (k, run.output)


def test_the_final_keys_prove_and_snarkjs_accepts_the_proof(done: Done, tmp_path: Path) -> None:
    keys = load_ceremony_keys(done.out, TINY_ID)
    cs, witness = tiny_circuit(), tiny_witness(tiny_circuit())
    proof = prove(ProvingKey.load(keys.proving_key_path), cs, witness)
    verify(keys.verifying_key, witness[1:3], proof)
    write_snarkjs_files(tmp_path, keys.verifying_key, BatchProof(tuple(witness[1:3]), proof))
    run = peers.snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path)
    assert run.code == 0 and "OK" in run.output, run.output
    _snarkjs("zkey", "export", "verificationkey", done.out / FINAL_ZKEY_FILE, "exported.json",
             cwd=tmp_path)  # fmt: skip
    exported = VerifyingKey.from_json(json.loads((tmp_path / "exported.json").read_text()))
    assert exported == keys.verifying_key


def test_the_published_transcript_checks_out_with_and_without_the_ptau(done: Done) -> None:
    data, vk = _published(done)
    assert verify_published(data, vk, TINY_ID).final is not None
    check_published(data, vk, done.ptau, tiny_circuit())


def test_the_secret_is_never_written(
    done: Done, copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _drop_last(copy)  # the beacon, to contribute again
    seed_bytes = bytes(range(64))
    monkeypatch.setattr(zkey_mpc.secrets, "token_bytes", lambda n: seed_bytes[:n])
    contribute(copy, "dave", b"dave's entropy")
    import hashlib

    seed = hashlib.blake2b(seed_bytes + b"dave's entropy", digest_size=64).digest()
    secret = fr_from_rng(ChaCha.from_digest(seed))
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


@pytest.mark.parametrize("name", ["", " padded", "x" * 65, "tab\there"])
def test_a_bad_contributor_name_is_refused(copy: Path, name: str) -> None:
    with pytest.raises(CeremonyInputError, match="contributor name"):
        contribute(copy, name)


def test_the_beacon_cannot_come_first(ptaus: tuple[Path, Path], tmp_path: Path) -> None:
    root = tmp_path / "c"
    init_ceremony(root, ptaus[0], tiny_circuit(), TINY_ID)
    with pytest.raises(CeremonyInputError, match="first contribution must be a secret one"):
        beacon(root, "beacon", bytes.fromhex(BEACON_HEX), 10)


def test_a_first_contribution_made_with_snarkjs_does_not_bind_the_header(
    ptaus: tuple[Path, Path], tmp_path: Path
) -> None:
    """snarkjs picks g1_s at random: the first record would not bind the header's IC."""
    root = tmp_path / "c"
    init_ceremony(root, ptaus[0], tiny_circuit(), TINY_ID)
    with pytest.raises(BrokenChain, match="contribution #1 does not bind the ceremony's header"):
        _snarkjs_contributes(root, "mallory (snarkjs)", "x")


def test_a_contributor_refuses_a_header_whose_ic_is_not_the_circuits(
    ptaus: tuple[Path, Path], tmp_path: Path
) -> None:
    root = tmp_path / "c"
    init_ceremony(root, ptaus[0], tiny_circuit(), TINY_ID)
    header = json.loads((root / "ceremony.json").read_text())
    header["key"]["IC"][1] = header["key"]["IC"][0]
    (root / "ceremony.json").write_text(json.dumps(header))
    with pytest.raises(KeyMismatch, match=r"header's key .* is not the one phase 1 gives"):
        contribute(root, "alice", ptau=ptaus[0], cs=tiny_circuit())
    assert CeremonyDir(root).latest_index() == 0


def test_a_contributor_refuses_a_zkey_whose_l_query_is_not_phase_1s(
    copy: Path, done: Done
) -> None:
    _drop_last(copy, 2)  # carol and the beacon: the latest zkey is bob's
    folder = CeremonyDir(copy)
    path = folder.params_path(folder.latest_index())
    zkey = read_zkey(path)
    write_zkey(replace(zkey, c_g1=(g1_mul(G1_GEN, 5), *zkey.c_g1[1:])), path)
    with pytest.raises(KeyMismatch, match="L or H query is not the one phase 1 gives"):
        check_before_contributing(copy, done.ptau, tiny_circuit())


def test_adding_a_zkey_that_does_not_extend_the_latest_is_refused(
    copy: Path, tmp_path: Path
) -> None:
    _drop_last(copy)
    folder = CeremonyDir(copy)
    older = folder.params_path(1)  # alice's: lacks bob's record
    with pytest.raises(KeyMismatch, match=r"is not the latest zkey .* plus one contribution"):
        add_zkey(copy, older)


# --- rejections ---------------------------------------------------------------------------


def test_rewriting_the_header_after_the_contributions_breaks_the_chain(done: Done) -> None:
    """The forger rewrites the header's IC and redoes the anchor contribution with a
    secret of their own: bob's record, made on the true first record, no longer chains."""
    transcript = parse_transcript((done.out / "transcript.json").read_bytes())
    forged_key = replace(
        transcript.header.key, ic=(transcript.header.key.ic[1], *transcript.header.key.ic[1:])
    )
    header = replace(transcript.header, key=forged_key)
    zkey = read_zkey(CeremonyDir(done.root).params_path(0))
    redone = zkey_mpc.contribute(zkey, "alice", b"", g1_s=header_anchor(header))
    forged = replace(
        transcript, header=header, contributions=(redone.contributions[0],
                                                  *transcript.contributions[1:])
    )  # fmt: skip
    with pytest.raises(InconsistentTranscript, match="#2"):
        verify_transcript(forged, ops=FAST_OPS)
    # and without redoing it, the anchor no longer matches
    with pytest.raises(BrokenChain, match="does not bind the ceremony's header"):
        verify_transcript(replace(transcript, header=header), ops=FAST_OPS)


def test_a_swapped_ptau_is_rejected(done: Done, ptaus: tuple[Path, Path]) -> None:
    with pytest.raises(PtauError, match="not the phase-1 file the ceremony started from"):
        verify_ceremony(done.root, ptaus[1], tiny_circuit())


def test_a_modified_final_zkey_is_rejected(done: Done, copy: Path) -> None:
    folder = CeremonyDir(copy)
    path = folder.params_path(folder.latest_index())
    zkey = read_zkey(path)
    write_zkey(replace(zkey, c_g1=(g1_mul(G1_GEN, 5), *zkey.c_g1[1:])), path)
    with pytest.raises(ZkeyMismatch, match="L"):
        _verify(copy, done.ptau)


def test_a_modified_vk_is_rejected(done: Done) -> None:
    data, vk = _published(done)
    transcript = parse_transcript(data)
    check_vk(transcript, vk)
    with pytest.raises(KeyMismatch, match=r"vk_delta_2 of vk\.json is not the ceremony's final"):
        check_vk(transcript, replace(vk, delta_g2=G2_GEN))
    forged = replace(vk, ic=(vk.ic[0], vk.ic[2], vk.ic[1]))
    with pytest.raises(KeyMismatch, match=r"IC\[1\] of vk\.json is not the one the ceremony"):
        check_vk(transcript, forged)
    # Rewriting the transcript's final hash changes nothing: the header fixes IC.
    doc = json.loads(data)
    doc["final"]["zkey_sha256"] = vk_sha256(forged)
    with pytest.raises(KeyMismatch, match=r"IC\[1\]"):
        verify_published(json.dumps(doc).encode(), forged, ops=FAST_OPS)
    # The ptau check recomputes IC from phase 1 too.
    with pytest.raises(KeyMismatch, match="IC"):
        check_published(data, forged, done.ptau, tiny_circuit())


def test_a_transcript_with_a_contribution_removed_is_rejected(done: Done) -> None:
    data, vk = _published(done)
    doc = json.loads(data)
    del doc["contributions"][1]
    with pytest.raises(MpcError, match="#2"):
        verify_published(json.dumps(doc).encode(), vk)


def test_a_renamed_contribution_still_verifies_but_its_hash_identifies_it(done: Done) -> None:
    """snarkjs's records do not cover names: contributors check their hash instead."""
    data, vk = _published(done)
    doc = json.loads(data)
    doc["contributions"][1]["name"] = "mallory"
    renamed = verify_published(json.dumps(doc).encode(), vk)
    original = parse_transcript(data)
    assert contribution_hash(renamed.contributions[1]) == contribution_hash(
        original.contributions[1]
    )


def test_keys_whose_proving_key_was_swapped_are_refused(done: Done, tmp_path: Path) -> None:
    out = tmp_path / "keys"
    shutil.copytree(done.out, out)
    pk = ProvingKey.load(out / "proving_key.pk")
    replace(pk, delta_g1=G1_GEN, delta_g2=G2_GEN).save(out / "proving_key.pk")
    with pytest.raises(KeyMismatch, match="not the ceremony's final key"):
        load_ceremony_keys(out)
    shutil.copyfile(CeremonyDir(done.root).params_path(2), out / FINAL_ZKEY_FILE)
    with pytest.raises(KeyMismatch, match="not the ceremony's final zkey"):
        load_ceremony_keys(out)


# --- the attestation's side ---------------------------------------------------------------


def test_the_setup_step_needs_a_known_phase1_and_fails_the_dev_setup(done: Done) -> None:
    files = published_files(done.out)
    _, vk = _published(done)

    def read(name: str) -> bytes:
        if name not in files:
            raise FileNotFoundError(name)
        return files[name]

    with pytest.raises(UnknownPhase1, match="not a known public Powers of Tau file"):
        check_setup(read, SETUP_CEREMONY, vk, TINY_ID, ops=FAST_OPS)
    detail = check_setup(read, SETUP_CEREMONY, vk, TINY_ID, allow_unknown_phase1=True)
    assert "with the delta of 3 contributions (alice, bob (snarkjs), carol)" in detail
    assert "ACCEPTED ONLY BECAUSE ASKED (--allow-unknown-phase1)" in detail
    with pytest.raises(InsecureSetup, match="single-party development setup"):
        check_setup(read, "insecure-dev", vk, TINY_ID, allow_unknown_phase1=True)
    with pytest.raises(KeyMismatch, match="the ceremony was for circuit tiny-test-circuit"):
        check_setup(read, SETUP_CEREMONY, vk, "zkpor1-a2-k2-d1", ops=FAST_OPS)
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
        (lambda d: d.update(format="zkpor-ceremony/1"), 'format must be "zkpor-ceremony/2"'),
        (lambda d: d.update(extra=1), "transcript has unknown key extra"),
        (lambda d: d.update(cs_hash="XY"), "cs_hash must be"),
        (lambda d: d["contributions"][0].update(transcript="zz"), "transcript must be"),
        (lambda d: d["contributions"][0]["delta_after"].__setitem__(2, "2"), r"delta_after"),
        (lambda d: d["contributions"][3].update(type="contribution"), "keys"),
        (lambda d: d["ptau"].update(power=29), "power must be an integer in"),
        (lambda d: d["key"]["IC"].pop(), r"IC must be a list of 3 G1 points"),
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
