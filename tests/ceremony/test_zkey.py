"""publisher.ceremony.zkey* against the real snarkjs 0.7.6, both directions, on the tiny circuit and
a power-5 ptau made by snarkjs: ``zkey new`` byte for byte, contributions and beacons
accepted by the other side (a chain snarkjs → zkpor → snarkjs → zkpor beacon), tampering
refused by both, and zkpor's prover proving with the resulting key for snarkjs's verifier."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from publisher.ceremony.ptau import Phase1, load_phase1
from publisher.ceremony.zkey import Zkey, ZkeyError, parse_zkey, read_zkey, write_zkey, zkey_bytes
from publisher.ceremony.zkey_keys import proving_key_from_zkey, verifying_key_from_zkey
from publisher.ceremony.zkey_mpc import beacon, contribute
from publisher.ceremony.zkey_new import new_zkey
from publisher.ceremony.zkey_verify import ZkeyMismatch, verify_zkey
from publisher.snark.curve import g1_mul, g2_mul
from publisher.snark.iden3 import write_r1cs
from publisher.snark.prove import prove
from publisher.snark.qap import domain_size
from publisher.snark.r1cs import ConstraintSystem
from tests import peers, ptau_files
from tests.tiny_circuit import TINY_ID, tiny_circuit, tiny_witness
from verifier.groth16 import VerifyingKey, public_inputs_to_json, verify
from verifier.mpc import (
    BeaconMismatch,
    DeltaDoesNotFollow,
    InconsistentTranscript,
    InvalidProofOfKnowledge,
    contribution_hash,
)

pytestmark = pytest.mark.interop
BEACON_HEX = "5eed" * 16


@dataclass(frozen=True)
class Setup:
    work: Path
    ptau: Path
    r1cs: Path
    cs: ConstraintSystem
    phase1: Phase1

    def snarkjs(self, *args: str | Path) -> peers.Run:
        return peers.snarkjs(*args, cwd=self.work)

    def ok(self, *args: str | Path) -> str:
        run = self.snarkjs(*args)
        assert run.code == 0, run.output
        return run.output

    def save(self, zkey: Zkey, name: str) -> Path:
        write_zkey(zkey, self.work / name)
        return self.work / name

    def snarkjs_verifies(self, path: Path) -> peers.Run:
        return self.snarkjs("zkey", "verify", self.r1cs, self.ptau, path)

    def verify(self, zkey: Zkey) -> None:
        verify_zkey(zkey, self.cs, self.phase1, self.ptau)


@pytest.fixture(scope="module")
def setup(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Setup:
    ptau = ptau_files.make_ptau(ptau_files.cache_dir(request.config, tmp_path_factory), 5)
    work = tmp_path_factory.mktemp("zkey")
    cs = tiny_circuit()
    write_r1cs(cs, work / "circuit.r1cs")
    phase1 = load_phase1(ptau, domain_size(cs))
    return Setup(work, ptau, work / "circuit.r1cs", cs, phase1)


@pytest.fixture(scope="module")
def initial(setup: Setup) -> Path:
    setup.ok("zkey", "new", setup.r1cs, setup.ptau, "0_snarkjs_new.zkey")
    return setup.work / "0_snarkjs_new.zkey"


@pytest.fixture(scope="module")
def chain(setup: Setup, initial: Path) -> dict[str, Path]:
    """snarkjs contribute → zkpor contribute → snarkjs contribute → zkpor beacon."""
    w = setup.work
    setup.ok("zkey", "contribute", initial, "1_snarkjs.zkey", "--name=alice (snarkjs)", "-e=a")
    ours = contribute(read_zkey(w / "1_snarkjs.zkey"), "bob (zkpor)", "entropy of bob")
    setup.save(ours, "2_zkpor.zkey")
    setup.ok(
        "zkey", "contribute", "2_zkpor.zkey", "3_snarkjs.zkey", "--name=carol (snarkjs)", "-e=c"
    )
    final = beacon(read_zkey(w / "3_snarkjs.zkey"), "beacon (zkpor)", bytes.fromhex(BEACON_HEX), 10)
    return {
        "1_snarkjs": w / "1_snarkjs.zkey",
        "2_zkpor": w / "2_zkpor.zkey",
        "3_snarkjs": w / "3_snarkjs.zkey",
        "4_zkpor_beacon": setup.save(final, "4_zkpor_beacon.zkey"),
    }


@pytest.fixture(scope="module")
def final(chain: dict[str, Path]) -> Zkey:
    return read_zkey(chain["4_zkpor_beacon"])


# --- zkey new, byte for byte ------------------------------------------------------------


def test_new_zkey_is_snarkjs_zkey_new_byte_for_byte(setup: Setup, initial: Path) -> None:
    ours = new_zkey(setup.cs, setup.phase1, setup.ptau)
    assert zkey_bytes(ours) == initial.read_bytes()
    assert parse_zkey(initial.read_bytes()) == ours


def test_files_snarkjs_wrote_are_read_and_rewritten_unchanged(chain: dict[str, Path]) -> None:
    for name in ("1_snarkjs", "3_snarkjs"):
        data = chain[name].read_bytes()
        assert zkey_bytes(parse_zkey(data, name)) == data


def test_new_zkey_refuses_another_ptau_for_its_phase1(
    setup: Setup, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = ptau_files.make_ptau(
        ptau_files.cache_dir(request.config, tmp_path_factory), 5, ("bob",), label="b"
    )
    with pytest.raises(ZkeyError, match="is not the phase-1 file"):
        new_zkey(setup.cs, setup.phase1, other)


# --- both directions --------------------------------------------------------------------


def test_snarkjs_accepts_a_zkpor_contribution(setup: Setup, initial: Path) -> None:
    ours = contribute(read_zkey(initial), "zkpor alone", "x")
    run = setup.snarkjs_verifies(setup.save(ours, "zkpor_alone.zkey"))
    assert run.code == 0 and "ZKey Ok!" in run.output, run.output
    hash_lines = run.output.split("contribution #1 zkpor alone:")[1].split("[INFO]")[0]
    assert "".join(hash_lines.split()) == contribution_hash(ours.contributions[0]).hex()


def test_snarkjs_accepts_a_zkpor_beacon_and_it_is_snarkjs_own(setup: Setup, initial: Path) -> None:
    ours = beacon(read_zkey(initial), "the beacon", bytes.fromhex(BEACON_HEX), 10)
    path = setup.save(ours, "zkpor_beacon_alone.zkey")
    assert setup.snarkjs_verifies(path).code == 0
    setup.ok(
        "zkey",
        "beacon",
        initial,
        "snarkjs_beacon_alone.zkey",
        BEACON_HEX,
        "10",
        "--name=the beacon",
    )
    assert path.read_bytes() == (setup.work / "snarkjs_beacon_alone.zkey").read_bytes()


def test_the_beacon_after_contributions_is_byte_identical(
    setup: Setup, chain: dict[str, Path]
) -> None:
    setup.ok(
        "zkey", "beacon", chain["3_snarkjs"], "4_snarkjs_beacon.zkey", BEACON_HEX, "10",
        "--name=beacon (zkpor)",
    )  # fmt: skip
    assert (
        chain["4_zkpor_beacon"].read_bytes() == (setup.work / "4_snarkjs_beacon.zkey").read_bytes()
    )


def test_snarkjs_accepts_the_mixed_chain(setup: Setup, chain: dict[str, Path]) -> None:
    run = setup.snarkjs_verifies(chain["4_zkpor_beacon"])
    assert run.code == 0 and "ZKey Ok!" in run.output, run.output
    for name in ("alice (snarkjs)", "bob (zkpor)", "carol (snarkjs)", "beacon (zkpor)"):
        assert name in run.output


def test_zkpor_accepts_the_mixed_chain_and_a_snarkjs_beacon(
    setup: Setup, chain: dict[str, Path], final: Zkey
) -> None:
    for name in ("1_snarkjs", "2_zkpor", "3_snarkjs"):
        setup.verify(read_zkey(chain[name]))
    setup.verify(final)
    setup.ok(
        "zkey",
        "beacon",
        chain["4_zkpor_beacon"],
        "5_snarkjs_beacon.zkey",
        "ab" * 32,
        "11",
        "--name=sb",
    )
    last = read_zkey(setup.work / "5_snarkjs_beacon.zkey")
    assert [c.kind for c in last.contributions] == ["contribution"] * 3 + ["beacon"] * 2
    setup.verify(last)


def test_zkpor_refuses_a_zkey_without_contributions_unless_told(
    setup: Setup, initial: Path
) -> None:
    fresh = read_zkey(initial)
    with pytest.raises(ZkeyMismatch, match="no phase-2 contribution"):
        setup.verify(fresh)
    verify_zkey(fresh, setup.cs, setup.phase1, setup.ptau, allow_no_contributions=True)


# --- tampering: both refuse ---------------------------------------------------------------


def _with_contribution(z: Zkey, index: int, **changes: object) -> Zkey:
    records = list(z.contributions)
    records[index] = replace(records[index], **changes)  # type: ignore[arg-type]
    return replace(z, contributions=tuple(records))


def _double(points: tuple, index: int = 0) -> tuple:  # type: ignore[type-arg]
    return (*points[:index], g1_mul(points[index], 2), *points[index + 1 :])


Tamper = Callable[[Zkey], Zkey]
TAMPERS: list[tuple[str, Tamper, type[Exception], str, str]] = [
    (
        "transcript",
        lambda z: _with_contribution(z, 1, transcript=bytes(64)),
        InconsistentTranscript,
        r"#2 \(contribution 'bob \(zkpor\)'\): inconsistent transcript",
        "Inconsistent transcript",
    ),
    (
        "g1_s",
        lambda z: _with_contribution(z, 0, g1_s=g1_mul(z.contributions[0].g1_s, 2)),
        InconsistentTranscript,
        r"#1 \(contribution 'alice \(snarkjs\)'\)",
        "Inconsistent transcript",
    ),
    (
        "g2_spx",
        lambda z: _with_contribution(z, 2, g2_spx=g2_mul(z.contributions[2].g2_spx, 2)),
        InvalidProofOfKnowledge,
        r"#3 \(contribution 'carol \(snarkjs\)'\): its public key",
        "do not have the same ration",
    ),
    (
        "delta_after",
        lambda z: _with_contribution(z, 3, delta_after=g1_mul(z.contributions[3].delta_after, 2)),
        DeltaDoesNotFollow,
        r"#4 \(beacon 'beacon \(zkpor\)'\): delta_after",
        "deltaAfter does not fillow",
    ),
    (
        "beacon_hash",
        lambda z: _with_contribution(z, 3, beacon_hash=b"\x01" * 32),
        BeaconMismatch,
        r"#4 .*key of the beacon does not match \(g1_s\)",
        "Key of the beacon does not match",
    ),
    (
        "num_iterations_exp",
        lambda z: _with_contribution(z, 3, num_iterations_exp=11),
        BeaconMismatch,
        r"#4 .*key of the beacon does not match",
        "Key of the beacon does not match",
    ),
    (
        "dropped contribution",
        lambda z: replace(z, contributions=z.contributions[:-1]),
        ZkeyMismatch,
        "delta_1 is not the last contribution's deltaAfter",
        "Invalid delta1",
    ),
    ("delta_1", lambda z: replace(z, delta_g1=g1_mul(z.delta_g1, 2)), ZkeyMismatch,
     "delta_1 is not the last", "Invalid delta1"),
    ("delta_2", lambda z: replace(z, delta_g2=g2_mul(z.delta_g2, 2)), ZkeyMismatch,
     "delta_2 does not match its delta_1", "Invalid delta2"),
    ("L point", lambda z: replace(z, c_g1=_double(z.c_g1, 1)), ZkeyMismatch,
     r"L \(section 8\) is not the initial one", "L section does not match"),
    ("H point", lambda z: replace(z, h_g1=_double(z.h_g1, 3)), ZkeyMismatch,
     r"H \(section 9\) is not the initial one", "H section does not match"),
    ("IC point", lambda z: replace(z, ic=_double(z.ic, 2)), ZkeyMismatch,
     r"IC \(section 3\) differs from the circuit's at item 2", "IC section is not identical"),
    ("A point", lambda z: replace(z, a_g1=_double(z.a_g1, 4)), ZkeyMismatch,
     r"A \(section 5\) differs from the circuit's at item 4", "A section is not identical"),
    ("coefficient", lambda z: replace(z, coefficients=((0, 0, 3, 5), *z.coefficients[1:])),
     ZkeyMismatch, r"coefficients \(section 4\) differs", "Coeffs section is not identical"),
    ("alpha_1", lambda z: replace(z, alpha_g1=g1_mul(z.alpha_g1, 2)), ZkeyMismatch,
     "alpha_1 is not the one of phase 1", "Invalid alpha1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tamper", "error", "ours", "theirs"),
    [pytest.param(*t[1:], id=t[0]) for t in TAMPERS],
)
def test_tampering_is_refused_by_both(
    setup: Setup, final: Zkey, tamper: Tamper, error: type[Exception], ours: str, theirs: str
) -> None:
    bad = tamper(final)
    run = setup.snarkjs_verifies(setup.save(bad, "tampered.zkey"))
    assert run.code != 0 and "ZKey Ok!" not in run.output
    assert theirs in run.output, run.output
    with pytest.raises(error, match=ours):
        setup.verify(read_zkey(setup.work / "tampered.zkey"))


def test_names_are_not_authenticated_by_either(setup: Setup, final: Zkey) -> None:
    """snarkjs's format leaves names out of every hash: renaming passes both checks, so a
    ceremony must publish its contribution hashes, not only names."""
    renamed = _with_contribution(final, 1, name="mallory")
    assert setup.snarkjs_verifies(setup.save(renamed, "renamed.zkey")).code == 0
    setup.verify(renamed)
    assert contribution_hash(renamed.contributions[1]) == contribution_hash(final.contributions[1])


# --- proving with the ceremony's key --------------------------------------------------------


def test_zkpor_proves_with_the_zkey_for_snarkjs(
    setup: Setup, chain: dict[str, Path], final: Zkey
) -> None:
    setup.ok("zkey", "export", "verificationkey", chain["4_zkpor_beacon"], "vk.json")
    exported = VerifyingKey.from_json(json.loads((setup.work / "vk.json").read_text()))
    assert verifying_key_from_zkey(final) == exported
    pk = proving_key_from_zkey(final, setup.cs, TINY_ID)
    witness = tiny_witness(setup.cs)
    proof = prove(pk, setup.cs, witness)
    public = witness[1 : setup.cs.n_public + 1]
    verify(exported, public, proof)
    (setup.work / "proof.json").write_text(json.dumps(proof.to_json()))
    (setup.work / "public.json").write_text(json.dumps(public_inputs_to_json(public)))
    run = setup.snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json")
    assert run.code == 0 and "OK!" in run.output, run.output


def test_the_proving_key_refuses_another_circuit(setup: Setup, final: Zkey) -> None:
    other = tiny_circuit()
    a, b, c = other.constraints[0]
    other.constraints[0] = ({**a, 1: 2}, b, c)
    with pytest.raises(ZkeyError, match=r"coefficients \(section 4\) are not this circuit's"):
        proving_key_from_zkey(final, other, TINY_ID)
    with pytest.raises(ZkeyError, match="number of public inputs"):
        proving_key_from_zkey(replace(final, n_public=1), setup.cs, TINY_ID)


# --- what the contribute and beacon calls refuse -----------------------------------------------


def test_bad_contribution_parameters_are_refused(final: Zkey) -> None:
    with pytest.raises(ZkeyError, match="at most 64 characters"):
        contribute(final, "x" * 65)
    with pytest.raises(ZkeyError, match="exponent must be in"):
        beacon(final, "b", b"\x01", 9)
    with pytest.raises(ZkeyError, match="exponent must be in"):
        beacon(final, "b", b"\x01", 29)
    with pytest.raises(ZkeyError, match="1 to 255 bytes"):
        beacon(final, "b", b"", 10)
