"""The transcript of a Groth16 setup ceremony (``zkpor-ceremony/1``) and its public check.

Whoever knows a Groth16 setup's secrets can forge proofs, so zkpor's keys come from a
ceremony: phase 1 (tau, alpha, beta) from a public Powers of Tau file, phase 2 (delta) from
any number of contributors, each multiplying delta by a secret ``d`` of their own and
forgetting it, and a final public *beacon*. The keys are sound if one contributor was
honest. The transcript, published as ``ceremony/transcript.json``, is one JSON object::

    {"format": "zkpor-ceremony/1",
     "circuit": {"id", "r1cs_sha256", "n_public", "n_wires", "domain_size",
                 "shape": {"assets", "arity", "batch_depth"} or null},
     "ptau": {"sha256", "blake2b", "power", "contributors", "alpha_1", "beta_1", "beta_2"},
     "initial_params_sha256": hex,                       <- the header ends here
     "contributions": [{"index": 1.., "kind": "contribution" | "beacon", "name",
                        "params_before", "params_after", "delta_1", "delta_2",
                        "pok": {"s_1", "s_delta_1", "r_delta_2"},
                        "beacon": {"value": hex, "iterations_exp"}  (beacon only)}, ..],
     "final": {"params_sha256", "vk_sha256"}}

Points are in the snarkjs JSON form of ``vk.json``; hashes are lowercase hex. "params"
are the full proving key files passed from contributor to contributor (never published);
``params_before/after`` chain them by sha256.

Proof of knowledge (bellman / snarkjs phase 2): contribution k publishes ``s`` (random in
G1), ``s·d`` and ``r_d = d·R`` with ``R = hash_to_g2(c_k || name || s || s·d)``, where
``c_k`` is a hash chain over the header and the k-1 earlier records. Then
``e(s, r_d) = e(s·d, R)`` proves the contributor knew ``d`` (R was not theirs to choose),
and ``e(delta_(k-1), r_d) = e(delta_k, R)`` proves ``delta_k = d·delta_(k-1)``, with
``delta_0`` the generator. The beacon is the same with ``d`` derived from a public value.

What ``verify_transcript`` + ``check_vk`` check (everything a reviewer has without the
phase-1 file and the params): the record chain, every proof of knowledge, the delta chain
from 1 to the final delta, the beacon's recomputation, that at least one contribution has
a secret, and that vk.json's delta, gamma (= the generator), alpha and beta are the
transcript's (alpha, beta as recorded from the ptau) and its sha256 the finalized one.
What they do NOT check: that the ptau recorded by hash is well formed and is the
community file it claims to be, and that IC (and the proving key) were derived from it
for this circuit. ``zkpor ceremony verify`` checks those, with the ptau and the params.
This module is pure Python (stdlib + py_ecc) and runs in Pyodide.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from py_ecc.optimized_bn128.optimized_curve import G1 as _ECC_G1
from py_ecc.optimized_bn128.optimized_curve import G2 as _ECC_G2
from py_ecc.optimized_bn128.optimized_curve import multiply

from verifier.ceremony_crypto import (
    MAX_BEACON_EXP,
    PairingCheck,
    _g1_ecc,
    _g2_ecc,
    beacon_secrets,
    failed_pairing_check,
    g1_from_ecc,
    g2_from_ecc,
    hash_to_g2,
)
from verifier.errors import MalformedInput, VerificationError
from verifier.field import P
from verifier.groth16 import (
    G1Point,
    G2Point,
    VerifyingKey,
    _g1_from_json,
    _g1_on_curve,
    _g1_to_json,
    _g2_from_json,
    _g2_in_subgroup,
    _g2_on_curve,
    _g2_to_json,
)
from verifier.strict_json import loads, show

FORMAT = "zkpor-ceremony/1"
#: Where an attestation publishes the transcript.
TRANSCRIPT = "ceremony/transcript.json"
#: The manifest's ``setup.kind`` for keys made by a ceremony.
SETUP_CEREMONY = "ceremony"
CONTRIBUTION, BEACON = "contribution", "beacon"
MAX_NAME = 64
MAX_CONTRIBUTIONS = 10_000
G1_GENERATOR: G1Point = (1, 2)
G2_GENERATOR: G2Point = g2_from_ecc(_ECC_G2)
_HEX64 = re.compile("[0-9a-f]{64}")
_HEX128 = re.compile("[0-9a-f]{128}")
_HEADER_TAG = b"zkpor-ceremony/1 header\0"
_RECORD_TAG = b"zkpor-ceremony/1 contribution\0"
_POK_TAG = b"zkpor-ceremony/1 pok\0"


class CeremonyError(VerificationError):
    """The ceremony transcript, or a key said to come from it, does not check out."""


class MalformedTranscript(CeremonyError, MalformedInput):
    """The transcript is not a zkpor-ceremony/1 JSON object."""


class BrokenChain(CeremonyError):
    """A contribution does not start from what the previous one produced."""


class InvalidProofOfKnowledge(CeremonyError):
    """A contribution's proof of knowledge of its secret does not verify."""


