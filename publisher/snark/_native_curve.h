/* One short-Weierstrass group (y^2 = x^3 + b, a = 0) over a field FT, for _native.c.
 *
 * Included twice by _native.c: for G1 over Fq and for G2 over Fq2. The including file
 * defines FT, the field operations F_*, F_ONE (1 in Montgomery form), CURVE_B and the
 * name prefix G(name), and undefines them afterwards.
 *
 * Points are affine (x, y), (0, 0) standing for infinity (it is on neither curve), or
 * XYZZ (x = X/ZZ, y = Y/ZZZ, ZZ^3 = ZZZ^2; ZZ = 0 is infinity), whose mixed addition
 * costs 8M + 2S and has no special case but P + P and P + (-P), both handled here.
 * Formulas: Bernstein-Lange, Explicit-Formulas Database, "xyzz" for a = 0
 * (madd-2008-s, mdbl-2008-s-1, add-2008-s, dbl-2008-s-1).
 */

typedef struct { FT x, y; } G(aff);
typedef struct { FT x, y, zz, zzz; } G(pt);

INLINE int G(aff_is_inf)(const G(aff) *p) { return F_IS_ZERO(&p->x) && F_IS_ZERO(&p->y); }
INLINE int G(is_inf)(const G(pt) *p) { return F_IS_ZERO(&p->zz); }
INLINE void G(set_inf)(G(pt) *p) { memset(p, 0, sizeof *p); }

INLINE void G(from_aff)(G(pt) *r, const G(aff) *a) {
    if (G(aff_is_inf)(a)) {
        G(set_inf)(r);
        return;
    }
    r->x = a->x;
    r->y = a->y;
    r->zz = F_ONE;
    r->zzz = F_ONE;
}

/* y^2 == x^3 + b for an affine point (infinity counts as on the curve). */
static int G(on_curve)(const G(aff) *a) {
    if (G(aff_is_inf)(a)) return 1;
    FT l, r;
    F_SQR(&l, &a->y);
    F_SQR(&r, &a->x);
    F_MUL(&r, &r, &a->x);
    F_ADD(&r, &r, &CURVE_B);
    return F_EQ(&l, &r);
}

/* r = 2 * (x, y), an affine point, as XYZZ. */
static void G(mdbl)(G(pt) *r, const FT *x, const FT *y) {
    if (F_IS_ZERO(y)) { /* order 2: not in our groups, kept for completeness */
        G(set_inf)(r);
        return;
    }
    FT u, v, w, s, m, t;
    F_DBL(&u, y);
    F_SQR(&v, &u);
    F_MUL(&w, &u, &v);
    F_MUL(&s, x, &v);
    F_SQR(&m, x);
    F_DBL(&t, &m);
    F_ADD(&m, &m, &t); /* M = 3 x^2 */
    F_SQR(&t, &m);
    F_SUB(&t, &t, &s);
    F_SUB(&r->x, &t, &s); /* X3 = M^2 - 2S */
    F_SUB(&t, &s, &r->x);
    F_MUL(&t, &t, &m);
    F_MUL(&s, &w, y);
    F_SUB(&r->y, &t, &s); /* Y3 = M (S - X3) - W y */
    r->zz = v;
    r->zzz = w;
}

/* r = 2 r. */
static void G(dbl)(G(pt) *r) {
    if (G(is_inf)(r)) return;
    if (F_IS_ZERO(&r->y)) {
        G(set_inf)(r);
        return;
    }
    FT u, v, w, s, m, t, x3;
    F_DBL(&u, &r->y);
    F_SQR(&v, &u);
    F_MUL(&w, &u, &v);
    F_MUL(&s, &r->x, &v);
    F_SQR(&m, &r->x);
    F_DBL(&t, &m);
    F_ADD(&m, &m, &t);
    F_SQR(&t, &m);
    F_SUB(&t, &t, &s);
    F_SUB(&x3, &t, &s);
    F_SUB(&t, &s, &x3);
    F_MUL(&t, &t, &m);
    F_MUL(&s, &w, &r->y);
    F_SUB(&r->y, &t, &s);
    r->x = x3;
    F_MUL(&r->zz, &r->zz, &v);
    F_MUL(&r->zzz, &r->zzz, &w);
}

