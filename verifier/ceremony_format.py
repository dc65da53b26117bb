"""The transcript of a Groth16 setup ceremony (``zkpor-ceremony/2``): data types and JSON.

Phase 2 is snarkjs's: the keys are a snarkjs ``.zkey`` passed from contributor to
contributor, and each contribution is a snarkjs record (``verifier.mpc``), so
``snarkjs zkey contribute`` and ``snarkjs zkey verify`` work on a zkpor ceremony.
Published as ``ceremony/transcript.json``, one JSON object::

    {"format": "zkpor-ceremony/2",
     "circuit": {"id", "r1cs_sha256", "n_public", "n_wires", "domain_size",
                 "shape": {"assets", "arity", "batch_depth"} or null},
                 (a shape is a zkpor/1 batch shape and the id its zkpor1-aA-kK-dD name;
                  an id of that form needs the shape)
     "ptau": {"sha256", "blake2b", "power", "contributors", "alpha_1", "beta_1", "beta_2"},
     "key": {"alpha_1", "beta_2", "gamma_2", "IC": [G1, ..]},
     "cs_hash": hex (64 bytes),                              <- the header ends here
     "contributions": [snarkjs record (verifier.mpc.Contribution.to_json), ..],
     "final": {"zkey_sha256": hex}                            (once finalized)}

``cs_hash`` is snarkjs's circuit hash of the initial zkey: the first input of every
contribution's transcript. ``key`` is the whole verifying key except delta, which phase 1
and the circuit alone determine. snarkjs's records do not cover ``key``, so the header is
bound to the chain by **the anchor**: the first contribution's ``g1_s`` must be
``header_anchor(header)``, a point hashed from the header's digest (zkpor's
``ceremony contribute`` makes it; ``g1_s`` is free in snarkjs's format). Every later
record's transcript hashes the first one's ``g1_s``, so the header, IC included, was fixed
before any later contributor's secret existed, and cannot be swapped after.

A ceremony directory holds the header alone as ``ceremony.json``, the circuit as
``circuit.r1cs`` and the keys after step k as ``params/NNNN.zkey`` (k contributions).
Points are in the snarkjs JSON form of ``vk.json``; hashes are lowercase hex. Parsing is
strict: an unknown key, a missing one or a bad value raises ``MalformedTranscript``
naming where. The checks are in ``verifier.ceremony``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from verifier.errors import MalformedInput, VerificationError
from verifier.field import P
from verifier.groth16 import (
    G1Point,
    G2Point,
    _g1_from_json,
    _g1_to_json,
    _g2_from_json,
    _g2_to_json,
)
from verifier.manifest import batch_circuit_id, circuit_shape_problem
from verifier.mpc import Contribution, MpcError
from verifier.strict_json import loads, show

FORMAT = "zkpor-ceremony/2"
#: Where an attestation publishes the transcript.
TRANSCRIPT = "ceremony/transcript.json"
#: The manifest's ``setup.kind`` for keys made by a ceremony.
SETUP_CEREMONY = "ceremony"
MAX_CONTRIBUTIONS = 10_000
G1_GENERATOR: G1Point = (1, 2)
#: py_ecc's (and snarkjs's) G2 generator, affine; tests/verifier/test_bn254.py checks it.
G2_GENERATOR: G2Point = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)
_HEX64 = re.compile("[0-9a-f]{64}")
_HEX128 = re.compile("[0-9a-f]{128}")
_HEADER_TAG = b"zkpor-ceremony/2 header\0"
_ANCHOR_TAG = b"zkpor-ceremony/2 anchor\0"


class CeremonyError(VerificationError):
    """The ceremony transcript, or a key said to come from it, does not check out."""


class MalformedTranscript(CeremonyError, MalformedInput):
    """The transcript is not a zkpor-ceremony/2 JSON object."""


class BrokenChain(CeremonyError):
    """The contributions do not start from the header, or a file is not the chain's."""


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
        circuit_id = doc.text("id", re.compile("[A-Za-z0-9._-]{1,64}"))
        _check_shape(doc.where, circuit_id, shape)
        return cls(
            circuit_id=circuit_id,
            r1cs_sha256=doc.text("r1cs_sha256", _HEX64),
            n_public=doc.count("n_public", 1 << 20),
            n_wires=doc.count("n_wires", 1 << 32),
            domain_size=domain,
            shape=shape,
        )


#: How ``verifier.manifest.batch_circuit_id`` names a zkpor/1 batch circuit.
_BATCH_CIRCUIT_ID = re.compile("zkpor1-a[0-9]+-k[0-9]+-d[0-9]+")


