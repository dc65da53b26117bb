"""Attack (issue 11, finding 1): a verifying key with IC_i = k_i·delta_1 forges any totals.

The forger needs only public data: delta_1 from the transcript. Before the fix, step 9
compared alpha, beta, gamma, delta and a coordinator-written vk hash, so an attestation
with every liability halved passed all nine steps and every user's check. Now the
ceremony header fixes IC before the first contribution and every proof of knowledge binds
the header (the first contribution's g1_s is the header's anchor point, and every later
record's transcript hashes it), so: rewriting vk.json fails step 9 ("IC[0] ... not the one
the ceremony's header fixed"), and rewriting the header's IC too breaks the anchor (and
redoing the anchor contribution breaks the next record: tests/ceremony/test_ceremony.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app
from tests.ceremony_fixtures import (  # noqa: F401  (pytest fixtures)
    ceremony,
    ceremony_attestation,
    ceremony_site,
)
from tests.security.forge_key import forge_halved_attestation
from tests.security.user_check_support import (  # noqa: F401
    browser,
    check_on_page,
    site_with_attestation,
)
from tests.site_fixtures import SmallAttestation

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.xdist_group("browser")

runner = CliRunner()


def _verify(folder: Path) -> dict[str, object]:
    result = runner.invoke(app, ["verify", str(folder), "--json", "--allow-unknown-phase1"])
    report = json.loads(result.output)
    assert isinstance(report, dict)
    assert (result.exit_code == 0) == report["passed"]
    return report


def _step(report: dict[str, object], name: str) -> dict[str, str]:
    steps = report["steps"]
    assert isinstance(steps, list)
    return next(s for s in steps if s["name"] == name)


def test_the_genuine_attestation_passes(ceremony_attestation: SmallAttestation) -> None:  # noqa: F811
    report = _verify(ceremony_attestation.folder)
    assert report["passed"], report


def test_forged_vk_with_ic_multiples_of_delta_fails_trusted_setup(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    forged = forge_halved_attestation(ceremony_attestation.folder, tmp_path / "forged")
    report = _verify(forged)
    assert not report["passed"]
    # Every other step passes: the forged proofs verify under the forged key.
    for name in ("batch proofs", "accumulator chain", "totals"):
        assert _step(report, name)["status"] == "OK", report
    setup = _step(report, "trusted setup")
    assert setup["status"] == "FAIL"
    assert "IC[0] of vk.json is not the one the ceremony's header fixed" in setup["detail"]


def test_forged_vk_and_rewritten_header_ic_breaks_the_anchor(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    forged = forge_halved_attestation(
        ceremony_attestation.folder, tmp_path / "forged", rewrite_header_ic=True
    )
    report = _verify(forged)
    setup = _step(report, "trusted setup")
    assert setup["status"] == "FAIL"
    assert "does not bind the ceremony's header" in setup["detail"], setup


@pytest.mark.parametrize("rewrite_header_ic", [False, True])
def test_forged_vk_fails_the_users_check(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    tmp_path: Path,
    rewrite_header_ic: bool,
) -> None:
    forged = forge_halved_attestation(
        ceremony_attestation.folder, tmp_path / "forged", rewrite_header_ic=rewrite_header_ic
    )
    code = next(iter(ceremony_attestation.codes.values()))
    result = runner.invoke(
        app, ["verify-user", str(forged), "--code", code, "--allow-unknown-phase1"]
    )
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "trusted setup" in result.output, result.output


@pytest.mark.parametrize("rewrite_header_ic", [False, True])
def test_forged_vk_fails_on_the_verify_page(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    ceremony_site: Path,  # noqa: F811
    browser: BrowserContext,  # noqa: F811
    tmp_path: Path,
    rewrite_header_ic: bool,
) -> None:
    """The host serves the genuine site's pages with the forged attestation files."""
    forged = forge_halved_attestation(
        ceremony_attestation.folder, tmp_path / "forged", rewrite_header_ic=rewrite_header_ic
    )
    site = site_with_attestation(ceremony_site, forged, tmp_path / "site")
    user = "carol"
    shown = check_on_page(browser, site, ceremony_attestation.codes[user], answer=True)
    assert shown.done == "failed"
    setup = shown.step("trusted setup")
    expected = "does not bind the ceremony's header" if rewrite_header_ic else "IC[0] of vk.json"
    assert setup.status == "FAIL" and expected in setup.detail, setup
    # The forged proofs themselves verify: only the setup step can catch this.
    assert shown.step("batch proofs").status == "OK"
    assert shown.status[1] == "fail", shown.status
