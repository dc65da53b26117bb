/* zkpor's native BN254 kernels: multi-scalar multiplication over G1 and G2, fixed-base
 * and sparse batch multiplication for key generation, NTTs over Fr, and the whole
 * Groth16 prove step after the witness.
 *
 * The pure-Python modules of publisher.snark (msm, ntt, lincomb, prove) are the
 * reference: every function here computes exactly what its Python counterpart does and
 * the tests compare them on random inputs and edge cases. Python sees only bytes:
 *
 *   - field elements and scalars: 32 bytes little-endian, canonical (< modulus);
 *   - points packed for the kernels ("packed"): coordinates in Montgomery form, G1 as
 *     x || y (64 bytes), G2 as x.c0 || x.c1 || y.c0 || y.c1 (128 bytes), made by
 *     g1_pack / g2_pack from canonical coordinates, which validate them;
 *   - points returned: the same layout in canonical little-endian coordinates;
 *   - the point at infinity: all zero bytes in both forms.
 *
 * Heavy calls release the GIL and split their work over `threads` POSIX threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "_native_field.h"

/* ------------------------------------------------------------------ threads */

typedef void (*task_fn)(void *ctx, int tid, int nthreads);

typedef struct {
    task_fn fn;
    void *ctx;
    int tid, nthreads;
} task_arg;

static void *task_main(void *p) {
    task_arg *a = p;
    a->fn(a->ctx, a->tid, a->nthreads);
    return NULL;
}

/* Run fn(ctx, tid, n) for tid = 0..n-1 in parallel; a thread that cannot be started
 * runs on the calling thread instead, so the work is always done. */
static void parallel_run(task_fn fn, void *ctx, int nthreads) {
    if (nthreads <= 1) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    task_arg *args = calloc((size_t)nthreads, sizeof *args);
    char *started = calloc((size_t)nthreads, 1);
    if (!th || !args || !started) {
        free(th), free(args), free(started);
        for (int t = 0; t < nthreads; t++) fn(ctx, t, nthreads);
        return;
    }
    for (int t = 1; t < nthreads; t++) {
        args[t] = (task_arg){fn, ctx, t, nthreads};
        started[t] = pthread_create(&th[t], NULL, task_main, &args[t]) == 0;
    }
    fn(ctx, 0, nthreads);
    for (int t = 1; t < nthreads; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else fn(ctx, t, nthreads);
    }
    free(th), free(args), free(started);
}

/* ------------------------------------------------------------------ the two groups */

static fe G1_B;     /* 3 */
static fe2 G2_B;    /* 3 / (9 + u) */
static fe2 FQ2_ONE; /* 1 */

#define FT fe
#define F_ADD fq_add
#define F_SUB fq_sub
#define F_MUL fq_mul
#define F_SQR fq_sqr
#define F_DBL fq_dbl
#define F_NEG fq_neg
#define F_INV fq_inv
#define F_IS_ZERO fe_is_zero
#define F_EQ fe_eq
#define F_ONE (FQ.one)
#define CURVE_B G1_B
#define G(name) g1_##name
#include "_native_curve.h"
#undef FT
#undef F_ADD
#undef F_SUB
#undef F_MUL
#undef F_SQR
#undef F_DBL
#undef F_NEG
#undef F_INV
#undef F_IS_ZERO
#undef F_EQ
#undef F_ONE
#undef CURVE_B
#undef G

#define FT fe2
#define F_ADD fq2_add
#define F_SUB fq2_sub
#define F_MUL fq2_mul
#define F_SQR fq2_sqr
#define F_DBL fq2_dbl
#define F_NEG fq2_neg
#define F_INV fq2_inv
#define F_IS_ZERO fq2_is_zero
#define F_EQ fq2_eq
#define F_ONE FQ2_ONE
#define CURVE_B G2_B
#define G(name) g2_##name
#include "_native_curve.h"
#undef FT
#undef F_ADD
#undef F_SUB
#undef F_MUL
#undef F_SQR
#undef F_DBL
#undef F_NEG
#undef F_INV
#undef F_IS_ZERO
#undef F_EQ
#undef F_ONE
#undef CURVE_B
#undef G

