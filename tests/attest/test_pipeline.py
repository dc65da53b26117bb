"""``zkpor prove`` end to end on small snapshots: attestation, secrets, resume, executors."""

from __future__ import annotations

import json
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from publisher.attest.pipeline import (
    CHECKPOINTS,
    PipelineError,
)
from publisher.cli.main import app
from tests.snapshots import ACCOUNTS, prove, write_inputs
from verifier.attestation import verify_attestation
from verifier.fetch import directory_reader
from verifier.manifest import MANIFEST, SETUP_INSECURE_DEV, Manifest
from verifier.report import passed


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Manifest]:
    root = tmp_path_factory.mktemp("pipeline")
    inputs = write_inputs(root / "input", ACCOUNTS)
    with ProcessPoolExecutor(2) as pool:
        manifest = prove(inputs, root / "attestation", root / "private", pool)
    return root / "attestation", root / "private", manifest


def test_attestation_verifies_and_totals_are_the_snapshot_sums(
    proven: tuple[Path, Path, Manifest],
) -> None:
    attestation, _, manifest = proven
    results = verify_attestation(directory_reader(attestation), allow_dev_setup=True)
    assert passed(results), results
    btc, usdt = manifest.assets
    assert (
        btc.liabilities == int(0.5e8) + 100000001 + 12 * 10**8 + 1 + 3 * 10**8 + 21 * 10**14 + 10**7
    )
    assert usdt.amount == "124562.389001"
    # 10 accounts in batches of 4 leaves: 3 batches, padded to 12 leaves, top depth 2.
    assert (manifest.tree.batches, manifest.tree.leaves, manifest.tree.top_depth) == (3, 12, 2)
    assert manifest.setup_kind == SETUP_INSECURE_DEV


def test_no_secret_reaches_the_attestation_directory(proven: tuple[Path, Path, Manifest]) -> None:
    attestation, private, manifest = proven
    public = b"".join(p.read_bytes() for p in sorted(attestation.rglob("*")) if p.is_file())
    salts = [
        line.rsplit(",", 1)[1].strip()
        for line in (private / "leaves.csv").read_text().splitlines()[1:]
    ]
    blinds = json.loads((private / "plan.json").read_text())["blinds"][1:-1]
    assert len(salts) == 12 and len(blinds) == 2
    for salt in salts:
        assert salt.encode() not in public and str(int(salt, 16)).encode() not in public
    for blind in blinds:
        assert blind.encode() not in public
    for name in ("alice", "zoë", "李雷"):
        assert name.encode() not in public
    # The final blind is public on purpose: it opens the final totals, which are public.
    assert str(manifest.final_blind).encode() in public


def test_placement_is_shuffled_and_padding_fills_the_tree(
    proven: tuple[Path, Path, Manifest],
) -> None:
    _, private, _ = proven
    rows = (private / "leaves.csv").read_text(encoding="utf-8").splitlines()[1:]
    users = [row.split(",")[1] for row in rows]
    assert sum(1 for u in users if u == "") == 2
    assert sorted(json.loads(u) for u in users if u) == sorted(a[0] for a in ACCOUNTS)


