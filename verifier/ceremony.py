"""The transcript of a Groth16 setup ceremony (``zkpor-ceremony/1``) and its public check.

Whoever knows a Groth16 setup's secrets can forge proofs, so zkpor's keys come from a
ceremony: phase 1 (tau, alpha, beta) from a public Powers of Tau file, phase 2 (delta) from
any number of contributors, each multiplying delta by a secret ``d`` of their own and
forgetting it, and a final public *beacon*. The keys are sound if one contributor was
honest. The transcript's format is in ``verifier.ceremony_format``.

Proof of knowledge (bellman / snarkjs phase 2): contribution k publishes ``s`` (random in
G1), ``s·d`` and ``r_d = d·R`` with ``R = hash_to_g2(c_k || name || s || s·d)``, where
``c_k`` is a hash chain over the header and the k-1 earlier records. Then
``e(s, r_d) = e(s·d, R)`` proves the contributor knew ``d`` (R was not theirs to choose),
and ``e(delta_(k-1), r_d) = e(delta_k, R)`` proves ``delta_k = d·delta_(k-1)``, with
``delta_0`` the generator. The beacon is the same with ``d`` derived from a public value.

What ``verify_transcript`` + ``check_vk`` check (everything a reviewer has without the
phase-1 file and the params): the record chain, every proof of knowledge, the delta chain
from 1 to the final delta, the beacon's recomputation, that at least one contribution has
a secret, that the header's key is consistent (alpha, beta as recorded from the ptau,
gamma the generator), and that vk.json is exactly the header's key with the final delta.
Because the header is the first challenge of every proof of knowledge, its key (IC
included) was fixed before any honest contributor's secret existed: nobody can pick IC
as multiples of the final delta (which forges proofs of any public input).
``check_setup`` also requires the phase-1 file to be a known public one
(``verifier.phase1``) unless told otherwise.
What they do NOT check: that the header's key is the one the ptau gives for this
circuit (``zkpor verify --ptau`` and ``zkpor ceremony contribute`` recompute IC; an
honest contributor checks it before contributing), and the proving key
(``zkpor ceremony verify`` with the params).
This module is pure Python (stdlib + py_ecc) and runs in Pyodide.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence

from verifier.ceremony_crypto import (
    PY_ECC_OPS,
    CurveOps,
    PairingCheck,
    beacon_secrets,
    failed_pairing_check,
    hash_to_g2,
    pairing_checks_hold,
)
from verifier.ceremony_format import (
    BEACON,
    CONTRIBUTION,
    FORMAT,
    G1_GENERATOR,
    G2_GENERATOR,
    MAX_NAME,
    SETUP_CEREMONY,
    TRANSCRIPT,
    Beacon,
    BrokenChain,
    CeremonyError,
    CircuitInfo,
    Contribution,
    Final,
    Header,
    InvalidBeacon,
    InvalidProofOfKnowledge,
    KeyBase,
    KeyMismatch,
    MalformedTranscript,
    NoSecretContribution,
    ProofOfKnowledge,
    PtauInfo,
    Transcript,
    canonical_json,
    contribution_from_json,
    header_from_json,
    parse_transcript,
)
from verifier.field import P
from verifier.groth16 import G1Point, G2Point, VerifyingKey, _g1_on_curve, _g1_to_json
from verifier.manifest import SETUP_INSECURE_DEV
from verifier.phase1 import known_phase1
from verifier.strict_json import show

__all__ = [
    "BEACON",
    "CONTRIBUTION",
    "FORMAT",
    "G1_GENERATOR",
    "G2_GENERATOR",
    "MAX_NAME",
    "SETUP_CEREMONY",
    "STEP_NAME",
    "TRANSCRIPT",
    "Beacon",
    "BrokenChain",
    "CeremonyError",
    "CircuitInfo",
    "Contribution",
    "Final",
    "Header",
    "InsecureSetup",
    "InvalidBeacon",
    "InvalidProofOfKnowledge",
    "KeyBase",
    "KeyMismatch",
    "MalformedTranscript",
    "NoSecretContribution",
    "ProofOfKnowledge",
    "PtauInfo",
    "Transcript",
    "UnknownPhase1",
    "canonical_json",
    "challenges",
    "check_phase1",
    "check_setup",
    "check_vk",
    "contribution_from_json",
    "describe",
    "header_from_json",
    "parse_transcript",
    "pok_base",
    "statement",
    "verify_published",
    "verify_transcript",
    "vk_sha256",
]

_RECORD_TAG = b"zkpor-ceremony/2 contribution\0"
_POK_TAG = b"zkpor-ceremony/2 pok\0"


# --- the proof of knowledge ---------------------------------------------------------


def challenges(header: Header, records: Sequence[Contribution]) -> list[bytes]:
    """Return c_1 .. c_(K+1): c_1 hashes the header, c_(k+1) = H(c_k || record k)."""
    out = [header.digest()]
    for record in records:
        out.append(
            hashlib.sha256(_RECORD_TAG + out[-1] + canonical_json(record.to_json())).digest()
        )
    return out


def pok_base(
    challenge: bytes, name: str, s_g1: G1Point, s_d_g1: G1Point, ops: CurveOps = PY_ECC_OPS
) -> G2Point:
    """Return R = hash_to_g2(c_k || name || s || s·d), the base of the proof ``d·R``."""
    encoded = name.encode()
    message = (
        _POK_TAG
        + challenge
        + len(encoded).to_bytes(2, "big")
        + encoded
        + canonical_json([_g1_to_json(s_g1), _g1_to_json(s_d_g1)])
    )
    return hash_to_g2(message, ops)


def _check_points(record: Contribution, ops: CurveOps) -> None:
    """Return None if every point of the record is valid and not the point at infinity."""
    for name, p1 in (
        ("delta_1", record.delta_g1),
        ("pok.s_1", record.pok.s_g1),
        ("pok.s_delta_1", record.pok.s_d_g1),
    ):
        if p1 is None or not _g1_on_curve(p1):
            raise InvalidProofOfKnowledge(f"{record.label}: {name} is not a valid G1 point")
    for name, p2 in (("delta_2", record.delta_g2), ("pok.r_delta_2", record.pok.r_d_g2)):
        if p2 is None or not ops.g2_in_subgroup(p2):
            raise InvalidProofOfKnowledge(f"{record.label}: {name} is not a valid G2 point")


def _check_beacon(
    record: Contribution, beacon: Beacon, before: tuple[G1Point, G2Point], ops: CurveOps
) -> None:
    """Return None if the beacon's delta and nonce are those its public value gives."""
    d, t = beacon_secrets(beacon.value, beacon.iterations_exp)
    if (
        ops.g1_mul(before[0], d) != record.delta_g1
        or ops.g2_mul_unreduced(before[1], d) != record.delta_g2
    ):
        raise InvalidBeacon(f"{record.label}: delta is not the previous delta times the beacon")
    if ops.g1_mul(G1_GENERATOR, t) != record.pok.s_g1:
        raise InvalidBeacon(f"{record.label}: its proof nonce is not the beacon's")


