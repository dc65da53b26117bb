"""A single-party Powers of Tau file made by zkpor, for demos only: NOT for production.

``zkpor demo`` runs a real phase-2 ceremony, which starts from a phase-1 file prepared for
phase 2. A community file (e.g. the Hermez / PSE perpetual powers of tau) is what a
published attestation must use: its tau, alpha and beta come from many contributors and
nobody knows them. Preparing such a file with ``snarkjs powersoftau prepare phase2`` takes
~45 minutes at power 16 here and needs node, so the demo makes its own instead: fresh
secret tau, alpha, beta drawn from the OS (``secrets``), used to write every point and
then dropped (never written, printed or returned; Python cannot wipe memory). Whoever ran
this could forge proofs for any circuit set up from the file: it has exactly one
contributor, named ``DEMO_CONTRIBUTOR`` in its contributions section, so every reader of
the file (``zkpor ceremony``, the transcript's ``ptau.contributors``, ``snarkjs
powersoftau verify``) shows that it is the demo's.

The file has the layout ``publisher.ceremony.ptau`` documents and reads (snarkjs's, sections 1-7
and 12-15), so it goes through the same ``load_phase1`` checks as a community file.
Since the secrets are known while writing, every point is a fixed-base multiplication of
a generator (``publisher.snark.msm.fixed_base_g1/g2``): the powers ``tau^k``, ``alpha tau^k``,
``beta tau^k``, and for every size m = 2^j the Lagrange values
``L_i(tau) = omega^i (tau^m - 1) / (m (tau - omega^i))`` (``publisher.snark.qap.lagrange_at``,
one batch inversion per size). The top block of section 12 follows snarkjs: it is the
Lagrange form of tauG1 with its missing last power set to 0, i.e. ``L_i(tau) -
omega^i tau^(m-1) / m`` for m = 2^(power+1).

The contributions section holds one snarkjs phase-1 contribution (``publisher.ceremony.ptau_pok``):
the proofs of knowledge of tau, alpha and beta against the first challenge of a fresh
``powersoftau new`` of the same power, and the hash chain, so that ``snarkjs powersoftau
verify`` accepts the file as a one-contribution ceremony. That proves the file is
consistent, never that its secrets were forgotten.

Files are cached in ``$ZKPOR_CACHE/ptau`` by power (phase 1 does not depend on the
circuit; the ceremony records the file's hashes anyway).
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from publisher.ceremony.points import (
    fixed_base_plain,
    g1s_lem,
    g2s_lem,
    native_backend,
    plain_lem,
    plain_points,
    plain_uncompressed,
)
from publisher.ceremony.ptau import (
    ALPHA_TAU_G1,
    BETA_G2,
    BETA_TAU_G1,
    CONTRIBUTIONS,
    G1_BYTES,
    G2_BYTES,
    HEADER,
    LAGRANGE_ALPHA_G1,
    LAGRANGE_BETA_G1,
    LAGRANGE_TAU_G1,
    LAGRANGE_TAU_G2,
    MAGIC,
    MAX_POWER,
    N8,
    TAU_G1,
    TAU_G2,
    VERSION,
)
from publisher.ceremony.ptau_pok import (
    Phase1Contribution,
    contribution_section,
    g1_uncompressed,
    g2_uncompressed,
    phase1_contribution,
)
from publisher.files import atomic_writer
from publisher.snark.batch import default_cache_dir
from publisher.snark.curve import G1, G1_GEN, G2, G2_GEN
from publisher.snark.msm import fixed_base_g1, fixed_base_g2
from publisher.snark.ntt import domain_root
from publisher.snark.qap import lagrange_at
from verifier.errors import ZkporError
from verifier.field import P, R

#: The contributor name written into every demo file (snarkjs keeps at most 64 bytes).
DEMO_CONTRIBUTOR = "zkpor demo phase 1 (single party, NOT for production)"
DEMO_PTAU_WARNING = (
    "this phase-1 file was made by one party (zkpor, on this machine) for demos only: "
    "whoever made it could forge proofs. A published attestation must start from a public "
    "Powers of Tau ceremony's file (e.g. the Hermez / PSE perpetual powers of tau)."
)
#: Bump when the files written change, so that cached files are made afresh.
FILE_VERSION = 1
#: Points per fixed-base call: large enough to amortize its table, small enough for memory.
_CHUNK = 1 << 15
_MIN_POWER = 1

#: Called with (points written, points in the file).
Progress = Callable[[int, int], None]


class DemoPtauError(ZkporError):
    """The demo phase-1 file cannot be made (a bad power, a write failure)."""


def point_count(power: int) -> int:
    """Return the number of points a prepared file of ``power`` holds (G1 and G2)."""
    n = 1 << power
    return (2 * n - 1) + n + n + n + 1 + (4 * n - 1) + 3 * (2 * n - 1)


def _secret() -> int:
    return 1 + secrets.randbelow(R - 1)


def _draw_tau(power: int) -> int:
    """Return a secret tau that is no root of unity of order <= 2^(power+1).

    A root of unity would put tau on a Lagrange domain (a division by zero); the chance
    is about 2^(power+1-254), but it is checked, not assumed.
    """
    while True:
        tau = _secret()
        if tau != 1 and pow(tau, 2 << power, R) != 1:
            return tau


def _powers(x: int, count: int, factor: int = 1) -> list[int]:
    """Return ``factor * x^k`` mod r for k < count."""
    out, value = [], factor % R
    for _ in range(count):
        out.append(value)
        value = value * x % R
    return out


def _lagrange_values(tau: int, power: int) -> list[int]:
    """Return the scalars of section 12: ``L_i(tau)`` for sizes 1, 2, .., 2^(power+1).

    The top block is the Lagrange form of powers whose last one is 0, as snarkjs makes
    it from tauG1 (which holds 2^(power+1) - 1 powers): with ``x^k = sum_i omega^(ik)
    L_i(x)``, dropping ``tau^(m-1)`` takes ``omega^(-i(m-1)) tau^(m-1) / m =
    omega^i tau^(m-1) / m`` from ``L_i(tau)``. The first 2^(power+1) - 1 values are the
    scalars of sections 13..15 too.
    """
    out: list[int] = []
    for j in range(power + 1):
        out += lagrange_at(tau, 1 << j)
    m = 2 << power
    last = pow(tau, m - 1, R) * pow(m, -1, R) % R
    top = zip(lagrange_at(tau, m), _powers(domain_root(m), m), strict=True)
    return out + [(li - w * last) % R for li, w in top]


def _scaled(values: Sequence[int], factor: int) -> list[int]:
    return [v * factor % R for v in values]


class _Writer:
    """Streams sections into a binary file; hashes sections 2..6 as snarkjs does."""

    def __init__(self, f: BinaryIO, total: int, progress: Progress | None) -> None:
        self.f = f
        self.total = total
        self.done = 0
        self.progress = progress
        #: snarkjs's next challenge: blake2b of the response hash, then the uncompressed
        #: points of sections 2..6 (fed while ``hashing``).
        self.challenge = hashlib.blake2b(digest_size=64)
        self.hashing = False
        self.sample: dict[int, list[G1] | list[G2]] = {}

    def section(self, section: int, body: Iterator[bytes], size: int) -> None:
        """Write a section header and its body, refusing a body of another size."""
        self.f.write(struct.pack("<IQ", section, size))
        written = 0
        for chunk in body:
            self.f.write(chunk)
            written += len(chunk)
        if written != size:
            raise DemoPtauError(f"section {section}: wrote {written} bytes, expected {size}")

    def g1_points(self, section: int, scalars: Sequence[int]) -> Iterator[bytes]:
        if native_backend():
            yield from self._plain_points(section, scalars, False)
            return
        for start in range(0, len(scalars), _CHUNK):
            points = fixed_base_g1(G1_GEN, scalars[start : start + _CHUNK])
            if start == 0:
                self.sample[section] = points[:2]
            if self.hashing:
                self.challenge.update(b"".join(map(g1_uncompressed, points)))
            yield g1s_lem(points)
            self._advance(len(points))

    def g2_points(self, section: int, scalars: Sequence[int]) -> Iterator[bytes]:
        if native_backend():
            yield from self._plain_points(section, scalars, True)
            return
        for start in range(0, len(scalars), _CHUNK):
            points = fixed_base_g2(G2_GEN, scalars[start : start + _CHUNK])
            if start == 0:
                self.sample[section] = points[:2]
            if self.hashing:
                self.challenge.update(b"".join(map(g2_uncompressed, points)))
            yield g2s_lem(points)
            self._advance(len(points))

    def _plain_points(self, section: int, scalars: Sequence[int], g2: bool) -> Iterator[bytes]:
        """The native path of ``g1_points``/``g2_points``: the kernel's bytes are encoded
        as they are, without a Python int per coordinate (the same bytes)."""
        width = G2_BYTES if g2 else G1_BYTES
        for start in range(0, len(scalars), _CHUNK):
            chunk = scalars[start : start + _CHUNK]
            plain = fixed_base_plain(G2_GEN if g2 else G1_GEN, chunk, g2)
            if len(plain) != len(chunk) * width:
                raise DemoPtauError(f"section {section}: the kernel returned {len(plain)} bytes")
            if start == 0:
                self.sample[section] = plain_points(plain[: 2 * width], g2)
            if self.hashing:
                self.challenge.update(plain_uncompressed(plain, g2))
            yield plain_lem(plain, g2)
            self._advance(len(chunk))

    def _advance(self, count: int) -> None:
        self.done += count
        if self.progress:
            self.progress(self.done, self.total)


def _header() -> bytes:
    return struct.pack("<I", N8) + P.to_bytes(N8, "little")


def _write(f: BinaryIO, power: int, name: str, progress: Progress | None) -> None:
    """Write a prepared phase-1 file of ``power`` from fresh secrets into ``f``."""
    n = 1 << power
    g1, g2 = 2 * N8, 4 * N8
    tau, alpha, beta = _draw_tau(power), _secret(), _secret()
    contribution: Phase1Contribution = phase1_contribution(power, tau, alpha, beta, name)
    out = _Writer(f, point_count(power), progress)
    out.challenge.update(contribution.response_hash)
    sections = 11
    f.write(MAGIC + struct.pack("<II", VERSION, sections))
    header = _header() + struct.pack("<II", power, power)
    out.section(HEADER, iter([header]), len(header))

    # Sections 2..6: the powers; their uncompressed points chain into the next challenge.
    out.hashing = True
    powers = _powers(tau, 2 * n - 1)
    out.section(TAU_G1, out.g1_points(TAU_G1, powers), (2 * n - 1) * g1)
    out.section(TAU_G2, out.g2_points(TAU_G2, powers[:n]), n * g2)
    out.section(ALPHA_TAU_G1, out.g1_points(ALPHA_TAU_G1, _scaled(powers[:n], alpha)), n * g1)
    out.section(BETA_TAU_G1, out.g1_points(BETA_TAU_G1, _scaled(powers[:n], beta)), n * g1)
    out.section(BETA_G2, out.g2_points(BETA_G2, [beta]), g2)
    out.hashing = False
    del powers

    # Section 7: who made it, with snarkjs's proofs of knowledge and hash chain.
    body = contribution_section(contribution, out.challenge.digest())
    out.section(CONTRIBUTIONS, iter([body]), len(body))

    # Sections 12..15: the Lagrange forms (prepare phase2).
    lag = _lagrange_values(tau, power)
    out.section(LAGRANGE_TAU_G1, out.g1_points(LAGRANGE_TAU_G1, lag), (4 * n - 1) * g1)
    lag = lag[: 2 * n - 1]
    out.section(LAGRANGE_TAU_G2, out.g2_points(LAGRANGE_TAU_G2, lag), (2 * n - 1) * g2)
    alpha_lag, beta_lag = _scaled(lag, alpha), _scaled(lag, beta)
    del tau, alpha, beta, lag
    out.section(LAGRANGE_ALPHA_G1, out.g1_points(LAGRANGE_ALPHA_G1, alpha_lag), len(alpha_lag) * g1)
    del alpha_lag
    out.section(LAGRANGE_BETA_G1, out.g1_points(LAGRANGE_BETA_G1, beta_lag), len(beta_lag) * g1)
    _check_contribution_points(contribution, out.sample)


def _check_contribution_points(
    contribution: Phase1Contribution, sample: dict[int, list[G1] | list[G2]]
) -> None:
    """Refuse a file whose contribution record names other points than its sections.

    A guard against a bug here, not a security check: the record and the sections are
    computed from the same secrets by two paths.
    """
    tau1, tau2 = sample[TAU_G1][1], sample[TAU_G2][1]
    expected = (tau1, tau2, sample[ALPHA_TAU_G1][0], sample[BETA_TAU_G1][0], sample[BETA_G2][0])
    if contribution.points != expected:
        raise DemoPtauError("the contribution record does not match the points written")


def write_demo_ptau(
    path: Path,
    power: int,
    name: str = DEMO_CONTRIBUTOR,
    progress: Progress | None = None,
) -> None:
    """Write a prepared phase-1 file of ``power`` to ``path`` atomically (single party!)."""
    if not _MIN_POWER <= power <= MAX_POWER:
        raise DemoPtauError(f"power must be in [{_MIN_POWER}, {MAX_POWER}], got {power}")
    if not name or len(name.encode()) > 64:
        raise DemoPtauError("the contributor name must be 1 to 64 bytes of UTF-8")
    with atomic_writer(path) as f:
        _write(f, power, name, progress)


def cached_path(power: int, cache: Path | None = None) -> Path:
    """Return where the demo phase-1 file of ``power`` is cached."""
    folder = (cache or default_cache_dir()) / "ptau"
    return folder / f"zkpor-demo-phase1-p{power}-v{FILE_VERSION}.ptau"


def demo_ptau(
    power: int,
    cache: Path | None = None,
    progress: Progress | None = None,
    on_make: Callable[[], None] | None = None,
) -> Path:
    """Return the cached demo phase-1 file of ``power``, made first if missing.

    ``on_make`` is called before a file is made (it takes a while). The file is not
    trusted because it is cached: ``zkpor ceremony`` checks it as any other.
    """
    path = cached_path(power, cache)
    if not path.exists():
        if on_make:
            on_make()
        write_demo_ptau(path, power, progress=progress)
    return path
