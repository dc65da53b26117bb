"""Attack (issue 11, finding 7): keys on a phase 1 the custodian made itself.

Whoever made a phase-1 file alone knows tau, alpha and beta and can forge proofs; such a
file is indistinguishable from a public one by its contents. Step 9 used to say OK for
any. Now only the public Powers of Tau files pinned in ``verifier/phase1.py`` pass, and
an unknown one FAILs step 9 of ``zkpor verify``, step 7 of ``zkpor verify-user`` and the
Verify page (in plain words), unless the reviewer passes ``--allow-unknown-phase1`` (the
page has no such switch).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app
from publisher.site.build import BuildOptions, build_site
from tests import peers
from tests.ceremony_fixtures import (  # noqa: F401  (pytest fixtures)
    ceremony,
    ceremony_attestation,
)
from tests.security.user_check_support import browser, check_on_page, verify_user  # noqa: F401
from tests.site_fixtures import SmallAttestation
from verifier.phase1 import KNOWN_PHASE1, known_phase1

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.xdist_group("browser")
UNKNOWN = "not a known public Powers of Tau file"
runner = CliRunner()


def test_the_pinned_list_is_the_snarkjs_readme_table() -> None:
    """Every pinned hash is the one the snarkjs README publishes for that file."""
    readme = (peers.require("snarkjs") / "README.md").read_text(encoding="utf-8")
    row = r"\[(powersOfTau28_hez_final(?:_\d\d)?\.ptau)\]\([^)]*\)\s*\|\s*([0-9a-f]{128})"
    rows = re.findall(row, readme)
    published = dict(rows)
    assert len(published) == len(KNOWN_PHASE1) == 21
    for known in KNOWN_PHASE1:
        assert published[known.name] == known.blake2b, known.name
        assert known_phase1(known.blake2b, known.power) == known
        assert known_phase1(known.blake2b, known.power - 1) is None  # the power is part of it


def test_zkpor_verify_fails_an_unknown_phase1_unless_told(
    ceremony_attestation: SmallAttestation,  # noqa: F811
) -> None:
    folder = str(ceremony_attestation.folder)
    plain = runner.invoke(app, ["verify", folder, "--json"])
    report = json.loads(plain.output)
    assert plain.exit_code == 1 and not report["passed"]
    # Step 9 fails alone: the steps before it and step 10 (co-signatures) pass.
    [setup] = [s for s in report["steps"] if s["status"] != "OK"]
    assert (setup["number"], setup["name"], setup["status"]) == (9, "trusted setup", "FAIL")
    assert UNKNOWN in setup["detail"] and "--allow-unknown-phase1" in setup["detail"]
    assert len(report["steps"]) == 10, report
    told = runner.invoke(app, ["verify", folder, "--allow-unknown-phase1"])
    assert told.exit_code == 0, told.output
    assert "ACCEPTED ONLY BECAUSE ASKED (--allow-unknown-phase1)" in told.output


def test_verify_user_fails_an_unknown_phase1_unless_told(
    ceremony_attestation: SmallAttestation,  # noqa: F811
) -> None:
    code = ceremony_attestation.codes["carol"]
    text, report = verify_user(ceremony_attestation.folder, code)
    assert text.exit_code == 1
    setup = report["steps"][-1]
    assert (setup["name"], setup["status"]) == ("trusted setup", "FAIL")
    assert UNKNOWN in setup["detail"]
    text, report = verify_user(ceremony_attestation.folder, code, "--allow-unknown-phase1")
    assert text.exit_code == 0, text.output


def test_site_build_refuses_an_unknown_phase1_unless_told_and_then_warns(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    from publisher.site.build import SiteError

    with pytest.raises(SiteError, match=UNKNOWN):
        build_site(ceremony_attestation.folder, tmp_path / "refused", BuildOptions())
    assert not (tmp_path / "refused").exists()
    site = build_site(
        ceremony_attestation.folder, tmp_path / "site", BuildOptions(allow_unknown_phase1=True)
    )
    for page in ("index.html", "verify/index.html", "proofs/index.html"):
        text = (site / page).read_text(encoding="utf-8")
        assert "Phase 1 is not a public Powers of Tau ceremony" in text, page


def test_the_verify_page_fails_an_unknown_phase1_in_plain_words(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    browser: BrowserContext,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The site a demo builds (``--allow-unknown-phase1``): its shipped worker pins no
    extra phase 1, so the page fails the setup step and is never green."""
    site = build_site(
        ceremony_attestation.folder, tmp_path / "site", BuildOptions(allow_unknown_phase1=True)
    )
    shown = check_on_page(browser, site, ceremony_attestation.codes["carol"], answer=True)
    setup = shown.step("trusted setup")
    assert setup.status == "FAIL" and UNKNOWN in setup.detail, setup
    assert [s.status for s in shown.steps[:-1]] == ["OK"] * (len(shown.steps) - 1)
    assert shown.status[1] == "fail", shown.status
    shutil.rmtree(site)