class InvalidBeacon(CeremonyError):
    """The beacon contribution is not what its public value gives."""


class NoSecretContribution(CeremonyError):
    """Every contribution is public (or there is none): anyone could forge proofs."""


class KeyMismatch(CeremonyError):
    """A verifying or proving key is not the output of this transcript."""


# --- JSON access ------------------------------------------------------------------


class _Doc:
    """Typed, strict access to one JSON object; errors name the place in the transcript."""

    def __init__(self, obj: object, where: str, keys: Sequence[str]) -> None:
        if not isinstance(obj, dict):
            raise MalformedTranscript(f"{where} must be a JSON object")
        extra = sorted(set(obj) - set(keys))
        if extra:
            raise MalformedTranscript(f"{where} has unknown key {show(extra[0])}")
        self.obj: dict[str, object] = obj
        self.where = where

    def get(self, key: str) -> object:
        if key not in self.obj:
            raise MalformedTranscript(f"{self.where}: missing key {key!r}")
        return self.obj[key]

    def text(self, key: str, pattern: re.Pattern[str] | None = None) -> str:
        value = self.get(key)
        if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
            kind = "a string" if pattern is None else f"a string matching {pattern.pattern}"
            raise MalformedTranscript(f"{self.where}.{key} must be {kind}")
        return value

    def count(self, key: str, maximum: int) -> int:
        value = self.get(key)
        if type(value) is not int or not 0 <= value <= maximum:
            raise MalformedTranscript(f"{self.where}.{key} must be an integer in [0, {maximum}]")
        return value

    def g1(self, key: str) -> G1Point:
        return _g1_from_json(self.get(key), f"{self.where}.{key}", MalformedTranscript)

    def g2(self, key: str) -> G2Point:
        return _g2_from_json(self.get(key), f"{self.where}.{key}", MalformedTranscript)

    def sub(self, key: str, keys: Sequence[str]) -> _Doc:
        return _Doc(self.get(key), f"{self.where}.{key}", keys)


