"""Resuming ``zkpor prove --registry``: the plan (placement, salts, masks, seeds) is saved
before any proof, every proven batch is checkpointed, a rerun reuses both (a checkpoint
only if it still verifies), refuses a private directory of other inputs, and after the
final rename returns what was published."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from publisher.attest import pipeline2
from publisher.attest.executors import open_executor
from publisher.attest.ingest2 import read_liabilities2
from publisher.attest.pipeline import CODES, inputs_digest
from publisher.attest.pipeline2 import (
    CHECKPOINTS2,
    LEAVES2,
    PLAN2,
    BookShape,
    ProvenBook,
    dev_book_keys,
    prove_book,
)
from publisher.attest.registry import load_registry
from publisher.attest.workers import ClusterError
from publisher.config import load_config2
from publisher.crypto import NaclBackend
from publisher.errors import PipelineError
from publisher.snark.keys import Keys
from tests.attest.test_pipeline2 import ROWS, write_inputs
from verifier.attestation import verify_attestation
from verifier.fetch import directory_reader
from verifier.field import R
from verifier.manifest import MANIFEST
from verifier.report import passed


class Killed(Exception):
    """Stands for a run killed while proving."""


def _prove(paths: dict[str, Path], out: Path, private: Path, cache: Path) -> ProvenBook:
    registry = load_registry(paths["registry"])
    config = load_config2(paths["config"])
    private.mkdir(parents=True, exist_ok=True)
    digest = inputs_digest(paths["book"], paths["registry"], paths["config"])
    with (
        read_liabilities2(paths["book"], registry, workdir=private) as snapshot,
        ThreadPoolExecutor(1) as pool,
    ):
        return prove_book(
            snapshot,
            registry,
            config,
            out,
            private,
            lambda shape: dev_book_keys(shape, cache),
            pool,
            1,
            digest=digest,
        )


def _counting(monkeypatch: pytest.MonkeyPatch, fail_at: int | None = None) -> list[Any]:
    """Count the batches proven (and stop the run at the ``fail_at``-th)."""
    calls: list[Any] = []
    real = pipeline2.run_prove_job

    def counted(job: Any) -> Any:
        calls.append((job.shape.slots, job.batch))
        if fail_at is not None and len(calls) == fail_at:
            raise Killed
        return real(job)

    monkeypatch.setattr(pipeline2, "run_prove_job", counted)
    return calls


def test_a_killed_run_resumes_from_its_checkpoints(
    tmp_path: Path, key_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_inputs(tmp_path / "input")
    out, private = tmp_path / "out", tmp_path / "private"
    _counting(monkeypatch, fail_at=3)
    with pytest.raises(Killed):
        _prove(paths, out, private, key_cache)
    assert not out.exists() and not (private / CODES).exists()
    assert (private / PLAN2).exists() and (private / LEAVES2).exists()
    saved = sorted((private / CHECKPOINTS2).iterdir())
    assert len(saved) == 2
    plan = json.loads((private / PLAN2).read_text())
    leaves = (private / LEAVES2).read_text()
    # a checkpoint that no longer verifies is not reused: it is proven again
    doc = json.loads(saved[1].read_text())
    doc["proof"]["pi_c"] = doc["proof"]["pi_a"]
    saved[1].write_text(json.dumps(doc))
    kept = json.loads(saved[0].read_text())

    calls = _counting(monkeypatch)
    result = _prove(paths, out, private, key_cache)
    assert len(calls) == 5 - 1  # 3 + 2 batches, one checkpoint reused
    assert json.loads((private / PLAN2).read_text()) == plan
    assert (private / LEAVES2).read_text() == leaves
    masks = [int(m) for shape in plan["shapes"] for m in shape["masks"]]
    assert result.manifest.mask_sum == sum(masks) % R
    shape, batch = saved[0].name.rsplit("-", 1)
    slots = int(shape.rsplit("-s", 1)[1].split("-")[0])
    proofs = json.loads((out / f"proofs-s{slots}.json").read_text())
    assert proofs[int(batch.split(".")[0])]["proof"] == kept["proof"]


def test_a_published_run_is_returned_not_redone(
    tmp_path: Path, key_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_inputs(tmp_path / "input")
    out, private = tmp_path / "out", tmp_path / "private"
    first = _prove(paths, out, private, key_cache)
    before = (out / MANIFEST).read_bytes()
    calls = _counting(monkeypatch)
    again = _prove(paths, out, private, key_cache)
    assert calls == [] and again.manifest == first.manifest
    assert (out / MANIFEST).read_bytes() == before
    # another attestation in the way is no such run
    other = tmp_path / "other"
    other.mkdir()
    (other / MANIFEST).write_text("{}")
    with pytest.raises(PipelineError, match="already exists"):
        _prove(paths, other, private, key_cache)


def test_a_private_directory_of_other_inputs_is_refused(tmp_path: Path, key_cache: Path) -> None:
    paths = write_inputs(tmp_path / "input")
    private = tmp_path / "private"
    _prove(paths, tmp_path / "out", private, key_cache)
    other = write_inputs(tmp_path / "other", [*ROWS, ("oscar", "BTC", "1", "0")])
    with pytest.raises(PipelineError, match="holds a run for other inputs"):
        _prove(other, tmp_path / "out2", private, key_cache)
    assert not (tmp_path / "out2").exists()


def test_the_plan_stays_private(tmp_path: Path, key_cache: Path) -> None:
    paths = write_inputs(tmp_path / "input")
    out, private = tmp_path / "out", tmp_path / "private"
    _prove(paths, out, private, key_cache)
    public = b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file())
    plan = json.loads((private / PLAN2).read_text())
    masks = [m for shape in plan["shapes"] for m in shape["masks"]]
    salts = [
        row.rsplit(",", 1)[1].strip() for row in (private / LEAVES2).read_text().splitlines()[1:]
    ]
    assert len(masks) == 5 and len(salts) == 14
    for secret in masks + [str(int(s, 16)) for s in salts] + salts:
        assert secret.encode() not in public
    assert plan["code_seed"].encode() not in public and plan["bundle_seed"].encode() not in public


@pytest.mark.slow
def test_a_book_proves_on_dask_and_the_key_is_checked_first(
    tmp_path: Path, key_cache: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    paths = write_inputs(tmp_path / "input")
    registry = load_registry(paths["registry"])
    config = load_config2(paths["config"])
    private = tmp_path / "private"
    private.mkdir()
    with (
        distributed.LocalCluster(
            n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        open_executor(1, cluster.scheduler_address) as (executor, parallel),
        read_liabilities2(paths["book"], registry, workdir=private) as snapshot,
    ):
        missing = tmp_path / "nowhere.pk"

        def unreadable(shape: BookShape) -> Keys:
            return replace(dev_book_keys(shape, key_cache), proving_key_path=missing)

        with pytest.raises(ClusterError, match=f"cannot read the proving key {missing}"):
            prove_book(snapshot, registry, config, tmp_path / "bad", private, unreadable,
                       executor, 2 * parallel)  # fmt: skip
        result = prove_book(
            snapshot,
            registry,
            config,
            tmp_path / "out",
            private,
            lambda shape: dev_book_keys(shape, key_cache),
            executor,
            2 * parallel,
        )
    assert [s.batches for s in result.manifest.shapes] == [3, 2]
    results = verify_attestation(
        directory_reader(tmp_path / "out"), NaclBackend(), allow_dev_setup=True
    )
    assert passed(results), [(r.name, r.detail) for r in results]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text.replace("\n2,0,", "\nx,0,", 1), r"is damaged \(ValueError\)"),
        (lambda text: text.rsplit("\n", 2)[0] + "\n", "does not place every account"),
        (lambda text: text.replace('"alice"', '"mallory"'), "does not place every account"),
        (lambda text: text.replace('"alice"', "1"), "has no user id"),
    ],
)
def test_a_damaged_plan_is_refused_without_quoting_it(
    tmp_path: Path, key_cache: Path, monkeypatch: pytest.MonkeyPatch, damage: Any, message: str
) -> None:
    paths = write_inputs(tmp_path / "input")
    out, private = tmp_path / "out", tmp_path / "private"
    _counting(monkeypatch, fail_at=1)
    with pytest.raises(Killed):
        _prove(paths, out, private, key_cache)
    leaves = private / LEAVES2
    leaves.write_text(damage(leaves.read_text()))
    with pytest.raises(PipelineError, match=message) as caught:
        _prove(paths, out, private, key_cache)
    assert "alice" not in str(caught.value) and not out.exists()
