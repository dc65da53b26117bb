"""snarkjs phase-2 (``.zkey``) contributions: the record, its transcript chain, its check.

A Groth16 phase 2 (snarkjs ``zkey contribute`` / ``zkey beacon``) starts from delta = 1
and each contribution multiplies delta by a secret d (and divides the L and H queries by
d). Its public record (snarkjs ``zkey_utils.js``) is::

    delta_after = d·delta_before            (in G1)
    g1_s        = any G1 point (from the contributor's rng)
    g1_sx       = d·g1_s
    transcript  = blake2b-512(csHash || hashPubKey(c_1) || .. || hashPubKey(c_k-1)
                              || g1_s || g1_sx)       (points uncompressed)
    g2_spx      = d·hashToG2(transcript)

``e(g1_s, g2_spx) = e(g1_sx, g2_sp)`` proves knowledge of d for a base ``g2_sp`` nobody
chose, and ``e(delta_before, g2_spx) = e(delta_after, g2_sp)`` that delta moved by that
same d. A beacon (type 1) draws d and g1_s from ``rng_from_beacon_params(hash, exp)``,
so anyone recomputes it. ``verify_contributions`` checks exactly what
``zkey_verify_frominit.js`` checks about the contributions, with the pairing checks
batched under random weights, and returns the final delta_1.

No hash covers a contributor's name (snarkjs's format): anyone may rename a record, so a
ceremony identifies contributions by ``contribution_hash``. A beacon's hash and exponent
are covered only through the recomputation of its key.
Pure Python (stdlib, the curve through ``CurveOps``: ``verifier.bn254`` by default): it
runs in Pyodide.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from verifier.ceremony_crypto import (
    MAX_BEACON_EXP,
    PURE_OPS,
    CurveOps,
    PairingCheck,
    failed_pairing_check,
)
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
from verifier.mpc_primitives import (
    fr_from_rng,
    g1_from_rng,
    g1_uncompressed,
    g2_uncompressed,
    hash_to_g2,
    rng_from_beacon_params,
)

Kind = Literal["contribution", "beacon"]
#: snarkjs's contribution types: 0 a contribution, 1 a beacon.
KIND_CODES: Mapping[Kind, int] = {"contribution": 0, "beacon": 1}
#: The file stores a name and a beacon hash behind a one-byte length.
MAX_PARAM_BYTES = 255
_HEX = re.compile(r"[0-9a-f]*")
_JSON_KEYS = {"type", "name", "delta_after", "g1_s", "g1_sx", "g2_spx", "transcript"}
_BEACON_KEYS = {"beacon_hash", "num_iterations_exp"}


class MpcError(VerificationError):
    """The phase-2 contributions do not check."""


class MalformedContribution(MpcError, MalformedInput):
    """A contribution record does not have the snarkjs shape or encoding."""


class InvalidContribution(MpcError):
    """One contribution fails a check; ``index`` (0-based) and ``name`` say which."""

    def __init__(self, message: str, index: int, name: str) -> None:
        super().__init__(message)
        self.index = index
        self.name = name


class InvalidContributionPoint(InvalidContribution):
    """A point of the record is infinity, off its curve or outside G2."""


class InconsistentTranscript(InvalidContribution):
    """The transcript is not the hash of the circuit and the contributions before it."""


class InvalidProofOfKnowledge(InvalidContribution):
    """``g1_s, g1_sx`` and ``g2_sp, g2_spx`` do not have the same ratio."""


class DeltaDoesNotFollow(InvalidContribution):
    """``delta_after`` is not the previous delta times the contribution's secret."""


class BeaconMismatch(InvalidContribution):
    """A beacon's key is not the one its beacon hash and iterations give."""


class BeaconTooCostly(InvalidContribution):
    """A beacon asks for more hash iterations than a verifier will run."""


