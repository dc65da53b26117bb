"""Bulk point work for the ceremony, on top of the kernels of ``publisher.snark``.

The ceremony handles the same ~10^5 points over and over: read from a file, checked,
combined, scaled, written. This module does that in bulk, with exactly the results of the
per-point code it replaces (``verifier.mpc_primitives``, ``publisher.snark.lincomb``):

* **encodings**: a LEM coordinate (file form) is the Montgomery form the native kernels
  use, so ``g1_pack``/``g2_pack`` of ``publisher.snark._native`` write a section in one
  call, and ``g1_unpack`` reads one; a read checks every coordinate below p and every
  point on its curve in C. Anything refused there is decoded again point by point, which
  raises the precise error. Without the native backend, the per-point code runs;
* **sums of groups of points** (``lincombs``): a combination whose column repeats a
  coefficient (the demo's circuit: ~2 terms per coefficient in B) is computed as
  ``c (P_1 + P_2 + ..)``: the sums in batch-affine rounds here (one inversion per round),
  the combination with one term per distinct coefficient. A coefficient closer to r than
  to 0 is applied to the negated base (``-c P = (r - c)(-P)``): fewer digits;
* **one scalar for many points** (``scale_g1``): ``k = k1 + k2 lambda`` (GLV), i.e. two
  ~127-bit terms on P and (beta x, y): half the doublings of a 254-bit scalar;
* **G2 subgroup checks** (``g2_not_in_subgroup``): a point that passed once in this
  process is not checked again (membership is a property of the point; the ceremony reads
  the same B2 points at every step).

Every result is a point as ``publisher.snark.curve`` represents it (ints, None for
infinity), the same group element as the plain computation and so the same coordinates.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import is_
from typing import Any

import gmpy2
from gmpy2 import mpz

from publisher.ceremony.memo import forget_also
from publisher.snark import backend, lincomb, native
from publisher.snark.curve import (
    G1,
    G2,
    GLV_BETA,
    P_MPZ,
    g1_add,
    g1_is_on_curve,
    g2_add,
    glv_split,
)
from verifier.field import P, R
from verifier.mpc_primitives import g1_lem, g2_lem

G1_BYTES, G2_BYTES = 64, 128
#: (row, coefficient) terms of one output of a linear combination.
Column = Sequence[tuple[int, int]]
_ONE: Any = mpz(1)


def _module() -> Any:
    """The native module when it backs the kernels, else None (pure-Python reference)."""
    return backend.native()


# --------------------------------------------------------------------------- encodings


def g1s_lem(points: Sequence[G1]) -> bytes:
    """``b"".join(map(g1_lem, points))``: the points as a snarkjs file stores them."""
    module = _module()
    if module is not None:
        try:
            return bytes(module.g1_pack(native.g1_bytes(points), False, False))
        except (ValueError, OverflowError, TypeError):
            pass  # a coordinate that is not a reduced int: the per-point code reduces it
    return b"".join(map(g1_lem, points))


def g2s_lem(points: Sequence[G2]) -> bytes:
    """``b"".join(map(g2_lem, points))``."""
    module = _module()
    if module is not None:
        try:
            return bytes(module.g2_pack(native.g2_bytes(points), False, False))
        except (ValueError, OverflowError, TypeError):
            pass
    return b"".join(map(g2_lem, points))


def g1s_from_lem(data: bytes | memoryview) -> list[G1] | None:
    """The G1 points of LEM bytes if every coordinate is below p and every point on the
    curve (all zeros: None); None if one is not, or without the native backend: the
    caller then decodes point by point, which names the bad one."""
    module = _module()
    if module is None:
        return None
    try:
        module.g1_pack(data, False, False)  # refuses a value >= p (LEM values are < p)
        plain = module.g1_unpack(data)
        module.g1_pack(plain, False, True)  # refuses a point off the curve
    except ValueError:
        return None
    return native.g1_points(plain)


def g2s_from_lem(data: bytes | memoryview) -> list[G2] | None:
    """As ``g1s_from_lem`` for points of the twist (subgroup membership not checked)."""
    module = _module()
    if module is None:
        return None
    try:
        module.g2_pack(data, False, False)
        plain = module.g2_unpack(data)
        module.g2_pack(plain, False, True)
    except ValueError:
        return None
    return native.g2_points(plain)


# --------------------------------------------------------------------------- G2 subgroup

#: G2 points (as tuples of coordinates) found in G2 by this process.
_IN_G2: set[Any] = set()
_IN_G2_LIMIT = 1 << 20
forget_also(_IN_G2.clear)


def g2_not_in_subgroup(points: Sequence[G2]) -> list[int]:
    """``publisher.snark.lincomb.g2_not_in_subgroup``, skipping points that passed before."""
    todo = [i for i, q in enumerate(points) if q is not None and q not in _IN_G2]
    if not todo:
        return []
    bad = [todo[t] for t in lincomb.g2_not_in_subgroup([points[i] for i in todo])]
    refused = set(bad)
    if len(_IN_G2) + len(todo) > _IN_G2_LIMIT:
        _IN_G2.clear()
    _IN_G2.update(points[i] for i in todo if i not in refused)
    return bad


# --------------------------------------------------------------------------- sums of groups


def _g1_pair_sums(a: list[Any], b: list[Any]) -> list[Any]:
    """``a[i] + b[i]`` for affine G1 points (mpz pairs, not None), one inversion."""
    p = P_MPZ
    dens = []
    prefix = []
    acc = _ONE
    special = []
    for t, ((x1, _), (x2, _)) in enumerate(zip(a, b, strict=True)):
        d = x2 - x1
        if not d:
            special.append(t)
            d = _ONE
        dens.append(d)
        prefix.append(acc)
        acc = acc * d % p
    inv = gmpy2.invert(acc, p)
    out: list[Any] = [None] * len(a)
    for t in range(len(a) - 1, -1, -1):
        (x1, y1), (x2, y2) = a[t], b[t]
        lam = (y2 - y1) * inv * prefix[t] % p
        inv = inv * dens[t] % p
        x3 = (lam * lam - x1 - x2) % p
        out[t] = (x3, (lam * (x1 - x3) - y1) % p)
    for t in special:  # equal x: a doubling or a cancellation
        s = g1_add(a[t], b[t])
        out[t] = None if s is None else (mpz(s[0]), mpz(s[1]))
    return out


def _g2_pair_sums(a: list[Any], b: list[Any]) -> list[Any]:
    """``a[i] + b[i]`` for affine G2 points ((x0, x1), (y0, y1)) of mpz, not None.

    1/d = conj(d)/N(d) with N(d) = d0^2 + d1^2 in Fp, zero only for d = 0 (-1 is not a
    square mod p): only the norms are inverted, together.
    """
    p = P_MPZ
    diffs = []
    norms = []
    prefix = []
    acc = _ONE
    special = []
    for t, (((x10, x11), _), ((x20, x21), _)) in enumerate(zip(a, b, strict=True)):
        d0, d1 = x20 - x10, x21 - x11
        nm = (d0 * d0 + d1 * d1) % p
        if not nm:
            special.append(t)
            nm = _ONE
        diffs.append((d0, d1))
        norms.append(nm)
        prefix.append(acc)
        acc = acc * nm % p
    inv = gmpy2.invert(acc, p)
    out: list[Any] = [None] * len(a)
    for t in range(len(a) - 1, -1, -1):
        ((x10, x11), (y10, y11)), ((x20, x21), (y20, y21)) = a[t], b[t]
        d0, d1 = diffs[t]
        u = inv * prefix[t] % p  # 1/N(d)
        inv = inv * norms[t] % p
        n0, n1 = y20 - y10, y21 - y11
        l0 = (n0 * d0 + n1 * d1) * u % p
        l1 = (n1 * d0 - n0 * d1) * u % p
        x30 = ((l0 + l1) * (l0 - l1) - x10 - x20) % p
        x31 = (2 * l0 * l1 - x11 - x21) % p
        e0, e1 = x10 - x30, x11 - x31
        out[t] = ((x30, x31), ((l0 * e0 - l1 * e1 - y10) % p, (l0 * e1 + l1 * e0 - y11) % p))
    for t in special:
        s = g2_add(a[t], b[t])
        out[t] = None if s is None else ((mpz(s[0][0]), mpz(s[0][1])), (mpz(s[1][0]), mpz(s[1][1])))
    return out


def _sum_groups(
    points: list[Any],
    groups: list[list[int]],
    pair_sums: Callable[[list[Any], list[Any]], list[Any]],
) -> list[Any]:
    """The sum of ``points[i]`` over each group (None: infinity), by pairwise rounds: each
    round adds the points of every group two by two, all pairs in one batch."""
    todo = [[points[i] for i in g if points[i] is not None] for g in groups]
    active = [g for g, pts in enumerate(todo) if len(pts) > 1]
    while active:
        left: list[Any] = []
        right: list[Any] = []
        for g in active:
            pts = todo[g]
            end = len(pts) & ~1
            left += pts[0:end:2]
            right += pts[1:end:2]
        sums = pair_sums(left, right)
        cancelled = any(map(is_, sums, repeat(None)))  # P + (-P): rare, drop the Nones
        pos = 0
        still = []
        for g in active:
            pts = todo[g]
            half = len(pts) >> 1
            done = sums[pos : pos + half]
            pos += half
            if cancelled:
                done = [q for q in done if q is not None]
            if len(pts) & 1:
                done.append(pts[-1])
            todo[g] = done
            if len(done) > 1:
                still.append(g)
        active = still
    return [pts[0] if pts else None for pts in todo]


def _mpz_g1(q: G1) -> Any:
    return None if q is None else (mpz(q[0]), mpz(q[1]))


def _mpz_g2(q: G2) -> Any:
    return None if q is None else ((mpz(q[0][0]), mpz(q[0][1])), (mpz(q[1][0]), mpz(q[1][1])))


def _int_g1(q: Any) -> G1:
    return None if q is None else (int(q[0]), int(q[1]))


def _int_g2(q: Any) -> G2:
    return None if q is None else ((int(q[0][0]), int(q[0][1])), (int(q[1][0]), int(q[1][1])))


def _grouped(
    bases: Sequence[Any],
    columns: Sequence[Column],
    neg: Callable[[Any], Any],
    pair_sums: Callable[[list[Any], list[Any]], list[Any]],
    to_mpz: Callable[[Any], Any],
    to_int: Callable[[Any], Any],
    combine: Callable[[Sequence[Any], Sequence[Column]], list[Any]],
) -> list[Any]:
    """``out_j = sum c * bases[i]`` over the (i, c) of column j, with the terms of a column
    sharing a coefficient summed first (see the module docstring)."""
    store = list(bases)
    negated: dict[int, int] = {}  # base -> index of its negation in store
    flip: dict[int, tuple[int, bool]] = {}  # coefficient -> (applied value, on -P)
    groups: list[list[int]] = []  # store indices of the terms of one (column, coefficient)
    keys: list[tuple[int, int]] = []
    terms = 0
    for j, column in enumerate(columns):
        index: dict[int, int] = {}  # coefficient -> its group in this column
        for i, coeff in column:
            applied = flip.get(coeff)
            if applied is None:
                c = coeff % R
                # -c P = (r - c)(-P): fewer digits for a "negative" coefficient
                shorter = (R - c).bit_length() < c.bit_length()
                applied = flip[coeff] = (R - c, True) if c and shorter else (c, False)
            c, on_negated = applied
            if not c:
                continue
            if on_negated:
                k = negated.get(i)
                if k is None:
                    k = negated[i] = len(store)
                    store.append(neg(bases[i]))
                i = k
            terms += 1
            g = index.get(c)
            if g is None:
                index[c] = len(groups)
                groups.append([i])
                keys.append((j, c))
            else:
                groups[g].append(i)
    if terms - len(groups) < terms // 20:  # few repeats: not worth the sums
        return combine(bases, columns)
    multi = [g for g, members in enumerate(groups) if len(members) > 1]
    members = sorted({i for g in multi for i in groups[g]})
    position = {i: t for t, i in enumerate(members)}
    sums = _sum_groups(
        [to_mpz(store[i]) for i in members],
        [[position[i] for i in groups[g]] for g in multi],
        pair_sums,
    )
    where = {g: len(store) + t for t, g in enumerate(multi)}
    store += map(to_int, sums)
    out_columns: list[list[tuple[int, int]]] = [[] for _ in columns]
    for g, ((j, c), group) in enumerate(zip(keys, groups, strict=True)):
        out_columns[j].append((where[g] if len(group) > 1 else group[0], c))
    return combine(store, out_columns)


def lincombs_g1(bases: Sequence[G1], columns: Sequence[Column]) -> list[G1]:
    """``publisher.snark.lincomb.lincombs_g1`` (same points), repeated coefficients of a
    column applied once to the sum of their bases."""
    return _grouped(bases, columns, _neg_g1, _g1_pair_sums, _mpz_g1, _int_g1, lincomb.lincombs_g1)


def lincombs_g2(bases: Sequence[G2], columns: Sequence[Column]) -> list[G2]:
    """``publisher.snark.lincomb.lincombs_g2`` (bases in G2), as ``lincombs_g1``."""
    return _grouped(bases, columns, _neg_g2, _g2_pair_sums, _mpz_g2, _int_g2, lincomb.lincombs_g2)


def add_g1s(a: Sequence[G1], b: Sequence[G1]) -> list[G1]:
    """``a[i] + b[i]`` for every i (``publisher.snark.curve.g1_add``, same points), in one
    batch."""
    live = [t for t, (p, q) in enumerate(zip(a, b, strict=True)) if p is not None and q is not None]
    sums = _g1_pair_sums([_mpz_g1(a[t]) for t in live], [_mpz_g1(b[t]) for t in live])
    out = [g1_add(p, q) if p is None or q is None else None for p, q in zip(a, b, strict=True)]
    for t, s in zip(live, sums, strict=True):
        out[t] = _int_g1(s)
    return out


def neg_g1(q: G1) -> G1:
    """``-q`` (``publisher.snark.curve.g1_neg``)."""
    return _neg_g1(q)


def _neg_g1(q: G1) -> G1:
    return None if q is None else (q[0], (P - q[1]) % P)


def _neg_g2(q: G2) -> G2:
    return None if q is None else (q[0], ((P - q[1][0]) % P, (P - q[1][1]) % P))


# --------------------------------------------------------------------------- one scalar


def scale_g1(points: Sequence[G1], k: int) -> list[G1]:
    """``[k]P`` for every point P (``publisher.snark.lincomb.scale_g1``, same points).

    Natively as ``[k1]P + [k2](beta x, y)`` with k = k1 + k2 lambda (GLV): both halves
    ~127 bits, so half the doublings; a negative half is applied to -P.
    """
    k %= R
    if _module() is None or not k:
        return lincomb.scale_g1(points, k)
    k1, k2 = glv_split(k)
    m = len(points)
    first = [q if k1 >= 0 else _neg_g1(q) for q in points]
    second = [
        None if q is None else (q[0] * GLV_BETA % P, q[1] if k2 >= 0 else (P - q[1]) % P)
        for q in points
    ]
    terms = [(0, abs(k1)), (m, abs(k2))]
    columns = [[(off + i, c) for off, c in terms if c] for i in range(m)]
    return lincomb.lincombs_g1(first + second, columns)


def double_neg_g1(points: Sequence[G1]) -> list[G1]:
    """``[-2]P`` for every point P (``scale_g1(points, r - 2)``, same points): one batch
    of affine doublings, lambda = 3x^2 / 2y (G1 has no point of order 2: y != 0)."""
    p = P_MPZ
    live = [(mpz(q[0]), mpz(q[1])) for q in points if q is not None and q[1] % P]
    prefix = []
    acc = _ONE
    for _, y in live:
        prefix.append(acc)
        acc = acc * 2 * y % p
    inv = gmpy2.invert(acc, p) if live else _ONE
    doubled: list[Any] = [None] * len(live)
    for t in range(len(live) - 1, -1, -1):
        x, y = live[t]
        lam = 3 * x * x * inv * prefix[t] % p
        inv = inv * 2 * y % p
        x3 = (lam * lam - 2 * x) % p
        doubled[t] = (int(x3), int((y - lam * (x - x3)) % p))  # -(2P): y negated
    it = iter(doubled)
    return [None if q is None or not q[1] % P else next(it) for q in points]


def all_on_curve_g1(points: Sequence[G1]) -> bool:
    """Whether every point is on the G1 curve (``publisher.snark.curve.g1_is_on_curve``)."""
    module = _module()
    if module is not None:
        try:
            module.g1_pack(native.g1_bytes(points), False, True)
            return True
        except (ValueError, OverflowError, TypeError):
            pass  # off the curve, or coordinates that are not reduced ints: decide below
    return all(g1_is_on_curve(q) for q in points)


def random_weights(count: int, bits: int) -> list[int]:
    """``count`` independent uniform ``bits``-bit weights from the OS (``secrets``), drawn
    in one call (as ``[secrets.randbits(bits) for _ in range(count)]``, ~5x faster)."""
    size = (bits + 7) // 8
    data = secrets.token_bytes(count * size)
    mask = (1 << bits) - 1
    return [
        int.from_bytes(data[i : i + size], "little") & mask for i in range(0, count * size, size)
    ]


# --------------------------------------------------------------------------- plain bytes


def native_backend() -> bool:
    """Whether the native kernels back the computations (else the pure-Python reference)."""
    return _module() is not None


def fixed_base_plain(base: G1 | G2, scalars: Sequence[int], g2: bool) -> bytes:
    """``[k]base`` for every scalar as the native kernels return them: canonical
    little-endian coordinates (``x || y``; G2 ``x0 || x1 || y0 || y1``), zeros for
    infinity. Only with the native backend (``native_backend``)."""
    module = backend.native()
    if module is None:
        raise backend.BackendError("the native backend is not in use")
    ks = native.scalar_bytes(scalars)
    if g2:
        packed = native.g2_bytes([base])  # type: ignore[list-item]
        return bytes(module.fixed_base_g2(module.g2_pack(packed), ks, backend.threads()))
    packed = native.g1_bytes([base])  # type: ignore[list-item]
    return bytes(module.fixed_base_g1(module.g1_pack(packed), ks, backend.threads()))


def plain_lem(plain: bytes, g2: bool) -> bytes:
    """The LEM (file) form of points in canonical bytes: their Montgomery form."""
    module = _module()
    return bytes(module.g2_pack(plain, False, False) if g2 else module.g1_pack(plain, False, False))


def plain_uncompressed(plain: bytes, g2: bool) -> bytes:
    """The uncompressed form (``g1_uncompressed``/``g2_uncompressed``) of points in
    canonical bytes: big-endian coordinates, an Fp2 element as c1 || c0."""
    coords = [plain[i : i + 32][::-1] for i in range(0, len(plain), 32)]
    if g2:
        coords[0::2], coords[1::2] = coords[1::2], coords[0::2]
    return b"".join(coords)


def plain_points(plain: bytes, g2: bool) -> list[Any]:
    """The points of canonical bytes (zeros: None)."""
    return native.g2_points(plain) if g2 else native.g1_points(plain)