def _check_shape(where: str, circuit_id: str, shape: tuple[int, int, int] | None) -> None:
    """Raise unless the header's circuit id and shape agree: a shape must be a zkpor/1
    batch shape and the id its ``batch_circuit_id``; an id of that form needs the shape
    (``zkpor verify --ptau`` rebuilds the circuit from it). Other circuits (tests') have
    their own ids and no shape."""
    if shape is None:
        if _BATCH_CIRCUIT_ID.fullmatch(circuit_id):
            raise MalformedTranscript(
                f"{where}.id {circuit_id} names a zkpor/1 batch circuit, but {where}.shape "
                "is null: the header must give the shape of its circuit"
            )
        return
    if (problem := circuit_shape_problem(*shape)) is not None:
        raise MalformedTranscript(f"{where}.shape is not a zkpor/1 batch circuit: {problem}")
    if circuit_id != (expected := batch_circuit_id(*shape)):
        assets, arity, depth = shape
        raise MalformedTranscript(
            f"{where}.id is {circuit_id}, but its shape ({assets} assets, arity {arity}, "
            f"batch depth {depth}) is the zkpor/1 circuit {expected}"
        )


@dataclass(frozen=True)
class PtauInfo:
    """The phase-1 file, by its hashes, and the points of it that the key repeats."""

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
        if (
            not isinstance(names, list)
            or len(names) > MAX_CONTRIBUTIONS
            or not all(isinstance(n, str) and len(n) <= 256 for n in names)
        ):
            raise MalformedTranscript(
                f"{doc.where}.contributors must be a list of strings (at most 256 characters)"
            )
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
    #: snarkjs's blake2b-512 circuit hash of the initial zkey
    cs_hash: bytes

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "circuit": self.circuit.to_json(),
            "ptau": self.ptau.to_json(),
            "key": self.key.to_json(),
            "cs_hash": self.cs_hash.hex(),
        }

    def digest(self) -> bytes:
        """Return the sha256 of the header's canonical JSON (tagged)."""
        return hashlib.sha256(_HEADER_TAG + canonical_json(self.to_json())).digest()


def header_anchor(header: Header) -> G1Point:
    """Return the G1 point the first contribution must use as ``g1_s``.

    Try-and-increment on sha256(tag || header digest || counter) as x, the square root
    of x^3 + 3 whose parity the digest's next bit picks. BN254's G1 has cofactor 1, so
    every curve point is in the group; nobody knows its discrete logarithm.
    """
    digest = header.digest()
    for counter in range(256):
        h = hashlib.sha256(_ANCHOR_TAG + digest + counter.to_bytes(2, "big")).digest()
        x = int.from_bytes(h, "big") % P
        rhs = (x * x * x + 3) % P
        y = pow(rhs, (P + 1) // 4, P)  # p = 3 mod 4
        if y * y % P != rhs:
            continue
        if (y & 1) != (h[0] >> 7):
            y = P - y
        return (x, y)
    raise ValueError("no anchor point found in 256 tries")  # probability 2^-256


_HEADER_KEYS = ("format", "circuit", "ptau", "key", "cs_hash")
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
        cs_hash=bytes.fromhex(doc.text("cs_hash", _HEX128)),
    )


@dataclass(frozen=True)
class Final:
    """What ``finalize`` produced: the final zkey, by sha256 (for reviewers with snarkjs)."""

    zkey_sha256: str


@dataclass(frozen=True)
class Transcript:
    """The header, the contributions in order and, once finalized, the final zkey's hash."""

    header: Header
    contributions: tuple[Contribution, ...]
    final: Final | None = None

    def to_json(self) -> dict[str, object]:
        doc = self.header.to_json()
        doc["contributions"] = [c.to_json() for c in self.contributions]
        if self.final is not None:
            doc["final"] = {"zkey_sha256": self.final.zkey_sha256}
        return doc

    @classmethod
    def from_json(cls, obj: object) -> Transcript:
        doc = _Doc(obj, "transcript", (*_HEADER_KEYS, "contributions", "final"))
        records = doc.get("contributions")
        if not isinstance(records, list) or len(records) > MAX_CONTRIBUTIONS:
            raise MalformedTranscript(
                f"transcript.contributions must be a list of at most {MAX_CONTRIBUTIONS}"
            )
        try:
            contributions = tuple(
                Contribution.from_json(r, f"transcript.contributions[{i}]")
                for i, r in enumerate(records)
            )
        except MpcError as exc:
            raise MalformedTranscript(str(exc)) from exc
        final = None
        if "final" in doc.obj:
            final = Final(doc.sub("final", ("zkey_sha256",)).text("zkey_sha256", _HEX64))
        return cls(_header(doc), contributions, final)

    @property
    def delta_g1(self) -> G1Point:
        """Return the final delta in G1 (the generator before any contribution)."""
        return self.contributions[-1].delta_after if self.contributions else G1_GENERATOR


def parse_transcript(data: bytes) -> Transcript:
    """Return the transcript of a ``transcript.json`` file (strict JSON)."""
    try:
        obj = loads(data)
    except ValueError as exc:
        raise MalformedTranscript(f"the transcript is not valid JSON: {exc}") from exc
    return Transcript.from_json(obj)
