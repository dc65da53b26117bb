"""``zkpor site build`` and ``zkpor site reproduce`` for a zkpor/2 attestation (a book of
equity and debt): the pages show every figure of the manifest, the registry's text as
literal text, per-shape proofs, earlier rounds of either format; two builds are byte for
byte the same and ``reproduce`` finds nothing to differ.

The attestation is ``tests.book_fixtures``' (three assets, two shapes, a margin account,
signed reserves, real ceremonies: about two minutes the first time in a session). The
browser side is ``tests/security/test_browser_book.py``."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from publisher.site.build import BuildOptions, SiteError, build_site
from publisher.site.reproduce import reproduce
from tests.book_fixtures import (  # noqa: F401  (pytest fixtures)
    BOOK_ID,
    MARGIN_ACCOUNT,
    PRICE_SOURCE,
    RESERVES,
    BookAttestation,
    BookCeremony,
    book_attestation,
    book_ceremony,
    make_book_attestation,
)
from verifier.manifest import MANIFEST
from verifier.manifest import RESERVES as RESERVES_FILE

OPTIONS = BuildOptions(allow_unknown_phase1=True)
#: A zkpor/1 manifest (the protocol's test vector), for the History page.
ZKPOR1_MANIFEST = Path(__file__).parents[1] / "vectors/protocol/attestation/attestation.json"


@pytest.fixture(scope="module")
def site(book_attestation: BookAttestation, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    return build_site(book_attestation.folder, tmp_path_factory.mktemp("book") / "site", OPTIONS)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def article(site: Path, name: str) -> str:
    """Return the raw HTML of a page's article."""
    text = (site / name / "index.html" if name else site / "index.html").read_text("utf-8")
    return text[text.index("<article") : text.index("</article>")]


def words(site: Path, name: str) -> str:
    """Return a page's article as text: tags dropped, cells separated by " | "."""
    body = re.sub(r"<svg.*?</svg>", "", article(site, name), flags=re.S)
    body = re.sub(r"</t[dh]>\s*", " | ", body)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def test_the_summary_shows_equity_debt_net_reserves_and_both_coverages(site: Path) -> None:
    text = words(site, "")
    # USDT: 21,018 owed to accounts, 15,000 owed by bob, net 6,018, reserves 7,000.
    assert "USDT | 21018 | 15000 | 6018 | 7000 | PASS: 116.31% | 33.30% |" in text
    assert "BTC | 0.761 | 0 | 0.761 | 0.8 | PASS: 105.12% | 105.12% |" in text
    assert "ETH | 3.75 | 0 | 3.75 | 4 | PASS: 106.66% | 106.66% |" in text
    for header in ("Equity", "Debt", "Net liability", "Coverage of net", "Coverage of gross"):
        assert f" {header} |" in text
    # Prices with the quote, the tier tables in brief, the shapes with their circuits.
    assert "BTC | 50000 USD | table 1 | 100% below 10000 USD; 90% beyond |" in text
    assert "ETH | 2000.5 USD | table 1 |" in text and "USDT | 1 USD | table 2 |" in text
    assert "up to 2 | 2 | 3 | 6 | 2 | zkpor2-a3-t2-s2-k2-d1 |" in text
    assert "up to 4 | 1 | 1 | 1 | 0 | zkpor2-a3-t2-s4-k2-d0 |" in text
    assert "7 leaves (accounts and padding) in 4 proven batches, in 2 shapes." in text
    # The build-time steps: the nine of zkpor/2, all OK.
    for number, name in enumerate(
        ["manifest and file hashes", "verification keys", "batch proofs", "totals", "trees"], 1
    ):
        assert f"{number} | {name} | OK |" in text
    assert "9 | co-signatures | OK |" in text
    assert "Phase 1 is not a public Powers of Tau ceremony" in text
    # Wallet roles (zkpor/1's section): nothing but customer wallets here.
    assert "No user protection fund and no corporate wallet is declared." in text
    assert "This attestation declares no wrapped token." in text