def canonical_json(obj: object) -> bytes:
    """Return the canonical bytes of a JSON value: sorted keys, no spaces, ASCII."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


# --- data types -------------------------------------------------------------------


@dataclass(frozen=True)
class CircuitInfo:
    """The circuit the ceremony is for; ``shape`` = (assets, arity, batch_depth) if a batch."""

    circuit_id: str
    r1cs_sha256: str
    n_public: int
    n_wires: int
    domain_size: int
    shape: tuple[int, int, int] | None

    def to_json(self) -> dict[str, object]:
        shape = self.shape
        return {
            "id": self.circuit_id,
            "r1cs_sha256": self.r1cs_sha256,
            "n_public": self.n_public,
            "n_wires": self.n_wires,
            "domain_size": self.domain_size,
            "shape": None
            if shape is None
            else {"assets": shape[0], "arity": shape[1], "batch_depth": shape[2]},
        }

    @classmethod
    def from_doc(cls, doc: _Doc) -> CircuitInfo:
        shape_obj = doc.get("shape")
        shape = None
        if shape_obj is not None:
            s = doc.sub("shape", ("assets", "arity", "batch_depth"))
            shape = (s.count("assets", 1000), s.count("arity", 64), s.count("batch_depth", 64))
        domain = doc.count("domain_size", 1 << 28)
        if domain < 1 or domain & (domain - 1):
            raise MalformedTranscript(f"{doc.where}.domain_size must be a power of two")
        return cls(
            circuit_id=doc.text("id"),
            r1cs_sha256=doc.text("r1cs_sha256", _HEX64),
            n_public=doc.count("n_public", 1 << 20),
            n_wires=doc.count("n_wires", 1 << 32),
            domain_size=domain,
            shape=shape,
        )


@dataclass(frozen=True)
class PtauInfo:
    """The phase-1 file, by its hashes, and the points of it that vk.json repeats."""

    sha256: str
    blake2b: str
    power: int
    contributors: tuple[str, ...]
    alpha_g1: G1Point
    beta_g1: G1Point
    beta_g2: G2Point

    def to_json(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "blake2b": self.blake2b,
            "power": self.power,
            "contributors": list(self.contributors),
            "alpha_1": _g1_to_json(self.alpha_g1),
            "beta_1": _g1_to_json(self.beta_g1),
            "beta_2": _g2_to_json(self.beta_g2),
        }

    @classmethod
    def from_doc(cls, doc: _Doc) -> PtauInfo:
        names = doc.get("contributors")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise MalformedTranscript(f"{doc.where}.contributors must be a list of strings")
        return cls(
            sha256=doc.text("sha256", _HEX64),
            blake2b=doc.text("blake2b", _HEX128),
            power=doc.count("power", 28),
            contributors=tuple(names),
            alpha_g1=doc.g1("alpha_1"),
            beta_g1=doc.g1("beta_1"),
            beta_g2=doc.g2("beta_2"),
        )


@dataclass(frozen=True)
class Header:
    """What the ceremony is for; fixed by ``init`` before any contribution."""

    circuit: CircuitInfo
    ptau: PtauInfo
    initial_params_sha256: str

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "circuit": self.circuit.to_json(),
            "ptau": self.ptau.to_json(),
            "initial_params_sha256": self.initial_params_sha256,
        }

    def digest(self) -> bytes:
        """Return c_1, the challenge of the first contribution."""
        return hashlib.sha256(_HEADER_TAG + canonical_json(self.to_json())).digest()


_HEADER_KEYS = ("format", "circuit", "ptau", "initial_params_sha256")
_CIRCUIT_KEYS = ("id", "r1cs_sha256", "n_public", "n_wires", "domain_size", "shape")
_PTAU_KEYS = ("sha256", "blake2b", "power", "contributors", "alpha_1", "beta_1", "beta_2")


def header_from_json(obj: object, where: str = "ceremony header") -> Header:
    """Return the header of a parsed ceremony.json (or of a transcript)."""
    return _header(_Doc(obj, where, (*_HEADER_KEYS, "contributions", "final")))


def _header(doc: _Doc) -> Header:
    if doc.get("format") != FORMAT:
        raise MalformedTranscript(f'{doc.where}.format must be "{FORMAT}"')
    return Header(
        circuit=CircuitInfo.from_doc(doc.sub("circuit", _CIRCUIT_KEYS)),
        ptau=PtauInfo.from_doc(doc.sub("ptau", _PTAU_KEYS)),
        initial_params_sha256=doc.text("initial_params_sha256", _HEX64),
    )


@dataclass(frozen=True)
class ProofOfKnowledge:
    """``s``, ``s·d`` in G1 and ``d·R`` in G2 for the contribution's secret ``d``."""

    s_g1: G1Point
    s_d_g1: G1Point
    r_d_g2: G2Point


@dataclass(frozen=True)
class Beacon:
    """The public value the beacon's ``d`` is derived from, and its iteration exponent."""

    value: bytes
    iterations_exp: int


