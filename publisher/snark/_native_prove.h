/* The Groth16 prove step after the witness, for _native.c (which includes this file).
 *
 * Same computation as publisher.snark.prove.prove, in the same order:
 *   rows   a_i = <A_i, w>, b_i = <B_i, w>, c_i = <C_i, w> (plus one row per public wire
 *          with that wire alone in A), each constraint checked (a_i b_i = c_i);
 *   h      on the coset shift * <omega>: h_i = (a_i b_i - c_i) / (shift^n - 1), from
 *          three inverse NTTs and three coset NTTs (run in parallel);
 *   MSMs   A = alpha + sum w_j a_j + r delta, B = beta + sum w_j b_j + s delta (G2 and
 *          G1), C = sum_{private} w_j l_j + sum h_i h_i + s A + r B_1 - r s delta.
 */

#define PROVE_DOC                                                                          \
    "prove(alpha1, beta1, delta1, beta2, delta2, a_g1, b_g1, b_g2, l_g1, h_g1,\n"          \
    "      a_ptr, a_cols, a_coeffs, b_ptr, b_cols, b_coeffs, c_ptr, c_cols, c_coeffs,\n"   \
    "      n_public, witness, r, s, omega, shift, threads) -> (A, B, C) | row\n\n"         \
    "Points packed (g1_pack/g2_pack); each R1CS matrix in compressed rows (u32 row\n"      \
    "pointers and wire indices, coefficients from fr_pack); witness, r, s, omega (the\n"   \
    "domain's root, n = len(h_g1)) and shift (the coset's) canonical. Returns the proof\n" \
    "points in canonical form, or the index of the first unsatisfied constraint."

typedef struct {
    const uint32_t *ptr, *cols;
    const fe *coeff;
} csr;

/* Wall seconds of the last prove's phases, for benchmarks (prove_phases()). */
enum { PH_ROWS, PH_NTT, PH_MSM_A, PH_MSM_B2, PH_MSM_B1, PH_MSM_L, PH_MSM_H, PH_COMBINE, PH_COUNT };
static const char *const PHASE_NAMES[PH_COUNT] = {
    "rows", "ntt", "msm_a_g1", "msm_b_g2", "msm_b_g1", "msm_l_g1", "msm_h_g1", "combine"};
static double last_phases[PH_COUNT];

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Row pointers from 0 to nnz, increasing, and every wire index below n_wires. */
static int csr_valid(const in_buf *ptr, const in_buf *cols, const in_buf *coeff, size_t *rows,
                     size_t n_wires, const char *name) {
    size_t np, nc, nk;
    if (check_len(ptr, 4, name, &np) < 0 || check_len(cols, 4, name, &nc) < 0 ||
        check_len(coeff, 32, name, &nk) < 0)
        return -1;
    const uint32_t *p = ptr->data, *c = cols->data;
    int ok = np >= 1 && nc == nk && p[0] == 0 && p[np - 1] == nc;
    for (size_t i = 0; ok && i + 1 < np; i++) ok = p[i] <= p[i + 1];
    for (size_t t = 0; ok && t < nc; t++) ok = c[t] < n_wires;
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "matrix %s is malformed", name);
        return -1;
    }
    *rows = np - 1;
    return 0;
}

static void csr_row_values(fe *out, const csr *mat, size_t m, const fe *w) {
    for (size_t i = 0; i < m; i++) {
        fe acc = {{0, 0, 0, 0}}, t;
        for (uint32_t k = mat->ptr[i]; k < mat->ptr[i + 1]; k++) {
            fr_mul(&t, &mat->coeff[k], &w[mat->cols[k]]);
            fr_add(&acc, &acc, &t);
        }
        out[i] = acc;
    }
}

typedef struct {
    fe *vals[3];
    size_t n;
    fe omega, omega_inv, shift, shift_inv;
    int failed;
} quotient_job;

