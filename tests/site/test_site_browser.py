"""The built site's Verify page in a real browser: Debian's chromium, driven by Playwright.

One small attestation (10 accounts, 4 batches, signed reserves including a Solana wallet,
keys from a real ceremony: ``tests.ceremony_fixtures``) is proven and its site built once;
its worker lists the test ceremony's demo phase 1 as known (a shipped worker lists none).
The site is served on 127.0.0.1 and the page runs the real verifier in Pyodide inside a
Web Worker. What the page shows is compared with what the CPython verifier
(``zkpor verify-user`` / ``zkpor verify``) finds on the same files. Tampered variants are
copies of the built site with one thing changed.

The verdict line turns green ("ok") only when every step of the run was reported OK and,
for a code, the visitor confirmed the account id: one test per other state (a failed
step, a skipped step, a step never reported, a worker that died or stopped answering).
"""

from __future__ import annotations

import json
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from publisher.crypto import NaclBackend
from tests.ceremony_fixtures import VERIFY_JS, patch_page_script
from tests.paths import REPO
from tests.site_fixtures import (
    PageRun,
    RecordingServer,
    ShownStep,
    SmallAttestation,
    copy_site,
    flip_byte,
    record_of,
    rehash_in_manifest,
    serving,
    shown_steps,
    status_line,
    submit_code,
    visit,
    wait_done,
)
from verifier.attestation import STEP_NAMES, verify_attestation
from verifier.bundle import UNREADABLE
from verifier.codes import format_code
from verifier.fetch import directory_reader
from verifier.report import StepResult
from verifier.user import USER_STEP_NAMES, UserOptions, UserReport, verify_user
from verifier.web import SAMPLES

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

# One attestation, site and browser per module: under pytest-xdist, `--dist loadgroup`
# keeps the module on one worker instead of building them once per worker.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

BACKEND = NaclBackend()
#: The account checked through the form, and the one opened by a #code= link.
FORM_USER, LINK_USER = "zoë", "李雷"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NUMBERED = list(enumerate(USER_STEP_NAMES, 1))


# --- fixtures (tests/site/conftest.py): one attestation, site, server, browser ----------


@pytest.fixture(scope="module")
def form_user_cli(small: SmallAttestation) -> UserReport:
    """What ``zkpor verify-user`` finds for the form user's code on the untouched files."""
    report = cli_user_report(small.folder, small.codes[FORM_USER])
    assert report.passed and report.bundle is not None
    return report


def cli_user_report(attestation_dir: Path, code: str) -> UserReport:
    """What ``zkpor verify-user --allow-unknown-phase1`` (CPython, PyNaCl) finds for
    ``code`` in ``attestation_dir``: the page's worker knows the test phase 1."""
    options = UserOptions(allow_unknown_phase1=True)
    return verify_user(directory_reader(attestation_dir), code, BACKEND, options)


def as_shown(results: list[StepResult] | tuple[StepResult, ...]) -> list[ShownStep]:
    """The CLI's results as the page would show them."""
    return [ShownStep(str(r.number), r.status, r.name, r.detail) for r in results]


def paths_requested(run: PageRun, prefix: str) -> list[str]:
    """Return the site paths under ``prefix`` the browser requested (worker included)."""
    paths = [urlsplit(url).path for _, url, _, _ in run.requests]
    return [path for path in paths if path.startswith(prefix)]


# --- a valid code, checked through the form, then "verify all" on the same page --------


@dataclass(frozen=True)
class ValidRun:
    """Everything one visit showed and sent: a user's check, then the whole attestation."""

    origin: str
    code: str
    done: str
    #: the verdict once the checks are done, before the account id is confirmed
    status_unconfirmed: tuple[str, str]
    account_id: str
    status: tuple[str, str]
    user_steps: list[ShownStep]
    account: list[list[str]]
    account_hidden: bool
    samples: list[ShownStep]
    screenshot: bytes
    all_done: str
    all_status: tuple[str, str]
    all_steps: list[ShownStep]
    all_progress: tuple[int, int, bool]
    all_count: str
    run: PageRun
    #: what the server received during the visit: request lines and headers
    server_saw: list[str]


