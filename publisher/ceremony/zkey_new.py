"""``snarkjs zkey new`` in Python: the initial (delta = 1) zkey of a circuit, byte for byte.

Every point is a linear combination of the phase-1 Lagrange points with the R1CS
coefficients (no FFT over points), as ``zkey_new.js`` composes them:

* row i < m is constraint i, rows m..m+nPublic hold the constant and public wires alone
  in A (coefficient 1): Groth16 needs the public polynomials independent;
* ``A_j = sum U_ij [L_i]_1``, ``B_j = sum V_ij [L_i]_1`` (and in G2),
  ``K_j = sum U_ij [beta L_i]_1 + V_ij [alpha L_i]_1 + W_ij [L_i]_1``: IC for
  j <= nPublic, C (the L query) for the private wires;
* H is the odd half of the size-2n Lagrange basis, ``[L^(2n)_(2i+1)(tau)]_1``;
* alpha, beta from phase 1, gamma = delta = the generators.

``csHash`` (blake2b-512, the circuit's identity that every contribution's transcript
starts from) hashes, uncompressed: alpha_1, beta_1, beta_2, gamma_2, delta_1, delta_2;
then each of IC, "H", C, A, B1, B2 as a big-endian u32 count and the points. Its "H"
part is snarkjs's older power-basis H, ``[tau^(i+n) - tau^i]_1`` for i < n - 1, read
from the ptau's tauG1 section: the reason ``new_zkey`` takes the ptau file too.

Term order: the iden3 ``.r1cs`` zkpor writes (``publisher.snark.iden3``) lists each linear
combination's non-zero terms by ascending wire; the coefficient section follows it.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence
from pathlib import Path

from publisher.ceremony.memo import Memo, file_sha256
from publisher.ceremony.points import add_g1s, lincombs_g1, lincombs_g2, neg_g1
from publisher.ceremony.ptau import TAU_G1, Phase1, PtauReader, checked_tau_g1, lagrange_matches
from publisher.ceremony.zkey import Coefficient, Zkey, ZkeyError
from publisher.snark.curve import G1, G1_GEN, G2, G2_GEN
from publisher.snark.qap import domain_size
from publisher.snark.r1cs import LC, ConstraintSystem, r1cs_digest
from verifier.field import R
from verifier.mpc_primitives import g1_uncompressed, g2_uncompressed

Log = Callable[[str], None]
#: (row, coefficient) terms of one wire's polynomial in the Lagrange basis.
Column = list[tuple[int, int]]


def _terms(lc: LC) -> list[tuple[int, int]]:
    """Return the non-zero terms of ``lc`` by ascending wire, as the .r1cs lists them."""
    return [(wire, coeff % R) for wire, coeff in sorted(lc.items()) if coeff % R]


Columns = tuple[list[Column], list[Column], list[Column], list[Coefficient]]
#: ``columns`` by R1CS digest (shared: callers must not change them).
_COLUMNS: Memo[Columns] = Memo()


def columns(cs: ConstraintSystem) -> Columns:
    """Return the u, v, w columns of every wire and the coefficient section's entries
    (the same lists for the same circuit: do not change them)."""
    digest = r1cs_digest(cs)
    known = _COLUMNS.get(digest)
    return known if known is not None else _COLUMNS.put(digest, _columns(cs))


def _columns(cs: ConstraintSystem) -> Columns:
    u: list[Column] = [[] for _ in range(cs.n_wires)]
    v: list[Column] = [[] for _ in range(cs.n_wires)]
    w: list[Column] = [[] for _ in range(cs.n_wires)]
    coefficients: list[Coefficient] = []
    for row, (a, b, c) in enumerate(cs.constraints):
        for wire, coeff in _terms(a):
            u[wire].append((row, coeff))
            coefficients.append((0, row, wire, coeff))
        for wire, coeff in _terms(b):
            v[wire].append((row, coeff))
            coefficients.append((1, row, wire, coeff))
        for wire, coeff in _terms(c):
            w[wire].append((row, coeff))
    m = len(cs.constraints)
    for wire in range(cs.n_public + 1):
        u[wire].append((m + wire, 1))
        coefficients.append((0, m + wire, wire, 1))
    return u, v, w, coefficients


def _power_h_bytes(ptau: Path, phase1: Phase1, sha256: str) -> bytes:
    """The circuit hash's "H" part: ``[tau^(i+n) - tau^i]_1`` for i < n - 1, uncompressed,
    from the tauG1 section of ``ptau`` (whose sha256 is ``sha256``; see ``tau_powers``)."""
    n = phase1.n
    powers = _tau_powers(ptau, phase1, sha256)
    differences = add_g1s(powers[n : 2 * n - 1], [neg_g1(q) for q in powers[: n - 1]])
    return b"".join(map(g1_uncompressed, differences))


def tau_powers(ptau: Path, phase1: Phase1) -> list[G1]:
    """Return ``[tau^k]_1`` for k < 2n - 1 from the ptau file, checked against ``phase1``
    (the first n against its Lagrange points), so that both come from one ceremony."""
    return _tau_powers(ptau, phase1, file_sha256(ptau))


def _tau_powers(ptau: Path, phase1: Phase1, sha256: str) -> list[G1]:
    """``tau_powers`` of the file whose sha256 is ``sha256``: the points ``load_phase1``
    read and checked with this very ``phase1`` from a file of those bytes if it did (the
    check here is one of its checks), else read and checked here."""
    n = phase1.n
    checked = checked_tau_g1(sha256, phase1)
    if checked is not None:
        return list(checked[: 2 * n - 1])
    with ptau.open("rb") as f:
        powers = PtauReader(f, ptau.name).g1(TAU_G1, 0, 2 * n - 1)
    if not lagrange_matches(powers[:n], phase1.lagrange_g1):
        raise ZkeyError(f"{ptau.name} is not the phase-1 file these Lagrange points come from")
    return powers


def _hash_points(h: hashlib.blake2b, points: Sequence[G1] | Sequence[G2], g2: bool = False) -> None:
    h.update(struct.pack(">I", len(points)))
    encode = g2_uncompressed if g2 else g1_uncompressed
    h.update(b"".join(encode(p) for p in points))  # type: ignore[arg-type]


def new_zkey(cs: ConstraintSystem, phase1: Phase1, ptau: Path, log: Log | None = None) -> Zkey:
    """Return the zkey ``snarkjs zkey new circuit.r1cs ptau out.zkey`` writes for ``cs``
    (``circuit.r1cs`` being ``publisher.snark.iden3.write_r1cs(cs)``); ``phase1`` read from
    ``ptau`` for this circuit's domain.

    The zkey derived in this process from the same circuit (R1CS digest), the same
    ``phase1`` object and a ptau file of the same bytes is returned again
    (``publisher.ceremony.memo``): ``finalize`` recomputes what ``init`` derived.
    """
    n = domain_size(cs)
    if phase1.n != n:
        raise ZkeyError(f"phase 1 was read for a domain of {phase1.n}, the circuit needs {n}")
    key = (r1cs_digest(cs), file_sha256(ptau))
    known = _DERIVED.get(key, (phase1,))
    if known is not None:
        if log:
            log("the initial zkey of this circuit and phase 1 was derived earlier in this run")
        return known
    zkey = _new_zkey(cs, phase1, ptau, key[1], log)
    _POINTS.put(key[0], zkey, (phase1,))
    if file_sha256(ptau) == key[1]:  # tauG1 was read from those very bytes
        _DERIVED.put(key, zkey, (phase1,))
    return zkey


#: Initial zkeys derived here, by R1CS digest, ptau sha256 and the Phase1 object; and by
#: R1CS digest and Phase1 object alone, for their points (which the ptau file does not
#: change: it only adds to the circuit hash).
_DERIVED: Memo[Zkey] = Memo()
_POINTS: Memo[Zkey] = Memo()


def derived_initial(cs: ConstraintSystem, phase1: Phase1) -> Zkey | None:
    """The initial zkey this process derived for ``cs`` from this very ``phase1`` object,
    or None: its IC, A, B1, B2, C and H are those phase 1 gives for the circuit."""
    return _POINTS.get(r1cs_digest(cs), (phase1,))


def _new_zkey(
    cs: ConstraintSystem, phase1: Phase1, ptau: Path, sha256: str, log: Log | None
) -> Zkey:
    n = phase1.n
    public = cs.n_public + 1
    u, v, w, coefficients = columns(cs)
    if log:
        log(f"A and B queries of {cs.n_wires} wires")
    a_g1 = lincombs_g1(phase1.lagrange_g1, u)
    b_g1 = lincombs_g1(phase1.lagrange_g1, v)
    b_g2 = lincombs_g2(phase1.lagrange_g2, v)
    if log:
        log(f"IC and C queries of {cs.n_wires} wires")
    bases = [*phase1.beta_lagrange_g1, *phase1.alpha_lagrange_g1, *phase1.lagrange_g1]
    k = lincombs_g1(
        bases,
        [
            [*u[j], *((n + i, c) for i, c in v[j]), *((2 * n + i, c) for i, c in w[j])]
            for j in range(cs.n_wires)
        ],
    )
    if log:
        log(f"circuit hash (reading tauG1 of {ptau.name})")
    power_h = _power_h_bytes(ptau, phase1, sha256)
    h = hashlib.blake2b(digest_size=64)
    for point in (phase1.alpha_g1, phase1.beta_g1):
        h.update(g1_uncompressed(point))
    h.update(g2_uncompressed(phase1.beta_g2) + g2_uncompressed(G2_GEN))
    h.update(g1_uncompressed(G1_GEN) + g2_uncompressed(G2_GEN))
    _hash_points(h, k[:public])
    h.update(struct.pack(">I", n - 1) + power_h)
    _hash_points(h, k[public:])
    _hash_points(h, a_g1)
    _hash_points(h, b_g1)
    _hash_points(h, b_g2, g2=True)
    return Zkey(
        n_vars=cs.n_wires,
        n_public=cs.n_public,
        domain_size=n,
        alpha_g1=phase1.alpha_g1,
        beta_g1=phase1.beta_g1,
        beta_g2=phase1.beta_g2,
        gamma_g2=G2_GEN,
        delta_g1=G1_GEN,
        delta_g2=G2_GEN,
        ic=tuple(k[:public]),
        coefficients=tuple(coefficients),
        a_g1=tuple(a_g1),
        b_g1=tuple(b_g1),
        b_g2=tuple(b_g2),
        c_g1=tuple(k[public:]),
        h_g1=phase1.odd_lagrange_2n_g1,
        cs_hash=h.digest(),
        contributions=(),
    )