/* r += (x2, y2), an affine point other than infinity. */
static void G(madd)(G(pt) *r, const FT *x2, const FT *y2) {
    if (G(is_inf)(r)) {
        r->x = *x2;
        r->y = *y2;
        r->zz = F_ONE;
        r->zzz = F_ONE;
        return;
    }
    FT u2, s2, p, q, pp, ppp, t;
    F_MUL(&u2, x2, &r->zz);
    F_MUL(&s2, y2, &r->zzz);
    F_SUB(&p, &u2, &r->x);
    F_SUB(&q, &s2, &r->y); /* q holds R until Q is needed */
    if (F_IS_ZERO(&p)) {
        if (F_IS_ZERO(&q)) G(mdbl)(r, x2, y2); /* same point */
        else G(set_inf)(r);                     /* P + (-P) */
        return;
    }
    FT rr = q;
    F_SQR(&pp, &p);
    F_MUL(&ppp, &p, &pp);
    F_MUL(&q, &r->x, &pp);
    F_SQR(&t, &rr);
    F_SUB(&t, &t, &ppp);
    F_SUB(&t, &t, &q);
    F_SUB(&t, &t, &q); /* X3 = R^2 - PPP - 2Q */
    F_SUB(&q, &q, &t);
    F_MUL(&q, &q, &rr);
    F_MUL(&s2, &r->y, &ppp);
    F_SUB(&r->y, &q, &s2); /* Y3 = R (Q - X3) - Y1 PPP */
    r->x = t;
    F_MUL(&r->zz, &r->zz, &pp);
    F_MUL(&r->zzz, &r->zzz, &ppp);
}

/* r += a, both XYZZ. */
static void G(add)(G(pt) *r, const G(pt) *a) {
    if (G(is_inf)(a)) return;
    if (G(is_inf)(r)) {
        *r = *a;
        return;
    }
    FT u1, u2, s1, s2, p, rr, pp, ppp, q, t;
    F_MUL(&u1, &r->x, &a->zz);
    F_MUL(&u2, &a->x, &r->zz);
    F_MUL(&s1, &r->y, &a->zzz);
    F_MUL(&s2, &a->y, &r->zzz);
    F_SUB(&p, &u2, &u1);
    F_SUB(&rr, &s2, &s1);
    if (F_IS_ZERO(&p)) {
        if (F_IS_ZERO(&rr)) G(dbl)(r);
        else G(set_inf)(r);
        return;
    }
    F_SQR(&pp, &p);
    F_MUL(&ppp, &p, &pp);
    F_MUL(&q, &u1, &pp);
    F_SQR(&t, &rr);
    F_SUB(&t, &t, &ppp);
    F_SUB(&t, &t, &q);
    F_SUB(&t, &t, &q);
    r->x = t;
    F_SUB(&q, &q, &t);
    F_MUL(&q, &q, &rr);
    F_MUL(&s1, &s1, &ppp);
    F_SUB(&r->y, &q, &s1);
    F_MUL(&r->zz, &r->zz, &a->zz);
    F_MUL(&r->zz, &r->zz, &pp);
    F_MUL(&r->zzz, &r->zzz, &a->zzz);
    F_MUL(&r->zzz, &r->zzz, &ppp);
}

INLINE void G(neg)(G(pt) *r) { F_NEG(&r->y, &r->y); }

/* out[i] = in[i] in affine form, with one field inversion for all (Montgomery's trick).
 * scratch holds n field elements. */
static void G(to_aff_batch)(G(aff) *out, const G(pt) *in, size_t n, FT *scratch) {
    FT acc = F_ONE, d, inv, t;
    for (size_t i = 0; i < n; i++) {
        scratch[i] = acc;
        if (G(is_inf)(&in[i])) continue;
        F_MUL(&d, &in[i].zz, &in[i].zzz);
        F_MUL(&acc, &acc, &d);
    }
    F_INV(&inv, &acc);
    for (size_t i = n; i-- > 0;) {
        if (G(is_inf)(&in[i])) {
            memset(&out[i], 0, sizeof out[i]);
            continue;
        }
        FT dinv; /* 1 / (zz zzz) */
        F_MUL(&dinv, &inv, &scratch[i]);
        F_MUL(&d, &in[i].zz, &in[i].zzz);
        F_MUL(&inv, &inv, &d);
        F_MUL(&t, &dinv, &in[i].zzz); /* 1/zz */
        F_MUL(&out[i].x, &in[i].x, &t);
        F_MUL(&t, &dinv, &in[i].zz); /* 1/zzz */
        F_MUL(&out[i].y, &in[i].y, &t);
    }
}

static void G(to_aff)(G(aff) *out, const G(pt) *in) {
    FT scratch;
    G(to_aff_batch)(out, in, 1, &scratch);
}

