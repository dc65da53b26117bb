"""The Verify page as an account holder meets it (issue 15's ten points), in Debian's chromium.

Same site as ``test_site_browser`` (``tests/site/conftest.py``: the session's ceremony
attestation, 10 accounts in 4 batches). Each test names the point it holds: the result
always belongs to the code shown, links resolve, the page says what to do with the result,
status lines claim no more than was checked, bad input is explained in plain words,
tampering is named, loading is visible, the code leaves the address bar, the page is
accessible, and its words are plain.
"""

from __future__ import annotations

import html.parser
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tests.site_fixtures import (
    RecordingServer,
    SmallAttestation,
    copy_site,
    flip_byte,
    serving,
    status_line,
    submit_code,
    visit,
    wait_done,
)
from verifier.manifest import MANIFEST

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

USER_A, USER_B = "zoë", "李雷"
PHONE = {"width": 390, "height": 844}


def account_id(page: Page) -> str:
    return page.inner_text("#zkpor-account-id")


def wait_ready(page: Page) -> None:
    page.wait_for_selector("#zkpor-form button[type=submit]:enabled")


# --- 1. the result belongs to the code shown ------------------------------------------


def test_a_code_changed_during_a_check_never_gets_the_old_result(
    browser: BrowserContext, small: SmallAttestation, server: RecordingServer
) -> None:
    with visit(browser, f"{server.origin}/verify/#code={small.codes[USER_A]}") as run:
        page = run.page
        # Every account id the page ever shows, with the code in the field at that moment.
        page.evaluate(
            """() => { window.shownIds = []; new MutationObserver(() => {
                const id = document.getElementById("zkpor-account-id");
                const field = document.getElementById("zkpor-code").value;
                if (id) window.shownIds.push([id.textContent, field]);
            }).observe(document.body, {subtree: true, childList: true}); }"""
        )
        page.wait_for_function(
            "() => document.getElementById('zkpor-status').textContent.startsWith('Checking')"
        )
        page.evaluate(f"location.hash = '#code={small.codes[USER_B]}'")
        assert page.input_value("#zkpor-code") == small.codes[USER_B]
        # A's run ends unseen (or was already showing A, for A's code); B's run is shown.
        page.wait_for_function("() => document.getElementById('zkpor-account-id')?.textContent")
        assert wait_done(page) == "passed"
        assert account_id(page) == USER_B
        owner = {small.codes[USER_A]: USER_A, small.codes[USER_B]: USER_B}
        shown = page.evaluate("window.shownIds")
        assert shown and all(owner[field] == user for user, field in shown), shown
        page.click("#zkpor-confirm-yes")
        assert status_line(page)[1] == "ok"
        # Editing the code after the check takes the verdict away from it.
        page.fill("#zkpor-code", small.codes[USER_A])
        text, state = status_line(page)
        assert state != "ok" and "has changed since this check" in text
        assert page.locator("#zkpor-account").is_hidden()  # B's balances go with B's verdict
        assert page.locator("#zkpor-advice").is_hidden()


# --- 2. every link of every page resolves ---------------------------------------------


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if k in ("href", "src") and v]


