"""zkpor/2 with wallet roles: corporate funds are shown, never counted against the net,
and a segregation section that misstates them fails the reserves step (zkpor/1's checks,
the liabilities being each asset's max(net, 0))."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.reserves.sign import DemoWallet, sign_test_wallets
from tests.verifier.zkpor2_fixture import (
    AID,
    Built,
    build,
    check,
    copy_of,
    outcome,
    read_json,
    reseal,
    write_json,
)
from verifier.reserves import reserves_to_json

WALLETS = (
    DemoWallet("bitcoin", "BTC", "book-btc", 170_000_000, "930000", "customer"),
    DemoWallet("ethereum", "ETH", "book-eth", 200_000_000, "21900000", "customer"),
    DemoWallet("ethereum", "ETH", "book-corporate", 50_000_000, "21900000", "corporate"),
)
DECIMALS = {"BTC": 8, "ETH": 8, "USDT": 2}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("zkpor2") / "attestation")


def segregate(folder: Path, corporate_eth: str, amount: str) -> None:
    write_json(
        folder, "reserves.json", reserves_to_json(AID, sign_test_wallets(AID, WALLETS), DECIMALS)
    )
    manifest = read_json(folder, "attestation.json")
    manifest["segregation"] = {
        "wrapped": [],
        "protection_fund": [],
        "corporate": [{"asset": "ETH", "balance": corporate_eth, "amount": amount}],
    }
    write_json(folder, "attestation.json", manifest)
    reseal(folder)


def test_corporate_funds_are_shown_not_counted(built: Built, tmp_path: Path) -> None:
    folder = copy_of(built, tmp_path / "a")
    segregate(folder, "50000000", "0.5")
    results = outcome(check(folder))
    assert all(status == "OK" for status, _ in results.values()), results
    detail = results["reserves"][1]
    assert "corporate funds 0.5 ETH (not counted as coverage)" in detail
    assert "ETH net 1.0526" in detail  # 2 ETH customer reserves against 1.90000001 net


def test_corporate_funds_misstated(built: Built, tmp_path: Path) -> None:
    folder = copy_of(built, tmp_path / "a")
    segregate(folder, "60000000", "0.6")
    status, detail = outcome(check(folder))["reserves"]
    assert status == "FAIL" and "corporate" in detail