/* r = k * a by double-and-add (k: 256-bit little-endian, canonical). For the handful of
 * single multiplications of the prover; not constant time (the prover's r and s are
 * protected by the machine, as every other witness value is). */
static void G(mul)(G(pt) *r, const G(aff) *a, const uint64_t k[4]) {
    G(set_inf)(r);
    if (G(aff_is_inf)(a)) return;
    for (int bit = 255; bit >= 0; bit--) {
        G(dbl)(r);
        if ((k[bit >> 6] >> (bit & 63)) & 1) G(madd)(r, &a->x, &a->y);
    }
}

/* ------------------------------------------------------------------ Pippenger MSM */

/* Buckets of one window, in affine form and filled by batch-affine addition: up to
 * BA_BATCH pending additions bucket += P share one field inversion (Montgomery's trick),
 * about 6 multiplications each against 10 for an XYZZ mixed addition. A bucket already
 * waiting in the current batch takes further points into its XYZZ overflow bucket
 * instead (hot buckets: small witness values all land in the first few). */
#ifndef BA_BATCH
#define BA_BATCH 512
#define BA_MIN_BUCKETS 1024 /* below this, batches are too small to pay the inversion */
enum { BA_ADD, BA_DBL, BA_CANCEL };
#endif

typedef struct {
    G(aff) *acc;     /* affine buckets, (0, 0) = empty */
    G(pt) *ovf;      /* overflow buckets */
    uint32_t *stamp; /* the batch that last queued an addition to the bucket */
    uint32_t batch;
    size_t nops;
    uint32_t op_bucket[BA_BATCH];
    G(aff) op_point[BA_BATCH]; /* the point to add, already negated if its digit was */
    FT den[BA_BATCH], pre[BA_BATCH];
    uint8_t kind[BA_BATCH];
} G(ba);

static void G(ba_flush)(G(ba) *s) {
    size_t n = s->nops;
    if (n == 0) return;
    FT acc = F_ONE;
    for (size_t k = 0; k < n; k++) {
        const G(aff) *a = &s->acc[s->op_bucket[k]], *p = &s->op_point[k];
        FT d;
        F_SUB(&d, &p->x, &a->x);
        s->kind[k] = BA_ADD;
        if (F_IS_ZERO(&d)) {
            if (F_EQ(&a->y, &p->y) && !F_IS_ZERO(&a->y)) {
                s->kind[k] = BA_DBL; /* bucket + itself: tangent slope 3x^2 / 2y */
                F_DBL(&d, &a->y);
            } else {
                s->kind[k] = BA_CANCEL; /* P + (-P) */
                d = F_ONE;
            }
        }
        s->den[k] = d;
        s->pre[k] = acc;
        F_MUL(&acc, &acc, &d);
    }
    FT inv;
    F_INV(&inv, &acc);
    for (size_t k = n; k-- > 0;) {
        G(aff) *a = &s->acc[s->op_bucket[k]];
        const G(aff) *p = &s->op_point[k];
        FT dinv, lam, t, x3;
        F_MUL(&dinv, &inv, &s->pre[k]);
        F_MUL(&inv, &inv, &s->den[k]);
        if (s->kind[k] == BA_CANCEL) {
            memset(a, 0, sizeof *a);
            continue;
        }
        if (s->kind[k] == BA_ADD) {
            F_SUB(&t, &p->y, &a->y);
            F_MUL(&lam, &t, &dinv);
            F_SQR(&t, &lam);
            F_SUB(&t, &t, &a->x);
            F_SUB(&x3, &t, &p->x);
        } else {
            F_SQR(&t, &a->x);
            F_DBL(&lam, &t);
            F_ADD(&t, &lam, &t);
            F_MUL(&lam, &t, &dinv);
            F_SQR(&t, &lam);
            F_SUB(&t, &t, &a->x);
            F_SUB(&x3, &t, &a->x);
        }
        F_SUB(&t, &a->x, &x3);
        F_MUL(&t, &t, &lam);
        F_SUB(&a->y, &t, &a->y);
        a->x = x3;
    }
    s->nops = 0;
    s->batch++;
}