/* ------------------------------------------------------------------ NTT over Fr */

/* In place: a[i] <- sum_j a[j] omega^(ij) (natural order in and out); omega in
 * Montgomery form, n a power of two. Iterative radix-2 decimation in time. */
static int fr_dft(fe *a, size_t n, const fe *omega) {
    if (n <= 1) return 0;
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            fe t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
    fe *tw = malloc((n / 2) * sizeof *tw);
    if (!tw) return -1;
    tw[0] = FR.one;
    for (size_t k = 1; k < n / 2; k++) fr_mul(&tw[k], &tw[k - 1], omega);
    for (size_t len = 2; len <= n; len <<= 1) {
        size_t half = len >> 1, step = n / len;
        for (size_t i = 0; i < n; i += len) {
            for (size_t j = 0; j < half; j++) {
                fe u = a[i + j], v;
                fr_mul(&v, &a[i + j + half], &tw[j * step]);
                fr_add(&a[i + j], &u, &v);
                fr_sub(&a[i + j + half], &u, &v);
            }
        }
    }
    free(tw);
    return 0;
}

/* a[i] *= factor * step^i */
static void fr_scale_powers(fe *a, size_t n, const fe *factor, const fe *step) {
    fe f = *factor;
    for (size_t i = 0; i < n; i++) {
        fr_mul(&a[i], &a[i], &f);
        fr_mul(&f, &f, step);
    }
}

/* Coefficients -> evaluations at shift * omega^i. */
static int fr_coset_ntt(fe *a, size_t n, const fe *omega, const fe *shift) {
    fr_scale_powers(a, n, &FR.one, shift);
    return fr_dft(a, n, omega);
}

/* Evaluations at shift * omega^i -> coefficients (omega_inv, shift_inv: the inverses). */
static int fr_coset_intt(fe *a, size_t n, const fe *omega_inv, const fe *shift_inv) {
    if (fr_dft(a, n, omega_inv)) return -1;
    fe n_inv = {{(uint64_t)n, 0, 0, 0}};
    mod_to_mont(&n_inv, &n_inv, &FR);
    fr_inv(&n_inv, &n_inv);
    fr_scale_powers(a, n, &n_inv, shift_inv);
    return 0;
}

/* ------------------------------------------------------------------ buffers from Python */

/* A read-only view of a Python buffer whose data is 8-byte aligned (copied if not). */
typedef struct {
    Py_buffer view;
    const void *data;
    void *copy;
    Py_ssize_t len;
    int held;
} in_buf;

static int in_buf_get(PyObject *obj, in_buf *b, const char *what) {
    memset(b, 0, sizeof *b);
    if (PyObject_GetBuffer(obj, &b->view, PyBUF_SIMPLE) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: expected a bytes-like object", what);
        return -1;
    }
    b->held = 1;
    b->len = b->view.len;
    b->data = b->view.buf;
    if (((uintptr_t)b->data & 7) != 0) {
        b->copy = malloc(b->len ? (size_t)b->len : 1);
        if (!b->copy) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(b->copy, b->view.buf, (size_t)b->len);
        b->data = b->copy;
    }
    return 0;
}

static void in_buf_release(in_buf *b) {
    if (b->held) PyBuffer_Release(&b->view);
    free(b->copy);
    b->held = 0;
    b->copy = NULL;
}

static int check_len(const in_buf *b, size_t unit, const char *what, size_t *count) {
    if ((size_t)b->len % unit != 0) {
        PyErr_Format(PyExc_ValueError, "%s: length %zd is not a multiple of %zu", what,
                     b->len, unit);
        return -1;
    }
    *count = (size_t)b->len / unit;
    return 0;
}

