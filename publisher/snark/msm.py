"""Multi-scalar multiplication and fixed-base batch multiplication on BN254.

The Groth16 prover spends most of its time in ``sum_i k_i * P_i`` over G1 and G2, and
key generation in ``[k_i]G`` for ~10^5 scalars. In pure Python the cost is the number
of interpreted big-integer operations and, as measured here, cache misses on a large
working set. Everything is therefore built on one primitive, *batch-affine addition*
of many independent point pairs sharing one field inversion (Montgomery's trick): 6
multiplications per G1 addition instead of 11-16 for Jacobian formulas.

Points travel in *columns*: one list per coordinate (x, y for G1; x0, x1, y0, y1 for
G2), with ``None`` in the first column for infinity. This avoids a tuple per point in
the hot loops (measured ~12% faster, and a smaller working set). Pippenger's method:

1. scalars reduced mod r; 0 skipped, 1 summed directly (most witness wires are bits);
2. each scalar split in two ~127-bit halves with an endomorphism (GLV on G1, psi on G2);
3. signed base-2^c digits, so a window has 2^(c-1) buckets (a digit -d uses -P);
4. per window, points visited in input order and added into their buckets in batches
   (``_window_sums``): sequential access to the big input is what keeps it fast;
5. bucket sums weighted by their index with a halving recursion whose additions are
   again batched (``_aggregate``), then windows combined by Horner in Jacobian form.

All internal coordinates are ``gmpy2.mpz``; results are returned as plain ints.
Note: ``x in list`` on a list of mpz is ~1.6 us per element (gmpy2 compares with
None slowly), so infinity is detected by identity (``_has_inf``), never with ``in``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat, zip_longest
from operator import is_
from typing import Any

import gmpy2
from gmpy2 import mpz

from publisher.snark import backend, native
from publisher.snark.curve import (
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
    g1_to_jac,
    g2_jac_add,
    g2_jac_double,
    g2_to_jac,
    glv_split,
)
from verifier.field import R

#: Coordinate columns of a vector of affine points; ``cols[0][i] is None``: infinity.
Cols = list[list[Any]]
#: Batch addition ``a[i] + b[i]`` of two None-free column vectors of equal length.
AddFn = Callable[[Cols, Cols], Cols]
#: In-place bucket update ``acc[where[t]] += src[idx[t]]`` with distinct ``where``.
AddIntoFn = Callable[[Cols, Cols, list[int], list[int]], None]
#: One internal affine point: (x, y) for G1, (x0, x1, y0, y1) for G2; None = infinity.
_Pt = tuple[Any, ...] | None

_ONE: Any = mpz(1)
_BETA: Any = mpz(GLV_BETA)

# --------------------------------------------------------------------------- inversion


def _batch_inv(values: list[Any]) -> list[Any]:
    """Inverses mod p of nonzero values with one gmpy2.invert (Montgomery's trick)."""
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


# --------------------------------------------------------------------------- G1 batch add


def _g1_add(a: Cols, b: Cols) -> Cols:
    """``a[i] + b[i]`` for affine G1 points (columns x, y) with one shared inversion.

    The fast path needs distinct x coordinates, true except for P + P and P + (-P);
    ``_g1_add_slow`` handles those (detected as a zero product of the denominators).
    """
    ax, ay = a
    bx, by = b
    p = P_MPZ
    prefix: list[Any] = []
    push = prefix.append  # bound once: saves an attribute lookup per element
    acc = _ONE
    for x1, x2 in zip(ax, bx, strict=True):
        push(acc)
        acc = acc * (x2 - x1) % p
    if not acc:  # p is prime: the product vanishes iff some x1 == x2
        return _g1_add_slow(a, b)
    inv = gmpy2.invert(acc, p)
    xs: list[Any] = []
    ys: list[Any] = []
    push_x = xs.append
    push_y = ys.append
    # Walk backwards: inv holds 1/(d_0...d_i), so inv*prefix[i] = 1/d_i. The three-way
    # product (y2-y1)*inv*pre is reduced once: one mpz operation fewer.
    for x1, y1, x2, y2, pre in zip(
        reversed(ax), reversed(ay), reversed(bx), reversed(by), reversed(prefix), strict=True
    ):
        lam = (y2 - y1) * inv * pre % p
        inv = inv * (x2 - x1) % p
        x3 = (lam * lam - x1 - x2) % p
        push_x(x3)
        push_y((lam * (x1 - x3) - y1) % p)
    xs.reverse()
    ys.reverse()
    return [xs, ys]


def _g1_add_slow(a: Cols, b: Cols) -> Cols:
    """General ``_g1_add``: doublings allowed, cancellations give None (infinity)."""
    p = P_MPZ
    nums, dens, dead = [], [], []
    for x1, y1, x2, y2 in zip(*a, *b, strict=True):
        if x1 != x2:
            nums.append(y2 - y1)
            dens.append(x2 - x1)
            dead.append(False)
        elif y1 == y2 and y1:
            nums.append(3 * x1 * x1)  # tangent slope for doubling
            dens.append(2 * y1)
            dead.append(False)
        else:
            nums.append(0)  # P + (-P): dummy denominator keeps the batch going
            dens.append(1)
            dead.append(True)
    xs: list[Any] = []
    ys: list[Any] = []
    for x1, y1, x2, num, inv, is_dead in zip(
        a[0], a[1], b[0], nums, _batch_inv(dens), dead, strict=True
    ):
        if is_dead:
            xs.append(None)
            ys.append(None)
            continue
        lam = num * inv % p
        x3 = (lam * lam - x1 - x2) % p
        xs.append(x3)
        ys.append((lam * (x1 - x3) - y1) % p)
    return [xs, ys]


def _g1_add_into(acc: Cols, src: Cols, where: list[int], idx: list[int]) -> None:
    """Bucket update ``acc[where[t]] += src[idx[t]]`` in place (``where`` distinct).

    Same arithmetic as ``_g1_add`` but reading and writing the buckets directly:
    no gathered copies, output lists or scatter loop (~10% of an addition).
    """
    ax, ay = acc
    sx, sy = src
    p = P_MPZ
    prefix: list[Any] = []
    push = prefix.append
    t = _ONE
    for j, i in zip(where, idx, strict=True):
        push(t)
        t = t * (sx[i] - ax[j]) % p
    if not t:
        _scatter(acc, where, _g1_add_slow(_take(acc, where), _take(src, idx)))
        return
    inv = gmpy2.invert(t, p)
    for j, i, pre in zip(reversed(where), reversed(idx), reversed(prefix), strict=True):
        x1 = ax[j]
        y1 = ay[j]
        x2 = sx[i]
        lam = (sy[i] - y1) * inv * pre % p
        inv = inv * (x2 - x1) % p
        x3 = (lam * lam - x1 - x2) % p
        ax[j] = x3
        ay[j] = (lam * (x1 - x3) - y1) % p


# --------------------------------------------------------------------------- G2 batch add


def _g2_add(a: Cols, b: Cols) -> Cols:
    """``a[i] + b[i]`` for affine G2 points (columns x0, x1, y0, y1), one inversion.

    1/d for d in Fp2 is conj(d)/N(d) with N(d) = d0^2 + d1^2 in Fp, so only the norms
    are batch-inverted: cheaper than Montgomery's trick on Fp2 products.
    """
    ax0, ax1, ay0, ay1 = a
    bx0, bx1, by0, by1 = b
    p = P_MPZ
    d0s = [x2 - x1 for x1, x2 in zip(ax0, bx0, strict=True)]
    d1s = [x2 - x1 for x1, x2 in zip(ax1, bx1, strict=True)]
    norms = [(d0 * d0 + d1 * d1) % p for d0, d1 in zip(d0s, d1s, strict=True)]
    prefix: list[Any] = []
    push = prefix.append
    acc = _ONE
    for nm in norms:
        push(acc)
        acc = acc * nm % p
    if not acc:  # -1 is a non-square mod p, so N(d) = 0 only for d = 0: equal x
        return _g2_add_slow(a, b)
    inv = gmpy2.invert(acc, p)
    c0: list[Any] = []
    c1: list[Any] = []
    c2: list[Any] = []
    c3: list[Any] = []
    push0, push1, push2, push3 = c0.append, c1.append, c2.append, c3.append
    for x10, x11, y10, y11, x20, x21, y20, y21, pre, nm, d0, d1 in zip(
        *(reversed(c) for c in (ax0, ax1, ay0, ay1, bx0, bx1, by0, by1)),
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
        l0 = (n0 * d0 + n1 * d1) * t % p  # lam = n * conj(d) / N(d)
        l1 = (n1 * d0 - n0 * d1) * t % p
        x30 = ((l0 + l1) * (l0 - l1) - x10 - x20) % p
        x31 = (2 * l0 * l1 - x11 - x21) % p
        e0 = x10 - x30
        e1 = x11 - x31
        push0(x30)
        push1(x31)
        push2((l0 * e0 - l1 * e1 - y10) % p)
        push3((l0 * e1 + l1 * e0 - y11) % p)
    for c in (c0, c1, c2, c3):
        c.reverse()
    return [c0, c1, c2, c3]


def _g2_add_slow(a: Cols, b: Cols) -> Cols:
    """General ``_g2_add``: doublings allowed, cancellations give None (infinity)."""
    p = P_MPZ
    nums, dens, dead = [], [], []
    for x10, x11, y10, y11, x20, x21, y20, y21 in zip(*a, *b, strict=True):
        if x10 != x20 or x11 != x21:
            nums.append((y20 - y10, y21 - y11))
            dens.append((x20 - x10, x21 - x11))
            dead.append(False)
        elif y10 == y20 and y11 == y21 and (y10 or y11):
            nums.append((3 * (x10 + x11) * (x10 - x11), 6 * x10 * x11))  # 3 x^2
            dens.append((2 * y10, 2 * y11))
            dead.append(False)
        else:
            nums.append((0, 0))
            dens.append((1, 0))
            dead.append(True)
    norm_invs = _batch_inv([(d0 * d0 + d1 * d1) % p for d0, d1 in dens])
    out: Cols = [[], [], [], []]
    for x10, x11, y10, y11, x20, x21, (n0, n1), (d0, d1), t, is_dead in zip(
        *a[:4], b[0], b[1], nums, dens, norm_invs, dead, strict=True
    ):
        if is_dead:
            for c in out:
                c.append(None)
            continue
        l0 = (n0 * d0 + n1 * d1) * t % p
        l1 = (n1 * d0 - n0 * d1) * t % p
        x30 = ((l0 + l1) * (l0 - l1) - x10 - x20) % p
        x31 = (2 * l0 * l1 - x11 - x21) % p
        e0 = x10 - x30
        e1 = x11 - x31
        out[0].append(x30)
        out[1].append(x31)
        out[2].append((l0 * e0 - l1 * e1 - y10) % p)
        out[3].append((l0 * e1 + l1 * e0 - y11) % p)
    return out


def _g2_add_into(acc: Cols, src: Cols, where: list[int], idx: list[int]) -> None:
    """In-place bucket update for G2, as ``_g1_add_into`` (``where`` distinct)."""
    ax0, ax1, ay0, ay1 = acc
    sx0, sx1, sy0, sy1 = src
    p = P_MPZ
    prefix: list[Any] = []
    push = prefix.append
    norms: list[Any] = []
    push_norm = norms.append
    t = _ONE
    for j, i in zip(where, idx, strict=True):
        d0 = sx0[i] - ax0[j]
        d1 = sx1[i] - ax1[j]
        nm = (d0 * d0 + d1 * d1) % p
        push(t)
        push_norm(nm)
        t = t * nm % p
    if not t:
        _scatter(acc, where, _g2_add_slow(_take(acc, where), _take(src, idx)))
        return
    inv = gmpy2.invert(t, p)
    for j, i, pre, nm in zip(
        reversed(where), reversed(idx), reversed(prefix), reversed(norms), strict=True
    ):
        x10 = ax0[j]
        x11 = ax1[j]
        y10 = ay0[j]
        y11 = ay1[j]
        x20 = sx0[i]
        x21 = sx1[i]
        d0 = x20 - x10
        d1 = x21 - x11
        u = inv * pre % p  # 1/N(d)
        inv = inv * nm % p
        n0 = sy0[i] - y10
        n1 = sy1[i] - y11
        l0 = (n0 * d0 + n1 * d1) * u % p  # lam = n * conj(d) / N(d)
        l1 = (n1 * d0 - n0 * d1) * u % p
        x30 = ((l0 + l1) * (l0 - l1) - x10 - x20) % p
        x31 = (2 * l0 * l1 - x11 - x21) % p
        e0 = x10 - x30
        e1 = x11 - x31
        ax0[j] = x30
        ax1[j] = x31
        ay0[j] = (l0 * e0 - l1 * e1 - y10) % p
        ay1[j] = (l0 * e1 + l1 * e0 - y11) % p


# --------------------------------------------------------------------------- column vectors


def _has_inf(col0: list[Any]) -> bool:
    """Whether a first column holds None; identity test at C speed (see module doc)."""
    return any(map(is_, col0, repeat(None)))


def _take(cols: Cols, idx: Sequence[int]) -> Cols:
    return [[c[i] for i in idx] for c in cols]


def _scatter(cols: Cols, where: list[int], values: Cols) -> None:
    for c, v in zip(cols, values, strict=True):
        for j, x in zip(where, v, strict=True):
            c[j] = x


def _point(cols: Cols, i: int) -> _Pt:
    return None if cols[0][i] is None else tuple(c[i] for c in cols)


def _vec_add(a: Cols, b: Cols, add: AddFn) -> Cols:
    """``a[i] + b[i]`` elementwise as one batch; infinity allowed on either side."""
    if not (_has_inf(a[0]) or _has_inf(b[0])):
        return add(a, b)
    out = [list(c) for c in a]
    both: list[int] = []
    for i, (x, y) in enumerate(zip(a[0], b[0], strict=True)):
        if y is None:
            continue
        if x is None:
            for o, c in zip(out, b, strict=True):
                o[i] = c[i]
        else:
            both.append(i)
    if both:
        for o, s in zip(out, add(_take(a, both), _take(b, both)), strict=True):
            for i, v in zip(both, s, strict=True):
                o[i] = v
    return out


def _fold(cols: Cols, limit: int, add: AddFn) -> Cols:
    """Halve a vector by pairwise addition until at most ``limit`` entries remain.

    The sum is unchanged; entries may become None after cancellations.
    """
    while len(cols[0]) > limit:
        n = len(cols[0])
        h = n >> 1
        s = _vec_add([c[:h] for c in cols], [c[h : 2 * h] for c in cols], add)
        cols = [sc + c[2 * h :] for sc, c in zip(s, cols, strict=True)]
    return cols


def _sum_one(cols: Cols, add: AddFn) -> _Pt:
    """Sum of one vector of points in log2(n) batches; None if empty or infinity."""
    cols = _fold(cols, 1, add)
    return _point(cols, 0) if cols[0] else None


def _fold_long(
    store: Cols, lists: list[list[int]], limit: int, add: AddFn
) -> tuple[Cols, list[list[int]]]:
    """Shorten lists longer than ``limit`` by pairwise addition, all lists per batch.

    The partial sums are appended to a copy of ``store``; returns it and the lists
    rewritten to index them. Inputs are returned unchanged if no list is too long.
    """
    todo = [li for li, q in enumerate(lists) if len(q) > limit]
    if not todo:
        return store, lists
    vecs = {li: _take(store, lists[li]) for li in todo}
    while todo:
        left: Cols = [[] for _ in store]
        right: Cols = [[] for _ in store]
        for li in todo:
            v = vecs[li]
            h = len(v[0]) >> 1
            for lc, rc, c in zip(left, right, v, strict=True):
                lc += c[:h]
                rc += c[h : 2 * h]
        sums = _vec_add(left, right, add)
        pos = 0
        nxt = []
        for li in todo:
            v = vecs[li]
            n = len(v[0])
            h = n >> 1
            vecs[li] = [s[pos : pos + h] + c[2 * h :] for s, c in zip(sums, v, strict=True)]
            pos += h
            if n - h > limit:
                nxt.append(li)
        todo = nxt
    store = [list(c) for c in store]
    lists = list(lists)
    for li, v in vecs.items():
        base = len(store[0])
        for s, c in zip(store, v, strict=True):
            s.extend(c)
        lists[li] = list(range(base, base + len(v[0])))
    return store, lists


def _sum_lists(store: Cols, lists: list[list[int]], add: AddFn) -> Cols:
    """For each list of indices into ``store``, the sum of those points (None if empty).

    Lists are sorted by decreasing length and transposed with ``zip_longest``; column k
    is then added into the running sums of the lists longer than k with one batch, so
    no Python code runs per list per step.
    """
    n = len(lists)
    # Transposition pays per column; folding (halving every long list in one batch per
    # round) pays per round. Fold lists much longer than average, and lists longer than
    # the number of lists, where a column would be too small a batch.
    limit = max(2, min(4 * (sum(map(len, lists)) // max(1, n)) + 64, n))
    store, lists = _fold_long(store, lists, limit, add)
    lens = [len(q) for q in lists]
    order = sorted(range(n), key=lens.__getitem__, reverse=True)
    sorted_lens = [lens[i] for i in order]
    out: Cols = [[None] * n for _ in store]
    live = n - sorted_lens.count(0)
    if not live:
        return out
    table = list(zip_longest(*[lists[i] for i in order[:live]]))
    acc = _take(store, table[0])
    for k in range(1, len(table)):
        while sorted_lens[live - 1] <= k:
            live -= 1
        s = _vec_add([c[:live] for c in acc], _take(store, table[k][:live]), add)
        for a, sc in zip(acc, s, strict=True):
            a[:live] = sc
    for o, a in zip(out, acc, strict=True):
        for i, v in zip(order, a, strict=False):
            o[i] = v
    return out


# --------------------------------------------------------------------------- Pippenger


def _window_bits(m: int, bits: int, max_c: int) -> int:
    """Window size c minimising the estimated cost for m points of ``bits``-bit scalars.

    Per window: ~m bucket additions, fewer by one per filled bucket, plus bookkeeping;
    and ~2^c additions to weight the 2^(c-1) buckets, which were measured to cost
    about double (sparser, more None handling). ``max_c`` keeps the buckets of one
    window within the CPU's L2 cache: beyond it every addition was ~2x slower.
    """
    best_c, best_cost = 2, math.inf
    for c in range(2, max_c + 1):
        windows = -(-(bits + 1) // c)
        buckets = 1 << (c - 1)
        filled = buckets * (1 - math.exp(-m / buckets))
        cost = windows * (1.2 * m - filled + 4 * buckets + 100)
        if cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


def _digit_offset(c: int, windows: int) -> int:
    """sum_w 2^(c-1) * 2^(c*w): added to a scalar, it makes base-2^c digits signed.

    With it, unsigned digits u in [0, 2^c) of k + offset are the signed digits u - 2^(c-1)
    of k: one addition per scalar instead of a carry chain per digit.
    """
    return sum((1 << (c - 1)) << (c * w) for w in range(windows))


def _windows_for(top: int, c: int) -> int:
    """Number of signed windows needed so that the recoding of ``top`` does not overflow."""
    windows = -(-(top.bit_length() + 1) // c)
    if (top + _digit_offset(c, windows)) >> (c * windows):
        windows += 1
    return windows


def _window_sums(
    src: Cols,
    m: int,
    digits: list[int],
    half: int,
    span: int,
    add: AddFn,
    add_into: AddIntoFn,
) -> Cols:
    """Bucket sums of one window: entry j - 1 is the sum of points with digit +-j.

    ``src`` holds the m points followed by their m negations. Points are visited in
    input order and added into their bucket's running sum in batches of additions to
    distinct buckets: reading the large input sequentially was measured to halve the
    cost of an addition compared with gathering each bucket's points first. A point
    whose bucket is already in the current batch waits in an overflow list.

    ``span`` bounds the number of distinct digits in ``digits`` (a top window may use
    few buckets); batches are kept to an eighth of it so that overflows stay rare.
    """
    acc: Cols = [[None] * (half + 1) for _ in src]
    acc0 = acc[0]
    busy = bytearray(half + 1)
    batch = max(16, span >> 4)
    where: list[int] = []
    idx: list[int] = []
    over_j: list[int] = []
    over_i: list[int] = []
    for i, u in enumerate(digits):
        if u > half:
            j = u - half
        elif u < half:
            j = half - u
            i += m  # the negated copy of point i
        else:
            continue
        if acc0[j] is None:
            for a, col in zip(acc, src, strict=True):
                a[j] = col[i]
        elif busy[j]:
            over_j.append(j)
            over_i.append(i)
        else:
            busy[j] = 1
            where.append(j)
            idx.append(i)
            if len(where) >= batch:
                add_into(acc, src, where, idx)
                busy = bytearray(half + 1)
                where, idx = [], []
    if where:
        add_into(acc, src, where, idx)
    if over_j:
        _merge_overflow(acc, src, over_j, over_i, add)
    return [a[1:] for a in acc]


def _merge_overflow(acc: Cols, src: Cols, over_j: list[int], over_i: list[int], add: AddFn) -> None:
    """Add the postponed points ``src[over_i[t]]`` into buckets ``acc[over_j[t]]``."""
    keys = sorted(set(over_j))
    store = _take(src, over_i)
    base = len(over_i)
    for s, a in zip(store, acc, strict=True):
        s.extend(a[j] for j in keys)
    groups = {j: [base + t] for t, j in enumerate(keys)}
    for pos, j in enumerate(over_j):
        groups[j].append(pos)
    sums = _sum_lists(store, [groups[j] for j in keys], add)
    _scatter(acc, keys, sums)


def _bucket_sums(
    src: Cols, m: int, ks: list[int], c: int, windows: int, add: AddFn, add_into: AddIntoFn
) -> Cols:
    """All bucket sums, bucket-major: bucket j >= 1 of window w at (j - 1)*windows + w.

    The layout lets ``_aggregate`` split all windows' buckets in halves with a slice.
    """
    half = 1 << (c - 1)
    mask = (1 << c) - 1
    offset = _digit_offset(c, windows)
    shifted = [k + offset for k in ks]
    top, bottom = max(shifted), min(shifted)
    out: Cols = [[None] * (windows * half) for _ in src]
    for w in range(windows):
        sh = c * w
        digits = [(k >> sh) & mask for k in shifted]
        span = half
        if w == windows - 1:
            # No higher digits: u = k >> sh exactly, so the top window's digits span
            # only [bottom >> sh, top >> sh]; often far fewer buckets than half.
            span = min(half, (top >> sh) - (bottom >> sh) + 1)
        sums = _window_sums(src, m, digits, half, span, add, add_into)
        for o, s in zip(out, sums, strict=True):
            o[w::windows] = s
    return out


def _aggregate(sums: Cols, half: int, windows: int, add: AddFn) -> list[list[_Pt]]:
    """Terms whose Horner combination gives sum_j j*B_j for each window.

    Uses sum_{j<=H} j*B_j = sum_{j<=H/2} j*(B_j + B_{j+H/2}) + (H/2)*sum_{j>H/2} B_j:
    each level halves the buckets with batched additions over all windows at once.
    Returns per window [S_0, ..., S_{c-2}, B_final]; the weighted bucket sum is
    sum_t 2^(c-2-t) S_t + B_final.
    """
    terms: list[list[_Pt]] = [[] for _ in range(windows)]
    cur = sums
    h = half
    while h > 1:
        mid = (h >> 1) * windows
        hi = [c[mid:] for c in cur]
        s = hi
        while len(s[0]) > windows:
            q = len(s[0]) >> 1
            s = _vec_add([c[:q] for c in s], [c[q:] for c in s], add)
        for w in range(windows):
            terms[w].append(_point(s, w))
        cur = _vec_add([c[:mid] for c in cur], hi, add)
        h >>= 1
    for w in range(windows):
        terms[w].append(_point(cur, w))
    return terms


def _pippenger(
    src: Cols, ks: list[int], add: AddFn, add_into: AddIntoFn, max_c: int
) -> tuple[list[list[_Pt]], int]:
    """Bucket phase shared by G1 and G2: per-window aggregation terms, and c."""
    m = len(ks)
    top = max(ks)
    c = _window_bits(m, top.bit_length(), max_c)
    windows = _windows_for(top, c)
    sums = _bucket_sums(src, m, ks, c, windows, add, add_into)
    return _aggregate(sums, 1 << (c - 1), windows, add), c


# --------------------------------------------------------------------------- G1 and G2 specifics

#: Largest G1 window: 2^11 buckets of ~250 bytes fit the 1 MiB L2 cache measured here.
_G1_MAX_C = 12
_G2_MAX_C = 11


def _split_trivial(
    points: Sequence[Any], scalars: Sequence[int]
) -> tuple[list[Any], list[Any], list[int]]:
    """(points with scalar 1, points with other nonzero scalars, those scalars mod r)."""
    if len(points) != len(scalars):
        raise ValueError(f"{len(points)} points but {len(scalars)} scalars")
    ones: list[Any] = []
    pts: list[Any] = []
    ks: list[int] = []
    for pt, k in zip(points, scalars, strict=True):
        if pt is None:
            continue
        k %= R
        if k == 1:
            ones.append(pt)
        elif k:
            pts.append(pt)
            ks.append(int(k))
    return ones, pts, ks


def _g1_cols(points: list[Any]) -> Cols:
    return [[mpz(q[0]) for q in points], [mpz(q[1]) for q in points]]


def _g1_glv_src(pts: list[Any], ks: list[int]) -> tuple[Cols, list[int]]:
    """k*P = k1*P + k2*phi(P) with |k1|, |k2| < 2^128; signs folded into the points.

    Returns the source columns (points, then their negations) and the half scalars.
    """
    p = P_MPZ
    beta = _BETA
    xs: list[Any] = []
    ys: list[Any] = []
    nys: list[Any] = []
    out_ks: list[int] = []
    for (px, py), k in zip(pts, ks, strict=True):
        k1, k2 = glv_split(k)
        x, y = mpz(px), mpz(py)
        ny = -y % p
        for kk, xx in ((k1, x), (k2, beta * x % p)):
            if kk:
                xs.append(xx)
                ys.append(y if kk > 0 else ny)
                nys.append(ny if kk > 0 else y)
                out_ks.append(abs(kk))
    return [xs + xs, ys + nys], out_ks


def _g2_cols(points: list[Any]) -> Cols:
    return [
        [mpz(q[0][0]) for q in points],
        [mpz(q[0][1]) for q in points],
        [mpz(q[1][0]) for q in points],
        [mpz(q[1][1]) for q in points],
    ]


def _g2_psi_src(pts: list[Any], ks: list[int]) -> tuple[Cols, list[int]]:
    """k*Q = k0*Q + k1*psi(Q) with k = k0 + k1*6x^2, both parts below ~2^127.

    psi acts on G2 as [6x^2], so the split is a plain division. Valid for points of G2
    (order r), which all Groth16 key points are.
    """
    p = P_MPZ
    cx0, cx1 = (mpz(v) for v in PSI_CX)
    cy0, cy1 = (mpz(v) for v in PSI_CY)
    lam = PSI_EIGENVALUE
    cols: Cols = [[], [], [], [], [], []]  # x0, x1, y0, y1, -y0, -y1
    out_ks: list[int] = []
    for ((qx0, qx1), (qy0, qy1)), k in zip(pts, ks, strict=True):
        x0, x1, y0, y1 = mpz(qx0), mpz(qx1), mpz(qy0), mpz(qy1)
        k1, k0 = divmod(k, lam)
        if k0:
            for col, v in zip(cols, (x0, x1, y0, y1, -y0 % p, -y1 % p), strict=True):
                col.append(v)
            out_ks.append(k0)
        if k1:
            # psi(x, y) = (conj(x) * cx, conj(y) * cy), conj(a0 + a1 u) = a0 - a1 u
            py0 = (y0 * cy0 + y1 * cy1) % p
            py1 = (y0 * cy1 - y1 * cy0) % p
            psi = ((x0 * cx0 + x1 * cx1) % p, (x0 * cx1 - x1 * cx0) % p, py0, py1)
            for col, v in zip(cols, (*psi, -py0 % p, -py1 % p), strict=True):
                col.append(v)
            out_ks.append(k1)
    x0s, x1s, y0s, y1s, ny0s, ny1s = cols
    return [x0s + x0s, x1s + x1s, y0s + ny0s, y1s + ny1s], out_ks


# --------------------------------------------------------------------------- normalize


def batch_normalize_g1(points: Sequence[G1Jac]) -> list[G1]:
    """Jacobian -> affine (plain ints) for many points with a single inversion."""
    p = P_MPZ
    live = [i for i, q in enumerate(points) if q[2] % p]
    invs = _batch_inv([mpz(points[i][2]) for i in live])
    out: list[G1] = [None] * len(points)
    for i, zi in zip(live, invs, strict=True):
        x, y, _ = points[i]
        zi2 = zi * zi % p
        out[i] = (int(x * zi2 % p), int(y * zi2 % p * zi % p))
    return out


def batch_normalize_g2(points: Sequence[G2Jac]) -> list[G2]:
    """Jacobian -> affine over Fp2 with one Fp inversion (of the product of the norms)."""
    p = P_MPZ
    live = [i for i, q in enumerate(points) if q[2][0] % p or q[2][1] % p]
    norms = [(mpz(points[i][2][0]) ** 2 + mpz(points[i][2][1]) ** 2) % p for i in live]
    out: list[G2] = [None] * len(points)
    for i, t in zip(live, _batch_inv(norms), strict=True):
        (x0, x1), (y0, y1), (z0, z1) = points[i]
        zi0, zi1 = z0 * t % p, -z1 * t % p  # 1/z = conj(z)/N(z)
        s0, s1 = (zi0 + zi1) * (zi0 - zi1) % p, 2 * zi0 * zi1 % p  # 1/z^2
        c0, c1 = (s0 * zi0 - s1 * zi1) % p, (s0 * zi1 + s1 * zi0) % p  # 1/z^3
        out[i] = (
            (int((x0 * s0 - x1 * s1) % p), int((x0 * s1 + x1 * s0) % p)),
            (int((y0 * c0 - y1 * c1) % p), int((y0 * c1 + y1 * c0) % p)),
        )
    return out


# --------------------------------------------------------------------------- fixed base


def _fixed_window_bits(n: int, bits: int) -> int:
    """Window for n scalars: ~n*windows additions vs a table of windows*2^(c-1) points.

    Table entries are weighted 3x (they are built, negated and then read at random,
    mostly from L3), and c stays <= 12 as measured best at n = 2^16.
    """
    best_c, best_cost = 2, math.inf
    for c in range(2, 13):
        windows = -(-(bits + 1) // c)
        cost = windows * (n + 3 * (1 << (c - 1)))
        if cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


def _fixed_table(bases: Cols, half: int, add: AddFn) -> Cols:
    """Multiples j*B_w, j = 1..half, of one base per window; entry (j-1)*W + w.

    Built by doubling levels: from the multiples 1..t, 2t = t + t (a small batch that
    takes the doubling path) and t+1..2t-1 = (1..t-1) + t (one batch, all windows).
    """
    w = len(bases[0])
    table = bases
    t = 1
    while t < half:
        top = [c[(t - 1) * w : t * w] for c in table]
        mids = add([c[: (t - 1) * w] for c in table], [c * (t - 1) for c in top])
        dbl = add(top, top)
        table = [a + b + d for a, b, d in zip(table, mids, dbl, strict=True)]
        t *= 2
    return table


def _fixed_base(cols: Cols, scalars: Sequence[int], c: int, windows: int, add: AddFn) -> Cols:
    """Shared fixed-base core: ``cols`` are the window bases 2^(c*w)*B as columns.

    Returns the columns of the results. The store holds the table, then its negation;
    every scalar becomes a list of store indices, all summed by one ``_sum_lists``.
    """
    half = 1 << (c - 1)
    mask = (1 << c) - 1
    table = _fixed_table(cols, half, add)
    size = half * windows
    p = P_MPZ
    # Negate y (column 1 for G1; columns 2 and 3 for G2): x columns come first.
    nx = len(table) // 2
    store = [c + (c if i < nx else [-v % p for v in c]) for i, c in enumerate(table)]
    offset = _digit_offset(c, windows)
    lists: list[list[int]] = []
    for k in scalars:
        kk = k % R + offset if k % R else 0
        lst: list[int] = []
        if kk:
            for w in range(windows):
                u = (kk >> (c * w)) & mask
                if u > half:
                    lst.append((u - half - 1) * windows + w)
                elif u < half:
                    lst.append(size + (half - u - 1) * windows + w)
        lists.append(lst)
    return _sum_lists(store, lists, add)


def _fixed_params(scalars: Sequence[int]) -> tuple[int, int]:
    top = max((k % R for k in scalars), default=0)
    c = _fixed_window_bits(len(scalars), max(top.bit_length(), 1))
    return c, _windows_for(top, c)


# --------------------------------------------------------------------------- both groups


@dataclass(frozen=True)
class _Group:
    """What differs between G1 and G2 in an MSM; the algorithms themselves are shared."""

    add: AddFn
    add_into: AddIntoFn
    max_c: int
    #: Split the scalars in halves by the group's endomorphism: (source columns, halves).
    endo_src: Callable[[list[Any], list[int]], tuple[Cols, list[int]]]
    cols: Callable[[list[Any]], Cols]
    jac_inf: Any
    to_jac: Callable[[Any], Any]
    jac_add: Callable[[Any, Any], Any]
    jac_double: Callable[[Any], Any]
    normalize: Callable[[Sequence[Any]], list[Any]]
    #: The internal point tuple (x, y) or (x0, x1, y0, y1) as a public affine point.
    from_flat: Callable[[tuple[Any, ...]], Any]


def _g1_from_flat(pt: tuple[Any, ...]) -> G1:
    return (int(pt[0]), int(pt[1]))


def _g2_from_flat(pt: tuple[Any, ...]) -> G2:
    return ((int(pt[0]), int(pt[1])), (int(pt[2]), int(pt[3])))


_G1 = _Group(
    _g1_add, _g1_add_into, _G1_MAX_C, _g1_glv_src, _g1_cols,
    G1_JAC_INF, g1_to_jac, g1_jac_add, g1_jac_double, batch_normalize_g1, _g1_from_flat,
)  # fmt: skip
_G2 = _Group(
    _g2_add, _g2_add_into, _G2_MAX_C, _g2_psi_src, _g2_cols,
    G2_JAC_INF, g2_to_jac, g2_jac_add, g2_jac_double, batch_normalize_g2, _g2_from_flat,
)  # fmt: skip


def _jac(group: _Group, pt: _Pt) -> Any:
    return group.jac_inf if pt is None else group.to_jac(group.from_flat(pt))


def _combine(group: _Group, terms: list[list[_Pt]], c: int) -> Any:
    """Horner over windows (c doublings each) of the per-window aggregation terms."""
    acc = group.jac_inf
    for row in reversed(terms):
        for _ in range(c):
            acc = group.jac_double(acc)
        win = group.jac_inf
        for s in row[:-1]:
            win = group.jac_add(group.jac_double(win), _jac(group, s))
        acc = group.jac_add(acc, group.jac_add(win, _jac(group, row[-1])))
    return acc


def _msm(group: _Group, points: Sequence[Any], scalars: Sequence[int]) -> Any:
    ones, pts, ks = _split_trivial(points, scalars)
    acc = group.jac_inf
    if pts:
        src, halves = group.endo_src(pts, ks)
        if halves:
            terms, c = _pippenger(src, halves, group.add, group.add_into, group.max_c)
            acc = _combine(group, terms, c)
    if ones:
        acc = group.jac_add(acc, _jac(group, _sum_one(group.cols(ones), group.add)))
    return group.normalize([acc])[0]


def msm_g1(points: Sequence[G1], scalars: Sequence[int]) -> G1:
    """sum_i scalars[i] * points[i] over G1.

    Scalars are taken mod r; None points and zero scalars are skipped; points are
    trusted to be on the curve (every point of the G1 curve has order r).
    """
    if backend.native() is not None:
        return native.msm_g1(points, scalars)
    result: G1 = _msm(_G1, points, scalars)
    return result


def msm_g2(points: Sequence[G2], scalars: Sequence[int]) -> G2:
    """sum_i scalars[i] * points[i] over G2.

    Scalars are taken mod r; None points and zero scalars are skipped. Points must lie
    in G2 (the order-r subgroup of the twist), as Groth16 key points do: the psi
    endomorphism used to halve the scalars acts as [6x^2] only there.
    """
    if backend.native() is not None:
        return native.msm_g2(points, scalars)
    result: G2 = _msm(_G2, points, scalars)
    return result


def _fixed(group: _Group, base: Any, scalars: Sequence[int]) -> list[Any]:
    if base is None or not scalars:
        return [None] * len(scalars)
    c, windows = _fixed_params(scalars)
    bases = [group.to_jac(base)]
    for _ in range(windows - 1):
        b = bases[-1]
        for _ in range(c):
            b = group.jac_double(b)
        bases.append(b)
    res = _fixed_base(group.cols(group.normalize(bases)), scalars, c, windows, group.add)
    return [None if pt[0] is None else group.from_flat(pt) for pt in zip(*res, strict=True)]


def fixed_base_g1(base: G1, scalars: Sequence[int]) -> list[G1]:
    """[k]base for every k in scalars (mod r), in affine form; for key generation."""
    if backend.native() is not None:
        return native.fixed_base_g1(base, scalars)
    return _fixed(_G1, base, scalars)


def fixed_base_g2(base: G2, scalars: Sequence[int]) -> list[G2]:
    """[k]base for every k in scalars (mod r), in affine form; base must be in G2."""
    if backend.native() is not None:
        return native.fixed_base_g2(base, scalars)
    return _fixed(_G2, base, scalars)
