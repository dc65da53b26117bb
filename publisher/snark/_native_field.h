/* BN254 base field Fq, scalar field Fr and the quadratic extension Fq2, for _native.c.
 *
 * Elements are four 64-bit limbs, little-endian, in Montgomery form (a * 2^256 mod m);
 * 0 is 0 in both forms, which _native.c uses to mark the point at infinity. Both moduli
 * are below 2^254, so a sum of two reduced values never overflows 256 bits and the
 * Montgomery product (CIOS, with unsigned __int128) needs no fifth limb.
 */
#ifndef ZKPOR_NATIVE_FIELD_H
#define ZKPOR_NATIVE_FIELD_H

#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef struct { uint64_t l[4]; } fe;
typedef struct { fe c0, c1; } fe2; /* c0 + c1 * u, u^2 = -1 */

#define INLINE static inline __attribute__((always_inline))

typedef struct {
    uint64_t m[4];   /* modulus */
    uint64_t inv;    /* -m^-1 mod 2^64 */
    fe r2;           /* 2^512 mod m, to enter Montgomery form */
    fe one;          /* 2^256 mod m, 1 in Montgomery form */
} modulus_t;

static const modulus_t FQ = {
    {0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL},
    0x87d20782e4866389ULL,
    {{0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL, 0x47ab1eff0a417ff6ULL, 0x06d89f71cab8351fULL}},
    {{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL}},
};

static const modulus_t FR = {
    {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL},
    0xc2e1f593efffffffULL,
    {{0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL, 0x8c49833d53bb8085ULL, 0x0216d0b17f4e44a5ULL}},
    {{0xac96341c4ffffffbULL, 0x36fc76959f60cd29ULL, 0x666ea36f7879462eULL, 0x0e0a77c19a07df2fULL}},
};

/* ------------------------------------------------------------------ generic modulus */

INLINE int limbs_geq(const uint64_t a[4], const uint64_t b[4]) {
    for (int i = 3; i >= 0; i--) {
        if (a[i] != b[i]) return a[i] > b[i];
    }
    return 1;
}

INLINE void limbs_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a[i] - b[i] - borrow;
        r[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
}

/* r = t - m if t >= m else t, without a branch (a mispredicted branch per operation
 * costs more than the subtraction: the outcome is close to random). */
INLINE void reduce_once(uint64_t r[4], const uint64_t t[4], const uint64_t m[4]) {
    uint64_t s[4], borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)t[i] - m[i] - borrow;
        s[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    uint64_t keep = 0 - borrow; /* all ones when t < m */
    for (int i = 0; i < 4; i++) r[i] = (t[i] & keep) | (s[i] & ~keep);
}

INLINE void mod_add(fe *r, const fe *a, const fe *b, const modulus_t *M) {
    uint64_t t[4];
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        carry += (u128)a->l[i] + b->l[i];
        t[i] = (uint64_t)carry;
        carry >>= 64;
    }
    reduce_once(r->l, t, M->m); /* a + b < 2m < 2^255: no carry out */
}

