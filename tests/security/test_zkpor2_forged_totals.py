"""zkpor/2: published totals the batch proofs do not add up to, and challenges the prover
chose. Each attack is run end to end on a real attestation (tests.verifier.zkpor2_fixture),
rewritten consistently as an adversary who writes every file can (derived fields, file
hashes), and must fail the totals step (4) with the reason; nothing earlier catches it
unless said so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.verifier.zkpor2_fixture import (
    Built,
    asset_json,
    build,
    check,
    check_user,
    copy_of,
    outcome,
    read_json,
    reseal,
    write_json,
)
from verifier.protocol import top_depth_for, top_levels

IDENTITY = "the identity Σ s_j - M = Σ_a (E_a + γ D_a) / (β - a) does not hold"
NOT_DERIVED = "not derived from the attestation"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("zkpor2") / "attestation")


@pytest.fixture
def folder(built: Built, tmp_path: Path) -> Path:
    return copy_of(built, tmp_path / "attestation")


def republish_asset(
    folder: Path, index: int, equity: int | None = None, debt: int | None = None
) -> None:
    """Change one asset's published total, with every derived field consistent."""
    manifest = read_json(folder, "attestation.json")
    a = manifest["assets"][index]
    new = asset_json(
        a["symbol"],
        a["decimals"],
        int(a["equity"]) if equity is None else equity,
        int(a["debt"]) if debt is None else debt,
        int(a["reserves"]),
    )
    manifest["assets"][index] = new
    write_json(folder, "attestation.json", manifest)
    reseal(folder)


def failing(results: dict[str, tuple[str, str]]) -> list[str]:
    return [name for name, (status, _) in results.items() if status != "OK"]


def test_equity_total_raised(folder: Path) -> None:
    """One more satoshi of BTC equity than the accounts hold."""
    manifest = read_json(folder, "attestation.json")
    republish_asset(folder, 0, equity=int(manifest["assets"][0]["equity"]) + 1)
    results = outcome(check(folder))
    assert failing(results) == ["totals"]
    detail = results["totals"][1]
    assert IDENTITY in detail and NOT_DERIVED in detail


def test_debt_total_lowered(folder: Path) -> None:
    """Hide part of the USDT lent: a smaller debt makes the net look better."""
    manifest = read_json(folder, "attestation.json")
    republish_asset(folder, 2, debt=int(manifest["assets"][2]["debt"]) - 10_000)
    results = outcome(check(folder))
    assert failing(results) == ["totals"]
    assert IDENTITY in results["totals"][1]


def test_debt_total_lowered_with_challenges_rederived(folder: Path) -> None:
    """The same, with β, γ recomputed for the new totals: the proofs (made for the old
    challenges) fail, and the identity still does not hold."""
    manifest = read_json(folder, "attestation.json")
    republish_asset(folder, 2, debt=int(manifest["assets"][2]["debt"]) - 10_000)
    reseal(folder, rederive=True)
    results = outcome(check(folder))
    assert failing(results) == ["batch proofs", "totals"]
    assert "is not proven" in results["batch proofs"][1]
    assert IDENTITY in results["totals"][1] and NOT_DERIVED not in results["totals"][1]


def test_mask_sum_changed(folder: Path) -> None:
    """M absorbs any difference only if it is free: it is hashed into the challenges."""
    manifest = read_json(folder, "attestation.json")
    manifest["totals"]["mask_sum"] = str(int(manifest["totals"]["mask_sum"]) + 1)
    write_json(folder, "attestation.json", manifest)
    results = outcome(check(folder))
    assert failing(results) == ["totals"]
    assert IDENTITY in results["totals"][1] and NOT_DERIVED in results["totals"][1]


def _republish_batches(folder: Path, slots: int, entries: list[dict[str, Any]]) -> None:
    """Replace shape ``slots``'s batches, with its tree, root and counts consistent."""
    for j, entry in enumerate(entries):
        entry["batch"] = j
    write_json(folder, f"proofs-s{slots}.json", entries)
    roots = [int(e["public"][0]) for e in entries]
    depth = top_depth_for(len(roots), 2)
    levels = top_levels(roots, 2, depth)
    write_json(
        folder,
        f"tree-s{slots}.json",
        {"arity": 2, "levels": [[str(v) for v in lv] for lv in levels]},
    )
    manifest = read_json(folder, "attestation.json")
    shape = next(s for s in manifest["shapes"] if s["slots"] == slots)
    shape.update(batches=len(roots), leaves=len(roots) * shape["batch_size"], top_depth=depth)
    shape["root"] = str(levels[-1][0])
    write_json(folder, "attestation.json", manifest)
    reseal(folder)


def test_batch_dropped(folder: Path, built: Built) -> None:
    """Leave out a batch (and its accounts' equity) from shape K = 3, everything else
    consistent: every remaining proof is valid, the totals are not theirs."""
    entries = read_json(folder, "proofs-s3.json")
    _republish_batches(folder, 3, entries[:1])
    results = outcome(check(folder))
    assert failing(results) == ["totals"]
    assert IDENTITY in results["totals"][1]
    # The account of the dropped batch sees its batch is gone.
    report = check_user(folder, built.codes["erin"])
    assert report.results[0].status == "FAIL"
    assert "shape K = 3 has 1 batches" in report.results[0].detail


def test_batch_duplicated(folder: Path) -> None:
    """Publish one valid batch twice in place of another: both proofs are valid."""
    entries = read_json(folder, "proofs-s3.json")
    _republish_batches(folder, 3, [entries[0], dict(entries[0])])
    results = outcome(check(folder))
    assert failing(results) == ["totals"]
    assert IDENTITY in results["totals"][1]


def test_beta_chosen_by_the_prover(tmp_path: Path) -> None:
    """A prover who proves every batch with a β of its choice (and publishes it) has an
    identity that holds, but not the challenges derived from what it committed to."""
    build(tmp_path / "attestation", choose_challenges=lambda beta, gamma: (beta + 1, gamma))
    results = outcome(check(tmp_path / "attestation"))
    assert failing(results) == ["totals"]
    detail = results["totals"][1]
    assert "totals.beta is not derived" in detail and IDENTITY not in detail


def test_gamma_chosen_by_the_prover(tmp_path: Path) -> None:
    build(tmp_path / "attestation", choose_challenges=lambda beta, gamma: (beta, 7))
    results = outcome(check(tmp_path / "attestation"))
    assert failing(results) == ["totals"]
    assert "totals.gamma is not derived" in results["totals"][1]


def test_account_holder_sees_forged_totals(folder: Path, built: Built) -> None:
    """zkpor verify-user's step 6 fails too, whatever batches it sampled."""
    manifest = read_json(folder, "attestation.json")
    republish_asset(folder, 0, equity=int(manifest["assets"][0]["equity"]) + 1)
    report = check_user(folder, built.codes["alice"], samples=0)
    steps = {r.name: r for r in report.results}
    assert steps["totals"].status == "FAIL" and IDENTITY in steps["totals"].detail
    assert not report.totals_proven