@dataclass(frozen=True)
class Contribution:
    """One phase-2 contribution (or the beacon): delta after it and its proof."""

    index: int
    name: str
    params_before: str
    params_after: str
    delta_g1: G1Point
    delta_g2: G2Point
    pok: ProofOfKnowledge
    beacon: Beacon | None = None

    @property
    def kind(self) -> str:
        return CONTRIBUTION if self.beacon is None else BEACON

    @property
    def label(self) -> str:
        """Return how messages name this contribution: ``contribution 2 (bob)``."""
        return f"{self.kind} {self.index} ({self.name})"

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "index": self.index,
            "kind": self.kind,
            "name": self.name,
            "params_before": self.params_before,
            "params_after": self.params_after,
            "delta_1": _g1_to_json(self.delta_g1),
            "delta_2": _g2_to_json(self.delta_g2),
            "pok": {
                "s_1": _g1_to_json(self.pok.s_g1),
                "s_delta_1": _g1_to_json(self.pok.s_d_g1),
                "r_delta_2": _g2_to_json(self.pok.r_d_g2),
            },
        }
        if self.beacon is not None:
            doc["beacon"] = {
                "value": self.beacon.value.hex(),
                "iterations_exp": self.beacon.iterations_exp,
            }
        return doc


_RECORD_KEYS = (
    "index", "kind", "name", "params_before", "params_after", "delta_1", "delta_2", "pok",
    "beacon",
)  # fmt: skip


def contribution_from_json(obj: object, where: str = "contribution") -> Contribution:
    """Return the contribution record of a parsed JSON object."""
    doc = _Doc(obj, where, _RECORD_KEYS)
    kind = doc.text("kind")
    if kind not in (CONTRIBUTION, BEACON):
        raise MalformedTranscript(f'{where}.kind must be "{CONTRIBUTION}" or "{BEACON}"')
    beacon = None
    if kind == BEACON:
        b = doc.sub("beacon", ("value", "iterations_exp"))
        value = b.text("value", re.compile("(?:[0-9a-f]{2}){1,256}"))
        beacon = Beacon(bytes.fromhex(value), b.count("iterations_exp", MAX_BEACON_EXP))
    elif "beacon" in doc.obj:
        raise MalformedTranscript(f"{where} is a contribution but has a beacon")
    name = doc.text("name")
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise MalformedTranscript(f"{where}.name must be 1 to {MAX_NAME} printable characters")
    pok = doc.sub("pok", ("s_1", "s_delta_1", "r_delta_2"))
    return Contribution(
        index=doc.count("index", MAX_CONTRIBUTIONS),
        name=name,
        params_before=doc.text("params_before", _HEX64),
        params_after=doc.text("params_after", _HEX64),
        delta_g1=doc.g1("delta_1"),
        delta_g2=doc.g2("delta_2"),
        pok=ProofOfKnowledge(pok.g1("s_1"), pok.g1("s_delta_1"), pok.g2("r_delta_2")),
        beacon=beacon,
    )


@dataclass(frozen=True)
class Final:
    """What ``finalize`` produced: the final params and vk.json, by sha256."""

    params_sha256: str
    vk_sha256: str