@dataclass(frozen=True)
class Contribution:
    """One public snarkjs phase-2 contribution record (no secret in it)."""

    #: ``[delta]_1`` after this contribution.
    delta_after: G1Point
    #: ``g1_s`` and ``g1_sx = d·g1_s``: the G1 half of the proof of knowledge of d.
    g1_s: G1Point
    g1_sx: G1Point
    #: ``d·hashToG2(transcript)``.
    g2_spx: G2Point
    #: blake2b-512 of the circuit hash, earlier contributions and g1_s, g1_sx.
    transcript: bytes
    kind: Kind = "contribution"
    name: str = ""
    #: A beacon's public random value and log2 of its SHA-256 iterations (None otherwise).
    beacon_hash: bytes | None = None
    num_iterations_exp: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KIND_CODES:
            raise MalformedContribution(
                f"contribution type {self.kind!r} is not one of {list(KIND_CODES)}"
            )
        if len(self.transcript) != 64:
            raise MalformedContribution(f"a transcript is 64 bytes, got {len(self.transcript)}")
        try:
            name_bytes = len(self.name.encode())
        except UnicodeEncodeError:  # a lone surrogate: not text (strict JSON refuses it)
            raise MalformedContribution(
                "a contributor name must be Unicode text (it holds a lone surrogate)"
            ) from None
        if name_bytes > MAX_PARAM_BYTES:
            raise MalformedContribution(
                f"a contributor name is at most {MAX_PARAM_BYTES} bytes of UTF-8"
            )
        beacon = self.kind == "beacon"
        if beacon != (self.beacon_hash is not None) or beacon != (
            self.num_iterations_exp is not None
        ):
            raise MalformedContribution(
                "a beacon, and only a beacon, has a beacon hash and an iteration exponent"
            )
        if self.beacon_hash is not None and not 1 <= len(self.beacon_hash) <= MAX_PARAM_BYTES:
            raise MalformedContribution(f"a beacon hash has 1 to {MAX_PARAM_BYTES} bytes")
        if self.num_iterations_exp is not None and not 0 <= self.num_iterations_exp <= 255:
            raise MalformedContribution("a beacon iteration exponent is one byte")

    @property
    def label(self) -> str:
        """Return how messages name this contribution: its kind and name."""
        return f"{self.kind} {self.name!r}" if self.name else f"anonymous {self.kind}"

    def pub_key_bytes(self) -> bytes:
        """Return what snarkjs's ``hashPubKey`` feeds the hash for this record."""
        return b"".join(
            (
                g1_uncompressed(self.delta_after),
                g1_uncompressed(self.g1_s),
                g1_uncompressed(self.g1_sx),
                g2_uncompressed(self.g2_spx),
                self.transcript,
            )
        )

    def to_json(self) -> dict[str, object]:
        """Return the record as JSON (points in snarkjs's decimal form, bytes in hex)."""
        out: dict[str, object] = {
            "type": self.kind,
            "name": self.name,
            "delta_after": _g1_to_json(self.delta_after),
            "g1_s": _g1_to_json(self.g1_s),
            "g1_sx": _g1_to_json(self.g1_sx),
            "g2_spx": _g2_to_json(self.g2_spx),
            "transcript": self.transcript.hex(),
        }
        if self.beacon_hash is not None:
            out["beacon_hash"] = self.beacon_hash.hex()
            out["num_iterations_exp"] = self.num_iterations_exp
        return out

    @classmethod
    def from_json(cls, obj: object, where: str = "contribution") -> Contribution:
        """Return the record of ``to_json``'s form; any other key, type or encoding is refused
        with a message naming ``where`` and the field."""
        err = MalformedContribution
        if not isinstance(obj, dict):
            raise err(f"{where} must be a JSON object")
        kind: Kind = "beacon" if obj.get("type") == "beacon" else "contribution"
        expected = _JSON_KEYS | (_BEACON_KEYS if kind == "beacon" else set())
        if set(obj) != expected:
            raise err(f"{where} must have exactly the keys {sorted(expected)}, got {sorted(obj)}")
        if obj["type"] not in KIND_CODES:
            raise err(f'{where}.type must be "contribution" or "beacon", got {obj["type"]!r}')
        name = obj["name"]
        if not isinstance(name, str):
            raise err(f"{where}.name must be a string")
        beacon_hash, exp = None, None
        if kind == "beacon":
            beacon_hash = _hex_bytes(obj["beacon_hash"], f"{where}.beacon_hash")
            exp = obj["num_iterations_exp"]
            if type(exp) is not int:
                raise err(f"{where}.num_iterations_exp must be an integer")
        points = {
            key: _g1_from_json(obj[key], f"{where}.{key}", err)
            for key in ("delta_after", "g1_s", "g1_sx")
        }
        for key, point in points.items():
            if point is not None and (point[1] ** 2 - point[0] ** 3 - 3) % P:
                raise err(f"{where}.{key} is not on the curve")
        transcript = _hex_bytes(obj["transcript"], f"{where}.transcript")
        return cls(
            delta_after=points["delta_after"],
            g1_s=points["g1_s"],
            g1_sx=points["g1_sx"],
            g2_spx=_g2_from_json(obj["g2_spx"], f"{where}.g2_spx", err),
            transcript=transcript,
            kind=kind,
            name=name,
            beacon_hash=beacon_hash,
            num_iterations_exp=exp,
        )


