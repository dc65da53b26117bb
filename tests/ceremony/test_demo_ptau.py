"""zkpor's own single-party phase-1 file (``publisher.ceremony.demo_ptau``): it passes
every check of ``load_phase1`` and of ``snarkjs powersoftau verify``, a changed point is
refused by both, the secrets are never written, and a ceremony over it gives keys whose
proofs zkpor and snarkjs accept."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from publisher.ceremony import demo_ptau as demo_ptau_mod
from publisher.ceremony import ptau as ptau_mod
from publisher.ceremony.demo_ptau import (
    DEMO_CONTRIBUTOR,
    DemoPtauError,
    cached_path,
    demo_ptau,
    point_count,
    write_demo_ptau,
)
from publisher.ceremony.directory import (
    beacon,
    contribute,
    finalize,
    init_ceremony,
    load_ceremony_keys,
)
from publisher.ceremony.ptau import PtauError, PtauReader, load_phase1
from publisher.ceremony.ptau_pok import ChaCha, hash_to_g2
from publisher.cli import ceremony as cli_ceremony
from publisher.snark.batch import BatchProof, write_snarkjs_files
from publisher.snark.keys import ProvingKey
from publisher.snark.prove import prove
from tests import peers
from tests.tiny_circuit import TINY_ID, tiny_circuit, tiny_witness
from verifier.ceremony import describe
from verifier.groth16 import verify

POWER = 6


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-ptau") / "demo.ptau"
    write_demo_ptau(path, POWER)
    return path


def _patched(
    src: Path, tmp_path: Path, section: int, edit: Callable[[bytearray, int], None]
) -> Path:
    """Return a copy of ``src`` with ``edit(data, offset of section)`` applied."""
    data = bytearray(src.read_bytes())
    with src.open("rb") as f:
        offset = PtauReader(f, src.name).sections[section][0]
    edit(data, offset)
    out = tmp_path / "tampered.ptau"
    out.write_bytes(bytes(data))
    return out


def _copy_point(width: int, source: int, target: int) -> Callable[[bytearray, int], None]:
    """Overwrite point ``target`` of a section with its point ``source`` (a valid point)."""

    def edit(data: bytearray, offset: int) -> None:
        src = data[offset + source * width : offset + (source + 1) * width]
        data[offset + target * width : offset + (target + 1) * width] = src

    return edit


# --- the file is a valid phase 1 ---------------------------------------------------------


@pytest.mark.parametrize("n", [1, 8, 1 << POWER])
def test_the_demo_file_passes_every_check_of_load_phase1(good: Path, n: int) -> None:
    phase1 = load_phase1(good, n)
    assert (phase1.power, phase1.n, phase1.contributors) == (POWER, n, (DEMO_CONTRIBUTOR,))
    assert phase1.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    assert len(phase1.lagrange_g1) == len(phase1.odd_lagrange_2n_g1) == n


def test_the_file_has_the_size_of_a_prepared_snarkjs_file(good: Path) -> None:
    with good.open("rb") as f:
        reader = PtauReader(f, good.name)
    assert sorted(reader.sections) == [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]
    assert (reader.power, reader.ceremony_power) == (POWER, POWER)
    n = 1 << POWER
    g1_points, g2_points = (2 * n - 1) + 2 * n + (4 * n - 1) + 2 * (2 * n - 1), n + 1 + (2 * n - 1)
    assert point_count(POWER) == g1_points + g2_points
    points = sum(size for s, (_, size) in reader.sections.items() if s not in (1, 7))
    assert points == g1_points * 64 + g2_points * 128


def test_two_files_have_independent_secrets(good: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.ptau"
    write_demo_ptau(other, POWER)
    first, second = load_phase1(good, 4), load_phase1(other, 4)
    assert first.lagrange_g1 != second.lagrange_g1 and first.alpha_g1 != second.alpha_g1


@pytest.mark.parametrize(
    ("section", "width", "source", "reason"),
    [
        (ptau_mod.TAU_G1, 64, 2, "tauG1 points are not consecutive powers"),
        (ptau_mod.BETA_TAU_G1, 64, 2, "betaTauG1 points are not consecutive powers"),
        # Lagrange blocks of size m start at point m - 1: 7 for size 8, 15 for size 16.
        (ptau_mod.LAGRANGE_TAU_G1, 64, 16, r"Lagrange section of tauG1 \(size 16\)"),
        (ptau_mod.LAGRANGE_TAU_G2, 128, 8, "Lagrange section of tauG2 does not match"),
        (ptau_mod.LAGRANGE_ALPHA_G1, 64, 8, r"Lagrange section of alphaTauG1 \(size 8\)"),
    ],
)
def test_one_changed_point_is_refused(
    good: Path, tmp_path: Path, section: int, width: int, source: int, reason: str
) -> None:
    tampered = _patched(good, tmp_path, section, _copy_point(width, source, source + 1))
    with pytest.raises(PtauError, match=reason):
        load_phase1(tampered, 8)


def test_the_secrets_are_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = 0x1D2C3B4A5968776655443322110FFEEDDCCBBAA99887766554433221100FFEE
    secrets_used = [base + k for k in range(3)]
    draws = iter(secrets_used)
    monkeypatch.setattr(demo_ptau_mod, "_draw_tau", lambda power: next(draws))
    monkeypatch.setattr(demo_ptau_mod, "_secret", lambda: next(draws))
    path = tmp_path / "known.ptau"
    write_demo_ptau(path, 3)
    load_phase1(path, 8)
    data = path.read_bytes()
    for secret in secrets_used:
        for encoding in (
            secret.to_bytes(32, "big"),
            secret.to_bytes(32, "little"),
            str(secret).encode(),
            f"{secret:x}".encode(),
        ):
            assert encoding not in data


def test_a_bad_power_or_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DemoPtauError, match="power must be in"):
        write_demo_ptau(tmp_path / "x.ptau", 0)
    with pytest.raises(DemoPtauError, match="1 to 64 bytes"):
        write_demo_ptau(tmp_path / "x.ptau", 2, name="x" * 65)
    assert not list(tmp_path.iterdir())


def test_the_cache_makes_a_file_once_per_power(tmp_path: Path) -> None:
    made: list[int] = []
    first = demo_ptau(3, tmp_path, on_make=lambda: made.append(3))
    again = demo_ptau(3, tmp_path, on_make=lambda: made.append(3))
    assert first == again == cached_path(3, tmp_path) and made == [3]
    assert demo_ptau(4, tmp_path) != first
    assert load_phase1(first, 8).contributors == (DEMO_CONTRIBUTOR,)


# --- snarkjs's proofs of knowledge ---------------------------------------------------------


def test_chacha_and_hash_to_g2_are_ffjavascripts() -> None:
    """Vector from ffjavascript 0.3.1 (snarkjs 0.7.6): ``G2.fromRng(new ChaCha(seed))``
    with the seed read big-endian from blake2b-512(b"x")."""
    digest = hashlib.blake2b(b"x", digest_size=64).digest()
    assert hash_to_g2(digest) == (
        (
            15308109749039165100729557882428299937662691805079779998830941575127510966381,
            18728226884904473602347500606109216911584304024678274105654308904617824944358,
        ),
        (
            19604345387542349341640910119083567777633841153073839018166900078958324690255,
            215243640951058920117523219894739589632331869540392406922678169808564183440,
        ),
    )
    # RFC 7539's block function with key words = seed, counter and nonce 0.
    assert ChaCha([0] * 8).next_u32() == 0xADE0B876


@pytest.mark.interop
def test_snarkjs_verifies_the_demo_file(good: Path) -> None:
    run = peers.snarkjs("powersoftau", "verify", good, timeout=300)
    assert run.code == 0 and "Powers of Tau Ok!" in run.output, run.output
    assert f"Contribution #1: {DEMO_CONTRIBUTOR}" in run.output


@pytest.mark.interop
def test_snarkjs_refuses_a_changed_point(good: Path, tmp_path: Path) -> None:
    tampered = _patched(good, tmp_path, ptau_mod.ALPHA_TAU_G1, _copy_point(64, 2, 3))
    run = peers.snarkjs("powersoftau", "verify", tampered, timeout=300)
    assert run.code != 0 and "alphaTauG1 section. Powers do not match" in run.output, run.output


# --- a ceremony over it --------------------------------------------------------------------


@pytest.mark.interop
def test_a_ceremony_over_the_demo_file_gives_keys_zkpor_and_snarkjs_accept(
    good: Path, tmp_path: Path
) -> None:
    root, out = tmp_path / "ceremony", tmp_path / "keys"
    header = init_ceremony(root, good, tiny_circuit(), TINY_ID)
    assert header.ptau.contributors == (DEMO_CONTRIBUTOR,)
    for person in ("alice", "bob"):
        contribute(root, person)
    beacon(root, "beacon", hashlib.sha256(b"demo").digest(), 10)
    transcript = finalize(root, good, out, tiny_circuit())
    assert "2 contributions (alice, bob) and a random beacon" in describe(transcript)

    keys = load_ceremony_keys(out, TINY_ID)
    cs = tiny_circuit()
    witness = tiny_witness(cs)
    proof = prove(ProvingKey.load(keys.proving_key_path), cs, witness)
    verify(keys.verifying_key, witness[1:3], proof)
    write_snarkjs_files(tmp_path, keys.verifying_key, BatchProof(tuple(witness[1:3]), proof))
    run = peers.snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path)
    assert run.code == 0 and "OK" in run.output, run.output
    wrong = BatchProof((witness[1], witness[2] + 1), proof)
    write_snarkjs_files(tmp_path, keys.verifying_key, wrong)
    run = peers.snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path)
    assert run.code != 0 and "Invalid proof" in run.output, run.output


# --- zkpor ceremony demo-ptau -------------------------------------------------------------


def test_the_demo_ptau_command_writes_a_checked_file_and_says_what_it_is(tmp_path: Path) -> None:
    app = typer.Typer()
    cli_ceremony.register(app)

    @app.callback()
    def _root() -> None:
        """Keep ``ceremony`` a sub-command."""

    out = tmp_path / "p.ptau"
    result = CliRunner().invoke(app, ["ceremony", "demo-ptau", "--power", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and "for demos only" in result.output
    assert "single party: demos only" in result.output
    assert f"sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}" in result.output
    assert load_phase1(out, 16).contributors == (DEMO_CONTRIBUTOR,)
    bad = CliRunner().invoke(app, ["ceremony", "demo-ptau", "--power", "40", "--out", str(out)])
    assert bad.exit_code == 2 and "power must be in" in bad.output
