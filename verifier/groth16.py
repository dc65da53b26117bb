"""Groth16 verification over BN254, reading and writing the snarkjs JSON formats.

Points are stored as affine integer tuples, so keys and proofs are cheap to build and
compare. A G1 point is ``(x, y)``, a G2 point ``((x.c0, x.c1), (y.c0, y.c1))`` with
``x = x.c0 + x.c1·u`` in Fp2 = Fp[u]/(u² + 1); ``None`` is the point at infinity.
The curve arithmetic and the pairings are ``verifier.bn254``'s (pure Python, also in
Pyodide) unless a caller injects other curve operations (``ops``).
"""

import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from verifier.bn254 import PURE_OPS, g2_on_curve
from verifier.errors import (
    BatchItemError,
    KeyPointAtInfinity,
    KeyPointNotInSubgroup,
    KeyPointNotOnCurve,
    MalformedProof,
    MalformedPublicInputs,
    MalformedVerifyingKey,
    PairingCheckFailed,
    PointAtInfinity,
    PointNotInSubgroup,
    PointNotOnCurve,
    PublicInputOutOfRange,
    VerificationError,
    WrongNumberOfPublicInputs,
)
from verifier.field import P, R
from verifier.strict_json import show, unknown_key

G1Point: TypeAlias = tuple[int, int] | None
G2Point: TypeAlias = tuple[tuple[int, int], tuple[int, int]] | None


class CurveBackend(Protocol):
    """Curve operations a caller may inject instead of the default ``verifier.bn254``
    ones (``PURE_OPS``): the CLI passes ``publisher.snark.pairing.FAST_OPS`` (native
    MSMs), tests ``verifier.ceremony_crypto.PY_ECC_OPS`` (py_ecc's pairing)."""

    @property
    def weighted_product_is_one(self) -> Callable[[Sequence[tuple[int, G1Point, G2Point]]], bool]:
        """Whether prod e(w_i P_i, Q_i) = 1 (P_i on G1's curve, Q_i in G2)."""

    @property
    def g2_in_subgroup(self) -> Callable[[G2Point], bool]:
        """Whether a point is on the twist and in G2."""


_Ecc: TypeAlias = Any  # a py_ecc projective point; py_ecc's own types are not precise
_Error: TypeAlias = type[VerificationError]

#: How snarkjs writes the points at infinity (projective coordinates with z = 0).
_INF_G1 = ["0", "1", "0"]
_INF_G2 = [["0", "0"], ["1", "0"], ["0", "0"]]
#: Longest decimal string read: 2^256 has 78 digits, so every candidate value fits.
_MAX_DIGITS = 78
#: Batch coefficients are drawn from [1, 2^128).
_BATCH_BITS = 128


# --- JSON ------------------------------------------------------------------------


