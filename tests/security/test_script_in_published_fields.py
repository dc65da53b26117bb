"""Attack: stored script injection through the custodian's published text fields.

Finding 3 of issue 11: the issuer name reached MkDocs' ``site_name`` (``<title>``)
unescaped and the issuer URL went unescaped into a Markdown link; a script injected so ran
on the Verify page and could read ``#code=``. ``zkpor verify`` accepted the manifest.

The fix has three lines, each tested here end to end:

1. ``zkpor verify`` FAILs step 1 (manifest and file hashes) for a hostile value in any
   text field of attestation.json, naming the field, and ``zkpor site build`` refuses
   it; ``zkpor.toml`` refuses the same values with file, line and field.
2. The site escapes every value for where it writes it: a site rendered from hostile
   values in EVERY field (manifest, wallets, earlier manifests, step details) runs
   nothing in Chromium, loads nothing the payloads name, and shows them as text.
3. Every page carries a strict Content-Security-Policy: markup that got into a page
   anyway (inline script, event handler, ``javascript:`` link) does not run.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app
from publisher.config import load_config
from publisher.errors import InputError
from publisher.site.build import (
    BuildOptions,
    SiteError,
    browser_files,
    build_site,
    render_site,
    zkpor_version,
)
from publisher.site.pages import Earlier, SiteData
from publisher.site.vendor import VENDORED
from tests.site_fixtures import (
    RecordingServer,
    SmallAttestation,
    chromium,
    make_attestation,
    serving,
)
from verifier.manifest import MANIFEST, PROOFS, VK, AssetLiability
from verifier.report import StepResult
from verifier.reserves import Wallet

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

runner = CliRunner()
DEV = BuildOptions(allow_insecure_dev_setup=True)

#: Every way out of every context the site writes in: HTML text and attributes, a
#: Markdown link, an attr_list, a code span, a table cell, a JS string, SVG text. Each
#: payload that runs sets window.__pwned, logs PWNED, opens a dialog or asks the server
#: for a path with "pwned" in it; a payload that only injects markup asks for /pwned-img.
HOSTILE = (
    "\"'></title></a>`<script>window.__pwned=1;console.log('PWNED');alert(1)</script>"
    '<img src=/pwned-img onerror="window.__pwned=2">'
    '| {: onclick="window.__pwned=3" } [x](javascript:window.__pwned=4) '
    '<svg onload="window.__pwned=5"></svg>*_#\\'
)
HOSTILE_URL = "javascript:window.__pwned=6;fetch('/pwned-url')//https://x.example"
PAGES = ["", "verify/", "reserves/", "proofs/", "methodology/", "reproduce/", "history/"]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SmallAttestation:
    return make_attestation(tmp_path_factory.mktemp("hostile-fields"))


# --- 1. zkpor verify, zkpor site build and zkpor.toml refuse the values ------------------

#: (path in attestation.json, hostile value, the field the failure must name)
MANIFEST_CASES = [
    (("issuer", "name"), "Evil</title><script>alert(1)</script>", "issuer.name"),
    (("issuer", "name"), "Evil\u202eExchange", "issuer.name"),  # a bidi override
    (("issuer", "url"), "javascript:alert(document.domain)", "issuer.url"),
    (("issuer", "url"), "http://example.com", "issuer.url"),
    (("issuer", "url"), 'https://example.com/"><script>alert(1)</script>', "issuer.url"),
    (("issuer", "url"), "https://example.com/a)[x](javascript:alert(1)", "issuer.url"),
    (("id",), "x<img src=x onerror=alert(1)>", "id"),
    (("as_of",), "2026-11-21T00:00:00Z<script>", "as_of"),
    (("assets", 0, "symbol"), "<b>BTC</b>", "assets[0].symbol"),
    (("circuit", "id"), "c`<script>", "circuit.id"),
    (("setup", "kind"), 'x"onmouseover=alert(1)', "setup.kind"),
    (("setup", "statement"), "line one\nline two", "setup.statement"),
    (("software", "version"), "1.0<script>", "software.version"),
]


def _rewrite(folder: Path, path: tuple[str | int, ...], value: object) -> None:
    doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    (folder / MANIFEST).write_text(json.dumps(doc, indent=1), encoding="utf-8")


@pytest.mark.parametrize(("path", "value", "field"), MANIFEST_CASES)
def test_zkpor_verify_fails_a_hostile_manifest_field_naming_it(
    small: SmallAttestation, tmp_path: Path, path: tuple[str | int, ...], value: str, field: str
) -> None:
    folder = Path(shutil.copytree(small.folder, tmp_path / "attestation"))
    _rewrite(folder, path, value)
    result = runner.invoke(app, ["verify", "--allow-insecure-dev-setup", str(folder)])
    assert result.exit_code == 1
    assert f"1. FAIL: manifest and file hashes — attestation.json.{field} " in result.output


def test_a_manifest_listing_an_html_file_fails(small: SmallAttestation, tmp_path: Path) -> None:
    # A listed file is copied into the site's attestation/ folder: it must not be a page.
    folder = Path(shutil.copytree(small.folder, tmp_path / "attestation"))
    (folder / "evil.html").write_text("<script>alert(1)</script>")
    doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    doc["files"]["evil.html"] = "0" * 64
    (folder / MANIFEST).write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["verify", "--allow-insecure-dev-setup", str(folder)])
    assert result.exit_code == 1
    assert "attestation.json.files: the name 'evil.html' must match" in result.output


def test_site_build_refuses_a_hostile_manifest(small: SmallAttestation, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(small.folder, tmp_path / "attestation"))
    _rewrite(folder, ("issuer", "name"), "Evil</title><script>alert(1)</script>")
    with pytest.raises(SiteError, match=r"attestation\.json\.issuer\.name must not contain"):
        build_site(folder, tmp_path / "site", DEV)
    assert not (tmp_path / "site").exists()


GOOD_TOML = """\
[issuer]
name = "Example Exchange"
url = "https://example.com"