@dataclass(frozen=True)
class Transcript:
    """The header, the contributions in order and, once finalized, the outputs."""

    header: Header
    contributions: tuple[Contribution, ...]
    final: Final | None = None

    def to_json(self) -> dict[str, object]:
        doc = self.header.to_json()
        doc["contributions"] = [c.to_json() for c in self.contributions]
        if self.final is not None:
            doc["final"] = {
                "params_sha256": self.final.params_sha256,
                "vk_sha256": self.final.vk_sha256,
            }
        return doc

    @classmethod
    def from_json(cls, obj: object) -> Transcript:
        doc = _Doc(obj, "transcript", (*_HEADER_KEYS, "contributions", "final"))
        records = doc.get("contributions")
        if not isinstance(records, list) or len(records) > MAX_CONTRIBUTIONS:
            raise MalformedTranscript(
                f"transcript.contributions must be a list of at most {MAX_CONTRIBUTIONS}"
            )
        contributions = tuple(
            contribution_from_json(r, f"transcript.contributions[{i}]")
            for i, r in enumerate(records)
        )
        final = None
        if "final" in doc.obj:
            f = doc.sub("final", ("params_sha256", "vk_sha256"))
            final = Final(f.text("params_sha256", _HEX64), f.text("vk_sha256", _HEX64))
        return cls(_header(doc), contributions, final)

    @property
    def delta_g1(self) -> G1Point:
        """Return the final delta in G1 (the generator before any contribution)."""
        return self.contributions[-1].delta_g1 if self.contributions else G1_GENERATOR

    @property
    def delta_g2(self) -> G2Point:
        """Return the final delta in G2."""
        return self.contributions[-1].delta_g2 if self.contributions else G2_GENERATOR

    @property
    def params_sha256(self) -> str:
        """Return the sha256 of the params the last contribution produced."""
        if self.contributions:
            return self.contributions[-1].params_after
        return self.header.initial_params_sha256


def parse_transcript(data: bytes) -> Transcript:
    """Return the transcript of a ``transcript.json`` file (strict JSON)."""
    try:
        obj = loads(data)
    except ValueError as exc:
        raise MalformedTranscript(f"the transcript is not valid JSON: {exc}") from exc
    return Transcript.from_json(obj)


# --- the proof of knowledge ---------------------------------------------------------


def challenges(header: Header, records: Sequence[Contribution]) -> list[bytes]:
    """Return c_1 .. c_(K+1): c_1 hashes the header, c_(k+1) = H(c_k || record k)."""
    out = [header.digest()]
    for record in records:
        out.append(
            hashlib.sha256(_RECORD_TAG + out[-1] + canonical_json(record.to_json())).digest()
        )
    return out


def pok_base(challenge: bytes, name: str, s_g1: G1Point, s_d_g1: G1Point) -> G2Point:
    """Return R = hash_to_g2(c_k || name || s || s·d), the base of the proof ``d·R``."""
    encoded = name.encode()
    message = (
        _POK_TAG
        + challenge
        + len(encoded).to_bytes(2, "big")
        + encoded
        + canonical_json([_g1_to_json(s_g1), _g1_to_json(s_d_g1)])
    )
    return hash_to_g2(message)


def _check_points(record: Contribution) -> None:
    """Return None if every point of the record is valid and not the point at infinity."""
    for name, p1 in (
        ("delta_1", record.delta_g1),
        ("pok.s_1", record.pok.s_g1),
        ("pok.s_delta_1", record.pok.s_d_g1),
    ):
        if p1 is None or not _g1_on_curve(p1):
            raise InvalidProofOfKnowledge(f"{record.label}: {name} is not a valid G1 point")
    for name, p2 in (("delta_2", record.delta_g2), ("pok.r_delta_2", record.pok.r_d_g2)):
        if p2 is None or not _g2_on_curve(p2) or not _g2_in_subgroup(p2):
            raise InvalidProofOfKnowledge(f"{record.label}: {name} is not a valid G2 point")


def _check_beacon(record: Contribution, beacon: Beacon, before: tuple[G1Point, G2Point]) -> None:
    """Return None if the beacon's delta and nonce are those its public value gives."""
    d, t = beacon_secrets(beacon.value, beacon.iterations_exp)
    if (
        g1_from_ecc(multiply(_g1_ecc(before[0]), d)) != record.delta_g1
        or g2_from_ecc(multiply(_g2_ecc(before[1]), d)) != record.delta_g2
    ):
        raise InvalidBeacon(f"{record.label}: delta is not the previous delta times the beacon")
    if g1_from_ecc(multiply(_ECC_G1, t)) != record.pok.s_g1:
        raise InvalidBeacon(f"{record.label}: its proof nonce is not the beacon's")


