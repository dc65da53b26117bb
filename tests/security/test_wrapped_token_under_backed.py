"""Attack: a wrapped token whose issued supply exceeds its dedicated collateral, hidden
behind figures that do not add up, or behind funds that are not customer coverage.

Step 8 requires every wrapped token's signed collateral to cover its declared supply 1:1
(compared exactly across the two tokens' decimals), the published collateral, protection
fund and corporate figures to equal what the signed wallets of each role hold, and the
customer reserves to count customer wallets only.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.security.segregated_attestation import ZBTC, publish, segregated, signed
from tests.security.vector_attestation import ALLOW, read_json, steps_of, verify, write_json
from verifier.manifest import MANIFEST


def _step_8(folder: Path) -> tuple[int, str, str]:
    text, report = verify(folder, ALLOW)
    status, detail = steps_of(report)[8]
    return text.exit_code, status, detail


def test_supply_above_collateral_fails_with_the_shortfall(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    publish(folder, signed(), wrapped=[replace(ZBTC, supply=525_000_000)])  # vault: 5.1 BTC
    code, status, detail = _step_8(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert detail == (
        "wrapped token ZBTC is under-backed: collateral 5.1 BTC < issued supply 5.25 ZBTC "
        "(ratio 0.9714; required 1:1)"
    )


def test_backing_is_compared_across_decimals_exactly(tmp_path: Path) -> None:
    """An 18-decimal token against 8-decimal BTC: one wei of supply beyond the collateral
    is a shortfall, though it is far below one satoshi."""
    folder = segregated(tmp_path / "a")
    over = replace(ZBTC, decimals=18, supply=510_000_000 * 10**10 + 1)
    publish(folder, signed(), wrapped=[over])
    code, status, detail = _step_8(folder)
    assert (code, status) == (1, "FAIL") and "ZBTC is under-backed" in detail, detail
    publish(folder, signed(), wrapped=[replace(over, supply=510_000_000 * 10**10)])
    assert _step_8(folder)[:2] == (0, "OK")


def test_published_collateral_above_the_signed_wallets_fails(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    manifest = read_json(folder, MANIFEST)
    token = manifest["segregation"]["wrapped"][0]
    token["collateral"], token["collateral_amount"], token["ratio"] = "600000000", "6", "1.2000"
    write_json(folder, MANIFEST, manifest)
    code, status, detail = _step_8(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert "publishes collateral of 6 BTC, but its signed wrapped:ZBTC wallets hold 5.1" in detail


def test_the_protection_fund_counted_as_customer_coverage_fails(tmp_path: Path) -> None:
    """USDC customer reserves raised by the protection fund's 100 USDC: a total the
    customer wallets do not reach."""
    folder = segregated(tmp_path / "a")
    manifest = read_json(folder, MANIFEST)
    usdc = next(a for a in manifest["assets"] if a["symbol"] == "USDC")
    usdc["reserves"], usdc["reserves_amount"], usdc["ratio"] = "351000003", "351.000003", "1.3984"
    write_json(folder, MANIFEST, manifest)
    code, status, detail = _step_8(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert "publishes reserves of 351.000003, but the signed customer wallets" in detail, detail


def test_hiding_the_corporate_wallet_from_the_manifest_fails(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    manifest = read_json(folder, MANIFEST)
    manifest["segregation"]["corporate"] = []
    write_json(folder, MANIFEST, manifest)
    code, status, detail = _step_8(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert (
        "publishes corporate holdings of nothing, but its signed corporate wallets hold 2 ETH"
        in detail
    )


def test_a_segregation_section_without_reserves_fails(tmp_path: Path) -> None:
    """Collateral and fund figures with no reserves.json would be checked by nothing."""
    folder = segregated(tmp_path / "a")
    manifest = read_json(folder, MANIFEST)
    for asset in manifest["assets"]:
        for key in ("reserves", "reserves_amount", "ratio"):
            del asset[key]
    del manifest["files"]["reserves.json"]
    write_json(folder, MANIFEST, manifest)
    code, status, detail = _step_8(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert "has a segregation section but declares no reserves" in detail