[attestation]
id = "example-2026-11-21"
as_of = "2026-11-21T00:00:00Z"
site_url = "https://example.github.io/por/"

[tree]
arity = 4
batch_depth = 2

[[assets]]
symbol = "BTC"
decimals = 8
"""
#: (text replaced in GOOD_TOML, by what, the line and field the error must name)
TOML_CASES = [
    ('"Example Exchange"', '"Evil</title><script>alert(1)</script>"', 2, "issuer.name"),
    ('"Example Exchange"', "\"Evil 'quoted' & co\"", 2, "issuer.name"),
    ('"https://example.com"', '"javascript:alert(1)"', 3, "issuer.url"),
    ('"https://example.com"', '"https://example.com/\\"><script>"', 3, "issuer.url"),
    ('"https://example.com"', '"https://example.com/a(b)"', 3, "issuer.url"),
    ('"example-2026-11-21"', '"x<script>"', 6, "attestation.id"),
    ('"2026-11-21T00:00:00Z"', '"2026-11-21<script>"', 7, "attestation.as_of"),
    ('"https://example.github.io/por/"', '"https://x.io/`<script>"', 8, "attestation.site_url"),
    ('"BTC"', '"<b>"', 15, "assets[0].symbol"),
]


@pytest.mark.parametrize(("old", "new", "line", "field"), TOML_CASES)
def test_zkpor_toml_refuses_hostile_values_with_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str
) -> None:
    path = tmp_path / "zkpor.toml"
    path.write_text(GOOD_TOML, encoding="utf-8")
    load_config(path)  # the control: the untouched file is accepted
    path.write_text(GOOD_TOML.replace(old, new), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_config(path)
    assert (error.value.file, error.value.line, error.value.field) == (str(path), line, field)


EVM_ADDRESS = "0x" + "ab" * 20
#: reserves.csv rows with a hostile value, and the field the error must name (line 2).
RESERVES_CASES = [
    (f"<script>alert(1)</script>,BTC,{EVM_ADDRESS},1,1,0x00,customer", "chain"),
    ("ethereum,BTC,0x<img src=x onerror=alert(1)>,1,1,0x00,customer", "address"),
    ("bitcoin,BTC,1JAfwyMMZFcVn4YyfZYu68CVfETdH7MFhh<script>,1,924000,H00=,customer", "address"),
    ("solana,BTC,F4Z1h8F8ATRJRbcHg8iRhcTXANtn1QiYeLgTNWYMjDX`,1,1,x,customer", "address"),
    (f"ethereum,BTC,{EVM_ADDRESS},1,2026-11-21<script>,0x00,customer", "as_of"),
    (f"ethereum,<b>,{EVM_ADDRESS},1,1,0x00,customer", "asset"),
    (f"ethereum,BTC,{EVM_ADDRESS},1,1,0x00,<script>alert(1)</script>", "role"),
    (f"ethereum,BTC,{EVM_ADDRESS},1,1,0x00,wrapped:<img src=x onerror=alert(1)>", "role"),
]


@pytest.mark.parametrize(("row", "field"), RESERVES_CASES)
def test_reserves_csv_refuses_hostile_wallet_fields_with_file_line_and_field(
    tmp_path: Path, row: str, field: str
) -> None:
    from publisher.reserves.ingest import COLUMNS, read_reserves

    config_path = tmp_path / "zkpor.toml"
    config_path.write_text(GOOD_TOML, encoding="utf-8")
    path = tmp_path / "reserves.csv"
    path.write_text(",".join(COLUMNS) + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_reserves(path, load_config(config_path))
    assert (error.value.file, error.value.line, error.value.field) == (str(path), 2, field)


# --- 2. a site rendered from hostile values in every field runs nothing ------------------


@pytest.fixture(scope="module")
def hostile_site(small: SmallAttestation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site whose pages are rendered from hostile values in every field the pages show,
    past ``zkpor verify`` (the pages are rendered directly), with the real attestation and
    verifier files beside them so the Verify page loads as it would."""
    version = zkpor_version()
    extra, verify_js = browser_files(version)
    real = small.manifest
    manifest = replace(
        real,
        attestation_id="id" + HOSTILE,
        issuer_name=HOSTILE,
        issuer_url=HOSTILE_URL,
        assets=tuple(
            AssetLiability(f"S{n}{HOSTILE}", a.decimals, a.liabilities, a.liabilities // 2)
            for n, a in enumerate(real.assets)
        ),
        circuit_id="circuit" + HOSTILE,
        setup_kind="kind" + HOSTILE,  # not the dev setup: the statement is shown
        setup_statement="statement" + HOSTILE,
        software_version="v" + HOSTILE,
        files={VK: "vk" + HOSTILE, PROOFS: "proofs" + HOSTILE},
    )
    symbol = manifest.assets[0].symbol
    earlier = replace(manifest, as_of="2025-01-01T00:00:00Z" + HOSTILE)
    data = SiteData(
        manifest=manifest,
        entries=[],
        results=[StepResult(1, "step" + HOSTILE, "FAIL", "detail" + HOSTILE)],
        wallets=[Wallet("chain" + HOSTILE, symbol, "addr" + HOSTILE, 1, "at" + HOSTILE, "sig")],
        transcript=None,
        history=[Earlier(earlier, "source" + HOSTILE)],
        version=version,
        site_url=None,
        vendored=VENDORED,
        pins={path: "pin" + HOSTILE for path in extra},
    )
    work = tmp_path_factory.mktemp("hostile-site")
    site = render_site(data, verify_js, work)
    for name, content in extra.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(content)
    shutil.copytree(small.folder, site / "attestation")
    return site


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        context.set_default_timeout(60_000)
        yield context


@pytest.fixture(scope="module")
def server(hostile_site: Path) -> Iterator[RecordingServer]:
    with serving(hostile_site) as running:
        yield running


def _visit(browser: BrowserContext, url: str, click: str | None = None) -> dict[str, object]:
    """Open ``url`` (and click ``click``), fire mouse events on its text, and return what
    ran: dialogs, console lines, page errors and window.__pwned, and what the page holds."""
    page = browser.new_page()
    seen: dict[str, list[str]] = {"dialogs": [], "console": [], "errors": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: seen["console"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    try:
        page.goto(url, wait_until="load")
        if click:
            page.click(click, no_wait_after=True)
        # Fire the events an injected handler would wait for, on every element; not a
        # click inside a link, button or form (it would navigate or submit).
        page.evaluate(
            """() => {
                for (const el of document.querySelectorAll("body *")) {
                    el.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
                    if (!el.closest("a, button, label, input, form, svg"))
                        el.dispatchEvent(new MouseEvent("click", {bubbles: true}));
                }
            }"""
        )
        page.wait_for_timeout(300)
        return {
            **seen,
            "pwned": page.evaluate("window.__pwned ?? null"),
            "title": page.title(),
            "csp": page.locator('meta[http-equiv="Content-Security-Policy"]').count(),
            "javascript_links": page.locator('[href^="javascript:" i]').count(),
        }
    finally:
        page.close()


@pytest.mark.parametrize("path", PAGES)
def test_no_hostile_value_runs_or_injects_markup_in_chromium(
    hostile_site: Path, server: RecordingServer, browser: BrowserContext, path: str
) -> None:
    seen = _visit(browser, f"{server.origin}/{path}")
    assert seen["pwned"] is None
    assert seen["dialogs"] == []
    assert not any("PWNED" in line for line in seen["console"])  # type: ignore[attr-defined]
    assert seen["javascript_links"] == 0
    assert seen["csp"] == 1
    # Nothing the payloads name was requested: no markup got into the page at all.
    assert not [line for line in server.seen if "pwned" in line.split("\n")[0]]
    # The name is shown as the text it is, not as markup (nor escaped twice).
    assert str(seen["title"]).endswith(f"{HOSTILE}: Proof of Reserves")


def test_hostile_values_are_shown_as_text(hostile_site: Path) -> None:
    index = (hostile_site / "index.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in index
    assert "&lt;script&gt;window.__pwned=1" in index
    # The issuer link is not a link: the address is shown as code.
    assert 'href="javascript:' not in index
    assert "<code>javascript:window.__pwned=6;fetch('/pwned-url')//https://x.example" in index


# --- 3. the Content-Security-Policy stops markup that got in anyway ----------------------


def test_the_policy_of_every_page_is_strict(hostile_site: Path) -> None:
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) >= len(PAGES)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        head = text.split('http-equiv="Content-Security-Policy"', 1)[0]
        assert "<script" not in head, page  # the policy comes before every script
        policy = text.split('http-equiv="Content-Security-Policy" content="', 1)[1]
        policy = policy.split('"', 1)[0]
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        for directive in ("object-src 'none'", "base-uri 'none'", "form-action 'none'"):
            assert directive in policy


def test_markup_injected_past_the_escaping_does_not_run(
    hostile_site: Path, server: RecordingServer, browser: BrowserContext
) -> None:
    # Simulate an escaping bug: put live markup straight into the Verify page, after the
    # policy, as a stored injection would be.
    page = hostile_site / "verify" / "index.html"
    text = page.read_text(encoding="utf-8")
    injected = (
        "<script>window.__pwned='inline';console.log('PWNED')</script>"
        "<img src=/favicon-none onerror=\"window.__pwned='handler'\">"
        '<a id="zkpor-evil" href="javascript:window.__pwned=\'link\'">x</a>'
    )
    (hostile_site / "injected").mkdir(exist_ok=True)
    (hostile_site / "injected" / "index.html").write_text(
        text.replace("<body", injected + "<body", 1).replace(
            "</body>", injected.replace("zkpor-evil", "zkpor-evil-2") + "</body>", 1
        ),
        encoding="utf-8",
    )
    seen = _visit(browser, f"{server.origin}/injected/", click="#zkpor-evil-2")
    assert seen["pwned"] is None
    assert not any("PWNED" in line for line in seen["console"])  # type: ignore[attr-defined]
    assert any("Content Security Policy" in line for line in seen["console"])  # type: ignore[attr-defined]


def test_the_verifier_loads_under_the_policy(
    hostile_site: Path, server: RecordingServer, browser: BrowserContext
) -> None:
    # The policy must not break the Verify page: Pyodide, the wheels and libsodium.js load
    # in the worker (blob: worker and modules, WebAssembly) with no violation reported.
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    try:
        page.goto(f"{server.origin}/verify/")
        page.wait_for_selector("#zkpor-form button[type=submit]:enabled", timeout=180_000)
    finally:
        page.close()
    assert not [line for line in console if "Content Security Policy" in line]