@pytest.fixture(scope="module")
def valid_run(
    browser: BrowserContext, small: SmallAttestation, server: RecordingServer
) -> ValidRun:
    code = small.codes[FORM_USER]
    first = len(server.seen)
    with visit(browser, f"{server.origin}/verify/") as run:
        page = run.page
        done = submit_code(page, code)
        unconfirmed = status_line(page)
        account_id = page.inner_text("#zkpor-account-id")
        page.click("#zkpor-confirm-yes")
        status, user_steps = status_line(page), shown_steps(page, "zkpor-user-steps")
        account = page.eval_on_selector_all(
            "#zkpor-account tbody tr",
            "rows => rows.map(r => [...r.cells].map(c => c.textContent))",
        )
        account_hidden = page.locator("#zkpor-account").is_hidden()
        samples = shown_steps(page, "zkpor-samples")
        screenshot = page.screenshot(full_page=True)
        page.click("#zkpor-all")
        all_done = wait_done(page)
        progress = page.eval_on_selector(
            "#zkpor-all-progress", "bar => [bar.value, bar.max, bar.hidden]"
        )
        return ValidRun(
            origin=server.origin,
            code=code,
            done=done,
            status_unconfirmed=unconfirmed,
            account_id=account_id,
            status=status,
            user_steps=user_steps,
            account=account,
            account_hidden=account_hidden,
            samples=samples,
            screenshot=screenshot,
            all_done=all_done,
            all_status=status_line(page),
            all_steps=shown_steps(page, "zkpor-all-steps"),
            all_progress=(int(progress[0]), int(progress[1]), bool(progress[2])),
            all_count=page.inner_text("#zkpor-all-count"),
            run=run,
            server_saw=server.seen[first:],
        )


def test_a_valid_code_passes_the_seven_user_steps_as_the_cli_does(
    valid_run: ValidRun, form_user_cli: UserReport
) -> None:
    assert valid_run.done == "passed"
    assert valid_run.status == (
        "Every check passed, and you confirmed the account id is yours. Checked: your "
        "account, and every batch proof: the published liabilities are proven.",
        "ok",
    )
    assert [s.name for s in valid_run.user_steps] == list(USER_STEP_NAMES)
    assert [s.step for s in valid_run.user_steps] == ["1", "2", "3", "4", "5", "6", "7"]
    assert all(s.status == "OK" for s in valid_run.user_steps), valid_run.user_steps
    # Same Python verifier, other crypto backend (libsodium.js): the same words.
    assert valid_run.user_steps == as_shown(form_user_cli.results)
    assert valid_run.run.errors == []


def test_a_valid_code_is_green_only_once_the_account_id_is_confirmed(
    valid_run: ValidRun,
) -> None:
    assert valid_run.account_id == FORM_USER
    assert valid_run.status_unconfirmed == (
        "Every check passed. Is the account id below yours? Answer to finish.",
        "confirm",
    )


def test_a_valid_code_shows_the_accounts_balances(
    valid_run: ValidRun, form_user_cli: UserReport
) -> None:
    cli = form_user_cli.user_json()
    assert cli is not None and cli["user_id"] == FORM_USER
    assert not valid_run.account_hidden
    assert valid_run.account == [["BTC", "1.00000001"], ["USDT", "0"]]
    assert valid_run.account == [[b["asset"], b["amount"]] for b in cli["balances"]]


def test_a_valid_code_also_checks_random_other_batches(
    valid_run: ValidRun, small: SmallAttestation, form_user_cli: UserReport
) -> None:
    batches = small.manifest.tree.batches
    assert form_user_cli.bundle is not None
    assert batches - 1 == SAMPLES, "with 4 batches every other batch is sampled"
    others = [str(b) for b in range(batches) if b != form_user_cli.bundle.batch]
    assert [s.step for s in valid_run.samples] == others
    assert [(s.name, s.status, s.detail) for s in valid_run.samples] == [
        (f"batch {b}", "OK", f"the Groth16 proof of batch {b} is valid") for b in others
    ]