INLINE void G(ba_add)(G(ba) *s, uint32_t b, const G(aff) *p, int neg) {
    if (s->stamp[b] == s->batch) {
        FT ny;
        if (neg) F_NEG(&ny, &p->y);
        G(madd)(&s->ovf[b], &p->x, neg ? &ny : &p->y);
        return;
    }
    G(aff) *a = &s->acc[b];
    G(aff) *q = G(aff_is_inf)(a) ? a : &s->op_point[s->nops];
    q->x = p->x;
    if (neg) F_NEG(&q->y, &p->y);
    else q->y = p->y;
    if (q == a) return; /* an empty bucket just takes the point */
    s->stamp[b] = s->batch;
    s->op_bucket[s->nops++] = b;
    if (s->nops == BA_BATCH) G(ba_flush)(s);
}

typedef struct {
    const G(aff) *pts;
    const uint32_t *idx;    /* the m nontrivial terms' indices in pts */
    const int32_t *digits;  /* digits[w * m + j]: signed digit of term j in window w */
    size_t m;
    int c, windows;
    int next_window;        /* shared counter: threads take windows as they finish */
    G(pt) *window_sums;
    int failed;
} G(msm_job);

/* sum_b (b+1) * bucket[b] as running sums from the top bucket down */
static void G(reduce_buckets)(G(pt) *out, const G(aff) *acc, const G(pt) *ovf, size_t nb) {
    G(pt) running, total;
    G(set_inf)(&running);
    G(set_inf)(&total);
    for (size_t b = nb; b-- > 0;) {
        if (acc && !G(aff_is_inf)(&acc[b])) G(madd)(&running, &acc[b].x, &acc[b].y);
        G(add)(&running, &ovf[b]);
        G(add)(&total, &running);
    }
    *out = total;
}

static void G(msm_windows)(void *arg, int tid, int nthreads) {
    G(msm_job) *job = arg;
    size_t nb = (size_t)1 << (job->c - 1);
    int affine = nb >= BA_MIN_BUCKETS;
    G(pt) *ovf = malloc(nb * sizeof *ovf);
    G(ba) *ba = affine ? calloc(1, sizeof *ba) : NULL;
    if (ba) {
        ba->acc = malloc(nb * sizeof *ba->acc);
        ba->stamp = calloc(nb, sizeof *ba->stamp);
        ba->ovf = ovf;
        ba->batch = 1;
    }
    if (!ovf || (affine && (!ba || !ba->acc || !ba->stamp))) {
        job->failed = 1;
        goto done;
    }
    for (;;) {
        int w = __atomic_fetch_add(&job->next_window, 1, __ATOMIC_RELAXED);
        if (w >= job->windows) break;
        for (size_t b = 0; b < nb; b++) G(set_inf)(&ovf[b]);
        if (affine) memset(ba->acc, 0, nb * sizeof *ba->acc);
        const int32_t *dig = job->digits + (size_t)w * job->m;
        for (size_t j = 0; j < job->m; j++) {
            int32_t d = dig[j];
            if (d == 0) continue;
            const G(aff) *p = &job->pts[job->idx[j]];
            uint32_t b = (uint32_t)(d > 0 ? d : -d) - 1;
            if (affine) {
                G(ba_add)(ba, b, p, d < 0);
            } else if (d > 0) {
                G(madd)(&ovf[b], &p->x, &p->y);
            } else {
                FT ny;
                F_NEG(&ny, &p->y);
                G(madd)(&ovf[b], &p->x, &ny);
            }
        }
        if (affine) G(ba_flush)(ba);
        G(reduce_buckets)(&job->window_sums[w], affine ? ba->acc : NULL, ovf, nb);
    }
done:
    if (ba) free(ba->acc), free(ba->stamp);
    free(ba), free(ovf);
    (void)tid, (void)nthreads;
}

