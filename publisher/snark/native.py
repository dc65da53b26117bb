"""The native kernels seen from Python: zkpor's int points in, zkpor's int points out.

``publisher.snark._native`` takes and returns bytes (see the top of ``_native.c``):
scalars as 32-byte little-endian canonical values, points packed in Montgomery form for
its kernels and returned in canonical form, the point at infinity as zero bytes. This
module converts, so that each function here has exactly the signature and result of its
pure-Python counterpart (``msm_g1`` of ``publisher.snark.msm``, ...), which dispatch here
when ``publisher.snark.backend`` selects the native backend.

It also holds the prover's packed forms, made once and reused for every proof: a proving
key (``PackedKey``, read straight from its file without one Python int per coordinate,
~12x less memory than ``ProvingKey``) and a circuit's three matrices (``packed_r1cs``).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from publisher.snark import backend
from publisher.snark.curve import G1, G2
from publisher.snark.keys import ProvingKey, read_key_file
from publisher.snark.r1cs import ConstraintSystem
from verifier.field import R
from verifier.groth16 import Proof

_ZERO_G1 = bytes(64)
_ZERO_G2 = bytes(128)


def _module() -> ModuleType:
    module = backend.native()
    if module is None:
        raise backend.BackendError("the native backend is not in use")
    return module


# --------------------------------------------------------------------------- conversions


def scalar_bytes(scalars: Sequence[int]) -> bytes:
    """Scalars mod r as 32-byte little-endian values, concatenated."""
    return b"".join((int(k) % R).to_bytes(32, "little") for k in scalars)


def g1_bytes(points: Sequence[G1]) -> bytes:
    """Canonical little-endian ``x || y`` per point, zeros for infinity."""
    return b"".join(
        _ZERO_G1
        if p is None
        else int(p[0]).to_bytes(32, "little") + int(p[1]).to_bytes(32, "little")
        for p in points
    )


def g2_bytes(points: Sequence[G2]) -> bytes:
    """Canonical little-endian ``x0 || x1 || y0 || y1`` per point, zeros for infinity."""
    return b"".join(
        _ZERO_G2 if p is None else b"".join(int(v).to_bytes(32, "little") for v in (*p[0], *p[1]))
        for p in points
    )


def _ints(data: bytes) -> list[int]:
    view = memoryview(data)
    return [int.from_bytes(view[i : i + 32], "little") for i in range(0, len(view), 32)]


def g1_points(data: bytes) -> list[G1]:
    """The points of canonical little-endian bytes (zeros: None)."""
    c = _ints(data)
    return [None if c[i] == c[i + 1] == 0 else (c[i], c[i + 1]) for i in range(0, len(c), 2)]


def g2_points(data: bytes) -> list[G2]:
    """The points of canonical little-endian bytes (zeros: None)."""
    c = _ints(data)
    return [
        None if not any(c[i : i + 4]) else ((c[i], c[i + 1]), (c[i + 2], c[i + 3]))
        for i in range(0, len(c), 4)
    ]


def pack_g1(points: Sequence[G1], check: bool = False) -> bytes:
    """Points in the kernels' form; ``check``: refuse a point off the curve."""
    return bytes(_module().g1_pack(g1_bytes(points), False, check))


def pack_g2(points: Sequence[G2], check: bool = False) -> bytes:
    """As ``pack_g1`` over G2 (the twist curve; subgroup membership is not checked)."""
    return bytes(_module().g2_pack(g2_bytes(points), False, check))


# --------------------------------------------------------------------------- kernels


def msm_g1(points: Sequence[G1], scalars: Sequence[int]) -> G1:
    """``sum k_i P_i`` over G1 (scalars mod r); see ``publisher.snark.msm.msm_g1``."""
    _same_length(points, scalars)
    module = _module()
    out = module.msm_g1(pack_g1(points), scalar_bytes(scalars), backend.threads())
    return g1_points(out)[0]


