"""A small two-asset snapshot (``ACCOUNTS``), its input files, and a proof of it with the
development setup: the attestation most pipeline, bundle and site tests start from."""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

from publisher.attest.ingest import read_liabilities
from publisher.attest.pipeline import inputs_digest, prove_attestation
from publisher.config import load_config
from publisher.snark.batch import default_cache_dir, dev_key_paths
from publisher.snark.circuit import CircuitShape
from publisher.snark.dev_setup import DEV_SETUP_WARNING
from publisher.snark.keys import Keys
from verifier.manifest import SETUP_INSECURE_DEV, Manifest

CONFIG = """\
[issuer]
name = "Test Custodian"
url = "https://example.com"

[attestation]
id = "test-2026-11-21"
as_of = "2026-11-21T00:00:00Z"

[tree]
arity = 2
batch_depth = 2
pad_to = {pad_to}

[[assets]]
symbol = "BTC"
decimals = 8

[[assets]]
symbol = "USDT"
decimals = 6
"""

ACCOUNTS = [
    ("alice", "0.5", "1000"),
    ("bob", "0", "0.000001"),
    ("zoë", "1.00000001", "0"),
    ("李雷", "0", "0"),
    ("carol", "12", "99.5"),
    ("dave", "0.00000001", "5"),
    ("erin", "3", "0"),
    ("frank", "0", "123456.789"),
    ("grace", "21000000", "1"),
    ("heidi", "0.1", "0.1"),
]


def write_inputs(
    folder: Path, accounts: list[tuple[str, str, str]], pad_to: int = 0
) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, toml_path = folder / "liabilities.csv", folder / "zkpor.toml"
    rows = ["user_id,BTC,USDT", *(",".join(row) for row in accounts)]
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    toml_path.write_text(CONFIG.format(pad_to=pad_to), encoding="utf-8")
    return csv_path, toml_path


def dev_keys_for(shape: CircuitShape) -> Keys:
    pk_path, vk = dev_key_paths(shape, default_cache_dir())
    return Keys(pk_path, vk, SETUP_INSECURE_DEV, DEV_SETUP_WARNING)


def prove(inputs: tuple[Path, Path], out: Path, private: Path, executor: Executor) -> Manifest:
    csv_path, toml_path = inputs
    config = load_config(toml_path)
    snapshot = read_liabilities(csv_path, config)
    digest = inputs_digest(csv_path, toml_path)
    return prove_attestation(
        snapshot, config, digest, out, private, dev_keys_for, executor, in_flight=2
    )