/* 32 bytes (little- or big-endian) -> four little-endian limbs. */
static void load_limbs(uint64_t out[4], const unsigned char *src, int big_endian) {
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++) {
            int byte = big_endian ? 31 - (8 * i + j) : 8 * i + j;
            v |= (uint64_t)src[byte] << (8 * j);
        }
        out[i] = v;
    }
}

/* Canonical scalars (32 bytes little-endian each) must be below r. */
static int check_scalars(const uint64_t (*k)[4], size_t n, const char *what) {
    for (size_t i = 0; i < n; i++) {
        if (limbs_geq(k[i], FR.m)) {
            PyErr_Format(PyExc_ValueError, "%s: scalar %zu is not below r", what, i);
            return -1;
        }
    }
    return 0;
}

static PyObject *new_bytes(size_t len, char **data) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)len);
    if (out) *data = PyBytes_AS_STRING(out);
    return out;
}

static int threads_arg(int threads) {
    return threads < 1 ? 1 : threads > 256 ? 256 : threads;
}

/* ------------------------------------------------------------------ packing */

/* count points of `coords` coordinates each, canonical (< p), in `big_endian` order ->
 * Montgomery limbs; returns the index of the first bad coordinate's point or -1. */
static Py_ssize_t pack_coords(fe *out, const unsigned char *src, size_t count, int coords,
                              int big_endian) {
    for (size_t i = 0; i < count * (size_t)coords; i++) {
        load_limbs(out[i].l, src + 32 * i, big_endian);
        if (limbs_geq(out[i].l, FQ.m)) return (Py_ssize_t)(i / (size_t)coords);
        mod_to_mont(&out[i], &out[i], &FQ);
    }
    return -1;
}

static PyObject *pack_points(PyObject *args, int coords) {
    PyObject *obj;
    int big_endian = 0, check = 1;
    if (!PyArg_ParseTuple(args, "O|pp", &obj, &big_endian, &check)) return NULL;
    in_buf in;
    size_t count;
    if (in_buf_get(obj, &in, "points") < 0 || check_len(&in, 32 * (size_t)coords, "points", &count) < 0) {
        in_buf_release(&in);
        return NULL;
    }
    char *data;
    PyObject *out = new_bytes(count * 32 * (size_t)coords, &data);
    if (!out) {
        in_buf_release(&in);
        return NULL;
    }
    Py_ssize_t bad = pack_coords((fe *)data, in.data, count, coords, big_endian);
    if (bad < 0 && check) {
        for (size_t i = 0; i < count; i++) {
            int ok = coords == 2 ? g1_on_curve((g1_aff *)data + i) : g2_on_curve((g2_aff *)data + i);
            if (!ok) {
                bad = (Py_ssize_t)i;
                break;
            }
        }
        if (bad >= 0) {
            PyErr_Format(PyExc_ValueError, "point %zd is not on the curve", bad);
            goto fail;
        }
    } else if (bad >= 0) {
        PyErr_Format(PyExc_ValueError, "point %zd has a coordinate not below p", bad);
        goto fail;
    }
    in_buf_release(&in);
    return out;
fail:
    in_buf_release(&in);
    Py_DECREF(out);
    return NULL;
}

static PyObject *py_g1_pack(PyObject *self, PyObject *args) { return pack_points(args, 2); }
static PyObject *py_g2_pack(PyObject *self, PyObject *args) { return pack_points(args, 4); }

/* Montgomery coordinates -> canonical little-endian bytes. */
static void unpack_coords(unsigned char *dst, const fe *src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        fe v;
        mod_from_mont(&v, &src[i], &FQ);
        memcpy(dst + 32 * i, v.l, 32); /* x86-64 and aarch64 are little-endian */
    }
}

static PyObject *unpack_points(PyObject *args, int coords) {
    PyObject *obj;
    if (!PyArg_ParseTuple(args, "O", &obj)) return NULL;
    in_buf in;
    size_t count;
    if (in_buf_get(obj, &in, "packed points") < 0 ||
        check_len(&in, 32 * (size_t)coords, "packed points", &count) < 0) {
        in_buf_release(&in);
        return NULL;
    }
    char *data;
    PyObject *out = new_bytes((size_t)in.len, &data);
    if (out) unpack_coords((unsigned char *)data, in.data, count * (size_t)coords);
    in_buf_release(&in);
    return out;
}