def msm_g2(points: Sequence[G2], scalars: Sequence[int]) -> G2:
    """``sum k_i P_i`` over G2 (scalars mod r); see ``publisher.snark.msm.msm_g2``."""
    _same_length(points, scalars)
    module = _module()
    out = module.msm_g2(pack_g2(points), scalar_bytes(scalars), backend.threads())
    return g2_points(out)[0]


def fixed_base_g1(base: G1, scalars: Sequence[int]) -> list[G1]:
    """``[k]base`` for every scalar (mod r)."""
    if base is None:
        return [None] * len(scalars)
    module = _module()
    return g1_points(
        module.fixed_base_g1(pack_g1([base]), scalar_bytes(scalars), backend.threads())
    )


def fixed_base_g2(base: G2, scalars: Sequence[int]) -> list[G2]:
    """``[k]base`` for every scalar (mod r)."""
    if base is None:
        return [None] * len(scalars)
    module = _module()
    return g2_points(
        module.fixed_base_g2(pack_g2([base]), scalar_bytes(scalars), backend.threads())
    )


def _columns(columns: Sequence[Sequence[tuple[int, int]]]) -> tuple[bytes, bytes, bytes]:
    colptr = array("I", [0])
    rows = array("I")
    coeffs: list[int] = []
    for column in columns:
        for row, coeff in column:
            rows.append(row)
            coeffs.append(coeff)
        colptr.append(len(rows))
    return colptr.tobytes(), rows.tobytes(), scalar_bytes(coeffs)


def lincombs_g1(bases: Sequence[G1], columns: Sequence[Sequence[tuple[int, int]]]) -> list[G1]:
    """``out_j = sum_(i, c) in columns[j] c * bases[i]``; see ``publisher.snark.lincomb``."""
    module = _module()
    out = module.lincombs_g1(pack_g1(bases), *_columns(columns), backend.threads())
    return g1_points(out)


def lincombs_g2(bases: Sequence[G2], columns: Sequence[Sequence[tuple[int, int]]]) -> list[G2]:
    """As ``lincombs_g1`` over G2."""
    module = _module()
    out = module.lincombs_g2(pack_g2(bases), *_columns(columns), backend.threads())
    return g2_points(out)


def scale_g1(points: Sequence[G1], k: int) -> list[G1]:
    """``[k]P`` for every point (one shared scalar, mod r)."""
    return lincombs_g1(points, [[(i, k)] for i in range(len(points))])


def coset_ntt(coeffs: Sequence[int], omega: int, shift: int) -> list[int]:
    """Evaluations at ``shift * omega^i`` of the polynomial with ``coeffs``."""
    out = _module().coset_ntt(scalar_bytes(coeffs), scalar_bytes([omega]), scalar_bytes([shift]))
    return _ints(out)


def coset_intt(evals: Sequence[int], omega: int, shift: int) -> list[int]:
    """The coefficients of the polynomial taking ``evals`` at ``shift * omega^i``."""
    inv = [pow(omega, -1, R), pow(shift, -1, R)]
    out = _module().coset_intt(scalar_bytes(evals), *(scalar_bytes([v]) for v in inv))
    return _ints(out)


def _same_length(points: Sequence[object], scalars: Sequence[int]) -> None:
    if len(points) != len(scalars):
        raise ValueError(f"{len(points)} points but {len(scalars)} scalars")


# --------------------------------------------------------------------------- the prover


