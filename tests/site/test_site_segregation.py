"""`zkpor site build` for segregated reserves and co-signatures (issue 16).

A real attestation (``tests.segregation_fixtures``: customer wallets, a ZBTC vault, a
protection fund, corporate funds; two pinned co-signers) is proven with the development
setup and its site built: the co-signatures travel with it (``signatures/``, which the
manifest cannot list) and are reproduced byte for byte; the Summary, Reserves and Wrapped
tokens pages show each fund for what it is. An under-covered asset and an under-backed
wrapped token build and are shown plainly. What the build refuses is in
tests/security/test_site_build_bad_reserves_signature.py; the browser's checks in
tests/security/test_browser_segregation.py.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import markdown
import pytest

from publisher.attest.cosign import cosign
from publisher.site.build import BuildOptions, build_site, render_site, template
from publisher.site.pages import CosignatureStatus, SiteData, render_pages
from publisher.site.reproduce import reproduce
from publisher.site.serve import make_server
from publisher.site.vendor import VENDORED
from tests.segregation_fixtures import (
    AUDITOR,
    AUDITOR_NAME,
    SECOND,
    SECOND_NAME,
    make_segregated_attestation,
)
from tests.site_fixtures import SmallAttestation
from verifier.attestation import STEP_NAMES
from verifier.cosign import SIGNATURES_INDEX, Cosignature
from verifier.manifest import Cosigner, Holding, Segregation, WrappedToken
from verifier.report import StepResult
from verifier.reserves import Wallet

DEV = BuildOptions(allow_insecure_dev_setup=True)


@pytest.fixture(scope="module")
def cosigned(tmp_path_factory: pytest.TempPathFactory) -> SmallAttestation:
    return make_segregated_attestation(tmp_path_factory.mktemp("segregated"))


@pytest.fixture(scope="module")
def site(cosigned: SmallAttestation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(cosigned.folder, tmp_path_factory.mktemp("sites") / "site", DEV)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def text(site: Path, name: str) -> str:
    """Return the text of a page's article: tags removed, entities decoded, one line."""
    page = (site / name / "index.html").read_text(encoding="utf-8")
    article = page[page.index("<article") : page.index("</article>")]
    article = re.sub(r"<svg.*?</svg>", " ", article, flags=re.S)
    article = re.sub(r"</?(?:code|span|strong|em|a)\b[^>]*>", "", article)  # inline
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article)).split())


# --- the co-signatures travel with the site -----------------------------------------------


def test_the_co_signatures_are_copied_into_the_site(cosigned: SmallAttestation, site: Path) -> None:
    signatures = sorted(p.name for p in (cosigned.folder / "signatures").iterdir())
    assert len(signatures) == 3  # the index and two co-signatures
    assert tree(site / "attestation") == tree(cosigned.folder)
    sums = (site / "SHA256SUMS").read_text()
    for name in signatures:
        data = (site / "attestation" / "signatures" / name).read_bytes()
        assert f"{hashlib.sha256(data).hexdigest()}  attestation/signatures/{name}\n" in sums


def test_a_file_beside_the_signatures_that_the_index_does_not_list_is_left_out(
    cosigned: SmallAttestation, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(cosigned.folder, tmp_path / "attestation"))
    (folder / "signatures" / "unlisted-00000000.json").write_text("{}")
    built = build_site(folder, tmp_path / "site", DEV)
    assert not (built / "attestation" / "signatures" / "unlisted-00000000.json").exists()
    assert (built / "attestation" / SIGNATURES_INDEX).is_file()


def test_a_site_with_co_signatures_is_reproduced_byte_for_byte(site: Path) -> None:
    assert reproduce(str(site)) == []


