"""What the per-user-check attack tests share: the CLI run, a forged copy of an attestation,
and one visit of the Verify page in chromium.

Nothing is mocked: the CLI is ``zkpor verify-user`` through typer's runner, the page is a
real built site in Debian's chromium running the verifier in Pyodide.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from publisher.cli.main import app
from tests.site_fixtures import (
    ShownStep,
    chromium,
    rehash_in_manifest,
    serving,
    shown_steps,
    status_line,
    submit_code,
    visit,
)
from verifier.manifest import BUNDLE_SUMS, MANIFEST, Manifest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

__all__ = [
    "PageCheck",
    "browser",
    "check_on_page",
    "copy_attestation",
    "publish",
    "republish_bucket",
    "site_with_attestation",
    "verify_user",
]


def verify_user(folder: Path, code: str, *flags: str) -> tuple[Result, dict[str, Any]]:
    """Run ``zkpor verify-user`` twice, as text and as ``--json``; return the text run and
    the JSON report."""
    runner = CliRunner()
    text = runner.invoke(app, ["verify-user", str(folder), "--code", code, *flags])
    as_json = runner.invoke(app, ["verify-user", str(folder), "--code", code, *flags, "--json"])
    assert as_json.exit_code == text.exit_code, (text.output, as_json.output)
    return text, json.loads(as_json.output)


def copy_attestation(folder: Path, out: Path) -> Path:
    """Return a fresh copy of the attestation ``folder`` at ``out``, to forge."""
    shutil.copytree(folder, out)
    return out


def publish(folder: Path, manifest: Manifest, changed: list[str]) -> None:
    """Write ``manifest`` with the sha256 of every file in ``changed`` updated to its
    current bytes: what a custodian publishing a forgery does, so that only the
    cryptography (not a stale hash) can catch it."""
    files = dict(manifest.files)
    for name in changed:
        files[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    doc = type(manifest)(**{**manifest.__dict__, "files": files}).to_json()
    (folder / MANIFEST).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One chromium per module (the page itself is fresh at each visit)."""
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@dataclass(frozen=True)
class PageCheck:
    """What the Verify page showed for one code: how the run ended, the user steps, the
    verdict line and its state, and the account id shown (if any)."""

    done: str
    steps: list[ShownStep]
    #: the verdict line (text, data-state) at the end, after the answer if one was given
    status: tuple[str, str]
    account_id: str | None
    #: the verdict line once the run was done, before any answer
    status_before_answer: tuple[str, str]

    def step(self, name: str) -> ShownStep:
        return next(s for s in self.steps if s.name == name)


def check_on_page(
    browser: BrowserContext, site: Path, code: str, answer: bool | None = None
) -> PageCheck:
    """Serve ``site``, check ``code`` on its Verify page, and, if ``answer`` is given and
    the page asks (an account id is shown and every step passed), answer whether it is
    one's own."""
    with serving(site) as running, visit(browser, f"{running.origin}/verify/") as run:
        page = run.page
        done = submit_code(page, code)
        before = status_line(page)
        shown = page.locator("#zkpor-account-id")
        account_id = shown.inner_text() if shown.count() else None
        # The page asks only once every step passed (a failed check is never green).
        if answer is not None and page.locator("#zkpor-confirm-yes").count():
            page.click("#zkpor-confirm-yes" if answer else "#zkpor-confirm-no")
        steps = shown_steps(page, "zkpor-user-steps")
        return PageCheck(done, steps, status_line(page), account_id, before)


def republish_bucket(folder: Path, bucket: Path) -> None:
    """After ``bucket`` (a file under ``folder``/bundles) was rewritten, list its new
    sha256 in bundles/SHA256SUMS and that file's new sha256 in the manifest, leaving both
    otherwise byte for byte: what a custodian that serves a forged bucket to everyone does."""
    sums = folder / BUNDLE_SUMS
    old_sums = sums.read_bytes()
    lines = []
    for line in old_sums.decode("ascii").splitlines():
        digest, _, name = line.partition("  ")
        if name == bucket.name:
            digest = hashlib.sha256(bucket.read_bytes()).hexdigest()
        lines.append(f"{digest}  {name}")
    sums.write_bytes(("\n".join(lines) + "\n").encode("ascii"))
    rehash_in_manifest(folder, BUNDLE_SUMS, old_sums)


def site_with_attestation(site: Path, attestation: Path, out: Path) -> Path:
    """Return a copy of ``site`` at ``out`` serving ``attestation`` as its attestation/
    folder: what a host that keeps the genuine pages and swaps the files does (the site
    build itself refuses an attestation that does not verify)."""
    shutil.copytree(site, out)
    shutil.rmtree(out / "attestation")
    shutil.copytree(attestation, out / "attestation")
    return out