def test_the_price_source_is_shown_literally_never_as_markup(site: Path) -> None:
    for page in ("", "prices"):
        raw = article(site, page)
        assert PRICE_SOURCE in words(site, page)
        # *Example* is no emphasis, [x](y) no link, _z_ no emphasis, | no table cell.
        assert "<em>Example</em>" not in raw and "<em>z</em>" not in raw
        assert 'href="y"' not in raw
        assert html.escape(PRICE_SOURCE, quote=False) in raw


def test_the_prices_page_lists_each_tier_table(site: Path) -> None:
    text = words(site, "prices")
    assert "Prices are in USD (exact to 2 decimals)." in text
    assert "Table 1 Used by BTC, ETH." in text and "Table 2 Used by USDT." in text
    assert "1 | 0 USD | 10000 USD | 100% |" in text
    assert "2 | 10000 USD | and beyond | 90% |" in text
    assert "1 | 0 USD | and beyond | 100% |" in text
    assert "the custodian's claim" in text


def test_the_proofs_page_has_one_section_per_shape(
    site: Path,
    book_attestation: BookAttestation,  # noqa: F811
) -> None:
    text = words(site, "proofs")
    raw = article(site, "proofs")
    manifest = book_attestation.manifest
    for shape in manifest.shapes:
        assert f"Accounts of up to {shape.slots} held assets" in text
        assert f"circuit | {shape.circuit_id} |" in text
        assert f"{shape.root:#066x}" in text
        for name in (shape.vk, shape.proofs, shape.tree):
            assert f'href="../attestation/{name}"' in raw
            assert manifest.files[name] in text
        # The transcript of each shape, and its ceremony's contributors.
        assert f'href="../attestation/{shape.ceremony}"' in raw
    assert "Batch | root | mask commitment c | masked total s |" in text
    assert text.count("Alice") >= 2 and "(step 8)" in text


def test_reserves_methodology_and_verify_pages(site: Path) -> None:
    reserves = words(site, "reserves")
    assert "net liability" in reserves and "USDT | 21018 | 15000 | 6018 | 7000 |" in reserves
    for chain in ("bitcoin", "ethereum", "solana"):
        assert f"{chain} |" in reserves
    assert "Customer wallets Counted as coverage" in reserves
    assert not (site / "wrapped").exists(), "no wrapped token: no Wrapped tokens page"
    methodology = words(site, "methodology")
    assert "zkpor/2" in methodology
    assert "its collateral covers its debt at the published prices and tiers" in methodology
    assert "random linear combination" in methodology
    assert "Prices are the custodian's claim" in methodology
    verify = article(site, "verify")
    assert 'data-format="zkpor/2"' in verify
    steps = re.findall(
        r'<li data-step="(\d+)" data-status="PENDING">.*?<strong>(.*?)</strong>', verify
    )
    names = [name for _, name in steps]
    assert names[:7] == [
        "bundle",
        "leaf",
        "path to batch root",
        "batch root in the published tree",
        "batch proofs",
        "totals",
        "trusted setup",
    ]
    assert len(names) == 7 + 9 and names[-3:] == ["reserves", "trusted setup", "co-signatures"]
    assert "Verify all 4 batches" in verify


def test_no_secret_of_the_book_reaches_the_site(
    site: Path,
    book_attestation: BookAttestation,  # noqa: F811
) -> None:
    files = tree(site)
    everything = b"".join(files.values())
    for code in book_attestation.codes.values():
        assert code.encode() not in everything
        assert code.replace("-", "").encode() not in everything
    pages = b"".join(data for name, data in files.items() if name.endswith(".html"))
    for user in ("alice", "carol", "zoë", MARGIN_ACCOUNT):
        assert user.encode() not in pages