def _show(value: object) -> str:
    """Return a short printable form of a JSON value for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _decimal(value: object, field: str, error: _Error) -> int:
    """Return the integer that the snarkjs decimal string ``value`` encodes."""
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= _MAX_DIGITS
        or not (value.isascii() and value.isdigit())
    ):
        raise error(f"{field} must be a decimal string of at most 78 digits, got {_show(value)}")
    return int(value)


def _coordinate(value: object, field: str, error: _Error) -> int:
    """Return the base-field coordinate ``value`` encodes, rejecting values >= p."""
    number = _decimal(value, field, error)
    if number >= P:
        raise error(f"{field} is not below the BN254 base field modulus p")
    return number


def _items(value: object, length: int, field: str, error: _Error) -> list[object]:
    """Return ``value`` if it is a JSON list of ``length`` elements."""
    if not isinstance(value, list) or len(value) != length:
        raise error(f"{field} must be a list of {length} elements, got {_show(value)}")
    return value


def _g1_from_json(value: object, field: str, error: _Error) -> G1Point:
    """Return the G1 point of a snarkjs ``[x, y, "1"]`` (or ``["0", "1", "0"]``) list."""
    if value == _INF_G1:
        return None
    x, y, z = _items(value, 3, field, error)
    point = (_coordinate(x, f"{field}[0]", error), _coordinate(y, f"{field}[1]", error))
    if z != "1":
        raise error(f'{field}[2] must be "1" (an affine point), got {_show(z)}')
    return point


def _fp2_from_json(value: object, field: str, error: _Error) -> tuple[int, int]:
    """Return the Fp2 element ``(c0, c1)`` of a snarkjs ``[c0, c1]`` list."""
    c0, c1 = _items(value, 2, field, error)
    return _coordinate(c0, f"{field}[0]", error), _coordinate(c1, f"{field}[1]", error)


def _g2_from_json(value: object, field: str, error: _Error) -> G2Point:
    """Return the G2 point of a snarkjs ``[x, y, ["1", "0"]]`` list (or its infinity)."""
    if value == _INF_G2:
        return None
    x, y, z = _items(value, 3, field, error)
    point = (_fp2_from_json(x, f"{field}[0]", error), _fp2_from_json(y, f"{field}[1]", error))
    if z != ["1", "0"]:
        raise error(f'{field}[2] must be ["1", "0"] (an affine point), got {_show(z)}')
    return point


def _g1_to_json(point: G1Point) -> list[str]:
    """Return the snarkjs JSON form of a G1 point."""
    return list(_INF_G1) if point is None else [str(point[0]), str(point[1]), "1"]


def _g2_to_json(point: G2Point) -> list[list[str]]:
    """Return the snarkjs JSON form of a G2 point."""
    if point is None:
        return [list(pair) for pair in _INF_G2]
    (x0, x1), (y0, y1) = point
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


def _field(obj: Mapping[str, object], key: str, kind: str, error: _Error) -> object:
    """Return ``obj[key]``, naming the missing field if there is none."""
    if key not in obj:
        raise error(f'{kind} has no "{key}" field')
    return obj[key]


def _header(obj: object, kind: str, error: _Error) -> Mapping[str, object]:
    """Return ``obj`` once it is a JSON object for protocol groth16 on curve bn128."""
    if not isinstance(obj, Mapping):
        raise error(f"{kind} must be a JSON object, got {_show(obj)}")
    for key, expected in (("protocol", "groth16"), ("curve", "bn128")):
        found = _field(obj, key, kind, error)
        if found != expected:
            raise error(f'{kind} "{key}" must be "{expected}", got {_show(found)}')
    return obj


#: snarkjs's cached e(alpha, beta) in a verification_key.json (not used by verifiers).
ALPHABETA = "vk_alphabeta_12"
#: The keys of a verification_key.json as snarkjs writes it (zkpor writes all but
#: ``vk_alphabeta_12``).
VK_KEYS = (
    "protocol",
    "curve",
    "nPublic",
    "vk_alpha_1",
    "vk_beta_2",
    "vk_gamma_2",
    "vk_delta_2",
    ALPHABETA,
    "IC",
)


def _check_alphabeta(value: object, error: _Error) -> None:
    """Raise unless ``value`` is an Fp12 element as snarkjs writes one: 2 x 3 Fp2
    elements ``[c0, c1]``, coordinates below p. Its value is not checked."""
    halves = _items(value, 2, ALPHABETA, error)
    for i, half in enumerate(halves):
        for j, element in enumerate(_items(half, 3, f"{ALPHABETA}[{i}]", error)):
            _fp2_from_json(element, f"{ALPHABETA}[{i}][{j}]", error)


@dataclass(frozen=True)
class VerifyingKey:
    """A Groth16 verification key; ``ic[0]`` is the constant term, ``ic[i]`` input i."""

    alpha_g1: G1Point
    beta_g2: G2Point
    gamma_g2: G2Point
    delta_g2: G2Point
    ic: tuple[G1Point, ...]

    @property
    def n_public(self) -> int:
        """Return the number of public inputs this key expects."""
        return len(self.ic) - 1

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "VerifyingKey":
        """Return the key of a snarkjs verification_key.json object.

        Only the keys snarkjs and zkpor write are accepted (``VK_KEYS``; an unknown one
        is refused). ``vk_alphabeta_12``, the pairing e(alpha, beta) that snarkjs caches
        and no verifier reads, is optional: if present it must be an element of Fp12 in
        snarkjs's form (``_check_alphabeta``); its value is not checked and not used.
        """
        err, kind = MalformedVerifyingKey, "verification key"
        obj = _header(obj, kind, err)
        if (extra := unknown_key(obj, VK_KEYS)) is not None:
            raise err(f"{kind} has a field snarkjs and zkpor do not write: {show(extra)}")
        if ALPHABETA in obj:
            _check_alphabeta(obj[ALPHABETA], err)
        ic_json = _field(obj, "IC", kind, err)
        if not isinstance(ic_json, list) or not ic_json:
            raise err(f"IC must be a non-empty list of G1 points, got {_show(ic_json)}")
        n_public = _field(obj, "nPublic", kind, err)
        if type(n_public) is not int or n_public != len(ic_json) - 1:
            raise err(
                f"nPublic must be {len(ic_json) - 1} (IC has {len(ic_json)} points), "
                f"got {_show(n_public)}"
            )
        return cls(
            alpha_g1=_g1_from_json(_field(obj, "vk_alpha_1", kind, err), "vk_alpha_1", err),
            beta_g2=_g2_from_json(_field(obj, "vk_beta_2", kind, err), "vk_beta_2", err),
            gamma_g2=_g2_from_json(_field(obj, "vk_gamma_2", kind, err), "vk_gamma_2", err),
            delta_g2=_g2_from_json(_field(obj, "vk_delta_2", kind, err), "vk_delta_2", err),
            ic=tuple(_g1_from_json(p, f"IC[{i}]", err) for i, p in enumerate(ic_json)),
        )

    def to_json(self) -> dict[str, object]:
        """Return the snarkjs verification_key.json object (without vk_alphabeta_12,
        which ``snarkjs groth16 verify`` does not read)."""
        return {
            "protocol": "groth16",
            "curve": "bn128",
            "nPublic": self.n_public,
            "vk_alpha_1": _g1_to_json(self.alpha_g1),
            "vk_beta_2": _g2_to_json(self.beta_g2),
            "vk_gamma_2": _g2_to_json(self.gamma_g2),
            "vk_delta_2": _g2_to_json(self.delta_g2),
            "IC": [_g1_to_json(point) for point in self.ic],
        }


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof (A, B, C)."""

    a: G1Point
    b: G2Point
    c: G1Point

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Proof":
        """Return the proof of a snarkjs proof.json object."""
        err, kind = MalformedProof, "proof"
        obj = _header(obj, kind, err)
        return cls(
            a=_g1_from_json(_field(obj, "pi_a", kind, err), "pi_a", err),
            b=_g2_from_json(_field(obj, "pi_b", kind, err), "pi_b", err),
            c=_g1_from_json(_field(obj, "pi_c", kind, err), "pi_c", err),
        )

    def to_json(self) -> dict[str, object]:
        """Return the snarkjs proof.json object."""
        return {
            "pi_a": _g1_to_json(self.a),
            "pi_b": _g2_to_json(self.b),
            "pi_c": _g1_to_json(self.c),
            "protocol": "groth16",
            "curve": "bn128",
        }