static PyObject *py_g1_unpack(PyObject *self, PyObject *args) { return unpack_points(args, 2); }
static PyObject *py_g2_unpack(PyObject *self, PyObject *args) { return unpack_points(args, 4); }

/* Canonical Fr elements -> Montgomery form (the R1CS coefficients of the prover). */
static PyObject *py_fr_pack(PyObject *self, PyObject *args) {
    PyObject *obj;
    if (!PyArg_ParseTuple(args, "O", &obj)) return NULL;
    in_buf in;
    size_t n;
    if (in_buf_get(obj, &in, "scalars") < 0 || check_len(&in, 32, "scalars", &n) < 0 ||
        check_scalars(in.data, n, "scalars") < 0) {
        in_buf_release(&in);
        return NULL;
    }
    char *data;
    PyObject *out = new_bytes((size_t)in.len, &data);
    if (out) {
        const fe *src = in.data;
        for (size_t i = 0; i < n; i++) mod_to_mont((fe *)data + i, &src[i], &FR);
    }
    in_buf_release(&in);
    return out;
}

/* ------------------------------------------------------------------ MSM */

static PyObject *msm_common(PyObject *args, int g2) {
    PyObject *pobj, *kobj;
    int threads = 1;
    if (!PyArg_ParseTuple(args, "OO|i", &pobj, &kobj, &threads)) return NULL;
    size_t psize = g2 ? sizeof(g2_aff) : sizeof(g1_aff);
    in_buf pts, ks;
    size_t n, nk;
    PyObject *out = NULL;
    memset(&ks, 0, sizeof ks);
    if (in_buf_get(pobj, &pts, "points") < 0 || check_len(&pts, psize, "points", &n) < 0 ||
        in_buf_get(kobj, &ks, "scalars") < 0 || check_len(&ks, 32, "scalars", &nk) < 0 ||
        check_scalars(ks.data, nk, "scalars") < 0)
        goto done;
    if (n != nk) {
        PyErr_Format(PyExc_ValueError, "%zu points but %zu scalars", n, nk);
        goto done;
    }
    char *data;
    out = new_bytes(psize, &data);
    if (!out) goto done;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    if (g2) {
        g2_pt acc;
        rc = g2_msm(&acc, pts.data, ks.data, n, threads_arg(threads));
        g2_aff a;
        g2_to_aff(&a, &acc);
        unpack_coords((unsigned char *)data, (fe *)&a, 4);
    } else {
        g1_pt acc;
        rc = g1_msm(&acc, pts.data, ks.data, n, threads_arg(threads));
        g1_aff a;
        g1_to_aff(&a, &acc);
        unpack_coords((unsigned char *)data, (fe *)&a, 2);
    }
    Py_END_ALLOW_THREADS
    if (rc) {
        Py_CLEAR(out);
        PyErr_NoMemory();
    }
done:
    in_buf_release(&pts);
    in_buf_release(&ks);
    return out;
}

static PyObject *py_msm_g1(PyObject *self, PyObject *args) { return msm_common(args, 0); }
static PyObject *py_msm_g2(PyObject *self, PyObject *args) { return msm_common(args, 1); }

/* ------------------------------------------------------------------ fixed base */