def broken_links(site: Path, prefix: str) -> list[tuple[str, str]]:
    """Return (page, link) for every same-site link of every page that has no file, with
    the site served under ``prefix`` (as GitHub Pages serves a project site)."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        url = "http://site" + prefix + rel.removesuffix("index.html")
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            target = urlsplit(urljoin(url, link))
            if target.scheme != "http" or target.netloc != "site":
                continue  # another site, mailto:, data:, blob:
            path = unquote(target.path)
            file = site / path.removeprefix(prefix)
            if (
                not path.startswith(prefix)
                or not (file / "index.html" if path.endswith("/") else file).is_file()
            ):
                broken.append((rel, link))
    return broken


def test_every_link_of_every_page_resolves_at_the_root_and_under_a_sub_path(site: Path) -> None:
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html")]
    assert {"index.html", "verify/index.html", "proofs/index.html"} <= set(pages)
    assert broken_links(site, "/") == []
    assert broken_links(site, "/zkpor-project/") == []


# --- 3, 4, 8, 9, 10: one valid check, read as a person would ---------------------------


@pytest.fixture(scope="module")
def checked(browser: BrowserContext, small: SmallAttestation, server: RecordingServer) -> Any:
    """A phone-sized visit of a code link, the account confirmed, the receipt downloaded."""
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    try:
        page.goto(f"{server.origin}/verify/#code={small.codes[USER_A]}")
        address_after_load = page.evaluate("location.href")
        assert wait_done(page) == "passed"
        before_confirm = status_line(page)
        page.click("#zkpor-confirm-yes")
        with page.expect_download() as download:
            page.click("#zkpor-receipt")
        receipt = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        screenshot = page.screenshot(full_page=True)
        yield {
            "screenshot": screenshot,
            "page": page,
            "address": address_after_load,
            "before_confirm": before_confirm,
            "status": status_line(page),
            "receipt": receipt,
            "advice": page.inner_text("#zkpor-advice"),
            "account": page.inner_text("#zkpor-account"),
        }
    finally:
        page.close()


def test_the_page_says_what_to_do_with_the_result_above_the_steps(
    checked: Any, small: SmallAttestation
) -> None:
    page = checked["page"]
    manifest = json.loads((small.folder / MANIFEST).read_text(encoding="utf-8"))
    assert f"counted for this account as of {manifest['as_of']}" in checked["account"]
    assert manifest["issuer"]["name"] in checked["account"]
    advice = checked["advice"]
    assert f"Compare these balances with your own statement for {manifest['as_of']}" in advice
    assert f"contact {manifest['issuer']['name']} ({manifest['issuer']['url']})" in advice
    # On a phone, the answer comes before the technical steps.
    result_top = page.locator("#zkpor-result").bounding_box()["y"]
    steps_top = page.locator("#zkpor-user-steps").bounding_box()["y"]
    assert result_top < steps_top


def test_the_receipt_records_what_was_checked_and_never_the_code(
    checked: Any, small: SmallAttestation
) -> None:
    receipt = checked["receipt"]
    manifest_bytes = (small.folder / MANIFEST).read_bytes()
    import hashlib

    assert receipt["attestation"]["manifest_sha256"] == hashlib.sha256(manifest_bytes).hexdigest()
    assert receipt["account"]["user_id"] == USER_A
    assert receipt["account"]["confirmed_as_mine"] is True
    assert [s["status"] for s in receipt["steps"]] == ["OK"] * 7
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*Z", receipt["checked_at"])
    text = json.dumps(receipt, ensure_ascii=False).upper()
    code = small.codes[USER_A].upper()
    assert code not in text and code.replace("-", "") not in text.replace("-", "")


def test_the_status_line_says_exactly_what_was_checked(checked: Any) -> None:
    text, state = checked["before_confirm"]
    assert state == "confirm" and "Answer to finish" in text
    text, state = checked["status"]
    assert state == "ok"
    # 4 batches: the own batch and 3 samples are all of them, so the totals are proven.
    assert text == (
        "Every check passed, and you confirmed the account id is yours. Checked: your "
        "account, and every batch proof: the published liabilities are proven."
    )


def test_a_screenshot_of_the_result_on_a_phone_is_saved(checked: Any) -> None:
    import os
    import struct

    from tests.paths import REPO

    folder = Path(os.environ.get("ZKPOR_ARTIFACTS") or REPO / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "verify-page-phone.png"
    path.write_bytes(checked["screenshot"])
    width, height = struct.unpack(">II", path.read_bytes()[16:24])  # the IHDR chunk
    assert width == PHONE["width"] and height > width


def test_the_code_is_removed_from_the_address_bar(checked: Any) -> None:
    assert "#" not in checked["address"] and "code" not in checked["address"]
    assert checked["page"].evaluate("location.hash") == ""


def test_the_checked_page_is_accessible(checked: Any) -> None:
    page = checked["page"]
    # Everything that changes is announced, every progress bar is labelled.
    for selector in ("#zkpor-status", "#zkpor-result", "#zkpor-user-steps", "#zkpor-samples"):
        live = page.get_attribute(selector, "aria-live")
        role = page.get_attribute(selector, "role")
        assert live == "polite" or role == "status", selector
    for bar in page.query_selector_all("progress"):
        assert bar.get_attribute("aria-label")
    # The balances have headers and fit the phone or scroll inside their own box.
    assert page.locator("#zkpor-account table th[scope=col]").count() == 2
    assert page.evaluate(
        "[...document.querySelectorAll('table')].every(t => "
        "t.closest('.zkpor-scroll') || t.scrollWidth <= t.parentElement.clientWidth)"
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A whole code fits the field on a 390 px phone.
    assert page.evaluate(
        "(() => { const f = document.getElementById('zkpor-code');"
        " return f.scrollWidth <= f.clientWidth; })()"
    )
    # Every badge colour has at least 4.5:1 contrast with its text.
    ratios = page.evaluate(
        """() => {
        const lum = (rgb) => { const [r, g, b] = rgb.match(/\\d+/g).slice(0, 3).map(Number)
            .map((c) => { c /= 255;
                return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const out = {};
        for (const status of ["OK", "FAIL", "SKIP", "PENDING"]) {
            const li = document.createElement("li"); li.dataset.status = status;
            li.innerHTML = '<span class="zkpor-badge">X</span>';
            document.getElementById("zkpor-user-steps").append(li);
            const style = getComputedStyle(li.firstChild);
            const [a, b] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x);
            out[status] = (a + 0.05) / (b + 0.05); li.remove();
        }
        return out; }"""
    )
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios


def test_the_focus_ring_is_visible(browser: BrowserContext, server: RecordingServer) -> None:
    with visit(browser, f"{server.origin}/verify/") as run:
        run.page.focus("#zkpor-code")
        run.page.keyboard.press("Shift+Tab")
        run.page.keyboard.press("Tab")
        style = run.page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.id, s.outlineStyle, s.outlineWidth]; })()"
        )
        assert style[0] == "zkpor-code" and style[1] != "none" and style[2] != "0px", style


def test_words_are_plain(checked: Any, browser: BrowserContext, server: RecordingServer) -> None:
    page = checked["page"]
    # A one-line explanation beside each technical step name.
    assert page.evaluate(
        "[...document.querySelectorAll('#zkpor-user-steps > li, #zkpor-all-steps > li')]"
        ".every(li => li.querySelector('.zkpor-why')?.textContent.length > 20)"
    )
    # Amounts right-aligned.
    aligns = page.evaluate(
        "[...document.querySelectorAll('#zkpor-account td')]"
        ".map(td => getComputedStyle(td).textAlign)"
    )
    assert aligns and set(aligns) == {"right"}
    for path in ("", "verify/", "reserves/", "proofs/", "methodology/", "reproduce/", "history/"):
        with visit(browser, f"{server.origin}/{path}") as run:
            text = run.page.inner_text("body")
            assert "`" not in text, path  # no literal backticks
            # One format for ratios: two decimals.
            assert not re.search(r"(?<![\d.])\d+%|\d\.\d%|\d\.\d{3,}%", text), path


# --- 3 (not found), 5: codes that do not open a bundle, bad input -----------------------


def test_a_code_not_found_may_mean_the_account_was_left_out(
    browser: BrowserContext, server: RecordingServer
) -> None:
    from verifier.codes import format_code

    with visit(browser, f"{server.origin}/verify/") as run:
        assert submit_code(run.page, format_code(bytes(16))) == "failed"
        advice = run.page.inner_text("#zkpor-advice")
        assert "Your code was not found in this attestation" in advice
        assert "may mean your account was left out" in advice


def test_bad_input_is_explained_in_plain_words(
    browser: BrowserContext, small: SmallAttestation, server: RecordingServer
) -> None:
    code = small.codes[USER_A]
    symbols = code.replace("-", "")
    typo = symbols[:8] + ("Z" if symbols[8] != "Z" else "Y") + symbols[9:]
    with visit(browser, f"{server.origin}/verify/") as run:
        page = run.page
        wait_ready(page)
        page.click("#zkpor-form button[type=submit]")
        assert status_line(page) == (
            "Enter your verification code first: paste or type the code the custodian gave you.",
            "fail",
        )
        assert submit_code(page, typo) == "failed"
        assert status_line(page) == (
            "The code has a typo: symbol 9 (group 3) looks wrong.",
            "fail",
        )
    # A link cut short by a chat program: "looks cut off", not "typo".
    with visit(browser, f"{server.origin}/verify/#code={code[:-3]}") as run:
        assert wait_done(run.page) == "failed"
        text, state = status_line(run.page)
        assert state == "fail" and text.startswith("This link looks cut off")


# --- 6, 7: tampered files, loading -----------------------------------------------------


def test_a_tampered_pinned_file_is_named_and_nothing_is_trusted(
    browser: BrowserContext, site: Path, tmp_path: Path
) -> None:
    copy = copy_site(site, tmp_path / "site")
    wheel = next(copy.rglob("zkpor_verifier-*.whl"))
    flip_byte(wheel, 100)
    with serving(copy) as tampered, visit(browser, f"{tampered.origin}/verify/") as run:
        assert wait_done(run.page) == "error"
        text, state = status_line(run.page)
        assert state == "fail"
        assert "The site's files were changed or could not be loaded" in text
        assert wheel.name in text and "No result from this page can be trusted" in text
        assert run.page.locator("#zkpor-load").is_hidden()  # the progress bar stopped


def test_a_changed_liabilities_figure_fails_the_liabilities_step_and_balances_are_not_green(
    browser: BrowserContext, site: Path, small: SmallAttestation, tmp_path: Path
) -> None:
    copy = copy_site(site, tmp_path / "site")
    manifest_path = copy / "attestation" / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["assets"][0]["liabilities_amount"] = "1"
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    with serving(copy) as tampered, visit(browser, f"{tampered.origin}/verify/") as run:
        assert submit_code(run.page, small.codes[USER_A]) == "failed"
        statuses = run.page.evaluate(
            "[...document.querySelectorAll('#zkpor-user-steps > li')].map(li => li.dataset.status)"
        )
        assert statuses == ["OK", "OK", "OK", "OK", "OK", "FAIL", "OK"]
        assert run.page.get_attribute("#zkpor-account", "data-state") == "fail"
        assert "cannot be trusted" in run.page.inner_text("#zkpor-advice")
        text, _ = status_line(run.page)
        assert "The first: step 6, accumulator chain (FAIL)" in text


def test_the_page_says_what_it_downloads_and_disabled_buttons_look_disabled(
    browser: BrowserContext, server: RecordingServer
) -> None:
    with visit(browser, f"{server.origin}/verify/") as run:
        note = run.page.inner_text("#zkpor-download")
        assert re.search(r"downloads the verifier once \(\d+\.\d MB", note), note
        opacity = run.page.evaluate(
            "(() => { const b = document.getElementById('zkpor-all');"
            " return b.disabled ? getComputedStyle(b).opacity : null; })()"
        )
        assert opacity is not None and float(opacity) < 0.6