def public_inputs_from_json(obj: object) -> tuple[int, ...]:
    """Return the public inputs of a snarkjs public.json list of decimal strings.

    Values are not reduced or range-checked here: ``verify`` rejects those >= r.
    """
    if not isinstance(obj, list):
        raise MalformedPublicInputs(f"public inputs must be a JSON list, got {_show(obj)}")
    return tuple(_decimal(v, f"public[{i}]", MalformedPublicInputs) for i, v in enumerate(obj))


def public_inputs_to_json(public_inputs: Sequence[int]) -> list[str]:
    """Return the snarkjs public.json list for ``public_inputs``."""
    return [str(value) for value in public_inputs]


# --- curve checks ----------------------------------------------------------------


def _g2_ecc(point: G2Point) -> _Ecc:
    """Return ``point`` as a py_ecc projective point over Fp2."""
    # py_ecc is imported on first use: only the reference path needs it.
    from py_ecc.fields import optimized_bn128_FQ2 as FQ2
    from py_ecc.optimized_bn128.optimized_curve import Z2

    if point is None:
        return Z2
    (x0, x1), (y0, y1) = point
    return FQ2([x0, x1]), FQ2([y0, y1]), FQ2.one()


def _all_below(values: Sequence[object], bound: int) -> bool:
    """Return whether every value is an int (not a bool) in [0, bound)."""
    return all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < bound for v in values)


def _g1_on_curve(point: G1Point) -> bool:
    """Return whether ``point`` is infinity or a point of y² = x³ + 3 over Fp."""
    if point is None:
        return True
    x, y = point
    return _all_below(point, P) and (y * y - x * x * x - 3) % P == 0