INLINE void mod_sub(fe *r, const fe *a, const fe *b, const modulus_t *M) {
    uint64_t t[4], borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a->l[i] - b->l[i] - borrow;
        t[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    uint64_t mask = 0 - borrow; /* add m back when a < b */
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        carry += (u128)t[i] + (M->m[i] & mask);
        r->l[i] = (uint64_t)carry;
        carry >>= 64;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define ZKPOR_ADX_ASM 1
/* Set at module import when the CPU has BMI2 and ADX (every x86-64 CPU since 2014-2017):
 * then the product below runs as mulx with two independent carry chains (adcx, adox),
 * about twice as fast as what compilers make of the C code. The asm is only executed
 * when the flag is set, so a CPU without them is fine; tests run both paths. */
static int use_adx = 0;

/* The CIOS loop of mod_mul in asm (generated: four rounds of t += a * b[i], then
 * t += q * m with q = t0 * inv and a one-word shift by renaming the registers). */
INLINE void mod_mul_adx(fe *r, const fe *a, const fe *b, const modulus_t *M) {
    uint64_t t0, t1, t2, t3, t4, lo, hi, z;
    __asm__(
        "xorl %k[z], %k[z]\n\t"
        "movq %[z], %[t0]\n\t"
        "movq %[z], %[t1]\n\t"
        "movq %[z], %[t2]\n\t"
        "movq %[z], %[t3]\n\t"
        "movq %[z], %[t4]\n\t"
        "movq 0(%[b]), %%rdx\n\t"
        "xorl %k[z], %k[z]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t0]\n\t"
        "adcxq %[hi], %[t1]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t1]\n\t"
        "adcxq %[hi], %[t2]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t2]\n\t"
        "adcxq %[hi], %[t3]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t3]\n\t"
        "adcxq %[hi], %[t4]\n\t"
        "adoxq %[z], %[t4]\n\t"
        "movq %[t0], %%rdx\n\t"
        "imulq %[inv], %%rdx\n\t"
        "xorl %k[z], %k[z]\n\t"
        "mulxq 0(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t0]\n\t"
        "adcxq %[hi], %[t1]\n\t"
        "mulxq 8(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t1]\n\t"
        "adcxq %[hi], %[t2]\n\t"
        "mulxq 16(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t2]\n\t"
        "adcxq %[hi], %[t3]\n\t"
        "mulxq 24(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t3]\n\t"
        "adcxq %[hi], %[t4]\n\t"
        "adoxq %[z], %[t4]\n\t"
        "movq %[z], %[t0]\n\t"
        "movq 8(%[b]), %%rdx\n\t"
        "xorl %k[z], %k[z]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t1]\n\t"
        "adcxq %[hi], %[t2]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t2]\n\t"
        "adcxq %[hi], %[t3]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t3]\n\t"
        "adcxq %[hi], %[t4]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t4]\n\t"
        "adcxq %[hi], %[t0]\n\t"
        "adoxq %[z], %[t0]\n\t"
        "movq %[t1], %%rdx\n\t"
        "imulq %[inv], %%rdx\n\t"
        "xorl %k[z], %k[z]\n\t"
        "mulxq 0(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t1]\n\t"
        "adcxq %[hi], %[t2]\n\t"
        "mulxq 8(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t2]\n\t"
        "adcxq %[hi], %[t3]\n\t"
        "mulxq 16(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t3]\n\t"
        "adcxq %[hi], %[t4]\n\t"
        "mulxq 24(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t4]\n\t"
        "adcxq %[hi], %[t0]\n\t"
        "adoxq %[z], %[t0]\n\t"
        "movq %[z], %[t1]\n\t"
        "movq 16(%[b]), %%rdx\n\t"
        "xorl %k[z], %k[z]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t2]\n\t"
        "adcxq %[hi], %[t3]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t3]\n\t"
        "adcxq %[hi], %[t4]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t4]\n\t"
        "adcxq %[hi], %[t0]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t0]\n\t"
        "adcxq %[hi], %[t1]\n\t"
        "adoxq %[z], %[t1]\n\t"
        "movq %[t2], %%rdx\n\t"
        "imulq %[inv], %%rdx\n\t"
        "xorl %k[z], %k[z]\n\t"
        "mulxq 0(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t2]\n\t"
        "adcxq %[hi], %[t3]\n\t"
        "mulxq 8(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t3]\n\t"
        "adcxq %[hi], %[t4]\n\t"
        "mulxq 16(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t4]\n\t"
        "adcxq %[hi], %[t0]\n\t"
        "mulxq 24(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t0]\n\t"
        "adcxq %[hi], %[t1]\n\t"
        "adoxq %[z], %[t1]\n\t"
        "movq %[z], %[t2]\n\t"
        "movq 24(%[b]), %%rdx\n\t"
        "xorl %k[z], %k[z]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t3]\n\t"
        "adcxq %[hi], %[t4]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t4]\n\t"
        "adcxq %[hi], %[t0]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t0]\n\t"
        "adcxq %[hi], %[t1]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t1]\n\t"
        "adcxq %[hi], %[t2]\n\t"
        "adoxq %[z], %[t2]\n\t"
        "movq %[t3], %%rdx\n\t"
        "imulq %[inv], %%rdx\n\t"
        "xorl %k[z], %k[z]\n\t"
        "mulxq 0(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t3]\n\t"
        "adcxq %[hi], %[t4]\n\t"
        "mulxq 8(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t4]\n\t"
        "adcxq %[hi], %[t0]\n\t"
        "mulxq 16(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t0]\n\t"
        "adcxq %[hi], %[t1]\n\t"
        "mulxq 24(%[m]), %[lo], %[hi]\n\t"
        "adoxq %[lo], %[t1]\n\t"
        "adcxq %[hi], %[t2]\n\t"
        "adoxq %[z], %[t2]\n\t"
        "movq %[z], %[t3]\n\t"
        : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4),
          [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z)
        : [a] "r"(a->l), [b] "r"(b->l), [m] "r"(M->m), [inv] "m"(M->inv), "m"(*a), "m"(*b),
          "m"(*M)
        : "rdx", "cc");
    /* result in ['%[t4]', '%[t0]', '%[t1]', '%[t2]'] */
    const uint64_t t[4] = {t4, t0, t1, t2};
    reduce_once(r->l, t, M->m);
}
#endif

/* Montgomery product a * b / 2^256 mod m: CIOS without the extra carry word, valid
 * because the top limb of both moduli is below 2^63 - 1 (Gautam Botrel, "Faster
 * Montgomery multiplication", gnark-crypto). */
#ifdef ZKPOR_ADX_ASM
/* Out of line where the asm usually runs instead: inlining both at every product made
 * the extension take minutes to compile. */
#define MUL_C_ATTR static __attribute__((noinline))
#else
#define MUL_C_ATTR INLINE
#endif
MUL_C_ATTR void mod_mul_c(fe *r, const fe *a, const fe *b, const modulus_t *M) {
    const uint64_t *x = a->l, *m = M->m;
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t y = b->l[i];
        u128 A = (u128)x[0] * y + t0;
        uint64_t lo = (uint64_t)A, ah = (uint64_t)(A >> 64);
        uint64_t q = lo * M->inv;
        u128 C = (u128)q * m[0] + lo;
        uint64_t ch = (uint64_t)(C >> 64);
        A = (u128)x[1] * y + t1 + ah;
        ah = (uint64_t)(A >> 64);
        C = (u128)q * m[1] + (uint64_t)A + ch;
        t0 = (uint64_t)C;
        ch = (uint64_t)(C >> 64);
        A = (u128)x[2] * y + t2 + ah;
        ah = (uint64_t)(A >> 64);
        C = (u128)q * m[2] + (uint64_t)A + ch;
        t1 = (uint64_t)C;
        ch = (uint64_t)(C >> 64);
        A = (u128)x[3] * y + t3 + ah;
        ah = (uint64_t)(A >> 64);
        C = (u128)q * m[3] + (uint64_t)A + ch;
        t2 = (uint64_t)C;
        ch = (uint64_t)(C >> 64);
        t3 = ch + ah;
    }
    const uint64_t t[4] = {t0, t1, t2, t3};
    reduce_once(r->l, t, m);
}