/* Window width minimising windows * (terms + 2^c bucket additions). */
static int G(window_bits)(size_t m) {
    int best = 1;
    double best_cost = 0;
    for (int c = 1; c <= 16; c++) {
        int windows = 255 / c + 1;
        double cost = (double)windows * ((double)m + 1.4 * (double)((size_t)1 << c));
        if (c == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

/* r = sum k[i] * pts[i]. Scalars are canonical (< r) little-endian; infinity points and
 * zero scalars are skipped and scalars equal to 1 summed directly. Returns -1 when out
 * of memory. */
static int G(msm)(G(pt) *r, const G(aff) *pts, const uint64_t (*k)[4], size_t n, int nthreads) {
    G(set_inf)(r);
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (G(aff_is_inf)(&pts[i]) || scalar_is(k[i], 0)) continue;
        if (scalar_is(k[i], 1)) G(madd)(r, &pts[i].x, &pts[i].y);
        else idx[m++] = (uint32_t)i;
    }
    if (m == 0) {
        free(idx);
        return 0;
    }
    int c = G(window_bits)(m);
    int windows = 255 / c + 1;
    int32_t *digits = malloc((size_t)windows * m * sizeof *digits);
    G(pt) *sums = malloc((size_t)windows * sizeof *sums);
    if (!digits || !sums) {
        free(idx), free(digits), free(sums);
        return -1;
    }
    /* signed digits in (-2^(c-1), 2^(c-1)]: 2^(c-1) buckets per window */
    const int32_t half = 1 << (c - 1), full = 1 << c;
    for (size_t j = 0; j < m; j++) {
        const uint64_t *s = k[idx[j]];
        int32_t carry = 0;
        for (int w = 0; w < windows; w++) {
            int32_t d = (int32_t)scalar_bits(s, (unsigned)(w * c), (unsigned)c) + carry;
            carry = d > half;
            if (carry) d -= full;
            digits[(size_t)w * m + j] = d;
        }
    }
    G(msm_job) job = {pts, idx, digits, m, c, windows, 0, sums, 0};
    parallel_run(G(msm_windows), &job, nthreads < windows ? nthreads : windows);
    if (job.failed) {
        free(idx), free(digits), free(sums);
        return -1;
    }
    G(pt) acc = sums[windows - 1];
    for (int w = windows - 2; w >= 0; w--) {
        for (int i = 0; i < c; i++) G(dbl)(&acc);
        G(add)(&acc, &sums[w]);
    }
    G(add)(r, &acc);
    free(idx), free(digits), free(sums);
    return 0;
}

/* ------------------------------------------------------------------ one base, many scalars */

#define FIXED_WINDOWS 32 /* 8-bit windows of a 256-bit scalar */
#define FIXED_CHUNK 1024

typedef struct {
    const G(aff) *table; /* table[w * 255 + d - 1] = d * 2^(8w) * base */
    const uint64_t (*k)[4];
    G(aff) *out;
    size_t n;
    int failed;
} G(fixed_job);

static void G(fixed_chunks)(void *arg, int tid, int nthreads) {
    G(fixed_job) *job = arg;
    G(pt) *acc = malloc(FIXED_CHUNK * sizeof *acc);
    FT *scratch = malloc(FIXED_CHUNK * sizeof *scratch);
    if (!acc || !scratch) {
        job->failed = 1;
        free(acc), free(scratch);
        return;
    }
    size_t chunks = (job->n + FIXED_CHUNK - 1) / FIXED_CHUNK;
    for (size_t ch = (size_t)tid; ch < chunks; ch += (size_t)nthreads) {
        size_t start = ch * FIXED_CHUNK;
        size_t len = job->n - start < FIXED_CHUNK ? job->n - start : FIXED_CHUNK;
        for (size_t i = 0; i < len; i++) {
            const uint64_t *s = job->k[start + i];
            G(set_inf)(&acc[i]);
            for (int w = 0; w < FIXED_WINDOWS; w++) {
                uint32_t byte = (uint32_t)(s[w >> 3] >> (8 * (w & 7))) & 0xff;
                if (byte) {
                    const G(aff) *t = &job->table[(size_t)w * 255 + byte - 1];
                    G(madd)(&acc[i], &t->x, &t->y);
                }
            }
        }
        G(to_aff_batch)(job->out + start, acc, len, scratch);
    }
    free(acc), free(scratch);
}

/* out[i] = k[i] * base for canonical scalars; -1 when out of memory. */
static int G(fixed_base)(G(aff) *out, const G(aff) *base, const uint64_t (*k)[4], size_t n,
                         int nthreads) {
    size_t tsize = (size_t)FIXED_WINDOWS * 255;
    G(pt) *tj = malloc(tsize * sizeof *tj);
    G(aff) *table = malloc(tsize * sizeof *table);
    FT *scratch = malloc(tsize * sizeof *scratch);
    if (!tj || !table || !scratch) {
        free(tj), free(table), free(scratch);
        return -1;
    }
    G(pt) b;
    G(from_aff)(&b, base);
    for (int w = 0; w < FIXED_WINDOWS; w++) {
        G(pt) *row = tj + (size_t)w * 255;
        row[0] = b;
        for (int d = 1; d < 255; d++) {
            row[d] = row[d - 1];
            G(add)(&row[d], &b);
        }
        for (int i = 0; i < 8; i++) G(dbl)(&b);
    }
    G(to_aff_batch)(table, tj, tsize, scratch);
    free(tj), free(scratch);
    G(fixed_job) job = {table, k, out, n, 0};
    parallel_run(G(fixed_chunks), &job, nthreads);
    free(table);
    return job.failed ? -1 : 0;
}

/* ------------------------------------------------------------------ sparse combinations */

/* out[j] = sum over t in [colptr[j], colptr[j+1]) of coeff[t] * bases[rows[t]]: Straus'
 * method per output (shared doublings, a table of 1..8 times each base, signed 4-bit
 * digits), starting at the highest window any of its coefficients uses, so that small
 * coefficients (and a lone coefficient 1) cost little. */

#define LC_C 4
#define LC_WINDOWS 64 /* 4-bit windows of 256 bits: a canonical scalar's top carry fits */
#define LC_HALF 8

typedef struct {
    const G(aff) *bases;
    const uint32_t *colptr, *rows;
    const uint64_t (*coeff)[4];
    G(aff) *out;
    size_t n_out;
    int failed;
} G(lc_job);

static void G(lc_digits)(int8_t dig[LC_WINDOWS], const uint64_t s[4]) {
    int carry = 0;
    for (int w = 0; w < LC_WINDOWS; w++) {
        int d = (int)scalar_bits(s, (unsigned)(w * LC_C), LC_C) + carry;
        carry = d > LC_HALF;
        if (carry) d -= 1 << LC_C;
        dig[w] = (int8_t)d;
    }
}

static void G(lc_outputs)(void *arg, int tid, int nthreads) {
    G(lc_job) *job = arg;
    size_t cap = 0;
    G(pt) *tables = NULL;
    int8_t *digits = NULL;
    G(pt) *acc = malloc(FIXED_CHUNK * sizeof *acc);
    FT *scratch = malloc(FIXED_CHUNK * sizeof *scratch);
    if (!acc || !scratch) goto fail;
    size_t chunks = (job->n_out + FIXED_CHUNK - 1) / FIXED_CHUNK;
    for (size_t ch = (size_t)tid; ch < chunks; ch += (size_t)nthreads) {
        size_t start = ch * FIXED_CHUNK;
        size_t len = job->n_out - start < FIXED_CHUNK ? job->n_out - start : FIXED_CHUNK;
        for (size_t o = 0; o < len; o++) {
            size_t j = start + o;
            size_t first = job->colptr[j], terms = job->colptr[j + 1] - first;
            G(set_inf)(&acc[o]);
            if (terms > cap) {
                cap = terms * 2;
                free(tables), free(digits);
                tables = malloc(cap * LC_HALF * sizeof *tables);
                digits = malloc(cap * LC_WINDOWS);
                if (!tables || !digits) goto fail;
            }
            int top = -1;
            for (size_t t = 0; t < terms; t++) {
                const G(aff) *base = &job->bases[job->rows[first + t]];
                int8_t *dig = digits + t * LC_WINDOWS;
                G(lc_digits)(dig, job->coeff[first + t]);
                if (G(aff_is_inf)(base)) memset(dig, 0, LC_WINDOWS);
                for (int w = LC_WINDOWS - 1; w > top; w--) {
                    if (dig[w]) top = w;
                }
                G(pt) *tab = tables + t * LC_HALF;
                G(from_aff)(&tab[0], base);
                for (int d = 1; d < LC_HALF; d++) {
                    tab[d] = tab[d - 1];
                    G(add)(&tab[d], &tab[0]);
                }
            }
            for (int w = top; w >= 0; w--) {
                for (int i = 0; i < LC_C; i++) G(dbl)(&acc[o]);
                for (size_t t = 0; t < terms; t++) {
                    int d = digits[t * LC_WINDOWS + w];
                    if (d == 0) continue;
                    G(pt) q = tables[t * LC_HALF + (d > 0 ? d : -d) - 1];
                    if (d < 0) G(neg)(&q);
                    G(add)(&acc[o], &q);
                }
            }
        }
        G(to_aff_batch)(job->out + start, acc, len, scratch);
    }
    free(tables), free(digits), free(acc), free(scratch);
    return;
fail:
    job->failed = 1;
    free(tables), free(digits), free(acc), free(scratch);
}

static int G(lincombs)(G(aff) *out, const G(aff) *bases, const uint32_t *colptr,
                       const uint32_t *rows, const uint64_t (*coeff)[4], size_t n_out,
                       int nthreads) {
    G(lc_job) job = {bases, colptr, rows, coeff, out, n_out, 0};
    parallel_run(G(lc_outputs), &job, nthreads);
    return job.failed ? -1 : 0;
}
