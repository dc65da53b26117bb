"""verifier.mpc on snarkjs's own phase-2 records (tests/vectors/zkey): the transcript chain,
contribution hashes, beacon recomputation, and every rejection path, in pure Python."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from publisher.snark.curve import g1_mul, g2_mul
from publisher.snark.pairing import FAST_OPS
from tests.paths import VECTORS as TEST_VECTORS
from verifier.ceremony_crypto import PY_ECC_OPS, fp2_sqrt
from verifier.field import P
from verifier.mpc import (
    BeaconMismatch,
    BeaconTooCostly,
    Contribution,
    DeltaDoesNotFollow,
    InconsistentTranscript,
    InvalidContributionPoint,
    InvalidProofOfKnowledge,
    MalformedContribution,
    beacon_key,
    contribution_hash,
    expected_transcript,
    verify_contributions,
)
from verifier.mpc_primitives import _fp2_cube_plus_b

VECTORS = TEST_VECTORS / "zkey" / "snarkjs_contributions.json"
DATA = json.loads(VECTORS.read_text())
CS_HASH = bytes.fromhex(DATA["cs_hash"])
RECORDS = tuple(
    Contribution.from_json(c, f"contributions[{i}]") for i, c in enumerate(DATA["contributions"])
)


def check(records: tuple[Contribution, ...] | list[Contribution]) -> object:
    return verify_contributions(CS_HASH, records, FAST_OPS, random.Random(1))


def retranscribed(records: list[Contribution], index: int) -> list[Contribution]:
    """Return ``records`` with the transcript of ``index`` recomputed for its (edited) key,
    so that a check after the transcript's is what fails."""
    c = records[index]
    fresh = expected_transcript(CS_HASH, records[:index], c.g1_s, c.g1_sx)
    return [*records[:index], replace(c, transcript=fresh), *records[index + 1 :]]


def test_snarkjs_records_check_in_pure_python() -> None:
    final = verify_contributions(CS_HASH, RECORDS, PY_ECC_OPS, random.Random(2))
    assert final == tuple(int(v) for v in DATA["delta_g1"])
    assert [r.kind for r in RECORDS] == ["contribution", "beacon"]


def test_contribution_hashes_are_the_ones_snarkjs_prints() -> None:
    assert [contribution_hash(c).hex() for c in RECORDS] == DATA["contribution_hashes"]


def test_transcripts_chain_from_the_circuit_hash() -> None:
    for i, c in enumerate(RECORDS):
        assert expected_transcript(CS_HASH, RECORDS[:i], c.g1_s, c.g1_sx) == c.transcript


def test_the_beacon_key_is_recomputed() -> None:
    b = RECORDS[1]
    assert b.beacon_hash is not None and b.num_iterations_exp is not None
    d, g1_s = beacon_key(b.beacon_hash, b.num_iterations_exp)
    assert g1_s == b.g1_s and g1_mul(g1_s, d) == b.g1_sx


def test_no_contribution_leaves_the_generator() -> None:
    assert check(()) == (1, 2)


def test_json_round_trip() -> None:
    for c in RECORDS:
        assert Contribution.from_json(json.loads(json.dumps(c.to_json()))) == c


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda o: {**o, "extra": 1}, "exactly the keys"),
        (lambda o: {k: v for k, v in o.items() if k != "name"}, "exactly the keys"),
        (lambda o: {**o, "type": "gift"}, "type must be"),
        (lambda o: {**o, "name": 7}, "name must be a string"),
        (lambda o: {**o, "transcript": o["transcript"][:-2]}, "64 bytes"),
        (lambda o: {**o, "transcript": o["transcript"].upper()}, "lower-case hex"),
        (
            lambda o: {**o, "g1_s": [o["g1_s"][0], str(int(o["g1_s"][1]) + 1), "1"]},
            "not on the curve",
        ),
        (lambda o: {**o, "g1_sx": [str(P), "2", "1"]}, "not below"),
        (lambda o: {**o, "delta_after": ["1", "2"]}, "list of 3"),
    ],
)
def test_malformed_json_is_refused(edit: object, reason: str) -> None:
    with pytest.raises(MalformedContribution, match=reason):
        Contribution.from_json(edit(RECORDS[0].to_json()))  # type: ignore[operator]


def test_malformed_beacon_json_is_refused() -> None:
    beacon = RECORDS[1].to_json()
    with pytest.raises(MalformedContribution, match="exactly the keys"):
        Contribution.from_json({k: v for k, v in beacon.items() if k != "beacon_hash"})
    with pytest.raises(MalformedContribution, match="num_iterations_exp must be an integer"):
        Contribution.from_json({**beacon, "num_iterations_exp": "10"})
    with pytest.raises(MalformedContribution, match="only a beacon"):
        replace(RECORDS[0], beacon_hash=b"x")


