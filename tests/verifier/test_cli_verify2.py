"""``zkpor verify`` and ``zkpor verify-user`` on a zkpor/2 attestation: text and JSON."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app
from tests.verifier.zkpor2_fixture import Built, build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("zkpor2") / "attestation")


def test_verify_prints_the_figures(built: Built) -> None:
    result = CliRunner().invoke(app, ["verify", str(built.folder), "--allow-insecure-dev-setup"])
    assert result.exit_code == 0, result.output
    assert "PASSED: all 9 checks passed" in result.output
    assert "published figures (prices in USD, source: Test prices of 2026-12-01):" in result.output
    lines = result.output.splitlines()
    usdt = next(line for line in lines if line.strip().startswith("USDT"))
    assert usdt.split() == ["USDT", "1", "600.01", "1000", "-399.99", "0", "-", "0.0000"]


def test_verify_json(built: Built) -> None:
    result = CliRunner().invoke(
        app, ["verify", str(built.folder), "--allow-insecure-dev-setup", "--json"]
    )
    report = json.loads(result.output)
    assert report["passed"] and len(report["steps"]) == 9
    btc = report["figures"]["assets"][0]
    assert btc == {
        "symbol": "BTC",
        "decimals": 8,
        "price": "50000",
        "equity_amount": "1.60000001",
        "debt_amount": "0",
        "net_amount": "1.60000001",
        "reserves_amount": "1.7",
        "ratio_net": "1.0624",
        "ratio_gross": "1.0624",
    }


def test_verify_user_text_and_json(built: Built) -> None:
    code = built.codes["bob"]
    result = CliRunner().invoke(app, ["verify-user", str(built.folder), "--code", code, "--all"])
    assert result.exit_code == 1  # the development setup
    assert "account id: bob" in result.output
    assert "margin ratio 25.0000" in result.output
    assert "your net balance is non-negative" not in result.output  # not every step passed
    assert code not in result.output
    result = CliRunner().invoke(
        app, ["verify-user", str(built.folder), "--code", code, "--all", "--json"]
    )
    report = json.loads(result.output)
    assert report["format"] == "zkpor/2" and report["statement"] is None
    assert [a["symbol"] for a in report["user"]["assets"]] == ["BTC", "USDT"]
    assert report["user"]["debt_value"] == "1000"
    assert len(report["proofs"]) == 4