INLINE void mod_mul(fe *r, const fe *a, const fe *b, const modulus_t *M) {
#ifdef ZKPOR_ADX_ASM
    if (use_adx) {
        mod_mul_adx(r, a, b, M);
        return;
    }
#endif
    mod_mul_c(r, a, b, M);
}

INLINE int fe_is_zero(const fe *a) { return (a->l[0] | a->l[1] | a->l[2] | a->l[3]) == 0; }
INLINE int fe_eq(const fe *a, const fe *b) { return memcmp(a, b, sizeof *a) == 0; }

static void mod_pow(fe *r, const fe *a, const uint64_t e[4], const modulus_t *M) {
    fe acc = M->one, base = *a;
    for (int i = 0; i < 4; i++) {
        uint64_t bits = e[i];
        for (int j = 0; j < 64; j++) {
            if (bits & 1) mod_mul(&acc, &acc, &base, M);
            mod_mul(&base, &base, &base, M);
            bits >>= 1;
        }
    }
    *r = acc;
}

/* a^(m-2): the inverse of a nonzero a (Fermat); 0 maps to 0. */
static void mod_inv(fe *r, const fe *a, const modulus_t *M) {
    uint64_t e[4];
    const uint64_t two[4] = {2, 0, 0, 0};
    limbs_sub(e, M->m, two);
    mod_pow(r, a, e, M);
}

/* Canonical little-endian limbs -> Montgomery form (the input must be < m). */
INLINE void mod_to_mont(fe *r, const fe *a, const modulus_t *M) { mod_mul(r, a, &M->r2, M); }

INLINE void mod_from_mont(fe *r, const fe *a, const modulus_t *M) {
    const fe one = {{1, 0, 0, 0}};
    mod_mul(r, a, &one, M);
}

/* ------------------------------------------------------------------ Fq */