def _g2_on_curve(point: G2Point) -> bool:
    """Return whether ``point`` is infinity or a point of the twist y² = x³ + 3/(9+u)
    (coordinates ints, not bools, in [0, p))."""
    return g2_on_curve(point)


def _g2_in_subgroup(point: G2Point) -> bool:
    """Return whether ``point`` (on the twist) is in G2, the subgroup of order r, the
    slow way (py_ecc's r·Q): the reference ``PY_ECC_OPS`` uses; the default path uses
    ``verifier.bn254.g2_in_subgroup`` (a 63-bit multiplication and psi).

    r·Q = O means the order of Q divides the prime r. #E'(Fp2) = r·(2p − r) and r does
    not divide 2p − r, so E'(Fp2) has exactly one subgroup of order r: G2. (G1 needs no
    such check: #E(Fp) = r, so every point on the curve is in G1.)
    """
    from py_ecc.optimized_bn128.optimized_curve import is_inf, multiply

    return point is None or bool(is_inf(multiply(_g2_ecc(point), R)))


def _key_g1(vk: VerifyingKey) -> list[tuple[str, G1Point]]:
    """Return the key's G1 points with their JSON names."""
    return [("vk_alpha_1", vk.alpha_g1), *((f"IC[{i}]", p) for i, p in enumerate(vk.ic))]


def _key_g2(vk: VerifyingKey) -> list[tuple[str, G2Point]]:
    """Return the key's G2 points with their JSON names."""
    return [("vk_beta_2", vk.beta_g2), ("vk_gamma_2", vk.gamma_g2), ("vk_delta_2", vk.delta_g2)]


def _check_public_inputs(vk: VerifyingKey, public_inputs: Sequence[int]) -> None:
    """Return None if there are nPublic inputs, each an integer in [0, r)."""
    if not vk.ic:
        raise MalformedVerifyingKey("the verification key has no IC points")
    if len(public_inputs) != vk.n_public:
        raise WrongNumberOfPublicInputs(
            f"expected {vk.n_public} public inputs, got {len(public_inputs)}"
        )
    for i, value in enumerate(public_inputs):
        if not _all_below([value], R):
            raise PublicInputOutOfRange(
                f"public input {i} (counting from 0) is {_show(value)}, which is not an "
                "integer in [0, r), r being the BN254 scalar field order; a value and the "
                "same value plus r would prove the same statement, so only [0, r) is valid"
            )


def _check_key_on_curve(vk: VerifyingKey) -> None:
    """Return None if every point of the key is on its curve."""
    for name, p1 in _key_g1(vk):
        if not _g1_on_curve(p1):
            raise KeyPointNotOnCurve(f"verification key point {name} is not on the BN254 curve")
    for name, p2 in _key_g2(vk):
        if not _g2_on_curve(p2):
            raise KeyPointNotOnCurve(
                f"verification key point {name} is not on the BN254 twist curve (G2)"
            )


def _check_key_subgroup(vk: VerifyingKey, ops: CurveBackend | None = None) -> None:
    """Return None if every G2 point of the key is in the order-r subgroup."""
    in_g2 = _ops(ops).g2_in_subgroup
    for name, point in _key_g2(vk):
        if not in_g2(point):
            raise KeyPointNotInSubgroup(
                f"verification key point {name} is on the twist "
                "curve but not in its order-r subgroup G2"
            )


def _check_key_not_infinity(vk: VerifyingKey) -> None:
    """Return None if alpha, beta, gamma and delta are not the point at infinity.

    A setup with one of them at infinity is degenerate (e.g. delta = O drops C from
    the equation). IC points may be at infinity: an unconstrained input gives IC_i = O.
    """
    for name, point in [("vk_alpha_1", vk.alpha_g1), *_key_g2(vk)]:
        if point is None:
            raise KeyPointAtInfinity(f"verification key point {name} is the point at infinity")


def _check_key(vk: VerifyingKey, ops: CurveBackend | None = None) -> None:
    """Return None if the key passes every check that does not involve a proof."""
    _check_key_on_curve(vk)
    _check_key_subgroup(vk, ops)
    _check_key_not_infinity(vk)


def _check_proof_on_curve(proof: Proof) -> None:
    """Return None if A and C are on the curve and B on the twist curve."""
    for name, point in (("pi_a", proof.a), ("pi_c", proof.c)):
        if not _g1_on_curve(point):
            raise PointNotOnCurve(f"proof point {name} is not on the BN254 curve")
    if not _g2_on_curve(proof.b):
        raise PointNotOnCurve("proof point pi_b is not on the BN254 twist curve (G2)")