static void quotient_parts(void *arg, int tid, int nthreads) {
    quotient_job *job = arg;
    for (int i = tid; i < 3; i += nthreads) {
        if (fr_coset_intt(job->vals[i], job->n, &job->omega_inv, &FR.one) ||
            fr_coset_ntt(job->vals[i], job->n, &job->omega, &job->shift))
            job->failed = 1;
    }
}

INLINE void fr_canonical(uint64_t out[4], const fe *a) {
    fe t;
    mod_from_mont(&t, a, &FR);
    memcpy(out, t.l, 32);
}

typedef struct {
    /* inputs */
    const g1_aff *alpha1, *beta1, *delta1, *a_g1, *b_g1, *l_g1, *h_g1;
    const g2_aff *beta2, *delta2, *b_g2;
    csr mats[3];
    size_t m, n, n_wires, n_public;
    const uint64_t (*witness)[4];
    const uint64_t *r, *s;
    fe omega, shift;
    int threads;
    /* outputs */
    g1_aff a, c;
    g2_aff b;
    long long bad_row;
} prove_job;

/* 0: proof made; 1: constraint job->bad_row unsatisfied; -1: out of memory. */
static int prove_run(prove_job *job) {
    size_t n = job->n, nw = job->n_wires;
    int rc = -1;
    double clock_at = now_seconds();
#define PHASE(k)                                     \
    do {                                             \
        double clock_now = now_seconds();            \
        last_phases[k] = clock_now - clock_at;       \
        clock_at = clock_now;                        \
    } while (0)
    memset(last_phases, 0, sizeof last_phases);
    fe *w = malloc(nw * sizeof *w);
    fe *rows = calloc(3 * n, sizeof *rows);
    uint64_t(*h)[4] = malloc(n * sizeof *h);
    if (!w || !rows || !h) goto done;
    for (size_t j = 0; j < nw; j++) mod_to_mont(&w[j], (const fe *)job->witness[j], &FR);
    fe *ra = rows, *rb = rows + n, *rcv = rows + 2 * n;
    csr_row_values(ra, &job->mats[0], job->m, w);
    csr_row_values(rb, &job->mats[1], job->m, w);
    csr_row_values(rcv, &job->mats[2], job->m, w);
    for (size_t i = 0; i < job->m; i++) {
        fe t;
        fr_mul(&t, &ra[i], &rb[i]);
        if (!fe_eq(&t, &rcv[i])) {
            job->bad_row = (long long)i;
            rc = 1;
            goto done;
        }
    }
    for (size_t k = 0; k <= job->n_public; k++) ra[job->m + k] = w[k];
    PHASE(PH_ROWS);

    quotient_job q = {{ra, rb, rcv}, n, job->omega, {{0}}, job->shift, {{0}}, 0};
    fr_inv(&q.omega_inv, &job->omega);
    parallel_run(quotient_parts, &q, job->threads < 3 ? job->threads : 3);
    if (q.failed) goto done;
    /* Z(x) = x^n - 1 is the constant shift^n - 1 on the whole coset */
    fe z = FR.one;
    for (size_t i = 0; i < n; i++) fr_mul(&z, &z, &job->shift);
    fr_sub(&z, &z, &FR.one);
    fr_inv(&z, &z);
    for (size_t i = 0; i < n; i++) {
        fe t;
        fr_mul(&t, &ra[i], &rb[i]);
        fr_sub(&t, &t, &rcv[i]);
        fr_mul(&t, &t, &z);
        fr_canonical(h[i], &t);
    }
    free(rows);
    rows = NULL;
    PHASE(PH_NTT);

    int T = job->threads;
    g1_pt a, b1, l, hz, t1;
    g2_pt b2, t2;
    size_t priv = job->n_public + 1;
    if (g1_msm(&a, job->a_g1, job->witness, nw, T)) goto done;
    PHASE(PH_MSM_A);
    if (g2_msm(&b2, job->b_g2, job->witness, nw, T)) goto done;
    PHASE(PH_MSM_B2);
    if (g1_msm(&b1, job->b_g1, job->witness, nw, T)) goto done;
    PHASE(PH_MSM_B1);
    if (g1_msm(&l, job->l_g1, job->witness + priv, nw - priv, T)) goto done;
    PHASE(PH_MSM_L);
    if (g1_msm(&hz, job->h_g1, (const uint64_t(*)[4])h, n, T)) goto done;
    PHASE(PH_MSM_H);

    /* A = alpha + sum + r delta */
    if (!g1_aff_is_inf(job->alpha1)) g1_madd(&a, &job->alpha1->x, &job->alpha1->y);
    g1_mul(&t1, job->delta1, job->r);
    g1_add(&a, &t1);
    g1_to_aff(&job->a, &a);
    /* B = beta + sum + s delta, over G2 and over G1 */
    if (!g2_aff_is_inf(job->beta2)) g2_madd(&b2, &job->beta2->x, &job->beta2->y);
    g2_mul(&t2, job->delta2, job->s);
    g2_add(&b2, &t2);
    g2_to_aff(&job->b, &b2);
    if (!g1_aff_is_inf(job->beta1)) g1_madd(&b1, &job->beta1->x, &job->beta1->y);
    g1_mul(&t1, job->delta1, job->s);
    g1_add(&b1, &t1);
    g1_aff b1_aff;
    g1_to_aff(&b1_aff, &b1);
    /* C = L + H + s A + r B1 - r s delta */
    g1_add(&l, &hz);
    g1_mul(&t1, &job->a, job->s);
    g1_add(&l, &t1);
    g1_mul(&t1, &b1_aff, job->r);
    g1_add(&l, &t1);
    fe rm, sm, rs;
    mod_to_mont(&rm, (const fe *)job->r, &FR);
    mod_to_mont(&sm, (const fe *)job->s, &FR);
    fr_mul(&rs, &rm, &sm);
    const fe zero = {{0, 0, 0, 0}};
    fr_sub(&rs, &zero, &rs);
    uint64_t neg_rs[4];
    fr_canonical(neg_rs, &rs);
    g1_mul(&t1, job->delta1, neg_rs);
    g1_add(&l, &t1);
    g1_to_aff(&job->c, &l);
    PHASE(PH_COMBINE);
#undef PHASE
    rc = 0;
done:
    free(w), free(rows), free(h);
    return rc;
}

