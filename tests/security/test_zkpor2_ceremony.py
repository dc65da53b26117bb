"""zkpor/2 under a real ceremony per shape (``publisher.ceremony.book``, the prover
pipeline ``publisher.attest.pipeline2``): an honest book passes every reviewer step and
every account holder's step (with the demo's phase 1 allowed), and a transcript moved
to another shape, or left unlisted, fails the trusted setup step with the reason."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from publisher.attest.ingest2 import read_liabilities2
from publisher.attest.pipeline2 import BookShape, assign_shapes, prove_book
from publisher.attest.registry import load_registry
from publisher.ceremony.book import load_book_keys, setup_book_keys
from publisher.ceremony.demo_ptau import demo_ptau
from publisher.config import load_config2
from publisher.crypto import NaclBackend
from publisher.snark.batch2 import build_batch2
from publisher.snark.keys import Keys
from tests.verifier.zkpor2_fixture import outcome, read_json, reseal, write_json
from verifier.attestation import verify_attestation
from verifier.fetch import directory_reader
from verifier.user import UserOptions, verify_user
from verifier.user2 import STATEMENT, UserReport2

REGISTRY = """\
[quote]
symbol = "USD"
decimals = 2
price_source = "Test prices"

[[assets]]
symbol = "BTC"
decimals = 8
price = "50000"
tiers = [[0, 100], [1000000, 90]]

[[assets]]
symbol = "USDT"
decimals = 2
price = "1"
tiers = [[0, 100]]
"""
CONFIG = """\
[issuer]
name = "Example Exchange"
url = "https://example.com"

[attestation]
id = "book-ceremony-2"
as_of = "2026-11-21T00:00:00Z"

[tree]
arity = 2

[[shapes]]
slots = 1
batch_depth = 0

[[shapes]]
slots = 2
batch_depth = 0
"""
ROWS = [
    ["account", "asset", "equity", "debt"],
    ["a", "USDT", "5", "0"],
    ["b", "BTC", "0.1", "0"],
    ["b", "USDT", "0", "100"],
]


@pytest.fixture(scope="module")
def proven(
    tmp_path_factory: pytest.TempPathFactory, key_cache: Path
) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("book-ceremony")
    (root / "registry.toml").write_text(REGISTRY)
    (root / "zkpor.toml").write_text(CONFIG)
    with (root / "book.csv").open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(ROWS)
    registry = load_registry(root / "registry.toml")
    config = load_config2(root / "zkpor.toml")
    keys, private = root / "keys", root / "private"
    private.mkdir()

    def run(title: str, work: Callable[[Callable[[str], None]], Any]) -> Any:
        return work(lambda message: None)

    with read_liabilities2(root / "book.csv", registry, workdir=private) as snapshot:
        placed = assign_shapes(snapshot, registry, config)
        setup_book_keys(
            [(p.shape.circuit_id, build_batch2(p.shape.batch2()).cs) for p in placed],
            root / "ceremony",
            keys,
            lambda power: demo_ptau(power, key_cache),
            ["alice"],
            run,
            b"test beacon",
            10,
        )

        def keys_for(s: BookShape) -> Keys:
            return load_book_keys(keys, s.circuit_id)

        with ProcessPoolExecutor(1) as pool:
            prove_book(snapshot, registry, config, root / "out", private, keys_for, pool, 2)
    codes = {}
    for codes_file in private.rglob("codes.csv"):
        with codes_file.open() as f:
            for row in csv.DictReader(f):
                codes[row["user_id"]] = row["code"]
    return root / "out", codes


def check(folder: Path) -> dict[str, tuple[str, str]]:
    return outcome(
        verify_attestation(directory_reader(folder), NaclBackend(), allow_unknown_phase1=True)
    )


@pytest.mark.slow
def test_honest_book_passes_every_step(proven: tuple[Path, dict[str, str]]) -> None:
    folder, codes = proven
    results = check(folder)
    assert all(status == "OK" for status, _ in results.values()), results
    assert "K = 1: " in results["trusted setup"][1] and "K = 2: " in results["trusted setup"][1]
    assert set(codes) == {"a", "b"}
    for account, code in codes.items():
        report = verify_user(
            directory_reader(folder),
            code,
            NaclBackend(),
            UserOptions(check_all=True, allow_unknown_phase1=True),
        )
        assert isinstance(report, UserReport2)
        assert report.passed, [(r.name, r.status, r.detail) for r in report.results]
        assert report.totals_proven
        assert report.to_json()["statement"] == STATEMENT
        assert report.bundle is not None and report.bundle.user_id == account


@pytest.mark.slow
def test_transcripts_moved_between_shapes(
    proven: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(proven[0], tmp_path / "out"))
    one, two = (
        (folder / "ceremony-s1.json").read_bytes(),
        (folder / "ceremony-s2.json").read_bytes(),
    )
    (folder / "ceremony-s1.json").write_bytes(two)
    (folder / "ceremony-s2.json").write_bytes(one)
    reseal(folder)
    results = check(folder)
    assert [n for n, (s, _) in results.items() if s != "OK"] == ["trusted setup"]
    detail = results["trusted setup"][1]
    assert detail.startswith("shape K = 1: the ceremony was for circuit")
    assert "zkpor2-a2-t2-s2-k2-d0" in detail and "zkpor2-a2-t2-s1-k2-d0" in detail


@pytest.mark.slow
def test_transcript_unlisted(proven: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    folder = Path(shutil.copytree(proven[0], tmp_path / "out"))
    manifest = read_json(folder, "attestation.json")
    del manifest["files"]["ceremony-s2.json"]
    write_json(folder, "attestation.json", manifest)
    results = check(folder)
    assert [n for n, (s, _) in results.items() if s != "OK"] == ["trusted setup"]
    assert "does not list the sha256 of ceremony-s2.json" in results["trusted setup"][1]
    assert json.loads((folder / "attestation.json").read_text())["setup"]["kind"] == "ceremony"


@pytest.mark.slow
def test_cli_ptau_checks_each_shape_key(
    proven: tuple[Path, dict[str, str]], key_cache: Path
) -> None:
    """``zkpor verify --ptau``: one step per shape recomputes the shape's key from the
    phase-1 file its ceremony started from; a shape whose ceremony started from another
    file is skipped, naming it."""
    from typer.testing import CliRunner

    from publisher.cli.main import app
    from verifier.ceremony import parse_transcript

    folder = proven[0]
    headers = {
        k: parse_transcript((folder / f"ceremony-s{k}.json").read_bytes()).header.ptau
        for k in (1, 2)
    }
    ptau = demo_ptau(headers[2].power, key_cache)
    args = ["verify", "--allow-unknown-phase1", "--ptau", str(ptau)]
    result = CliRunner().invoke(app, [*args, str(folder)])
    assert "11. OK: key from phase 1 (--ptau) (K = 2)" in result.output, result.output
    assert "vk-s2.json" in result.output
    if headers[1].sha256 == headers[2].sha256:
        assert result.exit_code == 0
    else:
        assert "10. SKIP: key from phase 1 (--ptau) (K = 1)" in result.output
        assert "ceremony-s1.json started from another phase-1 file" in result.output
        assert result.exit_code == 1