def _pairing_checks(
    record: Contribution, challenge: bytes, before_g1: G1Point, ops: CurveOps
) -> list[PairingCheck]:
    """Return the three equations of one record, named by what their failure means.

    The first is the proof of knowledge; the other two are the delta chain.
    """
    base = pok_base(challenge, record.name, record.pok.s_g1, record.pok.s_d_g1, ops)
    pok = record.pok
    neg = _neg_g1
    return [
        (
            f"{record.label}: the proof of knowledge of its secret does not verify",
            [(pok.s_g1, pok.r_d_g2), (neg(pok.s_d_g1), base)],
        ),
        (
            f"{record.label} does not chain: its delta is not the previous delta "
            "times the secret it proves knowledge of",
            [(before_g1, pok.r_d_g2), (neg(record.delta_g1), base)],
        ),
        (
            f"{record.label}: delta_1 and delta_2 are not the same delta",
            [(record.delta_g1, G2_GENERATOR), (neg(G1_GENERATOR), record.delta_g2)],
        ),
    ]


def _check_pairings(
    per_record: list[list[PairingCheck]], rng: random.Random | None, ops: CurveOps
) -> None:
    """Run every record's equations as one check; if it fails, find the first bad one."""
    if pairing_checks_hold([c for checks in per_record for c in checks], rng, ops):
        return
    for checks in per_record:
        failed = failed_pairing_check(checks, rng, ops)
        if failed is not None:
            pok_failed = failed == checks[0][0]
            raise (InvalidProofOfKnowledge if pok_failed else BrokenChain)(failed)
    raise BrokenChain("the combined pairing check failed although every record passed alone")


def _neg_g1(point: G1Point) -> G1Point:
    return None if point is None else (point[0], -point[1] % P)