def _check_proof_subgroup(proof: Proof, ops: CurveBackend | None = None) -> None:
    """Return None if B is in the order-r subgroup G2."""
    if not _ops(ops).g2_in_subgroup(proof.b):
        raise PointNotInSubgroup(
            "proof point pi_b is on the twist curve but not in its order-r subgroup G2"
        )


def _check_proof_not_infinity(proof: Proof) -> None:
    """Return None if none of A, B, C is the point at infinity.

    snarkjs accepts them, and Groth16's soundness does not need this check. We reject
    them anyway: an honest prover's A, B, C are blinded by the random r and s, so each is
    O only with probability about 1/r, and rejecting costs honest provers nothing, while
    an identity point makes a pairing term vanish, a classic route of verifier bypasses.
    """
    for name, point in (("pi_a", proof.a), ("pi_b", proof.b), ("pi_c", proof.c)):
        if point is None:
            raise PointAtInfinity(f"proof point {name} is the point at infinity")


def _check_item(
    vk: VerifyingKey, public_inputs: Sequence[int], proof: Proof, ops: CurveBackend | None
) -> None:
    """Return None if the inputs and proof pass every check before the pairings."""
    _check_public_inputs(vk, public_inputs)
    _check_proof_on_curve(proof)
    _check_proof_subgroup(proof, ops)
    _check_proof_not_infinity(proof)


# --- pairings --------------------------------------------------------------------

# Groth16 accepts when e(A, B) = e(alpha, beta)·e(vk_x, gamma)·e(C, delta), with
# vk_x = IC_0 + Σ x_i·IC_i. Dividing by e(A, B) and using e(A, B)^-1 = e(-A, B):
#     e(-A, B)·e(alpha, beta)·e(vk_x, gamma)·e(C, delta) = 1,
# a product of four Miller loops followed by a single final exponentiation. The terms
# are handed to ``weighted_product_is_one`` as (weight, G1 point, G2 point): it sums the
# weighted G1 points of equal G2 points first (vk_x is Σ x_i·IC_i against gamma).

Weighted: TypeAlias = list[tuple[int, G1Point, G2Point]]


def _ops(ops: CurveBackend | None) -> CurveBackend:
    """Return ``ops``, or the default ``verifier.bn254.PURE_OPS``."""
    return PURE_OPS if ops is None else ops


def _neg_g1(point: G1Point) -> G1Point:
    return None if point is None else (point[0], (P - point[1]) % P)


def _single_weighted(vk: VerifyingKey, public_inputs: Sequence[int], proof: Proof) -> Weighted:
    """Return the terms of one proof's equation."""
    return [
        (1, _neg_g1(proof.a), proof.b),
        (1, vk.alpha_g1, vk.beta_g2),
        *((x % R, ic, vk.gamma_g2) for x, ic in zip([1, *public_inputs], vk.ic, strict=True)),
        (1, proof.c, vk.delta_g2),
    ]


def _batch_weighted(
    vk: VerifyingKey, items: Sequence[tuple[Sequence[int], Proof]], z: Sequence[int]
) -> Weighted:
    """Return the terms of the z-weighted product of the equations: z_i·(-A_i) against
    B_i, (Σ z_i)·alpha against beta, Σ z_i·vk_x_i against gamma, Σ z_i·C_i against delta.

    Σ z_i·vk_x_i = (Σ z_i)·IC_0 + Σ_j (Σ_i z_i·x_ij)·IC_j, so G1 work stays per input.
    Σ z_i is left unreduced: below n·2^128, it is a shorter scalar than its residue mod r
    would be (G1 has order r, so both give the same point).
    """
    weights = [sum(z)] + [
        sum(zi * inputs[j] for zi, (inputs, _) in zip(z, items, strict=True)) % R
        for j in range(vk.n_public)
    ]
    proofs = [proof for _, proof in items]
    return [
        *((zi, _neg_g1(p.a), p.b) for zi, p in zip(z, proofs, strict=True)),
        (weights[0], vk.alpha_g1, vk.beta_g2),
        *((w, ic, vk.gamma_g2) for w, ic in zip(weights, vk.ic, strict=True)),
        *((zi, p.c, vk.delta_g2) for zi, p in zip(z, proofs, strict=True)),
    ]