@dataclass(frozen=True)
class PackedKey:
    """A proving key in the kernels' form (see ``ProvingKey`` for the meaning of each)."""

    circuit_id: str
    r1cs_digest: str
    n_public: int
    domain_size: int
    n_wires: int
    alpha_g1: bytes
    beta_g1: bytes
    delta_g1: bytes
    beta_g2: bytes
    delta_g2: bytes
    a_g1: bytes
    b_g1: bytes
    b_g2: bytes
    l_g1: bytes
    h_g1: bytes

    @classmethod
    def of(cls, pk: ProvingKey) -> PackedKey:
        """The packed form of an in-memory key, made once and kept on the key."""
        cached = pk.__dict__.get("_packed")
        if isinstance(cached, PackedKey):
            return cached
        packed = cls(
            pk.circuit_id, pk.r1cs_digest, pk.n_public, pk.domain_size, len(pk.a_g1),
            pack_g1([pk.alpha_g1]), pack_g1([pk.beta_g1]), pack_g1([pk.delta_g1]),
            pack_g2([pk.beta_g2]), pack_g2([pk.delta_g2]),
            pack_g1(pk.a_g1), pack_g1(pk.b_g1), pack_g2(pk.b_g2),
            pack_g1(pk.l_g1), pack_g1(pk.h_g1),
        )  # fmt: skip
        object.__setattr__(pk, "_packed", packed)  # frozen: cache beside the fields
        return packed

    @classmethod
    def load(cls, path: Path) -> PackedKey:
        """Read a proving key file straight into the kernels' form."""
        header, sections = read_key_file(path)
        module = _module()

        def g1(name: str) -> bytes:
            return bytes(module.g1_pack(sections[name], True, False))

        def g2(name: str) -> bytes:
            return bytes(module.g2_pack(sections[name], True, False))

        return cls(
            header["circuit_id"], header["r1cs_digest"], header["n_public"],
            header["domain_size"], header["n_wires"],
            g1("alpha_g1"), g1("beta_g1"), g1("delta_g1"), g2("beta_g2"), g2("delta_g2"),
            g1("a_g1"), g1("b_g1"), g2("b_g2"), g1("l_g1"), g1("h_g1"),
        )  # fmt: skip


def packed_r1cs(cs: ConstraintSystem) -> tuple[bytes, ...]:
    """A, B and C as compressed rows (row pointers, wires, packed coefficients), 9 buffers.

    Cached on the circuit (as its digest is) for as long as no constraint is added.
    """
    cached = cs.__dict__.get("_packed_rows")
    if cached is not None and cached[0] == len(cs.constraints):
        return tuple(cached[1])
    module = _module()
    out: list[bytes] = []
    for which in range(3):
        ptr = array("I", [0])
        wires = array("I")
        coeffs: list[int] = []
        for rows in cs.constraints:
            row = rows[which]
            wires.extend(row.keys())
            coeffs.extend(row.values())
            ptr.append(len(wires))
        out += [ptr.tobytes(), wires.tobytes(), bytes(module.fr_pack(scalar_bytes(coeffs)))]
    cs.__dict__["_packed_rows"] = (len(cs.constraints), out)
    return tuple(out)


def prove(
    pk: PackedKey,
    cs: ConstraintSystem,
    witness: Sequence[int],
    r: int,
    s: int,
    omega: int,
    shift: int,
) -> Proof | int:
    """The Groth16 proof, or the index of the first constraint ``witness`` breaks.

    ``omega`` generates the evaluation domain (``pk.domain_size`` points), ``shift`` is
    the coset where ``h`` is computed; see ``publisher.snark.prove`` for the algorithm.
    """
    module = _module()
    result = module.prove(
        pk.alpha_g1, pk.beta_g1, pk.delta_g1, pk.beta_g2, pk.delta_g2,
        pk.a_g1, pk.b_g1, pk.b_g2, pk.l_g1, pk.h_g1,
        *packed_r1cs(cs), cs.n_public, scalar_bytes(witness),
        scalar_bytes([r]), scalar_bytes([s]), scalar_bytes([omega]), scalar_bytes([shift]),
        backend.threads(),
    )  # fmt: skip
    if isinstance(result, int):
        return result
    a, b, c = result
    return Proof(a=g1_points(a)[0], b=g2_points(b)[0], c=g1_points(c)[0])