def _pairing_checks(
    record: Contribution, challenge: bytes, before_g1: G1Point
) -> list[PairingCheck]:
    """Return the three equations of one record, named by what their failure means."""
    base = pok_base(challenge, record.name, record.pok.s_g1, record.pok.s_d_g1)
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


def _neg_g1(point: G1Point) -> G1Point:
    return None if point is None else (point[0], -point[1] % P)


def verify_transcript(transcript: Transcript, rng: random.Random | None = None) -> None:
    """Return None if the contributions chain from the header to the final delta.

    Checks, in order (raising the matching ``CeremonyError``): indices count 1..K;
    each record starts from the params the previous one produced; points are valid;
    the beacon, if any, is last and recomputes; at least one contribution has a secret;
    every proof of knowledge and delta step holds (one batched pairing check); the
    final section names the last params.
    """
    records = transcript.contributions
    previous_params = transcript.header.initial_params_sha256
    before: tuple[G1Point, G2Point] = (G1_GENERATOR, G2_GENERATOR)
    chain = challenges(transcript.header, records)
    checks: list[PairingCheck] = []
    for k, record in enumerate(records):
        if record.index != k + 1:
            raise BrokenChain(f"{record.label} is at position {k + 1}: expected index {k + 1}")
        if record.params_before != previous_params:
            raise BrokenChain(
                f"{record.label} does not chain: it was made on params "
                f"{record.params_before[:16]}…, but the previous step produced "
                f"{previous_params[:16]}…"
            )
        _check_points(record)
        if record.beacon is not None:
            if k != len(records) - 1:
                raise InvalidBeacon(f"{record.label} is not the last contribution")
            _check_beacon(record, record.beacon, before)
        checks += _pairing_checks(record, chain[k], before[0])
        previous_params = record.params_after
        before = (record.delta_g1, record.delta_g2)
    if not any(record.beacon is None for record in records):
        raise NoSecretContribution(
            "the transcript has no contribution with a secret: delta is public and anyone "
            "could forge proofs"
        )
    failed = failed_pairing_check(checks, rng)
    if failed is not None:
        error = InvalidProofOfKnowledge if "proof of knowledge" in failed else BrokenChain
        raise error(failed)
    final = transcript.final
    if final is not None and final.params_sha256 != transcript.params_sha256:
        raise BrokenChain("the final params are not those of the last contribution")


def vk_sha256(vk: VerifyingKey) -> str:
    """Return the sha256 of the canonical JSON of a verifying key (formatting aside)."""
    return hashlib.sha256(canonical_json(vk.to_json())).hexdigest()


def check_vk(transcript: Transcript, vk: VerifyingKey) -> None:
    """Return None if ``vk`` is the verifying key the (finalized) transcript produced."""
    header = transcript.header
    for what, found, expected in (
        ("vk_delta_2", vk.delta_g2, transcript.delta_g2),
        ("vk_gamma_2", vk.gamma_g2, G2_GENERATOR),
        ("vk_alpha_1", vk.alpha_g1, header.ptau.alpha_g1),
        ("vk_beta_2", vk.beta_g2, header.ptau.beta_g2),
    ):
        if found != expected:
            source = "generator" if what == "vk_gamma_2" else "transcript's"
            raise KeyMismatch(f"{what} of vk.json is not the {source} value")
    if vk.n_public != header.circuit.n_public:
        raise KeyMismatch(
            f"vk.json has {vk.n_public} public inputs, the ceremony's circuit "
            f"{header.circuit.n_public}"
        )
    if transcript.final is None:
        raise KeyMismatch("the transcript was not finalized: it names no vk.json")
    if vk_sha256(vk) != transcript.final.vk_sha256:
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
        f"multi-party setup ceremony: {describe(transcript)}. The proofs are sound unless "
        "every phase-2 contributor kept their secret, or the phase-1 ceremony was "
        "compromised."
    )


def verify_published(
    data: bytes, vk: VerifyingKey, circuit_id: str | None = None, rng: random.Random | None = None
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
    verify_transcript(transcript, rng)
    check_vk(transcript, vk)
    return transcript
