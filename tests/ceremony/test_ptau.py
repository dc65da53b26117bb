"""The Powers of Tau reader and its checks, on files made by snarkjs (power 5) and on
named corruptions of them."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from publisher.ceremony import ptau as ptau_mod
from publisher.ceremony.ptau import PtauError, PtauReader, load_phase1
from tests import ptau_files
from verifier.ceremony_crypto import TWIST_B, fp2_sqrt
from verifier.field import P

POWER = 5


@pytest.fixture(scope="session")
def cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ptau_files.cache_dir(request.config, tmp_path_factory)


@pytest.fixture(scope="session")
def good(cache: Path) -> Path:
    return ptau_files.make_ptau(cache, POWER)


@pytest.fixture(scope="session")
def other(cache: Path) -> Path:
    """A second, independent phase-1 ceremony (another tau, alpha, beta)."""
    return ptau_files.make_ptau(cache, POWER, ("bob",), label="b")


def sections(path: Path) -> dict[int, tuple[int, int]]:
    with path.open("rb") as f:
        return PtauReader(f, path.name).sections


def patched(
    src: Path, tmp_path: Path, edit: Callable[[bytearray, dict[int, tuple[int, int]]], None]
) -> Path:
    data = bytearray(src.read_bytes())
    edit(data, sections(src))
    out = tmp_path / "patched.ptau"
    out.write_bytes(bytes(data))
    return out


def mont(value: int) -> bytes:
    """Return the 32-byte little-endian Montgomery form of a base-field element."""
    return (value * (1 << 256) % P).to_bytes(32, "little")


@pytest.mark.interop
@pytest.mark.parametrize("n", [1, 8, 1 << POWER])
def test_a_snarkjs_file_passes_every_check(good: Path, n: int) -> None:
    phase1 = load_phase1(good, n)
    assert (phase1.power, phase1.n, phase1.contributors) == (POWER, n, ("alice",))
    assert len(phase1.lagrange_g1) == len(phase1.lagrange_g2) == n
    assert len(phase1.odd_lagrange_2n_g1) == n
    assert phase1.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    assert phase1.blake2b == hashlib.blake2b(good.read_bytes(), digest_size=64).hexdigest()


@pytest.mark.interop
def test_the_expected_hash_is_checked_before_reading(good: Path, other: Path) -> None:
    expected = hashlib.sha256(good.read_bytes()).hexdigest()
    load_phase1(good, 4, expected_sha256=expected)
    with pytest.raises(PtauError, match="not the phase-1 file the ceremony started from"):
        load_phase1(other, 4, expected_sha256=expected)


@pytest.mark.interop
def test_a_domain_larger_than_the_file_is_refused(good: Path) -> None:
    with pytest.raises(PtauError, match=r"power 5 .*needs a domain of 64: use a file of power 6"):
        load_phase1(good, 64)


@pytest.mark.interop
def test_an_unprepared_file_is_refused(cache: Path) -> None:
    raw = ptau_files.make_ptau(cache, 3, prepare=False)
    with pytest.raises(PtauError, match="not prepared for phase 2"):
        load_phase1(raw, 4)


@pytest.mark.interop
def test_a_file_without_contribution_is_refused(cache: Path) -> None:
    fresh = ptau_files.make_ptau(cache, 3, contributors=())
    with pytest.raises(PtauError, match="tau is 1: the file has no contribution"):
        load_phase1(fresh, 4)


@pytest.mark.interop
@pytest.mark.parametrize(
    ("section", "reason"),
    [
        (ptau_mod.TAU_G1, "tauG1 points are not consecutive powers"),
        (ptau_mod.ALPHA_TAU_G1, "alphaTauG1 points are not consecutive powers"),
        (ptau_mod.BETA_G2, "betaG2 does not match betaTauG1"),
        (ptau_mod.LAGRANGE_TAU_G2, "Lagrange section of tauG2 does not match"),
        (ptau_mod.LAGRANGE_ALPHA_G1, "Lagrange section of alphaTauG1"),
    ],
)
def test_a_section_from_another_ceremony_is_refused(
    good: Path, other: Path, tmp_path: Path, section: int, reason: str
) -> None:
    offset, size = sections(other)[section]
    foreign = other.read_bytes()[offset : offset + size]

    def swap(data: bytearray, table: dict[int, tuple[int, int]]) -> None:
        start, length = table[section]
        data[start : start + length] = foreign

    with pytest.raises(PtauError, match=reason):
        load_phase1(patched(good, tmp_path, swap), 8)


@pytest.mark.interop
def test_a_swapped_lagrange_point_is_refused(good: Path, tmp_path: Path) -> None:
    def swap(data: bytearray, table: dict[int, tuple[int, int]]) -> None:
        start = table[ptau_mod.LAGRANGE_TAU_G1][0] + 15 * 64  # the size-16 block: 2n, n = 8
        first, second = data[start : start + 64], data[start + 64 : start + 128]
        data[start : start + 128] = second + first

    with pytest.raises(PtauError, match=r"Lagrange section of tauG1 \(size 16\)"):
        load_phase1(patched(good, tmp_path, swap), 8)


@pytest.mark.interop
def test_a_point_off_the_curve_is_refused(good: Path, tmp_path: Path) -> None:
    def bend(data: bytearray, table: dict[int, tuple[int, int]]) -> None:
        start = table[ptau_mod.TAU_G1][0] + 3 * 64
        data[start : start + 32] = mont(1)

    with pytest.raises(PtauError, match="section 2 point 3 is not on the curve"):
        load_phase1(patched(good, tmp_path, bend), 8)


@pytest.mark.interop
def test_a_coordinate_not_below_p_is_refused(good: Path, tmp_path: Path) -> None:
    def overflow(data: bytearray, table: dict[int, tuple[int, int]]) -> None:
        start = table[ptau_mod.ALPHA_TAU_G1][0]
        data[start : start + 32] = b"\xff" * 32

    with pytest.raises(PtauError, match="not below p"):
        load_phase1(patched(good, tmp_path, overflow), 8)


def _twist_point_outside_g2() -> tuple[tuple[int, int], tuple[int, int]]:
    """Return a point of the twist that is not in G2 (almost every twist point)."""
    x0 = 1
    while True:
        x = (x0, 1)
        x3 = ((x[0] ** 3 - 3 * x[0]) % P, (3 * x[0] ** 2 - 1) % P)  # (x0 + u)^3
        y = fp2_sqrt(((x3[0] + TWIST_B[0]) % P, (x3[1] + TWIST_B[1]) % P))
        if y is not None:
            return x, y
        x0 += 1


@pytest.mark.interop
def test_a_g2_point_outside_g2_is_refused(good: Path, tmp_path: Path) -> None:
    (x0, x1), (y0, y1) = _twist_point_outside_g2()

    def plant(data: bytearray, table: dict[int, tuple[int, int]]) -> None:
        start = table[ptau_mod.LAGRANGE_TAU_G2][0] + 7 * 128  # the size-8 block, point 0
        data[start : start + 128] = mont(x0) + mont(x1) + mont(y0) + mont(y1)

    with pytest.raises(PtauError, match=r"Lagrange tauG2\[0\] is not in the order-r subgroup"):
        load_phase1(patched(good, tmp_path, plant), 8)


@pytest.mark.interop
@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d.__setitem__(slice(0, 4), b"ptaX"), 'no "ptau" magic'),
        (lambda d: d.__setitem__(slice(28, 29), bytes([d[28] ^ 1])), "not BN254"),
        (lambda d: d.__delitem__(slice(-10, None)), "truncated"),
        (lambda d: d.extend(b"\0"), "trailing bytes"),
    ],
)
def test_a_malformed_file_is_refused(
    good: Path, tmp_path: Path, edit: Callable[[bytearray], None], reason: str
) -> None:
    out = tmp_path / "bad.ptau"
    data = bytearray(good.read_bytes())
    edit(data)
    out.write_bytes(bytes(data))
    with pytest.raises(PtauError, match=reason):
        load_phase1(out, 8)


@pytest.mark.interop
def test_the_reader_reads_only_what_it_needs(good: Path, tmp_path: Path) -> None:
    """Points are read by section range: a file whose unused sections are zeroed loads
    the same points (only its hash differs)."""

    def blank(data: bytearray, table: dict[int, tuple[int, int]]) -> None:
        start, length = table[ptau_mod.TAU_G2]
        data[start + 2 * 128 : start + length] = bytes(length - 2 * 128)

    copy = tmp_path / "copy.ptau"
    shutil.copyfile(good, copy)
    a, b = load_phase1(copy, 4), load_phase1(patched(good, tmp_path, blank), 4)
    assert a.lagrange_g2 == b.lagrange_g2 and a.sha256 != b.sha256
