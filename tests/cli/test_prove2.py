"""``zkpor prove --registry`` as a user runs it: a zkpor/2 book with signed reserves, the
refusals (exit 2, file:line on stderr, nothing written) and the option combinations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.attest.pipeline import CODES
from publisher.ceremony.demo_ptau import demo_ptau
from publisher.cli.main import app
from publisher.crypto import NaclBackend
from publisher.reserves.sign import DemoWallet, reserves_csv, sign_test_wallets
from tests.attest.test_pipeline2 import DECIMALS, ROWS, write_inputs
from verifier.attestation import verify_attestation
from verifier.fetch import directory_reader
from verifier.manifest import MANIFEST

runner = CliRunner()
AS_OF = "2026-11-21T00:00:00Z"
ATTESTATION_ID = "book-test-2026-11-21"


def _args(paths: dict[str, Path], out: Path, private: Path, *extra: str) -> list[str]:
    return [
        "prove",
        "--registry",
        str(paths["registry"]),
        "--liabilities",
        str(paths["book"]),
        "--config",
        str(paths["config"]),
        "--out",
        str(out),
        "--private",
        str(private),
        "--workers",
        "1",
        *extra,
    ]


def _write_reserves(folder: Path) -> Path:
    """BTC covered at 110% of its net, ETH 1 unit short of it; USDT's net is negative
    (bob's margin debt): no reserves needed."""
    btc = 50_000_000 + 100_000_000 + 100_000 + 1_000_000
    eth = 12 * 10**9 + 10**9 + 5 * 10**8 + 10**8 - 10**7 + 10**8
    wallets = [
        DemoWallet("bitcoin", "BTC", "cold-1", btc * 11 // 10, "924000"),
        DemoWallet("ethereum", "ETH", "eth-1", eth - 1, "21000000"),
    ]
    path = folder / "reserves.csv"
    path.write_bytes(reserves_csv(sign_test_wallets(ATTESTATION_ID, wallets), DECIMALS))
    return path


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory, key_cache: Path) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("prove2")
    paths = write_inputs(root / "input")
    reserves = _write_reserves(root / "input")
    result = runner.invoke(
        app,
        _args(
            paths,
            root / "attestation",
            root / "private",
            "--insecure-dev-setup",
            "--reserves",
            str(reserves),
        ),
    )
    assert result.exit_code == 0, result.output
    return root / "attestation", result.output


def test_prove_writes_a_book_that_verifies_but_for_the_short_asset(
    proven: tuple[Path, str],
) -> None:
    attestation, output = proven
    assert "zkpor/2" in output and "2 slots: 3 batches of 4" in output
    assert "ETH is under-covered" in output
    assert (attestation.parent / "private" / CODES).exists()
    doc = json.loads((attestation / MANIFEST).read_text(encoding="utf-8"))
    btc, eth, usdt = doc["assets"][:3]
    assert (btc["ratio_net"], eth["ratio_net"], usdt["ratio_net"]) == ("1.1000", "0.9999", None)
    assert usdt["reserves"] == "0" and usdt["ratio_gross"] == "0.0000"
    assert "segregation" in doc and "reserves.json" in doc["files"]
    results = verify_attestation(directory_reader(attestation), NaclBackend(), allow_dev_setup=True)
    failed = [(r.name, r.detail) for r in results if r.status != "OK"]
    assert [name for name, _ in failed] == ["reserves"], failed
    assert "ETH" in failed[0][1] and "BTC" not in failed[0][1]


def test_refuses_an_under_collateralised_account(tmp_path: Path) -> None:
    rows = [*ROWS, ("mallory", "ETH", "1", "0"), ("mallory", "USDT", "0", "1601")]
    paths = write_inputs(tmp_path / "input", rows)
    out, private = tmp_path / "out", tmp_path / "private"
    result = runner.invoke(app, _args(paths, out, private, "--insecure-dev-setup"))
    assert result.exit_code == 2, result.output
    assert f"{paths['book']}:{len(ROWS) + 2}: account: under-collateralised" in result.output
    assert "mallory" not in result.output  # account ids never reach a (CI) log
    assert not out.exists() and not private.exists()


def test_refuses_an_account_larger_than_every_shape(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path / "input")
    text = paths["config"].read_text().replace("slots = 8", "slots = 4")
    paths["config"].write_text(text)
    out, private = tmp_path / "out", tmp_path / "private"
    result = runner.invoke(app, _args(paths, out, private, "--insecure-dev-setup"))
    assert result.exit_code == 2
    assert f"{paths['book']}:7: account: holds 6 assets, more than the 4 slots" in result.output
    assert not out.exists() and not private.exists()


def test_refuses_a_bad_config_with_its_line(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path / "input")
    text = paths["config"].read_text().replace("slots = 8", "slots = 1")
    paths["config"].write_text(text)
    out, private = tmp_path / "out", tmp_path / "private"
    result = runner.invoke(app, _args(paths, out, private, "--insecure-dev-setup"))
    assert result.exit_code == 2
    assert f"{paths['config']}:17: shapes[1].slots: must be larger" in result.output
    assert not out.exists() and not private.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give the keys of the ceremonies (--keys DIR"),
        (["--insecure-dev-setup", "--keys", "k"], "give the keys of the ceremonies"),
        (["--ceremony", "c"], "with --registry, give --keys DIR"),
    ],
)
def test_refuses_bad_option_combinations(tmp_path: Path, extra: list[str], message: str) -> None:
    paths = write_inputs(tmp_path / "input")
    result = runner.invoke(app, _args(paths, tmp_path / "out", tmp_path / "private", *extra))
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "private").exists()