def test_a_flipped_transcript_is_refused() -> None:
    bad = bytes([RECORDS[0].transcript[0] ^ 1]) + RECORDS[0].transcript[1:]
    with pytest.raises(InconsistentTranscript, match=r"#1 \(contribution 'alice \(snarkjs\)'\)"):
        check([replace(RECORDS[0], transcript=bad), RECORDS[1]])


def test_a_changed_key_breaks_its_transcript() -> None:
    with pytest.raises(InconsistentTranscript, match="#1") as caught:
        check([replace(RECORDS[0], g1_s=g1_mul(RECORDS[0].g1_s, 2)), RECORDS[1]])
    assert (caught.value.index, caught.value.name) == (0, "alice (snarkjs)")


def test_the_first_failing_record_is_named() -> None:
    """A changed delta_after also breaks the next record's transcript (hashPubKey covers
    it); as in snarkjs's sequential loop, the changed record is the one named."""
    a = RECORDS[0]
    with pytest.raises(DeltaDoesNotFollow, match="#1") as caught:
        check([replace(a, delta_after=g1_mul(a.delta_after, 2)), RECORDS[1]])
    assert caught.value.index == 0


def test_a_key_without_knowledge_is_refused() -> None:
    """g1_sx and g2_spx for different secrets: the transcript is consistent, the ratio not."""
    a = RECORDS[0]
    forged = retranscribed([replace(a, g1_sx=g1_mul(a.g1_s, 5))], 0)
    with pytest.raises(InvalidProofOfKnowledge, match=r"#1.*same ratio"):
        check(forged)
    with pytest.raises(InvalidProofOfKnowledge, match="#1"):
        check([replace(a, g2_spx=g2_mul(a.g2_spx, 2)), RECORDS[1]])


def test_a_delta_not_moved_by_the_key_is_refused() -> None:
    b = RECORDS[1]
    with pytest.raises(
        DeltaDoesNotFollow, match=r"#2 \(beacon 'beacon \(snarkjs\)'\): delta_after"
    ):
        check([RECORDS[0], replace(b, delta_after=g1_mul(b.delta_after, 2))])


def test_a_beacon_that_is_not_its_hash_is_refused() -> None:
    b = RECORDS[1]
    with pytest.raises(BeaconMismatch, match=r"#2.*g1_s"):
        check([RECORDS[0], replace(b, beacon_hash=b"\x00" + (b.beacon_hash or b"")[1:])])
    with pytest.raises(BeaconMismatch, match="#2"):
        check([RECORDS[0], replace(b, num_iterations_exp=11)])


def test_a_costly_beacon_is_refused_before_hashing() -> None:
    with pytest.raises(BeaconTooCostly, match="2\\^40 beacon iterations"):
        check([RECORDS[0], replace(RECORDS[1], num_iterations_exp=40)])


def test_invalid_points_are_refused() -> None:
    a = RECORDS[0]
    with pytest.raises(InvalidContributionPoint, match="g1_s is infinity"):
        check([replace(a, g1_s=None)])
    with pytest.raises(InvalidContributionPoint, match="delta_after is infinity or not on"):
        check([replace(a, delta_after=(1, 3))])
    with pytest.raises(InvalidContributionPoint, match="g2_spx is infinity or not in G2"):
        check([replace(a, g2_spx=None)])
    with pytest.raises(InvalidContributionPoint, match="g2_spx"):
        check([replace(a, g2_spx=((1, 0), (0, 0)))])  # not on the twist
    with pytest.raises(InvalidContributionPoint, match="g2_spx"):
        check([replace(a, g2_spx=twist_point_outside_g2())])


def twist_point_outside_g2() -> tuple[tuple[int, int], tuple[int, int]]:
    """Return a point of the twist that is not in G2 (the cofactor is not cleared)."""
    for x0 in range(1, 100):
        y = fp2_sqrt(_fp2_cube_plus_b((x0, 0)))
        if y is not None:
            point = ((x0, 0), y)
            assert not FAST_OPS.g2_in_subgroup(point)
            return point
    raise AssertionError("no twist point found")


def test_a_second_contribution_cannot_be_dropped_silently() -> None:
    """Dropping the first record breaks the second one's transcript."""
    with pytest.raises(InconsistentTranscript, match="#1"):
        check([RECORDS[1]])