def test_a_site_downloaded_by_url_is_reproduced_with_its_co_signatures(
    site: Path, tmp_path: Path
) -> None:
    served = Path(shutil.copytree(site, tmp_path / "served"))
    server = make_server(served, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        assert reproduce(url) == []
    finally:
        server.shutdown()
        server.server_close()


# --- the pages ------------------------------------------------------------------------------


def test_the_summary_shows_customer_coverage_the_funds_not_counted_and_the_backing(
    site: Path,
) -> None:
    summary = text(site, "")
    assert "Customer reserves" in summary and "110.00%" in summary
    assert "never counted as coverage" in summary
    assert "User protection fund USDT 1000" in summary
    assert "Corporate funds BTC 2" in summary
    assert "ZBTC BTC 5 ZBTC 5.1 BTC 102.00% (backed 1:1)" in summary
    assert "UNDER" not in summary and "FAIL" not in summary


def test_the_summary_shows_each_co_signer_its_key_its_pin_and_its_match(site: Path) -> None:
    summary = text(site, "")
    for key, name in ((AUDITOR, AUDITOR_NAME), (SECOND, SECOND_NAME)):
        assert (
            f"Co-signed by {name} ({key.scheme} key {key.public_key()}); key pinned by the "
            "manifest; OK: the signature matched this manifest." in summary
        )
    assert "10 co-signatures OK co-signed by" in summary  # the build's step 10


def test_the_reserves_page_groups_wallets_by_role_and_says_what_is_not_counted(
    site: Path,
) -> None:
    reserves = text(site, "reserves")
    order = [
        "Customer wallets Counted as coverage",
        "Collateral of ZBTC Not counted as coverage",
        "User protection fund Not counted as coverage",
        "Corporate funds Not counted as coverage",
    ]
    found = [reserves.index(heading) for heading in order]
    assert found == sorted(found)
    for role in ("customer", "wrapped:ZBTC", "protection-fund", "corporate"):
        assert f" {role} " in reserves + " ", role


def test_the_wrapped_tokens_page_shows_each_token_and_its_collateral_wallets(
    cosigned: SmallAttestation, site: Path
) -> None:
    wrapped = text(site, "wrapped")
    assert "Token ZBTC Chain ethereum Contract 0x00000000000000000000000000000000000b7c01" in (
        wrapped
    )
    assert "Origin asset BTC Issued supply 5 ZBTC at block 23850000" in wrapped
    assert "Collateral 5.1 BTC Backing 102.00% (backed 1:1)" in wrapped
    vault = (cosigned.folder / "reserves.json").read_text()
    [address] = re.findall(r'"address": "([^"]+)",\n[^}]*"role": "wrapped:ZBTC"', vault)
    assert f"bitcoin BTC {address} 5.1 924000 wrapped:ZBTC" in wrapped
    assert "FAIL" not in wrapped


def test_every_page_links_the_wrapped_tokens_page(site: Path) -> None:
    for name in ("", "verify", "reserves", "history"):
        page = (site / name / "index.html").read_text(encoding="utf-8")
        link = re.search(r'<a href="[./]*wrapped/"[^>]*>(.*?)</a>', page, re.S)
        assert link is not None and "Wrapped tokens" in link.group(1), name


def test_the_verify_page_lists_ten_steps_and_a_place_for_the_co_signers(site: Path) -> None:
    page = (site / "verify" / "index.html").read_text(encoding="utf-8")
    steps = re.search(r'<ol id="zkpor-all-steps".*?</ol>', page, re.S)
    assert steps is not None
    assert re.findall(r'data-step="(\d+)"', steps.group(0)) == [
        str(n) for n in range(1, len(STEP_NAMES) + 1)
    ]
    assert len(STEP_NAMES) == 10 and "<strong>co-signatures</strong>" in steps.group(0)
    assert "The same 10 checks as <code>zkpor verify</code>" in page
    assert '<p id="zkpor-cosign" aria-live="polite" hidden></p>' in page


def test_without_co_signatures_the_summary_says_so_and_an_unpinned_one_is_labelled(
    tmp_path: Path,
) -> None:
    bare = make_segregated_attestation(tmp_path / "bare", pins=(), signers=())
    summary = text(build_site(bare.folder, tmp_path / "site", DEV), "")
    assert "No co-signature: no independent party" in summary
    assert "Co-signed by" not in summary
    cosign(bare.folder, AUDITOR, AUDITOR_NAME)
    summary = text(build_site(bare.folder, tmp_path / "signed", DEV), "")
    assert (
        f"Co-signed by {AUDITOR_NAME} (ed25519 key {AUDITOR.public_key()}); key not pinned by "
        "the manifest: compare it with the key the signer publishes itself; OK: the signature "
        "matched this manifest." in summary
    )


# --- shortfalls build, and are shown plainly -----------------------------------------------


def test_an_under_backed_wrapped_token_builds_and_is_shown_as_a_failure(tmp_path: Path) -> None:
    short = make_segregated_attestation(tmp_path / "short", supply="5.25")
    built = build_site(short.folder, tmp_path / "site", DEV)
    summary = text(built, "")
    assert "Under-backed: ZBTC" in summary
    assert "97.14%: FAIL, UNDER-BACKED, short by 0.15 BTC" in summary
    assert "8 reserves FAIL wrapped token ZBTC is under-backed" in summary  # the build's step 8
    wrapped = text(built, "wrapped")
    assert (
        "FAIL: ZBTC is under-backed wrapped token ZBTC is under-backed: collateral 5.1 BTC < "
        "issued supply 5.25 ZBTC (ratio 0.9714; required 1:1)." in wrapped
    )
    assert "Under-backed: ZBTC" in text(built, "reserves")
    assert "Under-covered" not in summary


def test_an_under_covered_asset_and_an_under_backed_token_build_together(tmp_path: Path) -> None:
    short = make_segregated_attestation(tmp_path / "short", supply="5.25", btc_coverage=93)
    summary = text(build_site(short.folder, tmp_path / "site", DEV), "")
    assert "Under-covered: BTC" in summary and "Under-backed: ZBTC" in summary
    assert "93.00%: UNDER-COVERED, short by" in summary
    assert "BTC is under-covered: reserves" in summary and "; wrapped token ZBTC is" in summary


# --- rendering, without a build -------------------------------------------------------------


def _data(site_manifest: SmallAttestation, **changes: object) -> SiteData:
    data = SiteData(
        manifest=site_manifest.manifest,
        entries=[],
        results=[StepResult(1, "manifest and file hashes", "OK", "ok")],
        wallets=[],
        transcript=None,
        history=[],
        version="0.0",
        site_url=None,
        vendored=VENDORED,
        pins={},
    )
    return replace(data, **changes)


def _render(data: SiteData) -> dict[str, str]:
    return render_pages(data, template().joinpath("pages"), "sha384-x", "v/0/verify.js")


def test_an_attestation_made_before_roles_says_so(cosigned: SmallAttestation) -> None:
    legacy = replace(cosigned.manifest, segregation=None, cosigners=())
    wallet = Wallet("bitcoin", "BTC", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", 1, "924000", "s")
    pages = _render(_data(cosigned, manifest=legacy, wallets=[wallet]))
    assert "made before wallet roles" in pages["index.md"]
    assert "| Reserves | Coverage |" in pages["index.md"]
    assert "customer (made before roles)" in pages["reserves.md"]
    assert "made before wallet roles: it declares no wrapped token" in pages["wrapped.md"]
    assert "No co-signature" in pages["index.md"]


def test_a_pinned_co_signer_without_a_signature_is_shown_as_a_failure(
    cosigned: SmallAttestation,
) -> None:
    summary = _render(_data(cosigned))["index.md"]
    for key in (AUDITOR, SECOND):
        assert f"{key.public_key()}`), pinned by the manifest: " in summary
    assert summary.count("FAIL: no co-signature</span>") == 2


HOSTILE = "<script>alert(1)</script>[x](javascript:alert(2)){: onclick=alert(3) }|`"
#: What would be markup in a page: an element the payload names, a live link, an attribute.
MARKUP = re.compile(r"<script|<a href=\"javascript|<[^>]+\sonclick=")


def hostile_data(cosigned: SmallAttestation) -> SiteData:
    """Return site data whose every new published string (wrapped token, holdings,
    co-signers, a wallet's role and address) carries ``HOSTILE``, as if one slipped past
    ``zkpor verify``'s character sets."""
    m = cosigned.manifest
    token = WrappedToken("Z" + HOSTILE, "BTC", "eth" + HOSTILE, "0x" + HOSTILE, 8, 5, 1, 4)
    manifest = replace(
        m,
        segregation=Segregation((token,), (Holding("BTC", 1),), (Holding("USDT", 2),)),
        cosigners=(Cosigner("pin" + HOSTILE, "ed25519", "k" + HOSTILE),),
    )
    sig = Cosignature(m.attestation_id, "0" * 64, "n" + HOSTILE, "ed25519", "k2" + HOSTILE, "s")
    wallet = Wallet("bitcoin", "BTC", "a" + HOSTILE, 4, "924000", "s", "wrapped:Z" + HOSTILE)
    status = CosignatureStatus("signatures/x.json", sig, False, "problem" + HOSTILE)
    return _data(cosigned, manifest=manifest, wallets=[wallet], cosignatures=[status])


def test_every_new_published_string_is_escaped(cosigned: SmallAttestation) -> None:
    """No markup, link or attribute survives into a page (Markdown to HTML with the
    extensions of site/mkdocs.yml), and every value is shown as the text it is."""
    pages = _render(hostile_data(cosigned))
    extensions = ["tables", "admonition", "attr_list", "md_in_html"]  # site/mkdocs.yml
    shown = {}
    for name in ("index.md", "reserves.md", "wrapped.md"):
        page = markdown.markdown(pages[name], extensions=extensions)
        assert not MARKUP.search(page), (name, MARKUP.search(page))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, name
        shown[name] = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "FAIL: problem<script>alert(1)" in shown["index.md"]
    assert f"Co-signed by n{HOSTILE}" in shown["index.md"]
    assert f"FAIL: Z{HOSTILE} is under-backed" in shown["wrapped.md"]
    assert f"a{HOSTILE}" in shown["reserves.md"]


def test_every_new_published_string_is_escaped_in_the_built_pages(
    cosigned: SmallAttestation, tmp_path: Path
) -> None:
    """The same values through MkDocs and the Material theme, as ``zkpor site build``
    renders the pages."""
    site = render_site(hostile_data(cosigned), "// verify.js\n", tmp_path)
    for name in ("", "reserves", "wrapped"):
        page = (site / name / "index.html").read_text(encoding="utf-8")
        article = page[page.index("<article") : page.index("</article>")]
        assert not MARKUP.search(article), (name, MARKUP.search(article))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article, name