static PyObject *py_prove(PyObject *self, PyObject *args) {
    enum { N_BUF = 24 };
    PyObject *obj[N_BUF];
    int n_public, threads;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOOOOOOOiOOOOOi", &obj[0], &obj[1], &obj[2], &obj[3],
                          &obj[4], &obj[5], &obj[6], &obj[7], &obj[8], &obj[9], &obj[10],
                          &obj[11], &obj[12], &obj[13], &obj[14], &obj[15], &obj[16], &obj[17],
                          &obj[18], &n_public, &obj[19], &obj[20], &obj[21], &obj[22], &obj[23],
                          &threads))
        return NULL;
    static const char *names[] = {
        "alpha1", "beta1", "delta1", "beta2", "delta2", "a_g1", "b_g1", "b_g2", "l_g1", "h_g1",
        "a_ptr", "a_cols", "a_coeffs", "b_ptr", "b_cols", "b_coeffs", "c_ptr", "c_cols", "c_coeffs",
        "witness", "r", "s", "omega", "shift"};
    in_buf b[N_BUF];
    memset(b, 0, sizeof b);
    PyObject *out = NULL;
    int got = 0;
    for (; got < 24; got++) {
        if (in_buf_get(obj[got], &b[got], names[got]) < 0) goto done;
    }
    size_t cnt[10], nw, m_rows[3];
    static const size_t units[10] = {64, 64, 64, 128, 128, 64, 64, 128, 64, 64};
    for (int i = 0; i < 10; i++) {
        if (check_len(&b[i], units[i], names[i], &cnt[i]) < 0) goto done;
    }
    for (int i = 0; i < 5; i++) {
        if (cnt[i] != 1) {
            PyErr_Format(PyExc_ValueError, "%s: expected one packed point", names[i]);
            goto done;
        }
    }
    if (check_len(&b[19], 32, "witness", &nw) < 0 || check_scalars(b[19].data, nw, "witness") < 0)
        goto done;
    size_t n = cnt[9];
    if (n_public < 0 || nw < (size_t)n_public + 1 || cnt[5] != nw || cnt[6] != nw ||
        cnt[7] != nw || cnt[8] != nw - (size_t)n_public - 1 || n == 0 || (n & (n - 1))) {
        PyErr_SetString(PyExc_ValueError, "the proving key does not match the witness");
        goto done;
    }
    for (int i = 0; i < 3; i++) {
        if (csr_valid(&b[10 + 3 * i], &b[11 + 3 * i], &b[12 + 3 * i], &m_rows[i], nw, names[10 + 3 * i]) < 0)
            goto done;
    }
    if (m_rows[0] != m_rows[1] || m_rows[1] != m_rows[2] || m_rows[0] + (size_t)n_public + 1 > n) {
        PyErr_SetString(PyExc_ValueError, "the matrices do not fit the domain");
        goto done;
    }
    prove_job job;
    memset(&job, 0, sizeof job);
    fe scal[4];
    for (int i = 0; i < 4; i++) {
        if (load_fr(&scal[i], &b[20 + i], names[20 + i]) < 0) goto done;
    }
    job.alpha1 = b[0].data;
    job.beta1 = b[1].data;
    job.delta1 = b[2].data;
    job.beta2 = b[3].data;
    job.delta2 = b[4].data;
    job.a_g1 = b[5].data;
    job.b_g1 = b[6].data;
    job.b_g2 = b[7].data;
    job.l_g1 = b[8].data;
    job.h_g1 = b[9].data;
    for (int i = 0; i < 3; i++) {
        job.mats[i] = (csr){b[10 + 3 * i].data, b[11 + 3 * i].data, b[12 + 3 * i].data};
    }
    job.m = m_rows[0];
    job.n = n;
    job.n_wires = nw;
    job.n_public = (size_t)n_public;
    job.witness = b[19].data;
    job.r = b[20].data;
    job.s = b[21].data;
    job.omega = scal[2];
    job.shift = scal[3];
    job.threads = threads_arg(threads);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = prove_run(&job);
    Py_END_ALLOW_THREADS
    if (rc < 0) {
        PyErr_NoMemory();
    } else if (rc == 1) {
        out = PyLong_FromLongLong(job.bad_row);
    } else {
        unsigned char pa[64], pb[128], pc[64];
        unpack_coords(pa, (fe *)&job.a, 2);
        unpack_coords(pb, (fe *)&job.b, 4);
        unpack_coords(pc, (fe *)&job.c, 2);
        out = Py_BuildValue("(y#y#y#)", pa, (Py_ssize_t)64, pb, (Py_ssize_t)128, pc, (Py_ssize_t)64);
    }
done:
    for (int i = 0; i < N_BUF; i++) in_buf_release(&b[i]);
    return out;
}

/* prove_phases() -> {phase: seconds} of the last prove (zero for phases not reached). */
static PyObject *py_prove_phases(PyObject *self, PyObject *args) {
    PyObject *out = PyDict_New();
    for (int k = 0; out && k < PH_COUNT; k++) {
        PyObject *v = PyFloat_FromDouble(last_phases[k]);
        if (!v || PyDict_SetItemString(out, PHASE_NAMES[k], v) < 0) {
            Py_XDECREF(v);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(v);
    }
    return out;
}