def test_keys_without_a_registry_is_refused(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path / "input")
    args = _args(paths, tmp_path / "out", tmp_path / "private", "--keys", "k")
    args = args[:1] + args[3:]  # without --registry
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "--keys is for a zkpor/2 book" in result.output


def test_missing_ceremony_keys_are_an_error_not_a_traceback(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path / "input")
    out = tmp_path / "out"
    keys = tmp_path / "keys"
    keys.mkdir()
    result = runner.invoke(app, _args(paths, out, tmp_path / "private", "--keys", str(keys)))
    assert result.exit_code == 2, result.output
    assert "no finalized keys for circuit zkpor2-a6-t2-s2-k4-d1" in result.output
    assert not out.exists()


@pytest.mark.slow
def test_a_ceremony_per_circuit_from_the_command_line(tmp_path: Path, key_cache: Path) -> None:
    """``zkpor ceremony init --circuit ID`` (header shape null), contribute, beacon and
    finalize rebuild the zkpor/2 circuit from its id; prove --keys reads KEYS/<id>/."""
    paths = write_inputs(tmp_path / "input", [r for r in ROWS if r[0] in ("alice", "carol")])
    text = paths["config"].read_text().split("[[shapes]]")[0]
    paths["config"].write_text(text + "[[shapes]]\nslots = 2\nbatch_depth = 0\n")
    circuit = "zkpor2-a6-t2-s2-k4-d0"
    ceremony, keys = tmp_path / "ceremony", tmp_path / "keys"
    ptau = demo_ptau(12, key_cache)
    steps = [
        ["ceremony", "init", str(ceremony), "--ptau", str(ptau), "--circuit", circuit],
        ["ceremony", "contribute", str(ceremony), "--name", "alice", "--ptau", str(ptau)],
        [
            "ceremony",
            "beacon",
            str(ceremony),
            "--name",
            "beacon",
            "--value",
            "ab" * 32,
            "--iterations-exp",
            "10",
        ],
        ["ceremony", "finalize", str(ceremony), "--ptau", str(ptau), "--out", str(keys / circuit)],
    ]
    for args in steps:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    assert json.loads((ceremony / "ceremony.json").read_text())["circuit"]["shape"] is None
    out = tmp_path / "attestation"
    result = runner.invoke(app, _args(paths, out, tmp_path / "private", "--keys", str(keys)))
    assert result.exit_code == 0, result.output
    assert (out / "ceremony-s2.json").read_bytes() == (
        keys / circuit / "transcript.json"
    ).read_bytes()
    results = verify_attestation(directory_reader(out), NaclBackend(), allow_unknown_phase1=True)
    assert all(r.status == "OK" for r in results), [(r.name, r.detail) for r in results]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--circuit", "zkpor2-a6-t2-s2-k4-d0", "--assets", "2"], "or --circuit"),
        (["--assets", "2", "--arity", "2"], "or --circuit"),
        (["--circuit", "zkpor2-a06-t2-s2-k4-d0"], "is not a zkpor/2 circuit id"),
        (["--circuit", "zkpor1-a6"], "is not a zkpor/2 circuit id"),
        (["--circuit", "zkpor2-a6-t2-s2-k4-d12"], "is too large"),
    ],
)
def test_ceremony_init_refuses_a_bad_circuit(tmp_path: Path, args: list[str], message: str) -> None:
    ptau = tmp_path / "p.ptau"
    ptau.write_bytes(b"")
    init = ["ceremony", "init", str(tmp_path / "c"), "--ptau", str(ptau)]
    result = runner.invoke(app, [*init, *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "c" / "ceremony.json").exists()