def test_verify_all_runs_the_ten_steps_and_proves_the_totals(
    valid_run: ValidRun, small: SmallAttestation
) -> None:
    assert valid_run.all_done == "passed"
    assert valid_run.all_status == (
        "The whole attestation: all 4 batch proofs and the 10 checks of zkpor verify passed; "
        "the published liabilities are proven. (Your own account is checked with your code, "
        "above.)",
        "ok",
    )
    assert [s.name for s in valid_run.all_steps] == list(STEP_NAMES)
    assert [s.status for s in valid_run.all_steps] == ["OK"] * 10
    # Reserves: two Bitcoin signatures (py_ecc) and one Solana one (libsodium.js ed25519).
    assert valid_run.all_steps[7].detail.startswith("3 wallets proven by signature")
    cli = verify_attestation(directory_reader(small.folder), BACKEND, allow_unknown_phase1=True)
    assert valid_run.all_steps == as_shown(cli)
    batches = small.manifest.tree.batches
    assert valid_run.all_progress == (batches, batches, False)
    assert valid_run.all_count == f"{batches} of {batches} batch proofs checked"


def spellings(code: str) -> list[str]:
    """The ways a code could leak: as shown, without dashes, in lower case."""
    compact = code.replace("-", "")
    return [code, compact, code.lower(), compact.lower()]


def test_the_code_never_leaves_the_page_and_every_request_stays_on_the_site(
    valid_run: ValidRun,
) -> None:
    run, origin = valid_run.run, valid_run.origin
    paths = paths_requested(run, "/")
    # The worker's requests are seen: only the worker loads Pyodide and the attestation.
    # Pyodide's runtime comes from its content-addressed folder (publisher.site.addressed).
    assert any(re.fullmatch(r"/v/[0-9a-f]{16}/pyodide\.asm\.wasm", p) for p in paths), paths
    assert "/attestation/proofs.json" in paths
    assert any(p.startswith("/attestation/bundles/") and p.endswith(".bin") for p in paths)
    for method, url, body, headers in run.requests:
        assert method == "GET" and body is None, (method, url)
        scheme = urlsplit(url).scheme
        assert url.startswith(f"{origin}/") or scheme in {"blob", "data"}, url
        if scheme == "blob":
            assert url.startswith(f"blob:{origin}/"), url
        for leak in spellings(valid_run.code):
            assert leak not in url, url
            assert not any(leak in value for value in headers.values()), (url, headers)
    # And what the server itself received: no request line or header holds the code.
    assert any(line.startswith("GET /attestation/bundles/") for line in valid_run.server_saw)
    for received in valid_run.server_saw:
        assert received.startswith("GET "), received
        for leak in spellings(valid_run.code):
            assert leak not in received, received


