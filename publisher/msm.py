"""Multi-scalar multiplication and fixed-base batch multiplication on BN254.

The Groth16 prover spends most of its time in ``sum_i k_i * P_i`` over G1 and G2, and
key generation in ``[k_i]G`` for ~10^5 scalars. In pure Python the cost is dominated by
the number of interpreted field operations, so everything here is built on one primitive:
*batch-affine addition* of many independent point pairs, sharing one field inversion
(Montgomery's trick). An affine addition then costs 6 multiplications in G1 instead of
11-16 for Jacobian formulas, and no coordinate conversions are needed.

On top of it, ``_sum_lists`` adds up many lists of points at once as balanced trees
(one batch per tree level), and Pippenger's bucket method becomes:

1. scalars reduced mod r; 0 skipped, 1 summed directly (most witness wires are bits);
2. on G1 each scalar split in two ~127-bit halves with the GLV endomorphism;
3. signed base-2^c digits, so a window has 2^(c-1) buckets (a digit -d uses -P);
4. every bucket of every window summed by one ``_sum_lists`` call;
5. bucket sums weighted by their index with a halving recursion whose additions are
   again batched (``_aggregate``), then windows combined by Horner in Jacobian form.

All internal coordinates are ``gmpy2.mpz``; results are returned as plain ints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import math
from itertools import zip_longest

import gmpy2
from gmpy2 import mpz

from publisher.curve import (
    G1,
    G1_JAC_INF,
    G2,
    G2_JAC_INF,
    GLV_BETA,
    P_MPZ,
    PSI_CX,
    PSI_CY,
    PSI_EIGENVALUE,
    G1Jac,
    G2Jac,
    g1_jac_add,
    g1_jac_double,
    g1_jac_mul,
    g1_normalize,
    g1_to_jac,
    g2_jac_add,
    g2_jac_double,
    g2_jac_mul,
    g2_normalize,
    g2_to_jac,
    glv_split,
)
from verifier.field import R

# Internal affine points: tuples of mpz, never None inside lists handed to _sum_lists.
_Pt = Any
_AddPairs = Callable[[list[_Pt], list[_Pt]], tuple[list[_Pt], bool]]

_ONE: Any = mpz(1)
_BETA: Any = mpz(GLV_BETA)

# --------------------------------------------------------------------------- G1 batch add


def _g1_add_pairs(left: list[_Pt], right: list[_Pt]) -> tuple[list[_Pt], bool]:
    """``left[i] + right[i]`` for affine G1 points with one shared inversion.

    Returns the sums and whether any of them is infinity (None). The fast path assumes
    distinct x coordinates, true except for P + P and P + (-P); those go to the slow path.
    """
    p = P_MPZ
    prefix: list[Any] = []
    push = prefix.append  # bound once: saves an attribute lookup per element
    acc = _ONE
    for a, b in zip(left, right, strict=True):
        push(acc)
        acc = acc * (b[0] - a[0]) % p
    if not acc:  # p is prime: the product vanishes iff some x1 == x2
        return _g1_add_pairs_slow(left, right)
    inv = gmpy2.invert(acc, p)
    out: list[_Pt] = []
    push = out.append
    # Walk backwards: inv holds 1/(d_0...d_i), so inv*prefix[i] = 1/d_i. The three-way
    # product (y2-y1)*inv*pre is reduced once: one mpz op fewer than reducing inv*pre.
    for (x1, y1), (x2, y2), pre in zip(reversed(left), reversed(right), reversed(prefix)):
        lam = (y2 - y1) * inv * pre % p
        inv = inv * (x2 - x1) % p
        x3 = (lam * lam - x1 - x2) % p
        push((x3, (lam * (x1 - x3) - y1) % p))
    out.reverse()
    return out, False


def _g1_add_pairs_slow(left: list[_Pt], right: list[_Pt]) -> tuple[list[_Pt], bool]:
    """General case of ``_g1_add_pairs``: doublings and cancellations allowed."""
    p = P_MPZ
    nums, dens, dead = [], [], []
    for (x1, y1), (x2, y2) in zip(left, right, strict=True):
        if x1 != x2:
            nums.append(y2 - y1)
            dens.append(x2 - x1)
            dead.append(False)
        elif y1 == y2 and y1:
            nums.append(3 * x1 * x1)  # tangent slope for doubling
            dens.append(2 * y1)
            dead.append(False)
        else:
            nums.append(0)  # P + (-P): infinity; dummy denominator keeps the batch going
            dens.append(1)
            dead.append(True)
    invs = _batch_inv(dens)
    out: list[_Pt] = []
    for (x1, y1), (x2, _), num, inv, is_dead in zip(left, right, nums, invs, dead, strict=True):
        if is_dead:
            out.append(None)
            continue
        lam = num * inv % p
        x3 = (lam * lam - x1 - x2) % p
        out.append((x3, (lam * (x1 - x3) - y1) % p))
    return out, any(dead)


def _batch_inv(values: list[Any]) -> list[Any]:
    """Inverses of nonzero field elements with one gmpy2.invert (Montgomery's trick)."""
    p = P_MPZ
    prefix = []
    acc = _ONE
    for v in values:
        prefix.append(acc)
        acc = acc * v % p
    inv = gmpy2.invert(acc, p)
    out = []
    for v, pre in zip(reversed(values), reversed(prefix), strict=True):
        out.append(inv * pre % p)
        inv = inv * v % p
    out.reverse()
    return out


# --------------------------------------------------------------------------- G2 batch add


def _g2_add_pairs(left: list[_Pt], right: list[_Pt]) -> tuple[list[_Pt], bool]:
    """``left[i] + right[i]`` for affine G2 points, one shared Fp inversion.

    1/d for d in Fp2 is conj(d)/N(d) with N(d) = d0^2 + d1^2 in Fp, so only the norms are
    batch-inverted: cheaper than running Montgomery's trick on Fp2 products.
    """
    p = P_MPZ
    d0s = [b[0][0] - a[0][0] for a, b in zip(left, right, strict=True)]
    d1s = [b[0][1] - a[0][1] for a, b in zip(left, right, strict=True)]
    norms = [(d0 * d0 + d1 * d1) % p for d0, d1 in zip(d0s, d1s, strict=True)]
    if 0 in norms:
        return _g2_add_pairs_slow(left, right)
    prefix = []
    acc = _ONE
    for nm in norms:
        prefix.append(acc)
        acc = acc * nm % p
    inv = gmpy2.invert(acc, p)
    out = []
    for ((x10, x11), (y10, y11)), ((x20, x21), (y20, y21)), pre, nm, d0, d1 in zip(
        reversed(left),
        reversed(right),
        reversed(prefix),
        reversed(norms),
        reversed(d0s),
        reversed(d1s),
        strict=True,
    ):
        t = inv * pre % p  # 1/N(d)
        inv = inv * nm % p
        n0 = y20 - y10
        n1 = y21 - y11
        # lam = n * conj(d) / N(d)
        l0 = (n0 * d0 + n1 * d1) % p * t % p
        l1 = (n1 * d0 - n0 * d1) % p * t % p
        x30 = ((l0 + l1) * (l0 - l1) - x10 - x20) % p
        x31 = (2 * l0 * l1 - x11 - x21) % p
        e0 = x10 - x30
        e1 = x11 - x31
        out.append(((x30, x31), ((l0 * e0 - l1 * e1 - y10) % p, (l0 * e1 + l1 * e0 - y11) % p)))
    out.reverse()
    return out, False


def _g2_add_pairs_slow(left: list[_Pt], right: list[_Pt]) -> tuple[list[_Pt], bool]:
    """General case of ``_g2_add_pairs``: doublings and cancellations allowed."""
    p = P_MPZ
    nums, dens, dead = [], [], []
    for (x1, y1), (x2, y2) in zip(left, right, strict=True):
        if x1 != x2:
            nums.append((y2[0] - y1[0], y2[1] - y1[1]))
            dens.append((x2[0] - x1[0], x2[1] - x1[1]))
            dead.append(False)
        elif y1 == y2 and (y1[0] or y1[1]):
            a0, a1 = x1
            nums.append((3 * (a0 + a1) * (a0 - a1), 6 * a0 * a1))  # 3 x^2
            dens.append((2 * y1[0], 2 * y1[1]))
            dead.append(False)
        else:
            nums.append((0, 0))
            dens.append((1, 0))
            dead.append(True)
    norm_invs = _batch_inv([(d0 * d0 + d1 * d1) % p for d0, d1 in dens])
    out: list[_Pt] = []
    for (x1, y1), (x2, _), (n0, n1), (d0, d1), t, is_dead in zip(
        left, right, nums, dens, norm_invs, dead, strict=True
    ):
        if is_dead:
            out.append(None)
            continue
        l0 = (n0 * d0 + n1 * d1) * t % p
        l1 = (n1 * d0 - n0 * d1) * t % p
        x30 = ((l0 + l1) * (l0 - l1) - x1[0] - x2[0]) % p
        x31 = (2 * l0 * l1 - x1[1] - x2[1]) % p
        e0 = x1[0] - x30
        e1 = x1[1] - x31
        y3 = ((l0 * e0 - l1 * e1 - y1[0]) % p, (l0 * e1 + l1 * e0 - y1[1]) % p)
        out.append(((x30, x31), y3))
    return out, any(dead)


# --------------------------------------------------------------------------- vector sums


def _vec_add(a: list[_Pt], b: list[_Pt], add_pairs: _AddPairs) -> list[_Pt]:
    """``a[i] + b[i]`` elementwise as one batch; None (infinity) allowed on either side."""
    if None not in a and None not in b:
        return add_pairs(a, b)[0]
    out = list(a)
    idx: list[int] = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if y is None:
            continue
        if x is None:
            out[i] = y
        else:
            idx.append(i)
    if idx:
        sums, _ = add_pairs([a[i] for i in idx], [b[i] for i in idx])
        for i, s in zip(idx, sums, strict=True):
            out[i] = s
    return out


def _fold(pts: list[_Pt], limit: int, add_pairs: _AddPairs) -> list[_Pt]:
    """Halve a list by pairwise batch addition until it has at most ``limit`` entries.

    The result has the same sum (None entries may appear after cancellations).
    """
    while len(pts) > limit:
        h = len(pts) >> 1
        pts = _vec_add(pts[:h], pts[h : 2 * h], add_pairs) + pts[2 * h :]
    return pts


def _sum_one(pts: list[_Pt], add_pairs: _AddPairs) -> _Pt:
    """Sum of one list of affine points in log2(n) batches; None if empty."""
    pts = _fold(pts, 1, add_pairs)
    return pts[0] if pts else None


def _sum_lists(lists: list[list[_Pt]], add_pairs: _AddPairs) -> list[_Pt]:
    """The sum of each list of affine points (None-free lists), None for an empty sum.

    Lists are sorted by decreasing length and transposed with ``zip_longest``; column k
    is then added into the running sums of the lists longer than k with one batch. All
    per-element work is in C (slicing, zip) or in ``add_pairs``: no Python loop per
    list per step. Exceptionally long lists are folded first so that the transposed
    table stays about as big as the input.
    """
    total = sum(map(len, lists))
    limit = 4 * (total // max(1, len(lists))) + 64
    lists = [_fold(q, limit, add_pairs) if len(q) > limit else q for q in lists]
    lens = [len(q) for q in lists]
    order = sorted(range(len(lists)), key=lens.__getitem__, reverse=True)
    cols = list(zip_longest(*[lists[i] for i in order]))
    out: list[_Pt] = [None] * len(lists)
    if not cols:
        return out
    sorted_lens = [lens[i] for i in order]
    acc = list(cols[0])
    live = len(acc)
    for k in range(1, len(cols)):
        while sorted_lens[live - 1] <= k:
            live -= 1
        acc[:live] = _vec_add(acc[:live], list(cols[k][:live]), add_pairs)
    for i, s in zip(order, acc, strict=True):
        out[i] = s
    return out


# --------------------------------------------------------------------------- Pippenger


def _window_bits(m: int, bits: int) -> int:
    """Window size c minimising the estimated cost for m points of ``bits``-bit scalars.

    Per window: ~m bucket additions (less one per filled bucket) plus digit/bucket
    bookkeeping per point, and ~2^c additions to weight the 2^(c-1) buckets.
    """
    best_c, best_cost = 2, float("inf")
    for c in range(2, 21):
        windows = -(-(bits + 1) // c)
        buckets = 1 << (c - 1)
        filled = buckets * (1 - math.exp(-m / buckets))
        cost = windows * (1.2 * m - filled + 2.3 * buckets + 100)
        if cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


def _digit_offset(c: int, windows: int) -> int:
    """sum_w 2^(c-1) * 2^(c*w): added to a scalar, it makes base-2^c digits signed."""
    return sum((1 << (c - 1)) << (c * w) for w in range(windows))


def _window_sums(
    pts: list[_Pt], negs: list[_Pt], digits: list[int], half: int, add_pairs: _AddPairs
) -> list[_Pt]:
    """Bucket sums of one window: entry j is the sum of the points with digit +-j.

    Points are visited in input order and added into their bucket's running sum, in
    batches of additions to distinct buckets. Visiting the (large) input sequentially
    keeps the memory access pattern cache friendly: random access to the points was
    measured to double the cost of an addition. A point whose bucket already has an
    addition in the current batch goes to an overflow list, summed at the end.
    """
    acc: list[_Pt] = [None] * (half + 1)
    busy = bytearray(half + 1)
    overflow: dict[int, list[_Pt]] = {}
    batch = max(16, half >> 2)
    left: list[_Pt] = []
    right: list[_Pt] = []
    where: list[int] = []
    for pt, npt, u in zip(pts, negs, digits, strict=True):
        if u > half:
            j = u - half
        elif u < half:
            j = half - u
            pt = npt
        else:
            continue
        cur = acc[j]
        if cur is None:
            acc[j] = pt
        elif busy[j]:
            overflow.setdefault(j, []).append(pt)
        else:
            busy[j] = 1
            left.append(cur)
            right.append(pt)
            where.append(j)
            if len(where) >= batch:
                _flush(acc, busy, left, right, where, add_pairs)
                left, right, where = [], [], []
    _flush(acc, busy, left, right, where, add_pairs)
    if overflow:
        keys = list(overflow)
        lists = [[acc[j], *overflow[j]] if acc[j] is not None else overflow[j] for j in keys]
        for j, s in zip(keys, _sum_lists(lists, add_pairs), strict=True):
            acc[j] = s
    return acc


def _flush(
    acc: list[_Pt],
    busy: bytearray,
    left: list[_Pt],
    right: list[_Pt],
    where: list[int],
    add_pairs: _AddPairs,
) -> None:
    """Perform a batch of bucket additions ``acc[where[i]] = left[i] + right[i]``."""
    if not where:
        return
    sums, _ = add_pairs(left, right)
    for j, s in zip(where, sums, strict=True):
        acc[j] = s
        busy[j] = 0


def _bucket_sums(
    pts: list[_Pt], negs: list[_Pt], scalars: list[int], c: int, windows: int, add_pairs: _AddPairs
) -> list[_Pt]:
    """All bucket sums, bucket-major: bucket j >= 1 of window w at (j - 1)*windows + w.

    Adding half = 2^(c-1) to every digit position turns unsigned digits u in [0, 2^c)
    into signed ones u - half in [-half, half): one addition per scalar instead of a
    carry chain. The bucket-major layout lets ``_aggregate`` split all windows' buckets
    in halves with a single slice.
    """
    half = 1 << (c - 1)
    mask = (1 << c) - 1
    offset = _digit_offset(c, windows)
    shifted = [k + offset for k in scalars]
    out: list[_Pt] = [None] * (windows * half)
    for w in range(windows):
        sh = c * w
        digits = [(k >> sh) & mask for k in shifted]
        out[w::windows] = _window_sums(pts, negs, digits, half, add_pairs)[1:]
    return out


def _aggregate(
    sums: list[_Pt], half: int, windows: int, add_pairs: _AddPairs
) -> list[list[_Pt]]:
    """Terms whose Horner combination gives sum_j j*B_j for each window.

    Uses sum_{j<=H} j*B_j = sum_{j<=H/2} j*(B_j + B_{j+H/2}) + (H/2)*sum_{j>H/2} B_j:
    each level halves the buckets with batched additions over all windows at once
    (bucket-major layout makes the halves two slices). Returns per window
    [S_0, ..., S_{c-2}, B_final]; the weighted sum is sum_t 2^(c-2-t) S_t + B_final.
    """
    terms: list[list[_Pt]] = [[] for _ in range(windows)]
    cur = sums
    h = half
    while h > 1:
        mid = (h >> 1) * windows
        hi = cur[mid:]
        s = hi
        while len(s) > windows:
            q = len(s) >> 1
            s = _vec_add(s[:q], s[q:], add_pairs)
        for w in range(windows):
            terms[w].append(s[w])
        cur = _vec_add(cur[:mid], hi, add_pairs)
        h >>= 1
    for w in range(windows):
        terms[w].append(cur[w])
    return terms


# --------------------------------------------------------------------------- G1 MSM


def _g1_prepare(
    points: Sequence[G1], scalars: Sequence[int]
) -> tuple[list[_Pt], list[_Pt], list[int]]:
    """Split into (points with scalar 1, points with larger scalars, those scalars)."""
    if len(points) != len(scalars):
        raise ValueError(f"{len(points)} points but {len(scalars)} scalars")
    ones: list[_Pt] = []
    pts: list[_Pt] = []
    ks: list[int] = []
    for pt, k in zip(points, scalars, strict=True):
        if pt is None:
            continue
        k %= R
        if k == 0:
            continue
        q = (mpz(pt[0]), mpz(pt[1]))
        if k == 1:
            ones.append(q)
        else:
            pts.append(q)
            ks.append(int(k))
    return ones, pts, ks


def _g1_glv(pts: list[_Pt], ks: list[int]) -> tuple[list[_Pt], list[_Pt], list[int]]:
    """k*P = k1*P + k2*phi(P) with |k1|, |k2| < 2^128; signs folded into the points."""
    p = P_MPZ
    beta = _BETA
    out_pts: list[_Pt] = []
    out_negs: list[_Pt] = []
    out_ks: list[int] = []
    for (x, y), k in zip(pts, ks, strict=True):
        k1, k2 = glv_split(k)
        ny = p - y
        ex = beta * x % p
        for kk, xx in ((k1, x), (k2, ex)):
            if kk > 0:
                out_pts.append((xx, y))
                out_negs.append((xx, ny))
                out_ks.append(kk)
            elif kk < 0:
                out_pts.append((xx, ny))
                out_negs.append((xx, y))
                out_ks.append(-kk)
    return out_pts, out_negs, out_ks


def _g1_combine(terms: list[list[_Pt]], c: int) -> G1Jac:
    """Horner over windows (c doublings each) of the per-window aggregation terms."""
    acc = G1_JAC_INF
    for row in reversed(terms):
        for _ in range(c):
            acc = g1_jac_double(acc)
        win = G1_JAC_INF
        for s in row[:-1]:
            win = g1_jac_add(g1_jac_double(win), g1_to_jac(s))
        acc = g1_jac_add(acc, g1_jac_add(win, g1_to_jac(row[-1])))
    return acc


def _pippenger(
    pts: list[_Pt], negs: list[_Pt], ks: list[int], add_pairs: _AddPairs
) -> tuple[list[list[_Pt]], int]:
    """Bucket phase shared by G1 and G2: per-window aggregation terms and window size."""
    top = max(ks)
    bits = top.bit_length()
    c = _window_bits(len(ks), bits)
    half = 1 << (c - 1)
    windows = -(-(bits + 1) // c)
    if (top + _digit_offset(c, windows)) >> (c * windows):
        windows += 1  # the recoding of the largest scalar carries out of the top window
    sums = _bucket_sums(pts, negs, ks, c, windows, add_pairs)
    return _aggregate(sums, half, windows, add_pairs), c


def msm_g1(points: Sequence[G1], scalars: Sequence[int]) -> G1:
    """sum_i scalars[i] * points[i] over G1 (scalars taken mod r, None points skipped)."""
    ones, pts, ks = _g1_prepare(points, scalars)
    acc = G1_JAC_INF
    if pts:
        gpts, gnegs, gks = _g1_glv(pts, ks)
        if gks:
            terms, c = _pippenger(gpts, gnegs, gks, _g1_add_pairs)
            acc = _g1_combine(terms, c)
    if ones:
        acc = g1_jac_add(acc, g1_to_jac(_sum_one(ones, _g1_add_pairs)))
    return batch_normalize_g1([acc])[0]


# --------------------------------------------------------------------------- G2 MSM


def _g2_prepare(
    points: Sequence[G2], scalars: Sequence[int]
) -> tuple[list[_Pt], list[_Pt], list[int]]:
    if len(points) != len(scalars):
        raise ValueError(f"{len(points)} points but {len(scalars)} scalars")
    ones: list[_Pt] = []
    pts: list[_Pt] = []
    ks: list[int] = []
    for pt, k in zip(points, scalars, strict=True):
        if pt is None:
            continue
        k %= R
        if k == 0:
            continue
        (x0, x1), (y0, y1) = pt
        q = ((mpz(x0), mpz(x1)), (mpz(y0), mpz(y1)))
        if k == 1:
            ones.append(q)
        else:
            pts.append(q)
            ks.append(int(k))
    return ones, pts, ks


def _g2_split(pts: list[_Pt], ks: list[int]) -> tuple[list[_Pt], list[_Pt], list[int]]:
    """k*Q = k0*Q + k1*psi(Q) with k = k0 + k1*6x^2, both halves ~127 bits.

    psi acts on G2 as [6x^2], so the split is a plain division. Valid for points of G2
    (order r), which all Groth16 key points are.
    """
    p = P_MPZ
    cx0, cx1 = (mpz(v) for v in PSI_CX)
    cy0, cy1 = (mpz(v) for v in PSI_CY)
    lam = PSI_EIGENVALUE
    out_pts: list[_Pt] = []
    out_negs: list[_Pt] = []
    out_ks: list[int] = []
    for ((x0, x1), (y0, y1)), k in zip(pts, ks, strict=True):
        k1, k0 = divmod(k, lam)
        if k0:
            out_pts.append(((x0, x1), (y0, y1)))
            out_negs.append(((x0, x1), (p - y0 if y0 else y0, p - y1 if y1 else y1)))
            out_ks.append(k0)
        if k1:
            # psi(x, y) = (conj(x) * cx, conj(y) * cy)
            px = ((x0 * cx0 + x1 * cx1) % p, (x0 * cx1 - x1 * cx0) % p)
            py = ((y0 * cy0 + y1 * cy1) % p, (y0 * cy1 - y1 * cy0) % p)
            out_pts.append((px, py))
            out_negs.append((px, (-py[0] % p, -py[1] % p)))
            out_ks.append(k1)
    return out_pts, out_negs, out_ks


def _g2_jac(pt: _Pt) -> G2Jac:
    return G2_JAC_INF if pt is None else g2_to_jac(pt)


def _g2_combine(terms: list[list[_Pt]], c: int) -> G2Jac:
    acc = G2_JAC_INF
    for row in reversed(terms):
        for _ in range(c):
            acc = g2_jac_double(acc)
        win = G2_JAC_INF
        for s in row[:-1]:
            win = g2_jac_add(g2_jac_double(win), _g2_jac(s))
        acc = g2_jac_add(acc, g2_jac_add(win, _g2_jac(row[-1])))
    return acc


def msm_g2(points: Sequence[G2], scalars: Sequence[int]) -> G2:
    """sum_i scalars[i] * points[i] over G2 (scalars mod r; points must lie in G2)."""
    ones, pts, ks = _g2_prepare(points, scalars)
    acc = G2_JAC_INF
    if pts:
        spts, snegs, sks = _g2_split(pts, ks)
        terms, c = _pippenger(spts, snegs, sks, _g2_add_pairs)
        acc = _g2_combine(terms, c)
    if ones:
        acc = g2_jac_add(acc, _g2_jac(_sum_one(ones, _g2_add_pairs)))
    return batch_normalize_g2([acc])[0]


# --------------------------------------------------------------------------- normalize


def batch_normalize_g1(points: Sequence[G1Jac]) -> list[G1]:
    """Jacobian -> affine (plain ints) for many points with a single inversion."""
    live = [i for i, q in enumerate(points) if q[2] % P_MPZ]
    invs = _batch_inv([mpz(points[i][2]) for i in live]) if live else []
    out: list[G1] = [None] * len(points)
    p = P_MPZ
    for i, zi in zip(live, invs, strict=True):
        x, y, _ = points[i]
        zi2 = zi * zi % p
        out[i] = (int(x * zi2 % p), int(y * zi2 % p * zi % p))
    return out


def batch_normalize_g2(points: Sequence[G2Jac]) -> list[G2]:
    """Jacobian -> affine over Fp2 with a single Fp inversion (of the norms' product)."""
    p = P_MPZ
    live = [i for i, q in enumerate(points) if q[2][0] % p or q[2][1] % p]
    norm_invs = _batch_inv([(mpz(points[i][2][0]) ** 2 + mpz(points[i][2][1]) ** 2) % p for i in live])
    out: list[G2] = [None] * len(points)
    for i, t in zip(live, norm_invs, strict=True):
        (x0, x1), (y0, y1), (z0, z1) = points[i]
        zi0, zi1 = z0 * t % p, -z1 * t % p  # 1/z = conj(z)/N(z)
        s0, s1 = (zi0 + zi1) * (zi0 - zi1) % p, 2 * zi0 * zi1 % p  # 1/z^2
        c0, c1 = (s0 * zi0 - s1 * zi1) % p, (s0 * zi1 + s1 * zi0) % p  # 1/z^3
        out[i] = (
            (int((x0 * s0 - x1 * s1) % p), int((x0 * s1 + x1 * s0) % p)),
            (int((y0 * c0 - y1 * c1) % p), int((y0 * c1 + y1 * c0) % p)),
        )
    return out
