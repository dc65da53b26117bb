"""Attack: the Verify page says "Every check passed" for a code it never checked.

Issue 15, finding 1: open ``verify/#code=A`` (a code whose account passes), then, while A is
being checked, change the fragment to ``#code=B``. Any page that opened the Verify page
(``window.open``) can do that: a same-document navigation to another fragment is allowed
across origins. The field then showed B and the page said "Every check passed." with A's
results, for a code nobody had checked. Here B is a code with no bundle in the attestation,
the case a custodian hiding an account would want to dress up.

Now a code that arrives during a check is checked next, and the running check's results are
dropped: the page ends on B's own result (no bundle: "may mean your account was left out"),
never green, and never shows A's account.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.ceremony_fixtures import (  # noqa: F401  (pytest fixtures)
    ceremony,
    ceremony_attestation,
    ceremony_site,
)
from tests.security.user_check_support import browser  # noqa: F401  (pytest fixture)
from tests.site_fixtures import SmallAttestation, serving, status_line, visit, wait_done
from verifier.codes import format_code

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_code_swapped_in_during_a_check_gets_its_own_result_never_the_old_one(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    ceremony_site: Path,  # noqa: F811
    browser: BrowserContext,  # noqa: F811
) -> None:
    good = ceremony_attestation.codes["zoë"]
    nobody = format_code(bytes(16))  # well formed, no bundle
    with (
        serving(ceremony_site) as server,
        visit(browser, f"{server.origin}/verify/#code={good}") as run,
    ):
        page = run.page
        page.wait_for_function(
            "() => document.getElementById('zkpor-status').textContent.startsWith('Checking')"
        )
        page.evaluate(f"location.hash = '#code={nobody}'")
        page.wait_for_function("() => document.getElementById('zkpor-advice')?.hidden === false")
        assert wait_done(page) == "failed"
        assert page.input_value("#zkpor-code") == nobody
        text, state = status_line(page)
        assert state == "fail" and "step 1, bundle (FAIL)" in text, text
        assert "Every check passed" not in text
        assert "may mean your account was left out" in page.inner_text("#zkpor-advice")
        assert page.locator("#zkpor-account-id").count() == 0  # A's account is gone
        assert page.evaluate("document.body.dataset.zkporVerdict") is None  # never green
