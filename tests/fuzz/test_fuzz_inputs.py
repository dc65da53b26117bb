"""Fuzzed custodian inputs (issue 17, item 5): ``liabilities.csv``, ``zkpor.toml`` and
``reserves.csv``, mutated as in ``tests.fuzz.mutations``, are each either accepted (with
the same meaning, after a mutation that preserves it) or rejected with ``InputError``
naming the file (and, where there is one, the line and field): never another exception.
The CLI turns ``InputError`` into exit code 2 before anything is written
(``tests/cli/test_cli.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from publisher.attest.ingest import read_liabilities
from publisher.config import Config, load_config
from publisher.errors import InputError
from publisher.reserves.ingest import read_reserves
from publisher.reserves.sign import DemoWallet, reserves_csv, sign_test_wallets
from tests.fuzz.mutations import PRESERVING, apply, mutations
from tests.snapshots import ACCOUNTS, write_inputs

#: Reproducible in CI: the same examples every run (``derandomize``), no time limit per
#: example on a loaded machine.
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("fuzz-inputs")
    csv_path, toml_path = write_inputs(folder, ACCOUNTS, pad_to=16)
    config = load_config(toml_path)
    wallets = sign_test_wallets(
        config.attestation_id,
        [
            DemoWallet("bitcoin", "BTC", "cold", 10**9, "924000"),
            DemoWallet("ethereum", "USDT", "treasury", 10**11, "1"),
            DemoWallet("solana", "USDT", "sol", 10**11, "1"),
        ],
    )
    decimals = {a.symbol: a.decimals for a in config.assets}
    reserves = reserves_csv(wallets, decimals)
    return {
        "config": config,
        "csv": csv_path.read_bytes(),
        "toml": toml_path.read_bytes(),
        "reserves": reserves,
        "snapshot": read_liabilities(csv_path, config),
    }


def _rejected_well(error: InputError, path: Path) -> None:
    """An input error names the file, and says what is wrong in one line."""
    assert error.file == str(path) or error.file.endswith(path.name), error.file
    text = str(error)
    assert path.name in text and text.strip() and "Traceback" not in text


@FUZZ
@given(mutation=mutations())
def test_a_mutated_liabilities_csv_is_read_the_same_or_rejected_with_its_line(
    inputs: dict[str, Any], tmp_path: Path, mutation: tuple[Any, ...]
) -> None:
    path = tmp_path / "liabilities.csv"
    path.write_bytes(apply(inputs["csv"], mutation))
    try:
        snapshot = read_liabilities(path, inputs["config"])
    except InputError as error:
        _rejected_well(error, path)
        return
    if mutation[0] in PRESERVING:
        assert snapshot.totals == inputs["snapshot"].totals
        assert list(snapshot.accounts()) == list(inputs["snapshot"].accounts())


@FUZZ
@given(mutation=mutations())
def test_a_mutated_config_is_read_or_rejected_with_its_line(
    inputs: dict[str, Any], tmp_path: Path, mutation: tuple[Any, ...]
) -> None:
    path = tmp_path / "zkpor.toml"
    path.write_bytes(apply(inputs["toml"], mutation))
    try:
        config = load_config(path)
    except InputError as error:
        _rejected_well(error, path)
        return
    assert isinstance(config, Config)
    if mutation[0] in PRESERVING:
        assert config == inputs["config"]


@FUZZ
@given(mutation=mutations())
def test_a_mutated_reserves_csv_is_read_the_same_or_rejected_with_its_line(
    inputs: dict[str, Any], tmp_path: Path, mutation: tuple[Any, ...]
) -> None:
    path = tmp_path / "reserves.csv"
    path.write_bytes(apply(inputs["reserves"], mutation))
    try:
        wallets, _ = read_reserves(path, inputs["config"])
    except InputError as error:
        _rejected_well(error, path)
        return
    if mutation[0] in PRESERVING:
        original = tmp_path / "original.csv"
        original.write_bytes(inputs["reserves"])
        assert wallets == read_reserves(original, inputs["config"])[0]


def test_a_huge_batch_depth_is_refused_without_computing_the_batch_size(
    inputs: dict[str, Any], tmp_path: Path
) -> None:
    """Found by the fuzzer: ``arity**batch_depth`` of a 400-digit depth exhausted memory."""
    path = tmp_path / "zkpor.toml"
    path.write_bytes(inputs["toml"].replace(b"batch_depth = 2", b"batch_depth = " + b"9" * 400))
    with pytest.raises(InputError, match=r"tree.batch_depth: a batch of 2\*\*9+ accounts"):
        load_config(path)