def test_refuses_an_existing_attestation_directory(
    proven: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    attestation, _, _ = proven
    inputs = write_inputs(tmp_path / "input", ACCOUNTS)
    with ThreadPoolExecutor(1) as pool, pytest.raises(PipelineError, match="already exists"):
        prove(inputs, attestation, tmp_path / "private", pool)


def test_the_plan_that_published_an_attestation_finds_it_complete(
    proven: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    # A run killed between its final rename and its exit is run again: nothing to redo.
    attestation, private, manifest = proven
    before = {p: p.read_bytes() for p in attestation.rglob("*") if p.is_file()}
    inputs = write_inputs(tmp_path / "input", ACCOUNTS)
    with ThreadPoolExecutor(1) as pool:
        assert prove(inputs, attestation, private, pool) == manifest
    assert {p: p.read_bytes() for p in attestation.rglob("*") if p.is_file()} == before


def _same_account(row: str, next_row: str) -> str:
    """``next_row``'s leaf holding ``row``'s account."""
    return next_row.split(",", 1)[0] + "," + row.split(",", 1)[1]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda rows: [rows[0].replace('"', '"x', 1), *rows[1:]], "an account the snapshot"),
        (lambda rows: [rows[0], _same_account(rows[0], rows[1]), *rows[2:]], "on two leaves"),
        (lambda rows: rows[:-1], "does not place every account"),
    ],
)
def test_refuses_a_saved_placement_that_is_not_the_snapshots(
    proven: tuple[Path, Path, Manifest], tmp_path: Path, edit: Any, reason: str
) -> None:
    # The plan is reused only if leaves.csv places every account of these inputs once.
    _, private, _ = proven
    copy = tmp_path / "private"
    copy.mkdir()
    for name in ("plan.json", "leaves.csv"):
        (copy / name).write_bytes((private / name).read_bytes())
    header, *rows = (copy / "leaves.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    real = [i for i, row in enumerate(rows) if '"' in row]
    first = real[0]
    rows[first:] = edit(rows[first:])
    (copy / "leaves.csv").write_text(header + "".join(rows), encoding="utf-8")
    inputs = write_inputs(tmp_path / "input", ACCOUNTS)
    with ThreadPoolExecutor(1) as pool, pytest.raises(PipelineError, match=reason):
        prove(inputs, tmp_path / "attestation", copy, pool)


def test_refuses_a_private_directory_of_other_inputs(
    proven: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    _, private, _ = proven
    inputs = write_inputs(tmp_path / "input", ACCOUNTS[:5])
    with ThreadPoolExecutor(1) as pool, pytest.raises(PipelineError, match="other inputs"):
        prove(inputs, tmp_path / "attestation", private, pool)


class Interrupted(Exception):
    """Stands for a crash or Ctrl-C in the middle of a run."""


class DyingExecutor(Executor):
    """Runs jobs inline and dies when asked for job number ``die_at``."""

    def __init__(self, die_at: int) -> None:
        self.die_at = die_at
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        if self.submitted == self.die_at:
            raise Interrupted
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_interrupted_run_leaves_no_attestation_and_resumes(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "input", ACCOUNTS, pad_to=16)
    out, private = tmp_path / "attestation", tmp_path / "private"
    with pytest.raises(Interrupted):
        prove(inputs, out, private, DyingExecutor(die_at=3))
    assert not out.exists()
    assert not list(tmp_path.glob(".attestation*"))
    assert len(list((private / CHECKPOINTS).iterdir())) == 2

    resumed = DyingExecutor(die_at=0)
    prove(inputs, out, private, resumed)
    assert resumed.submitted == 2  # 4 batches, 2 already proven
    assert passed(verify_attestation(directory_reader(out), allow_dev_setup=True))


def test_a_corrupt_checkpoint_is_proven_again(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "input", ACCOUNTS)
    out, private = tmp_path / "attestation", tmp_path / "private"
    with pytest.raises(Interrupted):
        prove(inputs, out, private, DyingExecutor(die_at=3))
    first = sorted((private / CHECKPOINTS).iterdir())[0]
    doc = json.loads(first.read_text())
    doc["public"][2] = str(int(doc["public"][2]) + 1)
    first.write_text(json.dumps(doc))

    resumed = DyingExecutor(die_at=0)
    prove(inputs, out, private, resumed)
    assert resumed.submitted == 2  # the corrupt batch and the one never proven
    assert passed(verify_attestation(directory_reader(out), allow_dev_setup=True))


@pytest.mark.slow
def test_proves_on_a_dask_local_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    inputs = write_inputs(tmp_path / "input", ACCOUNTS)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        client.get_executor() as executor,
    ):
        manifest = prove(inputs, tmp_path / "attestation", tmp_path / "private", executor)
    assert manifest.tree.batches == 3
    assert passed(
        verify_attestation(directory_reader(tmp_path / "attestation"), allow_dev_setup=True)
    )


def test_cli_prove_rejects_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    csv_path, toml_path = write_inputs(tmp_path / "input", [*ACCOUNTS, ("mallory", "-1", "0")])
    out, private = tmp_path / "attestation", tmp_path / "private"
    result = CliRunner().invoke(
        app,
        [
            "prove",
            "--liabilities",
            str(csv_path),
            "--config",
            str(toml_path),
            "--out",
            str(out),
            "--private",
            str(private),
            "--workers",
            "1",
            "--insecure-dev-setup",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "liabilities.csv:12" in result.output and "BTC" in result.output
    assert not out.exists() and not private.exists()


def test_manifest_names_the_development_setup(proven: tuple[Path, Path, Manifest]) -> None:
    attestation, _, _ = proven
    doc = json.loads((attestation / MANIFEST).read_text())
    assert doc["setup"]["kind"] == "insecure-dev"
    assert "forge" in doc["setup"]["statement"]


@pytest.mark.slow
def test_demo_runs_to_a_verified_attestation(tmp_path: Path) -> None:
    """The demo's default shape, inputs, reserves and site, with the development setup:
    the demo's ceremony (8 minutes at this shape on 2 shared cores) is tested on a
    smaller shape in tests/test_demo.py."""
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--format",
            "zkpor/1",
            "--out",
            str(tmp_path),
            "--users",
            "40",
            "--workers",
            "2",
            "--insecure-dev-setup",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "PASSED: all 10 checks passed" in result.output
    assert "every asset covered (BTC 1.0500, ETH 1.0500" in result.output
    assert "ETH:" in result.output and "rounded up" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attestation", "input", "private", "site"]
    manifest = json.loads((tmp_path / "attestation" / MANIFEST).read_text())
    assert [a["symbol"] for a in manifest["assets"]] == ["BTC", "ETH", "USDT", "SOL"]


def test_a_development_setup_fails_verification_unless_accepted(
    proven: tuple[Path, Path, Manifest],
) -> None:
    attestation, _, _ = proven
    results = verify_attestation(directory_reader(attestation))
    # Step 9 fails alone (step 10, co-signatures, comes after it and passes).
    [setup] = [r for r in results if r.status != "OK"]
    assert setup.name == "trusted setup" and setup.status == "FAIL"
    assert "single-party development setup" in setup.detail
    accepted = verify_attestation(directory_reader(attestation), allow_dev_setup=True)
    assert all(r.status == "OK" for r in accepted), accepted
    setup = next(r for r in accepted if r.name == "trusted setup")
    assert setup.detail.startswith("INSECURE")


def test_cli_prove_needs_a_ceremony_or_an_explicit_dev_setup(tmp_path: Path) -> None:
    csv_path, toml_path = write_inputs(tmp_path / "input", ACCOUNTS)
    args = ["prove", "--liabilities", str(csv_path), "--config", str(toml_path)]
    args += ["--out", str(tmp_path / "a"), "--private", str(tmp_path / "p")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--insecure-dev-setup" in result.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "p").exists()