def _hex_bytes(value: object, field: str) -> bytes:
    if not isinstance(value, str) or len(value) % 2 or not _HEX.fullmatch(value):
        raise MalformedContribution(f"{field} must be lower-case hex of whole bytes")
    return bytes.fromhex(value)


def contribution_hash(c: Contribution) -> bytes:
    """Return snarkjs's contribution hash (what ``zkey contribute`` and ``zkey verify``
    print): blake2b-512 of the record's ``hashPubKey``."""
    return hashlib.blake2b(c.pub_key_bytes(), digest_size=64).digest()


def transcript_hasher(cs_hash: bytes, earlier: Sequence[Contribution]) -> hashlib.blake2b:
    """Return the blake2b state after the circuit hash and every earlier record."""
    if len(cs_hash) != 64:
        raise MalformedContribution(f"a circuit hash is 64 bytes, got {len(cs_hash)}")
    h = hashlib.blake2b(cs_hash, digest_size=64)
    for c in earlier:
        h.update(c.pub_key_bytes())
    return h


def expected_transcript(
    cs_hash: bytes, earlier: Sequence[Contribution], g1_s: G1Point, g1_sx: G1Point
) -> bytes:
    """Return the transcript a contribution after ``earlier`` with this key must carry."""
    h = transcript_hasher(cs_hash, earlier)
    h.update(g1_uncompressed(g1_s) + g1_uncompressed(g1_sx))
    return h.digest()


def beacon_key(beacon_hash: bytes, num_iterations_exp: int) -> tuple[int, G1Point]:
    """Return the beacon's public (d, g1_s): snarkjs's ``Fr.fromRng`` then ``G1.fromRng``."""
    rng = rng_from_beacon_params(beacon_hash, num_iterations_exp)
    d = fr_from_rng(rng)
    return d, g1_from_rng(rng)


def _neg(point: G1Point) -> G1Point:
    return None if point is None else (point[0], -point[1] % P)


def _g1_valid(point: G1Point) -> bool:
    return point is not None and (point[1] ** 2 - point[0] ** 3 - 3) % P == 0