def _check_header_key(header: Header) -> None:
    """Return None if the header's key agrees with its ptau record and snarkjs's gamma."""
    key = header.key
    if key.alpha_g1 != header.ptau.alpha_g1 or key.beta_g2 != header.ptau.beta_g2:
        raise MalformedTranscript("the header's key.alpha_1/beta_2 are not its ptau's")
    if key.gamma_g2 != G2_GENERATOR:
        raise MalformedTranscript("the header's key.gamma_2 is not the G2 generator")
    for j, point in enumerate(key.ic):
        if point is None or not _g1_on_curve(point):
            raise MalformedTranscript(f"the header's key.IC[{j}] is not a valid G1 point")


def verify_transcript(
    transcript: Transcript,
    rng: random.Random | None = None,
    ops: CurveOps = PY_ECC_OPS,
    require_secret: bool = True,
) -> None:
    """Return None if the contributions chain from the header to the final delta.

    Checks, in order (raising the matching ``CeremonyError``): indices count 1..K;
    each record starts from the params the previous one produced; points are valid;
    the beacon, if any, is last and recomputes; at least one contribution has a secret
    (unless ``require_secret`` is false: a ceremony still under way);
    every proof of knowledge and delta step holds (one batched pairing check); the
    final section names the last params.
    """
    _check_header_key(transcript.header)
    records = transcript.contributions
    previous_params = transcript.header.initial_params_sha256
    before: tuple[G1Point, G2Point] = (G1_GENERATOR, G2_GENERATOR)
    chain = challenges(transcript.header, records)
    per_record: list[list[PairingCheck]] = []
    for k, record in enumerate(records):
        if record.index != k + 1:
            raise BrokenChain(f"{record.label} is at position {k + 1}: expected index {k + 1}")
        if record.params_before != previous_params:
            raise BrokenChain(
                f"{record.label} does not chain: it was made on params "
                f"{record.params_before[:16]}…, but the previous step produced "
                f"{previous_params[:16]}…"
            )
        _check_points(record, ops)
        if record.beacon is not None:
            if k != len(records) - 1:
                raise InvalidBeacon(f"{record.label} is not the last contribution")
            _check_beacon(record, record.beacon, before, ops)
        per_record.append(_pairing_checks(record, chain[k], before[0], ops))
        previous_params = record.params_after
        before = (record.delta_g1, record.delta_g2)
    if require_secret and not any(record.beacon is None for record in records):
        raise NoSecretContribution(
            "the transcript has no contribution with a secret: delta is public and anyone "
            "could forge proofs"
        )
    _check_pairings(per_record, rng, ops)
    final = transcript.final
    if final is not None and final.params_sha256 != transcript.params_sha256:
        raise BrokenChain("the final params are not those of the last contribution")


def vk_sha256(vk: VerifyingKey) -> str:
    """Return the sha256 of the canonical JSON of a verifying key (formatting aside)."""
    return hashlib.sha256(canonical_json(vk.to_json())).hexdigest()


def check_vk(transcript: Transcript, vk: VerifyingKey) -> None:
    """Return None if ``vk`` is the header's key with the transcript's final delta.

    Every point is compared, IC included: the header fixed them before the first
    contribution, and a key with any other IC proves nothing.
    """
    key = transcript.header.key
    if vk.n_public != transcript.header.circuit.n_public:
        raise KeyMismatch(
            f"vk.json has {vk.n_public} public inputs, the ceremony's circuit "
            f"{transcript.header.circuit.n_public}"
        )
    for what, found, expected in (
        ("vk_alpha_1", vk.alpha_g1, key.alpha_g1),
        ("vk_beta_2", vk.beta_g2, key.beta_g2),
        ("vk_gamma_2", vk.gamma_g2, key.gamma_g2),
        ("vk_delta_2", vk.delta_g2, transcript.delta_g2),
    ):
        if found != expected:
            raise KeyMismatch(f"{what} of vk.json is not the ceremony's")
    for j, (found_ic, expected_ic) in enumerate(zip(vk.ic, key.ic, strict=True)):
        if found_ic != expected_ic:
            raise KeyMismatch(
                f"IC[{j}] of vk.json is not the one the ceremony's header fixed before any "
                "contribution: the key is not bound to the circuit"
            )
    if transcript.final is not None and vk_sha256(vk) != transcript.final.vk_sha256:
        raise KeyMismatch("vk.json is not the verifying key the ceremony finalized (sha256)")