def test_two_builds_are_identical_byte_for_byte_and_reproduce_finds_nothing(
    site: Path,
    book_attestation: BookAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    again = build_site(book_attestation.folder, tmp_path / "again", OPTIONS)
    assert tree(again) == tree(site)
    assert json.loads((site / "build.json").read_text())["allow_unknown_phase1"] is True
    assert reproduce(str(site)) == []


def test_history_shows_earlier_rounds_of_either_format(
    book_attestation: BookAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    earlier2 = json.loads((book_attestation.folder / MANIFEST).read_text(encoding="utf-8"))
    earlier2["id"], earlier2["as_of"] = "book-2026-10-21", "2026-10-21T00:00:00Z"
    earlier2_path = tmp_path / "earlier2.json"
    earlier2_path.write_text(json.dumps(earlier2, indent=1, ensure_ascii=False) + "\n")
    built = build_site(
        book_attestation.folder,
        tmp_path / "site",
        OPTIONS,
        history_sources=[str(ZKPOR1_MANIFEST), str(earlier2_path)],
    )
    text = words(built, "history")
    assert "Books (zkpor/2): net liability and coverage" in text
    assert "Liabilities only (zkpor/1): coverage" in text
    assert "book-2026-10-21" in text and BOOK_ID in text
    assert "net 6018; 116.31% of net, 33.30% of gross" in text
    zkpor1 = json.loads(ZKPOR1_MANIFEST.read_text())
    assert zkpor1["id"] in text
    assert "<svg" in article(built, "history")
    listed = json.loads((built / "build.json").read_text())["history"]
    assert f"history/{hashlib.sha256(earlier2_path.read_bytes()).hexdigest()}.json" in listed
    assert reproduce(str(built)) == []


def test_a_book_that_does_not_verify_is_refused(
    book_attestation: BookAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = Path(shutil.copytree(book_attestation.folder, tmp_path / "attestation"))
    doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    usdt = doc["assets"][2]
    usdt["equity"] = str(int(usdt["equity"]) - 1)  # derived fields left: not what it writes
    (folder / MANIFEST).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    with pytest.raises(SiteError, match=r"does not verify: 1\. manifest and file hashes"):
        build_site(folder, tmp_path / "site", OPTIONS)
    # Without the flag, the demo phase 1 is refused at the trusted-setup step (8).
    with pytest.raises(SiteError, match=r"8\. trusted setup"):
        build_site(book_attestation.folder, tmp_path / "site2", BuildOptions())
    assert (book_attestation.folder / RESERVES_FILE).exists()


def test_an_asset_under_its_net_liability_is_shown_plainly(
    book_ceremony: BookCeremony,  # noqa: F811
    tmp_path: Path,
) -> None:
    """USDT's reserves (6,000) below its net liability (6,018) but above nothing else:
    the site is built, with a banner and a FAIL against the net; gross is only shown."""
    short = make_book_attestation(
        tmp_path / "short", book_ceremony.keys_for(), {**RESERVES, "USDT": 6_000_000_000}
    )
    built = build_site(short.folder, tmp_path / "site", OPTIONS)
    text = words(built, "")
    assert "Under-covered: USDT" in text
    assert (
        "USDT | 21018 | 15000 | 6018 | 6000 | FAIL: 99.70%, UNDER-COVERED, short by 18 USDT |"
        in text
    )
    assert "BTC | 0.761 | 0 | 0.761 | 0.8 | PASS: 105.12% |" in text
    assert "7 | reserves | FAIL |" in text


def test_a_zkpor1_site_lists_an_earlier_book(
    book_attestation: BookAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Rounds may change format both ways: a zkpor/1 page of History reads a zkpor/2 one
    (coverage of its net liability)."""
    from publisher.site.history import load_history
    from publisher.site.pages import Earlier, history_body
    from verifier.attestation import AttestationFiles, read_manifest

    data = (book_attestation.folder / MANIFEST).read_bytes()
    name = f"history/{hashlib.sha256(data).hexdigest()}.json"
    [(_, earlier)] = load_history([(name, data)])
    manifest, _ = read_manifest(AttestationFiles(lambda _: ZKPOR1_MANIFEST.read_bytes()))

    # What history_body reads of a zkpor/1 site's data.
    data = SimpleNamespace(manifest=manifest, history=[Earlier(earlier, name)])  # type: ignore[arg-type]
    body = history_body(data)  # type: ignore[arg-type]
    assert BOOK_ID in body and "116.31%" in body


def test_a_negative_net_and_undeclared_reserves_render_plainly(
    book_attestation: BookAttestation,  # noqa: F811
) -> None:
    """The pages as a pure function of a manifest: an asset whose accounts owe more than
    they hold (net < 0: nothing to cover), a book without reserves, and a hostile price
    source escaped."""
    from dataclasses import replace

    from publisher.site.book import BookManifest, BookSiteData, render_book_pages
    from publisher.site.build import template
    from verifier.web import BOOK_ATTESTATION_STEPS, BOOK_USER_STEPS

    parsed = book_attestation.manifest
    assets = list(parsed.assets)
    assets[2] = replace(assets[2], equity=10, debt=25)
    covered = replace(parsed, assets=tuple(assets))
    bare = replace(parsed, assets=tuple(replace(a, reserves=None) for a in parsed.assets))

    def summary(manifest: object, page: str = "index.md") -> str:
        data = BookSiteData(
            manifest=BookManifest.of(manifest),  # type: ignore[arg-type]
            batches=[],
            results=[],
            wallets=[],
            transcripts={},
            history=[],
            version="0.1.0",
            site_url=None,
            vendored=[],
            pins={},
            user_steps=BOOK_USER_STEPS,
            attestation_steps=BOOK_ATTESTATION_STEPS,
            samples=3,
        )
        pages = render_book_pages(data, template().joinpath("pages"), "sha384-x", "v/0/verify.js")
        return pages[page]

    text = summary(covered)
    assert "| USDT | 0.00001 | 0.000025 | -0.000015 | 7000 |" in text
    assert "PASS: nothing to cover (net ≤ 0)" in text
    assert "Under\\-covered" not in text and "Under-covered" not in text
    text = summary(bare)
    assert "| BTC | 0.761 | 0 | 0.761 | not declared | not declared | – |" in text
    assert "No reserves are declared: this attestation proves the book only." in text

    # A hostile registry text that slipped past zkpor verify's character rules is escaped
    # for Markdown and HTML on every page that shows it (publisher.site.escape).
    hostile = "<script>alert(1)</script> [a](javascript:x) {: onclick=y}"
    sneaky = replace(parsed, registry=replace(parsed.registry, price_source=hostile))
    for page in ("index.md", "prices.md"):
        text = summary(sneaky, page)
        assert "<script>" not in text and "](javascript:" not in text
        assert " {: onclick" not in text and " \\{: onclick" in text  # no attribute list
        assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\[a\\]\\(javascript:x\\)" in text


def test_wallet_roles_of_a_book_are_shown_as_for_zkpor1(tmp_path: Path) -> None:
    """A zkpor/2 attestation with corporate funds (``tests.verifier.zkpor2_fixture``, dev
    setup): the Summary shows them apart, never counted; Reserves groups wallets by role."""
    from tests.security.test_zkpor2_segregated_reserves import segregate
    from tests.verifier.zkpor2_fixture import build, copy_of

    folder = copy_of(build(tmp_path / "built"), tmp_path / "attestation")
    segregate(folder, "50000000", "0.5")
    built = build_site(folder, tmp_path / "site", BuildOptions(allow_insecure_dev_setup=True))
    summary = words(built, "")
    assert "INSECURE development setup" in summary
    assert "never counted as coverage" in summary
    assert "Corporate funds | ETH | 0.5 |" in summary
    reserves = words(built, "reserves")
    assert "Customer wallets Counted as coverage" in reserves
    assert "Corporate funds Not counted as coverage" in reserves