static PyObject *fixed_common(PyObject *args, int g2) {
    PyObject *bobj, *kobj;
    int threads = 1;
    if (!PyArg_ParseTuple(args, "OO|i", &bobj, &kobj, &threads)) return NULL;
    size_t psize = g2 ? sizeof(g2_aff) : sizeof(g1_aff);
    in_buf base, ks;
    size_t nb, n;
    PyObject *out = NULL;
    memset(&ks, 0, sizeof ks);
    if (in_buf_get(bobj, &base, "base") < 0 || check_len(&base, psize, "base", &nb) < 0 ||
        in_buf_get(kobj, &ks, "scalars") < 0 || check_len(&ks, 32, "scalars", &n) < 0 ||
        check_scalars(ks.data, n, "scalars") < 0)
        goto done;
    if (nb != 1) {
        PyErr_SetString(PyExc_ValueError, "base: expected one packed point");
        goto done;
    }
    char *data;
    out = new_bytes(n * psize, &data);
    if (!out) goto done;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    if (g2) rc = g2_fixed_base((g2_aff *)data, base.data, ks.data, n, threads_arg(threads));
    else rc = g1_fixed_base((g1_aff *)data, base.data, ks.data, n, threads_arg(threads));
    if (!rc) unpack_coords((unsigned char *)data, (fe *)data, n * psize / 32);
    Py_END_ALLOW_THREADS
    if (rc) {
        Py_CLEAR(out);
        PyErr_NoMemory();
    }
done:
    in_buf_release(&base);
    in_buf_release(&ks);
    return out;
}

static PyObject *py_fixed_base_g1(PyObject *self, PyObject *args) { return fixed_common(args, 0); }
static PyObject *py_fixed_base_g2(PyObject *self, PyObject *args) { return fixed_common(args, 1); }

/* ------------------------------------------------------------------ sparse combinations */

static PyObject *lincombs_common(PyObject *args, int g2) {
    PyObject *bobj, *cobj, *robj, *kobj;
    int threads = 1;
    if (!PyArg_ParseTuple(args, "OOOO|i", &bobj, &cobj, &robj, &kobj, &threads)) return NULL;
    size_t psize = g2 ? sizeof(g2_aff) : sizeof(g1_aff);
    in_buf bases, colptr, rows, ks;
    size_t nb, ncol, nrows, nk;
    PyObject *out = NULL;
    memset(&colptr, 0, sizeof colptr);
    memset(&rows, 0, sizeof rows);
    memset(&ks, 0, sizeof ks);
    if (in_buf_get(bobj, &bases, "bases") < 0 || check_len(&bases, psize, "bases", &nb) < 0 ||
        in_buf_get(cobj, &colptr, "colptr") < 0 || check_len(&colptr, 4, "colptr", &ncol) < 0 ||
        in_buf_get(robj, &rows, "rows") < 0 || check_len(&rows, 4, "rows", &nrows) < 0 ||
        in_buf_get(kobj, &ks, "coefficients") < 0 ||
        check_len(&ks, 32, "coefficients", &nk) < 0 ||
        check_scalars(ks.data, nk, "coefficients") < 0)
        goto done;
    const uint32_t *cp = colptr.data, *rw = rows.data;
    if (ncol < 1 || cp[0] != 0 || cp[ncol - 1] != nrows || nrows != nk) {
        PyErr_SetString(PyExc_ValueError, "colptr, rows and coefficients do not match");
        goto done;
    }
    for (size_t j = 0; j + 1 < ncol; j++) {
        if (cp[j] > cp[j + 1]) {
            PyErr_SetString(PyExc_ValueError, "colptr is not increasing");
            goto done;
        }
    }
    for (size_t t = 0; t < nrows; t++) {
        if (rw[t] >= nb) {
            PyErr_Format(PyExc_ValueError, "row %u of term %zu has no base", rw[t], t);
            goto done;
        }
    }
    char *data;
    size_t n_out = ncol - 1;
    out = new_bytes(n_out * psize, &data);
    if (!out) goto done;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    if (g2) rc = g2_lincombs((g2_aff *)data, bases.data, cp, rw, ks.data, n_out, threads_arg(threads));
    else rc = g1_lincombs((g1_aff *)data, bases.data, cp, rw, ks.data, n_out, threads_arg(threads));
    if (!rc) unpack_coords((unsigned char *)data, (fe *)data, n_out * psize / 32);
    Py_END_ALLOW_THREADS
    if (rc) {
        Py_CLEAR(out);
        PyErr_NoMemory();
    }
done:
    in_buf_release(&bases);
    in_buf_release(&colptr);
    in_buf_release(&rows);
    in_buf_release(&ks);
    return out;
}

