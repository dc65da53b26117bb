"""The transcript of a Groth16 setup ceremony (``zkpor-ceremony/2``) and its public check.

Whoever knows a Groth16 setup's secrets can forge proofs, so zkpor's keys come from a
ceremony: phase 1 (tau, alpha, beta) from a public Powers of Tau file, phase 2 (delta) from
any number of contributors in snarkjs's format (``verifier.mpc``), each multiplying delta
by a secret of their own and forgetting it, usually ending with a public beacon. The keys
are sound if one contributor of each phase was honest. The format is in
``verifier.ceremony_format``.

What ``verify_transcript`` + ``check_vk`` check (everything a reviewer or a browser has
without the phase-1 file and the zkey):

1. the header's key is consistent: alpha and beta are the ptau's recorded ones, gamma
   the generator, every IC point on the curve;
2. the anchor: the first contribution's ``g1_s`` is the point hashed from the header, so
   the header (IC included) was fixed before any later contributor's secret existed;
3. every contribution as ``snarkjs zkey verify`` checks it: transcript chain from the
   header's circuit hash, proof of knowledge, delta chain from the generator, beacons
   recomputed; at least one contribution that is not a public beacon;
4. vk.json is exactly the header's key (alpha, beta, gamma, every IC point) with the
   final delta: ``e(delta_1, g2) = e(g1, vk_delta_2)``.

So a key with ``IC_i = k_i·delta_1`` (which forges proofs of any public input) fails 4,
and rewriting the header's IC as well fails 2 or 3. ``check_setup`` also requires phase 1
to be a pinned public file (``verifier.phase1``) unless told otherwise.
What they do NOT check: that the header's key and circuit hash are the ones the ptau
gives for this circuit (``zkpor verify --ptau`` recomputes IC; ``zkpor ceremony
contribute`` checks the header and the zkey before contributing; ``zkpor ceremony
verify`` and ``snarkjs zkey verify`` check the whole zkey). Contributor names are not
covered by any hash (snarkjs's format): contributors recognise their own record by its
``contribution_hash``.
This module is pure Python (stdlib + py_ecc) and runs in Pyodide.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Collection

from verifier.ceremony_crypto import PURE_OPS, CurveOps, failed_pairing_check
from verifier.ceremony_format import (
    FORMAT,
    G1_GENERATOR,
    G2_GENERATOR,
    SETUP_CEREMONY,
    TRANSCRIPT,
    BrokenChain,
    CeremonyError,
    CircuitInfo,
    Final,
    Header,
    KeyBase,
    KeyMismatch,
    MalformedTranscript,
    NoSecretContribution,
    PtauInfo,
    Transcript,
    canonical_json,
    header_anchor,
    header_from_json,
    parse_transcript,
)
from verifier.field import P
from verifier.groth16 import G1Point, VerifyingKey, _g1_on_curve
from verifier.manifest import MANIFEST, SETUP_INSECURE_DEV
from verifier.mpc import Contribution, contribution_hash, verify_contributions
from verifier.phase1 import known_phase1
from verifier.strict_json import show

__all__ = [
    "FORMAT",
    "G1_GENERATOR",
    "G2_GENERATOR",
    "SETUP_CEREMONY",
    "STEP_NAME",
    "TRANSCRIPT",
    "BrokenChain",
    "CeremonyError",
    "CircuitInfo",
    "Contribution",
    "Final",
    "Header",
    "InsecureSetup",
    "KeyBase",
    "KeyMismatch",
    "MalformedTranscript",
    "NoSecretContribution",
    "PtauInfo",
    "Transcript",
    "UnknownPhase1",
    "canonical_json",
    "check_phase1",
    "check_setup",
    "check_setup_files",
    "check_vk",
    "contribution_hash",
    "describe",
    "header_anchor",
    "header_from_json",
    "parse_transcript",
    "statement",
    "verify_published",
    "verify_transcript",
    "vk_sha256",
]


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


def check_anchor(header: Header, contributions: tuple[Contribution, ...]) -> None:
    """Return None if the first contribution binds the header (its ``g1_s`` is the
    header's anchor point); raise ``BrokenChain`` otherwise."""
    if not contributions:
        return
    if contributions[0].kind != "contribution" or contributions[0].g1_s != header_anchor(header):
        raise BrokenChain(
            "contribution #1 does not bind the ceremony's header (its g1_s is not the "
            "header's anchor point): the header, IC included, may have been written after "
            "the contributions; the first contribution must be made with zkpor"
        )


def verify_transcript(
    transcript: Transcript,
    rng: random.Random | None = None,
    ops: CurveOps = PURE_OPS,
    require_secret: bool = True,
) -> None:
    """Return None if the contributions chain from the header to the final delta.

    Checks, in order (raising a ``CeremonyError`` or ``verifier.mpc.MpcError``): the
    header's key; the anchor; every contribution (``verifier.mpc.verify_contributions``);
    at least one contribution with a secret (unless ``require_secret`` is false: a
    ceremony still under way).
    """
    header = transcript.header
    _check_header_key(header)
    check_anchor(header, transcript.contributions)
    verify_contributions(header.cs_hash, transcript.contributions, ops, rng)
    if require_secret and not any(c.kind == "contribution" for c in transcript.contributions):
        raise NoSecretContribution(
            "the transcript has no contribution with a secret: delta is public and anyone "
            "could forge proofs"
        )


def vk_sha256(vk: VerifyingKey) -> str:
    """Return the sha256 of the canonical JSON of a verifying key (formatting aside)."""
    return hashlib.sha256(canonical_json(vk.to_json())).hexdigest()


def check_vk(
    transcript: Transcript,
    vk: VerifyingKey,
    rng: random.Random | None = None,
    ops: CurveOps = PURE_OPS,
) -> None:
    """Return None if ``vk`` is the header's key with the transcript's final delta.

    Every point is compared, IC included: the header fixed them before the contributions,
    and a key with any other IC proves nothing. vk's delta_2 must pair like the last
    contribution's delta_1.
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
    ):
        if found != expected:
            raise KeyMismatch(f"{what} of vk.json is not the ceremony's")
    for j, (found_ic, expected_ic) in enumerate(zip(vk.ic, key.ic, strict=True)):
        if found_ic != expected_ic:
            raise KeyMismatch(
                f"IC[{j}] of vk.json is not the one the ceremony's header fixed before any "
                "contribution: the key is not bound to the circuit"
            )
    if vk.delta_g2 is None or not ops.g2_in_subgroup(vk.delta_g2):
        raise KeyMismatch("vk_delta_2 of vk.json is not a point of G2")
    delta_1 = transcript.delta_g1
    neg_g1: G1Point = (1, P - 2)  # -G1
    pairs = [(delta_1, G2_GENERATOR), (neg_g1, vk.delta_g2)]
    failed = failed_pairing_check(
        [("vk_delta_2 of vk.json is not the ceremony's final delta", pairs)], rng, ops
    )
    if failed is not None:
        raise KeyMismatch(failed)


def describe(transcript: Transcript) -> str:
    """Return a one-line summary: who contributed, the beacon and the phase-1 file."""
    people = [c.name or "anonymous" for c in transcript.contributions if c.kind != "beacon"]
    beacons = [c for c in transcript.contributions if c.kind == "beacon"]
    text = f"{len(people)} contribution{'s' if len(people) != 1 else ''} ({', '.join(people)})"
    if beacons:
        text += f" and a random beacon ({beacons[0].name or 'unnamed'})"
    ptau = transcript.header.ptau
    return f"{text}; phase 1 from ptau blake2b {ptau.blake2b[:16]}… (power {ptau.power})"


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
    ops: CurveOps = PURE_OPS,
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
    check_vk(transcript, vk, rng, ops)
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
STEP_NAME = "trusted setup"


def check_setup_files(setup_kind: str, listed: Collection[str]) -> None:
    """Raise ``CeremonyError`` unless the manifest's ``files`` (the names in ``listed``)
    fit its setup kind: a ceremony's transcript is listed (so its sha256 pins it, and
    every reader checks the same transcript), a development setup lists none (it has
    no ceremony). The first check of the setup step of ``zkpor verify`` and of the
    user's check, before ``check_setup``; other kinds are left to ``check_setup``."""
    if setup_kind == SETUP_CEREMONY and TRANSCRIPT not in listed:
        raise CeremonyError(
            f"{MANIFEST} does not list the sha256 of {TRANSCRIPT}, but its setup.kind is "
            f"{SETUP_CEREMONY}: the transcript that fixed the keys must be listed"
        )
    if setup_kind == SETUP_INSECURE_DEV and TRANSCRIPT in listed:
        raise CeremonyError(
            f"{MANIFEST} lists {TRANSCRIPT}, but its setup.kind is {SETUP_INSECURE_DEV}: "
            "a development setup has no ceremony transcript"
        )


def check_setup(
    read: Callable[[str], bytes],
    setup_kind: str,
    vk: VerifyingKey,
    circuit_id: str,
    rng: random.Random | None = None,
    ops: CurveOps = PURE_OPS,
    *,
    allow_unknown_phase1: bool = False,
) -> str:
    """Return a one-line detail if the attestation's keys come from a checked ceremony.

    A step of ``zkpor verify`` and of the user's check (after ``check_setup_files``):
    ``read`` returns the bytes of an attestation file, ``setup_kind`` is the manifest's
    ``setup.kind``, ``vk`` its vk.json.
    Fails for the development setup, whoever made it could forge proofs; otherwise checks
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