def _check_record(
    i: int,
    c: Contribution,
    cs_hash: bytes,
    earlier: Sequence[Contribution],
    ops: CurveOps,
    max_beacon_exp: int,
) -> None:
    """Run the checks of one record that need no pairing (points, transcript, beacon)."""
    at = f"contribution #{i + 1} ({c.label})"
    for what, point in (("delta_after", c.delta_after), ("g1_s", c.g1_s), ("g1_sx", c.g1_sx)):
        if not _g1_valid(point):
            raise InvalidContributionPoint(
                f"{at}: {what} is infinity or not on the curve", i, c.name
            )
    if c.g2_spx is None or not ops.g2_in_subgroup(c.g2_spx):
        raise InvalidContributionPoint(f"{at}: g2_spx is infinity or not in G2", i, c.name)
    if expected_transcript(cs_hash, earlier, c.g1_s, c.g1_sx) != c.transcript:
        raise InconsistentTranscript(
            f"{at}: inconsistent transcript (not the hash of the circuit, the "
            f"{len(earlier)} contributions before it and its g1_s, g1_sx)",
            i,
            c.name,
        )
    if c.kind != "beacon" or c.beacon_hash is None or c.num_iterations_exp is None:
        return
    if c.num_iterations_exp > max_beacon_exp:
        raise BeaconTooCostly(
            f"{at}: 2^{c.num_iterations_exp} beacon iterations, more than the "
            f"2^{max_beacon_exp} a verifier runs",
            i,
            c.name,
        )
    d, g1_s = beacon_key(c.beacon_hash, c.num_iterations_exp)
    if g1_s != c.g1_s:
        raise BeaconMismatch(f"{at}: the key of the beacon does not match (g1_s)", i, c.name)
    if ops.g1_mul(g1_s, d) != c.g1_sx:
        raise BeaconMismatch(f"{at}: the key of the beacon does not match (g1_sx)", i, c.name)


def _pairing_checks(
    contributions: Sequence[Contribution], g2_sps: Sequence[G2Point]
) -> tuple[list[PairingCheck], dict[str, tuple[type[InvalidContribution], int]]]:
    """Return the two sameRatio checks of every record, and which error each failure is."""
    checks: list[PairingCheck] = []
    culprits: dict[str, tuple[type[InvalidContribution], int]] = {}
    before: G1Point = (1, 2)
    for i, (c, g2_sp) in enumerate(zip(contributions, g2_sps, strict=False)):
        at = f"contribution #{i + 1} ({c.label})"
        pok = f"{at}: its public key's G1 and G2 parts do not have the same ratio"
        follows = f"{at}: delta_after does not follow from the previous delta by its key"
        # sameRatio(a, b, c, d): e(a, d) = e(b, c), i.e. e(a, d) e(-b, c) = 1.
        checks.append((pok, [(c.g1_s, c.g2_spx), (_neg(c.g1_sx), g2_sp)]))
        checks.append((follows, [(before, c.g2_spx), (_neg(c.delta_after), g2_sp)]))
        culprits[pok] = (InvalidProofOfKnowledge, i)
        culprits[follows] = (DeltaDoesNotFollow, i)
        before = c.delta_after
    return checks, culprits


def verify_contributions(
    cs_hash: bytes,
    contributions: Sequence[Contribution],
    ops: CurveOps = PURE_OPS,
    rng: random.Random | None = None,
    max_beacon_exp: int = MAX_BEACON_EXP,
    progress: Callable[[str], None] | None = None,
) -> G1Point:
    """Return delta_1 after the contributions, starting from the G1 generator, if every
    record checks as in ``snarkjs zkey verify``; else raise the ``InvalidContribution`` of
    the first failing record, as snarkjs's sequential loop would name it.

    The checks without pairings run record by record up to the first failure; the
    pairing checks of the records before it then run as one batch (random weights).
    """
    g2_sps: list[G2Point] = []
    cheap_failure: InvalidContribution | None = None
    for i, c in enumerate(contributions):
        if progress:
            progress(f"checking contribution #{i + 1} of {len(contributions)}")
        try:
            _check_record(i, c, cs_hash, contributions[:i], ops, max_beacon_exp)
        except InvalidContribution as exc:
            cheap_failure = exc
            break
        g2_sps.append(hash_to_g2(c.transcript, ops))
    checks, culprits = _pairing_checks(contributions[: len(g2_sps)], g2_sps)
    if progress and checks:
        progress(f"{len(checks)} pairing checks")
    failed = failed_pairing_check(checks, rng, ops) if checks else None
    if failed is not None:
        kind, index = culprits.get(failed, (InvalidContribution, len(g2_sps) - 1))
        raise kind(failed, index, contributions[index].name)
    if cheap_failure is not None:
        raise cheap_failure
    return contributions[-1].delta_after if contributions else (1, 2)