static PyObject *py_lincombs_g1(PyObject *self, PyObject *args) { return lincombs_common(args, 0); }
static PyObject *py_lincombs_g2(PyObject *self, PyObject *args) { return lincombs_common(args, 1); }

/* ------------------------------------------------------------------ NTT entry points */

static int load_fr(fe *out, const in_buf *b, const char *what) {
    size_t n;
    if (check_len(b, 32, what, &n) < 0) return -1;
    if (n != 1) {
        PyErr_Format(PyExc_ValueError, "%s: expected one element", what);
        return -1;
    }
    if (check_scalars(b->data, 1, what) < 0) return -1;
    mod_to_mont(out, b->data, &FR);
    return 0;
}

static PyObject *ntt_common(PyObject *args, int inverse) {
    PyObject *vobj, *oobj, *sobj;
    if (!PyArg_ParseTuple(args, "OOO", &vobj, &oobj, &sobj)) return NULL;
    in_buf vals, om, sh;
    size_t n;
    fe omega, shift;
    PyObject *out = NULL;
    memset(&om, 0, sizeof om);
    memset(&sh, 0, sizeof sh);
    if (in_buf_get(vobj, &vals, "values") < 0 || check_len(&vals, 32, "values", &n) < 0 ||
        check_scalars(vals.data, n, "values") < 0 || in_buf_get(oobj, &om, "omega") < 0 ||
        load_fr(&omega, &om, "omega") < 0 || in_buf_get(sobj, &sh, "shift") < 0 ||
        load_fr(&shift, &sh, "shift") < 0)
        goto done;
    if (n == 0 || (n & (n - 1))) {
        PyErr_Format(PyExc_ValueError, "NTT size must be a power of two, got %zu", n);
        goto done;
    }
    char *data;
    out = new_bytes(n * 32, &data);
    if (!out) goto done;
    fe *a = (fe *)data;
    const fe *src = vals.data;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < n; i++) mod_to_mont(&a[i], &src[i], &FR);
    rc = inverse ? fr_coset_intt(a, n, &omega, &shift) : fr_coset_ntt(a, n, &omega, &shift);
    for (size_t i = 0; i < n; i++) mod_from_mont(&a[i], &a[i], &FR);
    Py_END_ALLOW_THREADS
    if (rc) {
        Py_CLEAR(out);
        PyErr_NoMemory();
    }
done:
    in_buf_release(&vals);
    in_buf_release(&om);
    in_buf_release(&sh);
    return out;
}

/* coset_ntt(values, omega, shift): evaluations at shift * omega^i of the coefficients. */
static PyObject *py_coset_ntt(PyObject *self, PyObject *args) { return ntt_common(args, 0); }
/* coset_intt(values, omega_inv, shift_inv): the coefficients back from those evaluations. */
static PyObject *py_coset_intt(PyObject *self, PyObject *args) { return ntt_common(args, 1); }

/* ------------------------------------------------------------------ Groth16 prove */

#include "_native_prove.h"

/* ------------------------------------------------------------------ module */