def test_a_screenshot_of_the_passing_verify_page_is_saved(valid_run: ValidRun) -> None:
    folder = Path(os.environ.get("ZKPOR_ARTIFACTS") or REPO / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "verify-page.png"
    path.write_bytes(valid_run.screenshot)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width >= 800 and height > width, "a full-page shot of the whole Verify page"


# --- codes that do not open a bundle -------------------------------------------------


def test_a_wrong_code_has_no_bundle_and_opens_nothing(
    browser: BrowserContext, small: SmallAttestation, server: RecordingServer
) -> None:
    wrong = format_code(bytes(16))  # well formed, valid check symbol, nobody's code
    with visit(browser, f"{server.origin}/verify/") as run:
        assert submit_code(run.page, wrong) == "failed"
        steps = shown_steps(run.page, "zkpor-user-steps")
        assert steps[0] == ShownStep("1", "FAIL", "bundle", "no bundle for this code")
        assert [s.status for s in steps[1:5]] == ["SKIP"] * 4
        # The chain and the setup need no bundle: they are checked (and hold) all the same.
        assert steps[5].name == "accumulator chain" and steps[5].status == "OK"
        assert steps[6].name == "trusted setup" and steps[6].status == "OK"
        assert steps == as_shown(cli_user_report(small.folder, wrong).results)
        assert run.page.locator("#zkpor-account").is_hidden()
        assert shown_steps(run.page, "zkpor-samples") == []
        assert status_line(run.page) == (
            "Some checks FAILED or did not run: see the reasons below. The first: step 1, "
            "bundle (FAIL).",
            "fail",
        )


def test_a_typo_is_reported_before_anything_is_fetched(
    browser: BrowserContext, small: SmallAttestation, server: RecordingServer
) -> None:
    code = small.codes[FORM_USER]
    typo = ("1" if code[0] != "1" else "2") + code[1:]
    first = len(server.seen)
    with visit(browser, f"{server.origin}/verify/") as run:
        assert submit_code(run.page, typo) == "failed"
        assert status_line(run.page) == (
            "The code has a typo: symbol 1 (group 1) looks wrong.",
            "fail",
        )
        steps = shown_steps(run.page, "zkpor-user-steps")
        assert [s.status for s in steps] == ["PENDING"] * 7
        # The page fetches the attestation's common files while it loads, whatever the
        # code; the user's bucket file (which the code picks) is never fetched for a typo.
        assert paths_requested(run, "/attestation/bundles/") in (
            [],
            ["/attestation/bundles/SHA256SUMS"],
        )
    assert not any(".bin" in line for line in server.seen[first:] if "/attestation/" in line)


# --- tampered copies of the site -------------------------------------------------------


def check_on_copy(
    browser: BrowserContext, copy: Path, code: str
) -> tuple[str, list[ShownStep], list[ShownStep]]:
    """Serve ``copy`` and check ``code`` on its Verify page; return how the run ended and
    the user steps and other batches shown."""
    with serving(copy) as running, visit(browser, f"{running.origin}/verify/") as run:
        done = submit_code(run.page, code)
        steps = shown_steps(run.page, "zkpor-user-steps")
        return done, steps, shown_steps(run.page, "zkpor-samples")


def test_a_tampered_bundle_fails_step_1_with_the_reason(
    browser: BrowserContext, small: SmallAttestation, site: Path, tmp_path: Path
) -> None:
    copy = copy_site(site, tmp_path / "site")
    code = small.codes[FORM_USER]
    bucket, offset = record_of(copy / "attestation", small.manifest, code)
    flip_byte(bucket, offset + 40)  # inside the encrypted record, past its lookup key
    done, steps, samples = check_on_copy(browser, copy, code)
    assert done == "failed"
    assert steps[0] == ShownStep("1", "FAIL", "bundle", UNREADABLE)
    assert [s.status for s in steps[1:5]] == ["SKIP"] * 4
    assert steps == as_shown(cli_user_report(copy / "attestation", code).results)
    assert samples == [], "no bundle, no batch of one's own to sample around"


def swap_proof_of_batch(attestation_dir: Path, batch: int) -> bytes:
    """Give ``batch`` the (valid) proof of another batch in proofs.json, keeping every
    public input; return the file's former bytes."""
    path = attestation_dir / "proofs.json"
    before = path.read_bytes()
    entries = json.loads(before)
    other = (batch + 1) % len(entries)
    assert entries[batch]["proof"] != entries[other]["proof"]
    entries[batch]["proof"] = entries[other]["proof"]
    path.write_bytes((json.dumps(entries, indent=1, ensure_ascii=False) + "\n").encode())
    return before


@pytest.fixture(scope="module")
def form_user_batch(form_user_cli: UserReport) -> int:
    assert form_user_cli.bundle is not None
    return form_user_cli.bundle.batch


def test_a_tampered_proof_with_a_matching_manifest_fails_the_batch_proof_step(
    browser: BrowserContext,
    small: SmallAttestation,
    site: Path,
    form_user_batch: int,
    tmp_path: Path,
) -> None:
    copy = copy_site(site, tmp_path / "site")
    code = small.codes[FORM_USER]
    batch = form_user_batch
    before = swap_proof_of_batch(copy / "attestation", batch)
    rehash_in_manifest(copy / "attestation", "proofs.json", before)
    done, steps, samples = check_on_copy(browser, copy, code)
    assert done == "failed"
    assert [s.status for s in steps] == ["OK", "OK", "OK", "OK", "FAIL", "OK", "OK"]
    assert steps[4].name == "batch proofs"
    assert steps[4].detail.startswith(f"your batch {batch} is not proven: ")
    assert "NOT proven" in steps[5].detail, "the totals are never called proven then"
    assert steps == as_shown(cli_user_report(copy / "attestation", code).results)
    # The user's batch is checked first: the others are not judged, and not shown as OK.
    assert samples == []


@dataclass(frozen=True)
class UnlistedProofs:
    """A check on a copy whose proofs.json was changed but not its sha256 in the manifest."""

    done: str
    steps: list[ShownStep]
    samples: list[ShownStep]
    cli: UserReport


@pytest.fixture(scope="module")
def unlisted_proofs(
    browser: BrowserContext,
    small: SmallAttestation,
    site: Path,
    form_user_batch: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> UnlistedProofs:
    copy = copy_site(site, tmp_path_factory.mktemp("unlisted-proofs") / "site")
    code = small.codes[FORM_USER]
    swap_proof_of_batch(copy / "attestation", form_user_batch)
    done, steps, samples = check_on_copy(browser, copy, code)
    return UnlistedProofs(done, steps, samples, cli_user_report(copy / "attestation", code))


def test_a_tampered_proofs_file_that_the_manifest_does_not_list_fails_step_3(
    unlisted_proofs: UnlistedProofs,
) -> None:
    steps = unlisted_proofs.steps
    assert unlisted_proofs.done == "failed"
    # Step 3 is the first to read proofs.json: its sha256 is not the manifest's.
    assert steps[2].name == "path to batch root" and steps[2].status == "FAIL"
    assert steps[2].detail.startswith("proofs.json has sha256 ")
    assert "but the manifest lists" in steps[2].detail
    assert [s.status for s in steps] == ["OK", "OK", "FAIL", "SKIP", "SKIP", "SKIP", "OK"]
    assert steps == as_shown(unlisted_proofs.cli.results)


def test_other_batches_are_not_called_proven_from_a_proofs_file_the_manifest_does_not_list(
    unlisted_proofs: UnlistedProofs,
) -> None:
    assert unlisted_proofs.samples == [], "no proof of proofs.json was judged"


# --- a #code= link -----------------------------------------------------------------------


def test_a_code_link_runs_the_check_by_itself_and_passes(
    browser: BrowserContext, small: SmallAttestation, server: RecordingServer
) -> None:
    code = small.codes[LINK_USER]
    first = len(server.seen)
    with visit(browser, f"{server.origin}/verify/#code={code}") as run:
        assert wait_done(run.page) == "passed"  # nothing clicked, nothing typed
        assert run.page.input_value("#zkpor-code") == code
        steps = shown_steps(run.page, "zkpor-user-steps")
        assert steps == as_shown(cli_user_report(small.folder, code).results)
        assert all(s.status == "OK" for s in steps)
        assert LINK_USER in run.page.inner_text("#zkpor-account")
    # A fragment is never sent: not in a request line, nor in a Referer.
    assert any(line.startswith("GET /attestation/bundles/") for line in server.seen[first:])
    for received in server.seen[first:]:
        for leak in spellings(code):
            assert leak not in received, received


# --- a pinned file that is not the pinned one ---------------------------------------------


@pytest.mark.parametrize("pinned", ["v/*/zkpor_verifier-*.whl", "v/*/worker.js"])
def test_a_tampered_pinned_file_stops_the_verifier_from_loading(
    pinned: str, browser: BrowserContext, small: SmallAttestation, site: Path, tmp_path: Path
) -> None:
    copy = copy_site(site, tmp_path / "site")
    [path] = copy.glob(pinned)
    flip_byte(path, path.stat().st_size // 2)
    code = small.codes[FORM_USER]
    with serving(copy) as running, visit(browser, f"{running.origin}/verify/#code={code}") as run:
        # The code is there from the start: had the verifier loaded, it would have run.
        run.page.wait_for_selector("#zkpor-status[data-state=fail]")
        text, _ = status_line(run.page)
        assert text.startswith("the verifier could not load"), text
        steps = shown_steps(run.page, "zkpor-user-steps")
        assert [s.status for s in steps] == ["PENDING"] * 7
        assert run.page.locator("#zkpor-form button[type=submit]").is_disabled()
        assert run.page.locator("#zkpor-all").is_disabled()
        # At most the common files fetched while loading; never the code's bucket file.
        assert not [p for p in paths_requested(run, "/attestation/") if p.endswith(".bin")]


# --- never green unless every step ran and passed ----------------------------------------

#: A stand-in for the verifier inside the real worker: on a code, it reports ``steps``
#: (number, name, status) and then says ``done`` with ``passed`` true, as a buggy or
#: broken worker might. The page must judge from the steps it was shown.
_FAKE_RUN = """(steps) => {
  self.onmessage = ({ data }) => {
    if (data.type !== "verify-code") return;
    for (const [number, name, status] of steps) {
      postMessage({ type: "event", event: {
        event: "step", group: "user", number, name, status, detail: "stand-in" } });
    }
    postMessage({ type: "event", event: { event: "user", user_id: "zoë", balances: [] } });
    postMessage({ type: "event", event: { event: "done", passed: true, totals_proven: true } });
  };
}"""


def only_worker(run: PageRun) -> Any:
    """Return the page's verifier worker (named so by verify.js), once it is ready."""
    run.page.wait_for_selector("#zkpor-form button[type=submit]:enabled")
    [worker] = [w for w in run.page.workers if w.evaluate("() => self.name") == "zkpor-verifier"]
    return worker


def answer_yes_if_asked(page: Any) -> None:
    if page.locator("#zkpor-confirm-yes").count():
        page.click("#zkpor-confirm-yes")


def test_never_green_when_a_step_failed(
    browser: BrowserContext,
    small: SmallAttestation,
    site: Path,
    form_user_batch: int,
    tmp_path: Path,
) -> None:
    copy = copy_site(site, tmp_path / "site")
    before = swap_proof_of_batch(copy / "attestation", form_user_batch)
    rehash_in_manifest(copy / "attestation", "proofs.json", before)
    with serving(copy) as running, visit(browser, f"{running.origin}/verify/") as run:
        assert submit_code(run.page, small.codes[FORM_USER]) == "failed"
        answer_yes_if_asked(run.page)  # the account id is shown: it is the user's own
        assert status_line(run.page)[1] == "fail"
        assert run.page.locator("#zkpor-status[data-state=ok]").count() == 0


@pytest.mark.parametrize(
    ("case", "steps"),
    [
        ("a skipped step", [(n, name, "SKIP" if n == 6 else "OK") for n, name in NUMBERED]),
        ("steps never reported", [(n, name, "OK") for n, name in NUMBERED[:5]]),
    ],
)
def test_never_green_when_a_step_was_skipped_or_never_reported(
    case: str,
    steps: list[tuple[int, str, str]],
    browser: BrowserContext,
    small: SmallAttestation,
    server: RecordingServer,
) -> None:
    with visit(browser, f"{server.origin}/verify/") as run:
        only_worker(run).evaluate(_FAKE_RUN, steps)
        # The worker says "passed"; the page counts the steps it was shown.
        assert submit_code(run.page, small.codes[FORM_USER]) == "failed", case
        answer_yes_if_asked(run.page)
        text, state = status_line(run.page)
        assert state == "fail" and "did not run" in text, (case, text)
        shown = [s.status for s in shown_steps(run.page, "zkpor-user-steps")]
        assert shown != ["OK"] * len(USER_STEP_NAMES), case


def test_never_green_when_the_worker_dies_during_a_run(
    browser: BrowserContext, small: SmallAttestation, server: RecordingServer
) -> None:
    with visit(browser, f"{server.origin}/verify/") as run:
        only_worker(run).evaluate(
            "() => { self.onmessage = () => { throw new Error('the verifier crashed'); }; }"
        )
        assert submit_code(run.page, small.codes[FORM_USER]) == "error"
        text, state = status_line(run.page)
        assert state == "fail" and text.startswith("the verifier stopped: ") and "crashed" in text
        assert [s.status for s in shown_steps(run.page, "zkpor-user-steps")] == ["PENDING"] * 7


def test_never_green_when_the_worker_stops_answering(
    browser: BrowserContext, small: SmallAttestation, site: Path, tmp_path: Path
) -> None:
    # A worker that is closed says nothing: the page's watchdog (shortened in this
    # test-built copy; a site's is ten minutes) ends the run.
    copy = copy_site(site, tmp_path / "site")
    patch_page_script(copy, VERIFY_JS, "const STALL_MS = 600000;", "const STALL_MS = 3000;")
    with serving(copy) as running, visit(browser, f"{running.origin}/verify/") as run:
        only_worker(run).evaluate("() => self.close()")
        assert submit_code(run.page, small.codes[FORM_USER]) == "error"
        text, state = status_line(run.page)
        assert state == "fail" and text.startswith("the verifier stopped answering"), text
        assert [s.status for s in shown_steps(run.page, "zkpor-user-steps")] == ["PENDING"] * 7
