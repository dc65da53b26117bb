"""zkpor/2 keys from a real ceremony per shape (``publisher.ceremony.book``): the header
names the circuit by id only (``circuit.shape`` null), ``zkpor prove --keys`` reads
``KEYS/<circuit id>/`` and publishes the transcript as ``ceremony-s{K}.json``; a
reviewer's check passes every step, the setup included (the demo's phase 1 allowed)."""

from __future__ import annotations

import csv
import json
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
from publisher.ceremony.directory import CeremonyInputError
from publisher.config import load_config2
from publisher.crypto import NaclBackend
from publisher.snark.batch2 import build_batch2
from publisher.snark.keys import Keys
from verifier.attestation import verify_attestation
from verifier.ceremony import SETUP_CEREMONY, parse_transcript
from verifier.fetch import directory_reader
from verifier.manifest import MANIFEST
from verifier.report import passed

REGISTRY = """\
[quote]
symbol = "USD"
decimals = 2
price_source = "Test prices"

[[assets]]
symbol = "USDT"
decimals = 6
price = "1"
tiers = [[0, 100]]
"""
CONFIG = """\
[issuer]
name = "Example Exchange"
url = "https://example.com"

[attestation]
id = "book-ceremony-test"
as_of = "2026-11-21T00:00:00Z"

[tree]
arity = 4

[[shapes]]
slots = 1
batch_depth = 0
"""


def _run(title: str, work: Callable[[Callable[[str], None]], Any]) -> Any:
    return work(lambda message: None)


@pytest.mark.slow
def test_a_ceremony_per_shape_proves_a_book_that_verifies(tmp_path: Path, key_cache: Path) -> None:
    (tmp_path / "registry.toml").write_text(REGISTRY)
    (tmp_path / "zkpor.toml").write_text(CONFIG)
    with (tmp_path / "book.csv").open("w", newline="") as f:
        rows = csv.writer(f, lineterminator="\n")
        rows.writerows(
            [
                ["account", "asset", "equity", "debt"],
                ["a", "USDT", "5", "0"],
                ["b", "USDT", "7", "0"],
            ]
        )
    registry = load_registry(tmp_path / "registry.toml")
    config = load_config2(tmp_path / "zkpor.toml")
    keys, ceremonies, private = tmp_path / "keys", tmp_path / "ceremony", tmp_path / "private"
    private.mkdir()
    with read_liabilities2(tmp_path / "book.csv", registry, workdir=private) as snapshot:
        [placed] = assign_shapes(snapshot, registry, config)
        shape = placed.shape
        assert shape.circuit_id == "zkpor2-a1-t1-s1-k4-d0"
        folders = setup_book_keys(
            [(shape.circuit_id, build_batch2(shape.batch2()).cs)],
            ceremonies,
            keys,
            lambda power: demo_ptau(power, key_cache),
            ["alice"],
            _run,
            b"test beacon",
            10,
        )
        assert folders == {shape.circuit_id: keys / shape.circuit_id}
        header = json.loads((ceremonies / shape.circuit_id / "ceremony.json").read_text())
        assert header["circuit"]["shape"] is None
        assert header["circuit"]["id"] == shape.circuit_id

        def keys_for(s: BookShape) -> Keys:
            return load_book_keys(keys, s.circuit_id)

        with ProcessPoolExecutor(1) as pool:
            proven = prove_book(
                snapshot, registry, config, tmp_path / "out", private, keys_for, pool, 2
            )
    out = tmp_path / "out"
    assert proven.manifest.setup_kind == SETUP_CEREMONY
    transcript = (out / "ceremony-s1.json").read_bytes()
    assert transcript == (keys / shape.circuit_id / "transcript.json").read_bytes()
    assert parse_transcript(transcript).header.circuit.circuit_id == shape.circuit_id
    assert "ceremony-s1.json" in json.loads((out / MANIFEST).read_text())["files"]
    results = verify_attestation(directory_reader(out), NaclBackend(), allow_unknown_phase1=True)
    assert passed(results), [(r.name, r.status, r.detail) for r in results]
    # the keys of one circuit are not another's
    with pytest.raises(Exception, match="not zkpor2-a1-t1-s2"):
        (keys / "zkpor2-a1-t1-s2-k4-d0").symlink_to(keys / shape.circuit_id)
        load_book_keys(keys, "zkpor2-a1-t1-s2-k4-d0")


def test_missing_keys_name_the_circuit_and_the_folder(tmp_path: Path) -> None:
    with pytest.raises(CeremonyInputError, match=r"no finalized keys for circuit zkpor2-x in"):
        load_book_keys(tmp_path, "zkpor2-x")