/* set_adx(flag) -> previous: the mulx/adx field product on or off (tests compare both). */
static PyObject *py_set_adx(PyObject *self, PyObject *args) {
    int on;
    if (!PyArg_ParseTuple(args, "p", &on)) return NULL;
#ifdef ZKPOR_ADX_ASM
    int before = use_adx;
    if (on && !(__builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx"))) {
        PyErr_SetString(PyExc_ValueError, "this CPU has no BMI2/ADX");
        return NULL;
    }
    use_adx = on;
    return PyBool_FromLong(before);
#else
    if (on) {
        PyErr_SetString(PyExc_ValueError, "built without the x86-64 mulx/adx code");
        return NULL;
    }
    Py_RETURN_FALSE;
#endif
}

/* features() -> str: what the field arithmetic runs on, for zkpor doctor. */
static PyObject *py_features(PyObject *self, PyObject *args) {
#ifdef ZKPOR_ADX_ASM
    if (use_adx) return PyUnicode_FromString("x86-64 mulx/adx");
#endif
    return PyUnicode_FromString("portable C");
}


static PyMethodDef methods[] = {
    {"g1_pack", py_g1_pack, METH_VARARGS,
     "g1_pack(points, big_endian=False, check=True) -> packed: canonical x||y (32 bytes "
     "each) to the kernels' form; ValueError for a coordinate >= p or (check) a point off "
     "the curve."},
    {"g2_pack", py_g2_pack, METH_VARARGS, "g2_pack(points, big_endian=False, check=True): as g1_pack over Fq2."},
    {"g1_unpack", py_g1_unpack, METH_VARARGS, "g1_unpack(packed) -> canonical little-endian x||y."},
    {"g2_unpack", py_g2_unpack, METH_VARARGS, "g2_unpack(packed) -> canonical little-endian coordinates."},
    {"fr_pack", py_fr_pack, METH_VARARGS, "fr_pack(scalars) -> Montgomery form (canonical input)."},
    {"msm_g1", py_msm_g1, METH_VARARGS, "msm_g1(packed_points, scalars, threads=1) -> sum k_i P_i."},
    {"msm_g2", py_msm_g2, METH_VARARGS, "msm_g2(packed_points, scalars, threads=1) -> sum k_i P_i."},
    {"fixed_base_g1", py_fixed_base_g1, METH_VARARGS, "fixed_base_g1(packed_base, scalars, threads=1) -> k_i B."},
    {"fixed_base_g2", py_fixed_base_g2, METH_VARARGS, "fixed_base_g2(packed_base, scalars, threads=1) -> k_i B."},
    {"lincombs_g1", py_lincombs_g1, METH_VARARGS,
     "lincombs_g1(packed_bases, colptr, rows, coefficients, threads=1) -> one point per column."},
    {"lincombs_g2", py_lincombs_g2, METH_VARARGS, "lincombs_g2(...): as lincombs_g1 over G2."},
    {"coset_ntt", py_coset_ntt, METH_VARARGS, "coset_ntt(coefficients, omega, shift) -> evaluations."},
    {"coset_intt", py_coset_intt, METH_VARARGS, "coset_intt(evaluations, omega_inv, shift_inv) -> coefficients."},
    {"prove", py_prove, METH_VARARGS, PROVE_DOC},
    {"prove_phases", py_prove_phases, METH_NOARGS, "prove_phases() -> {phase: seconds} of the last prove."},
    {"set_adx", py_set_adx, METH_VARARGS, "set_adx(on) -> previous: the mulx/adx field product."},
    {"features", py_features, METH_NOARGS, "features() -> what the field arithmetic runs on."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", "zkpor's native BN254 kernels.", -1, methods};

PyMODINIT_FUNC PyInit__native(void) {
#ifdef ZKPOR_ADX_ASM
    __builtin_cpu_init();
    use_adx = __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx");
#endif
    /* constants in Montgomery form */
    const fe three = {{3, 0, 0, 0}};
    mod_to_mont(&G1_B, &three, &FQ);
    const fe b2c0 = {{0x3267e6dc24a138e5ULL, 0xb5b4c5e559dbefa3ULL, 0x81be18991be06ac3ULL, 0x2b149d40ceb8aaaeULL}};
    const fe b2c1 = {{0xe4a2bd0685c315d2ULL, 0xa74fa084e52d1852ULL, 0xcd2cafadeed8fdf4ULL, 0x009713b03af0fed4ULL}};
    mod_to_mont(&G2_B.c0, &b2c0, &FQ);
    mod_to_mont(&G2_B.c1, &b2c1, &FQ);
    FQ2_ONE.c0 = FQ.one;
    memset(&FQ2_ONE.c1, 0, sizeof FQ2_ONE.c1);
    return PyModule_Create(&module);
}
