"""Attack (issue 11, finding 2): the per-user check never looked at the trusted setup.

The custodian proves with its own single-party development setup (``setup.kind =
"insecure-dev"``, no ceremony transcript published): it knows the setup's secret, so it can
forge a proof of any totals. ``zkpor verify-user`` and the Verify page used to pass such an
attestation. Now both run the reviewer's setup check as step 7, "trusted setup", and fail
it, with no flag to accept it; a ceremony attestation whose transcript was deleted fails
the same step.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app
from tests.ceremony_fixtures import ceremony, ceremony_attestation  # noqa: F401
from tests.security.user_check_support import (
    browser,  # noqa: F401
    check_on_page,
    copy_attestation,
    publish,
    verify_user,
)
from tests.site_fixtures import SmallAttestation, make_attestation, make_site
from verifier.ceremony import TRANSCRIPT
from verifier.user import USER_STEP_NAMES

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.xdist_group("browser")

USER = "carol"
DEV_SETUP = "single-party development setup"


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> SmallAttestation:
    """The attack: the attestation proven with the custodian's development keys."""
    return make_attestation(tmp_path_factory.mktemp("dev-setup"))


def test_verify_user_fails_a_development_setup_at_the_trusted_setup_step(
    dev: SmallAttestation,
) -> None:
    assert dev.manifest.setup_kind == "insecure-dev"
    assert not (dev.folder / TRANSCRIPT).exists()
    for flags in ((), ("--allow-unknown-phase1",), ("--all",)):
        text, report = verify_user(dev.folder, dev.codes[USER], *flags)
        assert text.exit_code == 1, text.output
        statuses = {s["name"]: s["status"] for s in report["steps"]}
        # Everything else holds: only the setup step can catch this.
        assert statuses == {**dict.fromkeys(USER_STEP_NAMES[:-1], "OK"), "trusted setup": "FAIL"}
        setup = report["steps"][-1]
        assert setup["number"] == 7 and DEV_SETUP in setup["detail"]
        assert "7. FAIL: trusted setup" in text.output and DEV_SETUP in text.output
        assert "PASSED" not in text.output and not report["passed"]


def test_verify_user_has_no_flag_to_accept_a_development_setup(dev: SmallAttestation) -> None:
    args = ["verify-user", str(dev.folder), "--code", dev.codes[USER]]
    result = CliRunner().invoke(app, [*args, "--allow-insecure-dev-setup"])
    assert result.exit_code == 2 and "No such option" in result.output


def test_a_ceremony_attestation_whose_transcript_is_deleted_fails(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    good = ceremony_attestation
    code = good.codes[USER]
    # The transcript deleted, its hash still listed: the file is missing.
    copy = copy_attestation(good.folder, tmp_path / "deleted")
    (copy / TRANSCRIPT).unlink()
    text, report = verify_user(copy, code, "--allow-unknown-phase1")
    assert text.exit_code == 1
    setup = report["steps"][-1]
    assert (setup["name"], setup["status"]) == ("trusted setup", "FAIL")
    assert f"{TRANSCRIPT} is missing" in setup["detail"]
    # Deleted and unlisted too: the manifest no longer names it.
    unlisted = copy_attestation(good.folder, tmp_path / "unlisted")
    (unlisted / TRANSCRIPT).unlink()
    files = {k: v for k, v in good.manifest.files.items() if k != TRANSCRIPT}
    publish(unlisted, replace(good.manifest, files=files), [])
    text, report = verify_user(unlisted, code, "--allow-unknown-phase1")
    setup = report["steps"][-1]
    assert text.exit_code == 1 and setup["status"] == "FAIL"
    assert f"does not list the sha256 of {TRANSCRIPT}" in setup["detail"]
    # And the untouched attestation passes the same step: the check is not always FAIL.
    text, report = verify_user(good.folder, code, "--allow-unknown-phase1")
    assert text.exit_code == 0 and report["steps"][-1]["status"] == "OK", text.output


def test_the_verify_page_fails_a_development_setup(
    dev: SmallAttestation,
    browser: BrowserContext,  # noqa: F811
    tmp_path: Path,
) -> None:
    site = make_site(dev, tmp_path / "site")
    shown = check_on_page(browser, site, dev.codes[USER], answer=True)
    assert shown.done == "failed"
    assert [s.name for s in shown.steps] == list(USER_STEP_NAMES)
    setup = shown.step("trusted setup")
    assert setup.status == "FAIL" and DEV_SETUP in setup.detail
    assert [s.status for s in shown.steps[:-1]] == ["OK"] * 6
    # Never green, even once the visitor confirms the account id is theirs.
    assert shown.account_id == USER
    assert shown.status[1] == "fail", shown.status
