"""Read and check a snarkjs Powers of Tau file (``.ptau``) prepared for phase 2.

Phase 1 of a Groth16 setup (the powers of a secret tau, and alpha, beta) is circuit
independent: custodians start from a public community ceremony instead of trusting
themselves. This module reads the part of such a file that keys for a domain of size
``n`` need, checks that it is well formed *before* anything is derived from it, and
records the file's hashes so that everyone can tell which ceremony was used.

File layout (snarkjs ``binfileutils``; integers little-endian): ``"ptau"``, u32 version 1,
u32 section count, then per section u32 id, u64 size, data:

==  ===========  ==================================================================
1   header       u32 n8 (= 32), q (n8 bytes: the base field modulus), u32 power,
                 u32 ceremony power
2   tauG1        ``[tau^k]_1`` for k < 2^(power+1) - 1
3   tauG2        ``[tau^k]_2`` for k < 2^power
4   alphaTauG1   ``[alpha tau^k]_1`` for k < 2^power
5   betaTauG1    ``[beta tau^k]_1`` for k < 2^power
6   betaG2       ``[beta]_2``
7   contributions (the phase-1 transcript; only the contributor names are read here)
12  Lagrange forms of sections 2..5 (``prepare phase2``): for every size m = 2^0,
..  2^1, .., 2^power (section 12 also 2^(power+1)) the points ``[L_i(tau)]``,
15  i < m, of the basis of the m-th roots of unity; the size-m block starts at point
    m - 1. The top block of section 12 is made from tauG1 with its missing last power
    set to infinity.
==  ===========  ==================================================================

A G1 point is ``x || y``, a G2 point ``x.c0 || x.c1 || y.c0 || y.c1``, each coordinate
32 bytes little-endian in Montgomery form (``a * 2^256 mod p``); all zeros is infinity.

Checks (``load_phase1``), each failing with ``PtauError`` naming what is wrong:

1. the header is BN254 and large enough (``n <= 2^power``), every section is present
   with its exact size, every coordinate is below p and every point on its curve; the G2
   points used are in G2; tau, alpha, beta are not 0 and tau is not 1 (an unchallenged
   ``powersoftau new`` file);
2. consecutive powers: ``e(sum z_k T_k, [tau]_2) = e(sum z_k T_(k+1), g2)`` for tauG1
   (k < 2n), alphaTauG1 and betaTauG1 (k < n), with random z; ``[beta]_1`` and
   ``[beta]_2`` have the same logarithm;
3. the Lagrange blocks used are the Lagrange forms of those powers: since
   ``x^k = sum_i omega^(ik) L_i(x)``, ``sum z_k T_k = sum_i NTT(z)_i [L_i]`` (an MSM
   equality, no pairing) for tauG1 (sizes n and 2n), alphaTauG1 and betaTauG1; the
   tauG2 block agrees with the tauG1 block by a pairing.

Random z make a wrong point pass with probability below 2^-128. What no check can tell
is whether tau is really unknown: that is the trust in the phase-1 ceremony, identified
by the file's hashes (compare them with the ceremony's published ones), and what its own
tool checks (``snarkjs powersoftau verify``). This module never writes anything.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from publisher.ceremony.memo import Memo
from publisher.ceremony.points import (
    g1s_from_lem,
    g2_not_in_subgroup,
    g2s_from_lem,
    random_weights,
)
from publisher.snark.curve import (
    G1,
    G1_GEN,
    G2,
    G2_GEN,
    g1_is_on_curve,
    g1_neg,
    g2_is_on_curve,
    g2_neg,
)
from publisher.snark.msm import msm_g1, msm_g2
from publisher.snark.ntt import ntt
from publisher.snark.pairing import FAST_OPS
from verifier.ceremony_crypto import failed_pairing_check
from verifier.errors import ZkporError
from verifier.field import P

MAGIC = b"ptau"
VERSION = 1
HEADER, TAU_G1, TAU_G2, ALPHA_TAU_G1, BETA_TAU_G1, BETA_G2, CONTRIBUTIONS = 1, 2, 3, 4, 5, 6, 7
LAGRANGE_TAU_G1, LAGRANGE_TAU_G2, LAGRANGE_ALPHA_G1, LAGRANGE_BETA_G1 = 12, 13, 14, 15
N8 = 32
G1_BYTES, G2_BYTES = 2 * N8, 4 * N8
#: snarkjs supports powers up to 28 (the 2-adicity of r - 1).
MAX_POWER = 28
_MONT_INV = pow(1 << 256, -1, P)
_CHUNK = 1 << 20
_CHECK_BITS = 128

Log = Callable[[str], None]


class PtauError(ZkporError):
    """The Powers of Tau file is unreadable, not for BN254, too small or inconsistent."""


def _expected_sizes(power: int) -> dict[int, int]:
    """Return the byte size of every point section of a prepared file of ``power``."""
    n = 1 << power
    return {
        TAU_G1: (2 * n - 1) * G1_BYTES,
        TAU_G2: n * G2_BYTES,
        ALPHA_TAU_G1: n * G1_BYTES,
        BETA_TAU_G1: n * G1_BYTES,
        BETA_G2: G2_BYTES,
        LAGRANGE_TAU_G1: (4 * n - 1) * G1_BYTES,
        LAGRANGE_TAU_G2: (2 * n - 1) * G2_BYTES,
        LAGRANGE_ALPHA_G1: (2 * n - 1) * G1_BYTES,
        LAGRANGE_BETA_G1: (2 * n - 1) * G1_BYTES,
    }


def file_digests(path: Path, log: Log | None = None) -> tuple[str, str]:
    """Return the (sha256, blake2b-512) hex digests of the file, read in 1 MiB chunks.

    snarkjs's README lists the blake2b-512 of the community files; zkpor records both.
    """
    sha, blake = hashlib.sha256(), hashlib.blake2b(digest_size=64)
    if log:
        log(f"hashing {path.name}")
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
            blake.update(chunk)
    return sha.hexdigest(), blake.hexdigest()


class PtauReader:
    """Random access to the sections of a ``.ptau`` file: only the ranges asked for are read."""

    def __init__(self, f: BinaryIO, name: str) -> None:
        self._f = f
        self.name = name
        self.sections: dict[int, tuple[int, int]] = {}
        self._read_table()
        self.power, self.ceremony_power = self._read_header()

    def _fail(self, reason: str) -> PtauError:
        return PtauError(f"{self.name}: {reason}")

    def _exact(self, size: int) -> bytes:
        data = self._f.read(size)
        if len(data) != size:
            raise self._fail("the file is truncated")
        return data

    def _read_table(self) -> None:
        """Record (offset, size) of every section, seeking over their data."""
        self._f.seek(0)
        magic, version, count = struct.unpack("<4sII", self._exact(12))
        if magic != MAGIC:
            raise self._fail('not a Powers of Tau file (no "ptau" magic)')
        if version != VERSION:
            raise self._fail(f"ptau format version {version}, expected {VERSION}")
        for _ in range(count):
            section, size = struct.unpack("<IQ", self._exact(12))
            offset = self._f.tell()
            if section in self.sections:
                raise self._fail(f"section {section} appears twice")
            self.sections[section] = (offset, size)
            self._f.seek(offset + size)
        end = self._f.tell()
        if self._f.seek(0, 2) != end:
            raise self._fail("the file is truncated or has trailing bytes")

    def _read_header(self) -> tuple[int, int]:
        if HEADER not in self.sections:
            raise self._fail("no header section")
        offset, size = self.sections[HEADER]
        self._f.seek(offset)
        (n8,) = struct.unpack("<I", self._exact(4))
        if n8 != N8 or size != 4 + N8 + 8:
            raise self._fail(f"field elements of {n8} bytes: not a BN254 file")
        q = int.from_bytes(self._exact(N8), "little")
        if q != P:
            raise self._fail("its curve is not BN254 (alt_bn128)")
        power, ceremony_power = struct.unpack("<II", self._exact(8))
        if not 1 <= power <= MAX_POWER:
            raise self._fail(f"power {power} is out of range [1, {MAX_POWER}]")
        missing = [s for s in (12, 13, 14, 15) if s not in self.sections]
        if missing:
            raise self._fail(
                "it is not prepared for phase 2 (no Lagrange sections): "
                "run `snarkjs powersoftau prepare phase2` on it first"
            )
        for section, size in _expected_sizes(power).items():
            if section not in self.sections:
                raise self._fail(f"section {section} is missing")
            if self.sections[section][1] != size:
                raise self._fail(
                    f"section {section} has {self.sections[section][1]} bytes, "
                    f"expected {size} for power {power}"
                )
        return power, ceremony_power

    def _data(self, section: int, start: int, count: int, width: int) -> bytes:
        """Return the bytes of points start..start+count of ``section``."""
        offset, size = self.sections[section]
        if (start + count) * width > size:
            raise self._fail(f"section {section} has fewer than {start + count} points")
        self._f.seek(offset + start * width)
        return self._exact(count * width)

    def _coordinates(self, section: int, data: bytes) -> list[int]:
        """Return the plain (non-Montgomery) coordinates of the points of ``data``."""
        out = []
        for i in range(0, len(data), N8):
            value = int.from_bytes(data[i : i + N8], "little")
            if value >= P:
                raise self._fail(f"section {section} holds a coordinate that is not below p")
            out.append(value * _MONT_INV % P)
        return out

    def g1(self, section: int, start: int, count: int) -> list[G1]:
        """Return ``count`` G1 points of ``section`` from point ``start``, curve-checked."""
        data = self._data(section, start, count, G1_BYTES)
        fast = g1s_from_lem(data)  # checked in bulk; None: found below, point by point
        if fast is not None:
            return fast
        c = self._coordinates(section, data)
        points: list[G1] = [
            None if c[i] == c[i + 1] == 0 else (c[i], c[i + 1]) for i in range(0, len(c), 2)
        ]
        for k, point in enumerate(points):
            if not g1_is_on_curve(point):
                raise self._fail(f"section {section} point {start + k} is not on the curve")
        return points

    def g2(self, section: int, start: int, count: int) -> list[G2]:
        """Return ``count`` G2 points of ``section`` from point ``start``, curve-checked."""
        data = self._data(section, start, count, G2_BYTES)
        fast = g2s_from_lem(data)
        if fast is not None:
            return fast
        c = self._coordinates(section, data)
        points: list[G2] = [
            None if not any(c[i : i + 4]) else ((c[i], c[i + 1]), (c[i + 2], c[i + 3]))
            for i in range(0, len(c), 4)
        ]
        for k, point in enumerate(points):
            if not g2_is_on_curve(point):
                raise self._fail(f"section {section} point {start + k} is not on the twist")
        return points

    def contributor_names(self) -> list[str]:
        """Return the names of the phase-1 contributions (empty names for anonymous ones)."""
        if CONTRIBUTIONS not in self.sections:
            return []
        offset, size = self.sections[CONTRIBUTIONS]
        self._f.seek(offset)
        data = self._exact(size)
        (count,) = struct.unpack_from("<I", data, 0)
        pos, names = 4, []
        # Per contribution: 5 points, the public key (6 G1 + 3 G2), a 216-byte partial
        # hash, a 64-byte challenge, u32 type, then u32 length and typed parameters.
        fixed = 3 * G1_BYTES + 2 * G2_BYTES + 6 * G1_BYTES + 3 * G2_BYTES + 216 + 64 + 4
        for _ in range(count):
            pos += fixed
            if pos + 4 > len(data):
                raise self._fail("the contributions section is truncated")
            (length,) = struct.unpack_from("<I", data, pos)
            params, pos, name = data[pos + 4 : pos + 4 + length], pos + 4 + length, ""
            if len(params) >= 2 and params[0] == 1:
                name = params[2 : 2 + params[1]].decode("utf-8", "replace")
            names.append(name)
        return names


@dataclass(frozen=True)
class Phase1:
    """What Groth16 keys for a domain of size ``n`` take from a phase-1 ceremony."""

    sha256: str
    blake2b: str
    power: int
    n: int
    contributors: tuple[str, ...]
    #: ``[alpha]_1``, ``[beta]_1``, ``[beta]_2``.
    alpha_g1: G1
    beta_g1: G1
    beta_g2: G2
    #: ``[L_i(tau)]_1`` and ``[L_i(tau)]_2`` for the size-n domain.
    lagrange_g1: tuple[G1, ...]
    lagrange_g2: tuple[G2, ...]
    #: ``[alpha L_i(tau)]_1`` and ``[beta L_i(tau)]_1``.
    alpha_lagrange_g1: tuple[G1, ...]
    beta_lagrange_g1: tuple[G1, ...]
    #: ``[L^(2n)_(2i+1)(tau)]_1``: the odd half of the size-2n basis (the H query's).
    odd_lagrange_2n_g1: tuple[G1, ...]


def load_phase1(
    path: Path, n: int, log: Log | None = None, expected_sha256: str | None = None
) -> Phase1:
    """Return the phase-1 points for domain size ``n`` from the file, after every check.

    With ``expected_sha256``, a file with another hash is refused before anything is read.
    A file whose bytes (sha256 and blake2b, read again here) passed every check for ``n``
    earlier in this process gives the same ``Phase1`` object back (``publisher.ceremony.memo``).
    """
    if n < 1 or n & (n - 1):
        raise PtauError(f"domain size {n} is not a power of two")
    sha, blake = file_digests(path, log)
    if expected_sha256 is not None and sha != expected_sha256:
        raise PtauError(
            f"{path.name} is not the phase-1 file the ceremony started from: its sha256 is "
            f"{sha[:16]}…, the ceremony's {expected_sha256[:16]}…"
        )
    checked = _CHECKED.get((sha, blake, n))
    if checked is not None:
        if log:
            log(f"{path.name} passed every check earlier in this run (same sha256)")
        return checked
    phase1, tau_g1 = _load_checked(path, n, sha, blake, log)
    if file_digests(path) == (sha, blake):  # the points were read from those very bytes
        _CHECKED.put((sha, blake, n), phase1)
        _TAU_G1.put(sha, tuple(tau_g1), (phase1,))
    return phase1


#: Phase-1 files (by sha256, blake2b and domain size) that passed every check here; and
#: the tauG1 points read with each (by file sha256 and the very Phase1 object).
_CHECKED: Memo[Phase1] = Memo()
_TAU_G1: Memo[tuple[G1, ...]] = Memo()


def checked_tau_g1(sha256: str, phase1: Phase1) -> tuple[G1, ...] | None:
    """The first min(2n, 2^(power+1) - 1) points of tauG1 that ``load_phase1`` read with
    this very ``phase1`` object, and checked with it (consecutive powers, Lagrange forms
    of sizes n and 2n), from a file whose sha256 is ``sha256``; None if it did not."""
    return _TAU_G1.get(sha256, (phase1,))


def _load_checked(
    path: Path, n: int, sha: str, blake: str, log: Log | None
) -> tuple[Phase1, list[G1]]:
    """Read the points of the file whose digests are ``sha`` and ``blake``, check them;
    return them with the tauG1 points read."""
    with path.open("rb") as f:
        reader = PtauReader(f, path.name)
        if n > 1 << reader.power:
            raise PtauError(
                f"{path.name} has power {reader.power} (domains up to {1 << reader.power}); "
                f"this circuit needs a domain of {n}: use a file of power "
                f"{n.bit_length() - 1} or more"
            )
        if log:
            log(f"reading the points of {path.name} for a domain of {n}")
        # tauG1 holds 2^(power+1) - 1 powers: at the top size the last one is missing.
        m = min(2 * n, (2 << reader.power) - 1)
        tau_g1 = reader.g1(TAU_G1, 0, m)
        tau_g2 = reader.g2(TAU_G2, 0, 2)
        alpha_tau = reader.g1(ALPHA_TAU_G1, 0, n)
        beta_tau = reader.g1(BETA_TAU_G1, 0, n)
        (beta_g2,) = reader.g2(BETA_G2, 0, 1)
        lag_g1 = reader.g1(LAGRANGE_TAU_G1, n - 1, n)
        lag_2n = reader.g1(LAGRANGE_TAU_G1, 2 * n - 1, 2 * n)
        lag_g2 = reader.g2(LAGRANGE_TAU_G2, n - 1, n)
        lag_alpha = reader.g1(LAGRANGE_ALPHA_G1, n - 1, n)
        lag_beta = reader.g1(LAGRANGE_BETA_G1, n - 1, n)
        names = reader.contributor_names()
    fail = f"{path.name}: "
    _check_points(fail, tau_g1, tau_g2, alpha_tau, beta_tau, beta_g2, lag_g2, log)
    if log:
        log("checking that the powers are consecutive (pairings)")
    _check_powers(fail, tau_g1, tau_g2[1], alpha_tau, beta_tau, beta_g2, lag_g1, lag_g2)
    if log:
        log("checking the Lagrange sections against the powers")
    padded = tau_g1 + [None] * (2 * n - m)
    for name, powers, lagrange in (
        (f"tauG1 (size {n})", tau_g1[:n], lag_g1),
        (f"tauG1 (size {2 * n})", padded, lag_2n),
        (f"alphaTauG1 (size {n})", alpha_tau, lag_alpha),
        (f"betaTauG1 (size {n})", beta_tau, lag_beta),
    ):
        if not lagrange_matches(powers, lagrange):
            raise PtauError(f"{fail}the Lagrange section of {name} is not that of its powers")
    phase1 = Phase1(
        sha256=sha,
        blake2b=blake,
        power=reader.power,
        n=n,
        contributors=tuple(names),
        alpha_g1=alpha_tau[0],
        beta_g1=beta_tau[0],
        beta_g2=beta_g2,
        lagrange_g1=tuple(lag_g1),
        lagrange_g2=tuple(lag_g2),
        alpha_lagrange_g1=tuple(lag_alpha),
        beta_lagrange_g1=tuple(lag_beta),
        odd_lagrange_2n_g1=tuple(lag_2n[1::2]),
    )
    return phase1, tau_g1


def _check_points(
    fail: str,
    tau_g1: list[G1],
    tau_g2: list[G2],
    alpha_tau: list[G1],
    beta_tau: list[G1],
    beta_g2: G2,
    lag_g2: list[G2],
    log: Log | None,
) -> None:
    """Refuse wrong generators, degenerate secrets and G2 points outside G2."""
    if tau_g1[0] != G1_GEN or tau_g2[0] != G2_GEN:
        raise PtauError(f"{fail}the first powers of tau are not the generators")
    if tau_g1[1] is None or tau_g2[1] is None or alpha_tau[0] is None or beta_tau[0] is None:
        raise PtauError(f"{fail}tau, alpha or beta is 0: anyone could forge proofs")
    if tau_g1[1] == G1_GEN:
        raise PtauError(f"{fail}tau is 1: the file has no contribution (a fresh `new` file)")
    if log:
        log(f"checking that {len(lag_g2) + 2} G2 points are in G2")
    named = [("tauG2[1]", tau_g2[1]), ("betaG2", beta_g2)] + [
        (f"Lagrange tauG2[{i}]", q) for i, q in enumerate(lag_g2)
    ]
    bad = g2_not_in_subgroup([q for _, q in named])
    if bad:
        raise PtauError(f"{fail}{named[bad[0]][0]} is not in the order-r subgroup G2")


def _random_scalars(count: int) -> list[int]:
    return random_weights(count, _CHECK_BITS)


def _check_powers(
    fail: str,
    tau_g1: list[G1],
    tau_g2_1: G2,
    alpha_tau: list[G1],
    beta_tau: list[G1],
    beta_g2: G2,
    lag_g1: list[G1],
    lag_g2: list[G2],
) -> None:
    """Run the pairing checks of consecutive powers, beta and the tauG2 Lagrange block."""
    checks = []
    for name, powers in (("tauG1", tau_g1), ("alphaTauG1", alpha_tau), ("betaTauG1", beta_tau)):
        if len(powers) < 2:
            continue
        z = _random_scalars(len(powers) - 1)
        lower, upper = msm_g1(powers[:-1], z), msm_g1(powers[1:], z)
        checks.append(
            (
                f"the {name} points are not consecutive powers of tau",
                [(lower, tau_g2_1), (g1_neg(upper), G2_GEN)],
            )
        )
    checks.append(
        ("betaG2 does not match betaTauG1[0]", [(beta_tau[0], G2_GEN), (g1_neg(G1_GEN), beta_g2)])
    )
    z = _random_scalars(len(lag_g1))
    checks.append(
        (
            "the Lagrange section of tauG2 does not match that of tauG1",
            [(msm_g1(lag_g1, z), G2_GEN), (G1_GEN, g2_neg(msm_g2(lag_g2, z)))],
        )
    )
    failed = failed_pairing_check(checks, ops=FAST_OPS)
    if failed is not None:
        raise PtauError(f"{fail}{failed}")


def lagrange_matches(powers: Sequence[G1], lagrange: Sequence[G1]) -> bool:
    """Return whether ``lagrange`` is the Lagrange form of ``powers`` (same length m).

    With ``x^k = sum_i omega^(ik) L_i(x)`` on the m-th roots of unity,
    ``sum_k z_k [tau^k] = sum_i NTT(z)_i [L_i(tau)]`` for any z: one MSM per side.
    """
    z = _random_scalars(len(powers))
    return msm_g1(list(powers), z) == msm_g1(list(lagrange), ntt(z))
