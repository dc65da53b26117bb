"""The transcript of a Groth16 setup ceremony (``zkpor-ceremony/1``): data types and JSON.

Published as ``ceremony/transcript.json``, one JSON object::

    {"format": "zkpor-ceremony/1",
     "circuit": {"id", "r1cs_sha256", "n_public", "n_wires", "domain_size",
                 "shape": {"assets", "arity", "batch_depth"} or null},
     "ptau": {"sha256", "blake2b", "power", "contributors", "alpha_1", "beta_1", "beta_2"},
     "key": {"alpha_1", "beta_2", "gamma_2", "IC": [G1, ..]},
     "initial_params_sha256": hex,                       <- the header ends here
     "contributions": [{"index": 1.., "kind": "contribution" | "beacon", "name",
                        "params_before", "params_after", "delta_1", "delta_2",
                        "pok": {"s_1", "s_delta_1", "r_delta_2"},
                        "beacon": {"value": hex, "iterations_exp"}  (beacon only)}, ..],
     "final": {"params_sha256", "vk_sha256"}}

A ceremony directory holds the header alone as ``ceremony.json`` and each record as
``contributions/NNNN.json``. Points are in the snarkjs JSON form of ``vk.json``; hashes
are lowercase hex. "params" are the full proving key files passed from contributor to
contributor (never published); ``params_before/after`` chain them by sha256.
``key`` is the whole verifying key except delta, fixed by ``init`` from phase 1 and the
circuit: the header's digest is the first challenge of the proof-of-knowledge chain, so
every contribution binds it, and a verifying key must equal it (``check_vk``). Nobody can
choose IC after seeing the final delta (a key with ``IC_i = k_i·delta`` forges proofs of
any public input). ``vk_sha256`` is the sha256 of the canonical JSON of vk.json.
Parsing is strict: an unknown key, a missing one or a bad value raises
``MalformedTranscript`` naming where. The checks are in ``verifier.ceremony``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from py_ecc.optimized_bn128.optimized_curve import G2 as _ECC_G2

from verifier.ceremony_crypto import MAX_BEACON_EXP, g2_from_ecc
from verifier.errors import MalformedInput, VerificationError
from verifier.groth16 import (
    G1Point,
    G2Point,
    _g1_from_json,
    _g1_to_json,
    _g2_from_json,
    _g2_to_json,
)
from verifier.strict_json import loads, show

FORMAT = "zkpor-ceremony/2"
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
_HEADER_TAG = b"zkpor-ceremony/2 header\0"


class CeremonyError(VerificationError):
    """The ceremony transcript, or a key said to come from it, does not check out."""


class MalformedTranscript(CeremonyError, MalformedInput):
    """The transcript is not a zkpor-ceremony/2 JSON object."""


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
class KeyBase:
    """The verifying key without delta: what phase 1 and the circuit alone determine.

    ``alpha_g1``, ``beta_g2`` come from phase 1, ``gamma_g2`` is the generator (as in
    snarkjs), ``ic[j]`` = [beta·u_j(tau) + alpha·v_j(tau) + w_j(tau)]_1 for the constant
    and the public wires.
    """

    alpha_g1: G1Point
    beta_g2: G2Point
    gamma_g2: G2Point
    ic: tuple[G1Point, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "alpha_1": _g1_to_json(self.alpha_g1),
            "beta_2": _g2_to_json(self.beta_g2),
            "gamma_2": _g2_to_json(self.gamma_g2),
            "IC": [_g1_to_json(p) for p in self.ic],
        }

    @classmethod
    def from_doc(cls, doc: _Doc, n_public: int) -> KeyBase:
        ic_json = doc.get("IC")
        if not isinstance(ic_json, list) or len(ic_json) != n_public + 1:
            raise MalformedTranscript(
                f"{doc.where}.IC must be a list of {n_public + 1} G1 points (n_public + 1)"
            )
        ic = tuple(
            _g1_from_json(p, f"{doc.where}.IC[{i}]", MalformedTranscript)
            for i, p in enumerate(ic_json)
        )
        return cls(doc.g1("alpha_1"), doc.g2("beta_2"), doc.g2("gamma_2"), ic)


@dataclass(frozen=True)
class Header:
    """What the ceremony is for; fixed by ``init`` before any contribution."""

    circuit: CircuitInfo
    ptau: PtauInfo
    key: KeyBase
    initial_params_sha256: str

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "circuit": self.circuit.to_json(),
            "ptau": self.ptau.to_json(),
            "key": self.key.to_json(),
            "initial_params_sha256": self.initial_params_sha256,
        }

    def digest(self) -> bytes:
        """Return c_1, the challenge of the first contribution."""
        return hashlib.sha256(_HEADER_TAG + canonical_json(self.to_json())).digest()


_HEADER_KEYS = ("format", "circuit", "ptau", "key", "initial_params_sha256")
_CIRCUIT_KEYS = ("id", "r1cs_sha256", "n_public", "n_wires", "domain_size", "shape")
_KEY_KEYS = ("alpha_1", "beta_2", "gamma_2", "IC")
_PTAU_KEYS = ("sha256", "blake2b", "power", "contributors", "alpha_1", "beta_1", "beta_2")


def header_from_json(obj: object, where: str = "ceremony header") -> Header:
    """Return the header of a parsed ceremony.json (or of a transcript)."""
    return _header(_Doc(obj, where, (*_HEADER_KEYS, "contributions", "final")))


def _header(doc: _Doc) -> Header:
    if doc.get("format") != FORMAT:
        raise MalformedTranscript(f'{doc.where}.format must be "{FORMAT}"')
    circuit = CircuitInfo.from_doc(doc.sub("circuit", _CIRCUIT_KEYS))
    return Header(
        circuit=circuit,
        ptau=PtauInfo.from_doc(doc.sub("ptau", _PTAU_KEYS)),
        key=KeyBase.from_doc(doc.sub("key", _KEY_KEYS), circuit.n_public),
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