def describe(transcript: Transcript) -> str:
    """Return a one-line summary: who contributed, the beacon and the phase-1 file."""
    people = [c.name for c in transcript.contributions if c.beacon is None]
    beacons = [c for c in transcript.contributions if c.beacon is not None]
    text = f"{len(people)} contribution{'s' if len(people) != 1 else ''} ({', '.join(people)})"
    if beacons:
        text += f" and a random beacon ({beacons[0].name})"
    ptau = transcript.header.ptau
    return f"{text}; phase 1 from ptau sha256 {ptau.sha256[:16]}… (power {ptau.power})"


def statement(transcript: Transcript) -> str:
    """Return the trust statement of keys from this ceremony, for the manifest and site."""
    return (
        f"multi-party setup ceremony: {describe(transcript)}. Proofs can be forged only "
        "if every phase-2 contributor kept their secret and they pooled them, or if the "
        "phase-1 ceremony was compromised."
    )


def verify_published(
    data: bytes,
    vk: VerifyingKey,
    circuit_id: str | None = None,
    rng: random.Random | None = None,
    ops: CurveOps = PY_ECC_OPS,
) -> Transcript:
    """Return the transcript of a published ``ceremony/transcript.json`` once it checks out
    against the attestation's ``vk`` (and circuit id, if given); see the module docstring
    for what this does and does not establish."""
    transcript = parse_transcript(data)
    if circuit_id is not None and transcript.header.circuit.circuit_id != circuit_id:
        raise KeyMismatch(
            f"the ceremony was for circuit {show(transcript.header.circuit.circuit_id)}, "
            f"the attestation uses {show(circuit_id)}"
        )
    verify_transcript(transcript, rng, ops)
    check_vk(transcript, vk)
    return transcript


class InsecureSetup(CeremonyError):
    """The keys come from a single-party development setup: the proofs prove nothing."""


class UnknownPhase1(CeremonyError):
    """The phase-1 file is not a pinned public one: its maker may know tau, alpha, beta."""


def check_phase1(transcript: Transcript, allow_unknown: bool = False) -> str:
    """Return how the phase-1 file is known; raise ``UnknownPhase1`` if it is not pinned.

    With ``allow_unknown``, an unknown file passes with a detail that says so.
    """
    ptau = transcript.header.ptau
    known = known_phase1(ptau.blake2b, ptau.power)
    if known is not None:
        return f"phase 1 is the public {known.name} ({known.ceremony})"
    unknown = (
        f"phase 1 (blake2b {ptau.blake2b[:16]}…, power {ptau.power}) is not a known public "
        "Powers of Tau file: whoever made it may know its secrets and forge proofs"
    )
    if not allow_unknown:
        raise UnknownPhase1(unknown + " (--allow-unknown-phase1 accepts it)")
    return "ACCEPTED ONLY BECAUSE ASKED (--allow-unknown-phase1): " + unknown


#: The name of the ``zkpor verify`` step that runs ``check_setup``.
STEP_NAME = "setup ceremony"


def check_setup(
    read: Callable[[str], bytes],
    setup_kind: str,
    vk: VerifyingKey,
    circuit_id: str,
    rng: random.Random | None = None,
    ops: CurveOps = PY_ECC_OPS,
    *,
    allow_unknown_phase1: bool = False,
) -> str:
    """Return a one-line detail if the attestation's keys come from a checked ceremony.

    A step of ``zkpor verify``: ``read`` returns the bytes of an attestation file,
    ``setup_kind`` is the manifest's ``setup.kind``, ``vk`` its vk.json. Fails for the
    development setup, whoever made it could forge proofs; otherwise checks
    ``ceremony/transcript.json`` as ``verify_published`` does (see the module docstring
    for what that does not establish), then that phase 1 is a pinned public file
    (``check_phase1``; ``allow_unknown_phase1`` accepts any, saying so).
    """
    if setup_kind == SETUP_INSECURE_DEV:
        raise InsecureSetup(
            "the keys come from a single-party development setup (--insecure-dev-setup): "
            "whoever ran it could forge proofs of any totals"
        )
    if setup_kind != SETUP_CEREMONY:
        raise MalformedTranscript(f"unknown setup kind {show(setup_kind)}")
    try:
        data = read(TRANSCRIPT)
    except FileNotFoundError as exc:
        raise CeremonyError(f"{TRANSCRIPT} is missing: the ceremony cannot be checked") from exc
    except OSError as exc:
        raise CeremonyError(f"cannot read {TRANSCRIPT}: {exc}") from exc
    transcript = verify_published(data, vk, circuit_id, rng, ops)
    phase1 = check_phase1(transcript, allow_unknown_phase1)
    return (
        f"vk.json is the key the ceremony's header fixed (IC included) with the delta of "
        f"{describe(transcript)}; {phase1}"
    )
