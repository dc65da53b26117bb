"""zkpor/2, the account holder's seven steps and report on a real tiny attestation."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from publisher.crypto import NaclBackend
from tests.verifier.zkpor2_fixture import (
    Built,
    build,
    check_user,
    copy_of,
    read_json,
    reseal,
    write_json,
)
from verifier.errors import InvalidCode
from verifier.fetch import directory_reader
from verifier.user import UserReport, any_user_steps
from verifier.user2 import STATEMENT, USER_STEP_NAMES2, UserCheck2, UserReport2


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("zkpor2") / "attestation")


def steps(report: UserReport | UserReport2) -> dict[str, tuple[str, str]]:
    return {r.name: (r.status, r.detail) for r in report.results}


def test_every_holder_is_found_and_only_the_dev_setup_fails(built: Built) -> None:
    for uid, code in built.codes.items():
        report = check_user(built.folder, code, check_all=True)
        assert isinstance(report, UserReport2)
        assert [r.name for r in report.results] == list(USER_STEP_NAMES2)
        assert [r.status for r in report.results] == ["OK"] * 6 + ["FAIL"], uid
        assert "development setup" in report.results[-1].detail
        assert report.bundle is not None and report.bundle.user_id == uid
        assert "the published totals are proven" in report.results[5].detail
        assert not report.passed and not report.totals_proven
        assert report.to_json()["statement"] is None


def test_report_figures(built: Built) -> None:
    """Dave: 0.1 BTC (at 100%: 5,000 USD), owes 0.1 ETH (200 USD), 100 USDT."""
    report = check_user(built.folder, built.codes["dave"])
    user = report.to_json()["user"]
    assert user["user_id"] == "dave" and user["slots"] == 3 and user["quote"] == "USD"
    assets = {a["symbol"]: a for a in user["assets"]}
    assert assets["BTC"]["equity_amount"] == "0.1" and assets["BTC"]["collateral_value"] == "5000"
    assert assets["ETH"]["debt_amount"] == "0.1" and assets["ETH"]["debt_value"] == "200"
    assert assets["ETH"]["debt"] == "10000000" and assets["USDT"]["equity"] == "10000"
    assert user["collateral_value"] == "5100" and user["debt_value"] == "200"
    assert user["margin_ratio"] == "25.5000"
    alice = check_user(built.folder, built.codes["alice"]).to_json()["user"]
    assert alice["margin_ratio"] == "no debt"


def test_tiered_collateral_value(built: Built) -> None:
    """Carol's 2 ETH (4,000 USD, below ETH's 5,000 USD bound) count at 90%: 3,600 USD."""
    carol = check_user(built.folder, built.codes["carol"]).to_json()["user"]
    eth = next(a for a in carol["assets"] if a["symbol"] == "ETH")
    assert eth["collateral_value"] == "3600"


def test_samples_are_other_batches_of_any_shape(built: Built) -> None:
    report = check_user(built.folder, built.codes["alice"], samples=1, rng=random.Random(3))
    assert len(report.proof_status) == 2 and (2, 0) in report.proof_status
    detail = steps(report)["batch proofs"][1]
    assert "(chosen at random)" in detail and "2 other batches not checked in this run" in detail
    assert "the totals are NOT proven by it" in steps(report)["totals"][1]
    assert report.to_json()["proofs"][0] == {"slots": 2, "batch": 0, "status": "OK"}


def test_a_bad_proof_is_recorded(tmp_path: Path, built: Built) -> None:
    folder = copy_of(built, tmp_path / "a")
    proofs = read_json(folder, "proofs-s2.json")
    proofs[0]["proof"] = proofs[1]["proof"]
    write_json(folder, "proofs-s2.json", proofs)
    reseal(folder)
    report = check_user(folder, built.codes["alice"], samples=0)
    assert report.proof_status == {(2, 0): "FAIL"}
    assert "your batch 0 of shape K = 2 is not proven" in steps(report)["batch proofs"][1]


def test_dispatch(built: Built, tmp_path: Path) -> None:
    check = any_user_steps(directory_reader(built.folder), built.codes["bob"], NaclBackend())
    assert isinstance(check, UserCheck2)
    with pytest.raises(InvalidCode):
        any_user_steps(directory_reader(tmp_path), "0000", NaclBackend())
    assert STATEMENT.startswith("your net balance is non-negative")