def _single_holds(
    vk: VerifyingKey, public_inputs: Sequence[int], proof: Proof, ops: CurveBackend | None
) -> bool:
    return _ops(ops).weighted_product_is_one(_single_weighted(vk, public_inputs, proof))


def _batch_holds(
    vk: VerifyingKey,
    items: Sequence[tuple[Sequence[int], Proof]],
    z: Sequence[int],
    ops: CurveBackend | None,
) -> bool:
    return _ops(ops).weighted_product_is_one(_batch_weighted(vk, items, z))


# --- entry points ----------------------------------------------------------------


def verify(
    vk: VerifyingKey,
    public_inputs: Sequence[int],
    proof: Proof,
    ops: CurveBackend | None = None,
) -> None:
    """Return None if ``proof`` proves ``public_inputs`` under ``vk``; raise otherwise.

    Raises a ``VerificationError`` subclass naming the first failed check. ``ops``: other
    subgroup checks and pairings (same checks, same answers), ``verifier.bn254``'s by
    default.
    """
    _check_public_inputs(vk, public_inputs)
    _check_key_on_curve(vk)
    _check_proof_on_curve(proof)
    _check_key_subgroup(vk, ops)
    _check_proof_subgroup(proof, ops)
    _check_key_not_infinity(vk)
    _check_proof_not_infinity(proof)
    if not _single_holds(vk, public_inputs, proof, ops):
        raise PairingCheckFailed(
            "the proof does not satisfy the Groth16 pairing equation "
            "for these public inputs and this verification key"
        )


def _check_item_at(
    index: int,
    vk: VerifyingKey,
    public_inputs: Sequence[int],
    proof: Proof,
    ops: CurveBackend | None = None,
) -> None:
    """Return None if item ``index`` passes the pre-checks; errors carry the index."""
    try:
        _check_item(vk, public_inputs, proof, ops)
    except BatchItemError as error:
        raise type(error)(f"proof {index}: {error}", index=index) from error


def _coefficients(count: int, rng: random.Random | None) -> list[int]:
    """Return ``count`` random coefficients in [1, 2^128), from ``secrets`` by default."""
    if rng is None:
        return [secrets.randbelow((1 << _BATCH_BITS) - 1) + 1 for _ in range(count)]
    return [rng.randrange(1, 1 << _BATCH_BITS) for _ in range(count)]


def verify_many(
    vk: VerifyingKey,
    items: Sequence[tuple[Sequence[int], Proof]],
    rng: random.Random | None = None,
    ops: CurveBackend | None = None,
) -> None:
    """Return None if every (public inputs, proof) item verifies under ``vk``.

    All items are checked at once with a random linear combination: with
    E_i = e(-A_i, B_i)·e(alpha, beta)·e(vk_x_i, gamma)·e(C_i, delta) in GT (order r),
    Π E_i^z_i = Π e(-z_i·A_i, B_i)·e(Σz_i·alpha, beta)·e(Σz_i·vk_x_i, gamma)·
    e(Σz_i·C_i, delta): n + 3 Miller loops and one final exponentiation. If some
    E_k ≠ 1, then for any fixed other z_i at most one z_k in [1, 2^128) makes the
    product 1, so a false batch passes with probability at most 1/(2^128 − 1) (below
    n/2^128), provided the z_i are unpredictable to whoever made the proofs. Moving z_i
    into G1 uses e(z·A, B) = e(A, B)^z, which the pairing guarantees only for points of
    the order-r groups: hence the pre-checks (G1 has cofactor 1, B is subgroup-checked).

    On failure every proof is checked on its own and the error raised is for the first
    bad one, with its position in ``items`` as ``index``. An empty batch passes. ``ops``:
    as in ``verify``.
    """
    _check_key(vk, ops)
    for index, (public_inputs, proof) in enumerate(items):
        _check_item_at(index, vk, public_inputs, proof, ops)
    if not items or _batch_holds(vk, items, _coefficients(len(items), rng), ops):
        return
    for index, (public_inputs, proof) in enumerate(items):
        if not _single_holds(vk, public_inputs, proof, ops):
            raise PairingCheckFailed(
                f"proof {index} does not satisfy the Groth16 pairing "
                "equation for its public inputs",
                index=index,
            )
    raise PairingCheckFailed(
        "the combined check failed although every proof passed alone; "
        "this should be impossible and indicates a bug"
    )