INLINE void fq_add(fe *r, const fe *a, const fe *b) { mod_add(r, a, b, &FQ); }
INLINE void fq_sub(fe *r, const fe *a, const fe *b) { mod_sub(r, a, b, &FQ); }
INLINE void fq_mul(fe *r, const fe *a, const fe *b) { mod_mul(r, a, b, &FQ); }
INLINE void fq_sqr(fe *r, const fe *a) { mod_mul(r, a, a, &FQ); }
INLINE void fq_dbl(fe *r, const fe *a) { mod_add(r, a, a, &FQ); }
INLINE void fq_neg(fe *r, const fe *a) {
    const fe zero = {{0, 0, 0, 0}};
    mod_sub(r, &zero, a, &FQ);
}
static void fq_inv(fe *r, const fe *a) { mod_inv(r, a, &FQ); }

/* ------------------------------------------------------------------ Fr */

INLINE void fr_add(fe *r, const fe *a, const fe *b) { mod_add(r, a, b, &FR); }
INLINE void fr_sub(fe *r, const fe *a, const fe *b) { mod_sub(r, a, b, &FR); }
INLINE void fr_mul(fe *r, const fe *a, const fe *b) { mod_mul(r, a, b, &FR); }
static void fr_inv(fe *r, const fe *a) { mod_inv(r, a, &FR); }

/* ------------------------------------------------------------------ Fq2 = Fq[u]/(u^2+1) */

INLINE void fq2_add(fe2 *r, const fe2 *a, const fe2 *b) {
    fq_add(&r->c0, &a->c0, &b->c0);
    fq_add(&r->c1, &a->c1, &b->c1);
}
INLINE void fq2_sub(fe2 *r, const fe2 *a, const fe2 *b) {
    fq_sub(&r->c0, &a->c0, &b->c0);
    fq_sub(&r->c1, &a->c1, &b->c1);
}
INLINE void fq2_dbl(fe2 *r, const fe2 *a) {
    fq_dbl(&r->c0, &a->c0);
    fq_dbl(&r->c1, &a->c1);
}
INLINE void fq2_neg(fe2 *r, const fe2 *a) {
    fq_neg(&r->c0, &a->c0);
    fq_neg(&r->c1, &a->c1);
}
/* Karatsuba: 3 base multiplications. */
INLINE void fq2_mul(fe2 *r, const fe2 *a, const fe2 *b) {
    fe v0, v1, s, t;
    fq_mul(&v0, &a->c0, &b->c0);
    fq_mul(&v1, &a->c1, &b->c1);
    fq_add(&s, &a->c0, &a->c1);
    fq_add(&t, &b->c0, &b->c1);
    fq_mul(&s, &s, &t);
    fq_sub(&r->c0, &v0, &v1);
    fq_sub(&s, &s, &v0);
    fq_sub(&r->c1, &s, &v1);
}
/* (a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u. */
INLINE void fq2_sqr(fe2 *r, const fe2 *a) {
    fe s, d, m;
    fq_add(&s, &a->c0, &a->c1);
    fq_sub(&d, &a->c0, &a->c1);
    fq_mul(&m, &a->c0, &a->c1);
    fq_mul(&r->c0, &s, &d);
    fq_dbl(&r->c1, &m);
}
/* 1/(a0 + a1 u) = (a0 - a1 u) / (a0^2 + a1^2). */
static void fq2_inv(fe2 *r, const fe2 *a) {
    fe n, t;
    fq_sqr(&n, &a->c0);
    fq_sqr(&t, &a->c1);
    fq_add(&n, &n, &t);
    fq_inv(&n, &n);
    fq_mul(&r->c0, &a->c0, &n);
    fq_mul(&t, &a->c1, &n);
    fq_neg(&r->c1, &t);
}
INLINE int fq2_is_zero(const fe2 *a) { return fe_is_zero(&a->c0) && fe_is_zero(&a->c1); }
INLINE int fq2_eq(const fe2 *a, const fe2 *b) { return memcmp(a, b, sizeof *a) == 0; }

/* ------------------------------------------------------------------ scalars */

/* Bits [pos, pos + c) of a 256-bit little-endian scalar (c <= 32). */
INLINE uint32_t scalar_bits(const uint64_t s[4], unsigned pos, unsigned c) {
    unsigned limb = pos >> 6, off = pos & 63;
    if (limb >= 4) return 0;
    uint64_t v = s[limb] >> off;
    if (off + c > 64 && limb + 1 < 4) v |= s[limb + 1] << (64 - off);
    return (uint32_t)(v & ((1ULL << c) - 1));
}

INLINE int scalar_is(const uint64_t s[4], uint64_t v) {
    return s[0] == v && (s[1] | s[2] | s[3]) == 0;
}

#endif
