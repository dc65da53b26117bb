"""`zkpor site build` and `zkpor site reproduce` on a real attestation with signed reserves.

The browser side of the site is tested in test_site_browser.py; here: what the build
writes, that it is reproducible byte for byte, what it refuses, and that nothing private
reaches the site.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import json
import posixpath
import re
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from typer.testing import CliRunner

import verifier
from publisher.attest.ingest import read_liabilities
from publisher.attest.pipeline import CODES, inputs_digest, prove_attestation
from publisher.cli.main import app
from publisher.config import load_config
from publisher.reserves.ingest import read_reserves
from publisher.reserves.sign import DemoWallet, reserves_csv, sign_test_wallets
from publisher.site.addressed import is_content_addressed
from publisher.site.build import BuildOptions, SiteError, build_site
from publisher.site.reproduce import compare, reproduce
from publisher.site.serve import make_server
from publisher.site.vendor import sri
from tests.snapshots import ACCOUNTS, dev_keys_for, write_inputs
from verifier.manifest import MANIFEST, PROOFS

runner = CliRunner()
DEV = BuildOptions(allow_insecure_dev_setup=True)


def _prove(root: Path, coverage: dict[str, int]) -> tuple[Path, Path]:
    """Prove ACCOUNTS with reserves covering each asset at ``coverage`` percent."""
    csv_path, toml_path = write_inputs(root / "input", ACCOUNTS, pad_to=16)
    config = load_config(toml_path)
    snapshot = read_liabilities(csv_path, config)
    totals = dict(zip((a.symbol for a in config.assets), snapshot.totals, strict=True))
    wallets = [
        DemoWallet("bitcoin", "BTC", "cold", -(-totals["BTC"] * coverage["BTC"] // 100), "924000"),
        DemoWallet("ethereum", "USDT", "treasury", totals["USDT"] * coverage["USDT"] // 200, "1"),
        # An Ed25519 wallet, so the signature backend (libsodium.js in the browser) runs.
        DemoWallet("solana", "USDT", "sol", -(-totals["USDT"] * coverage["USDT"] // 200), "1"),
    ]
    signed = sign_test_wallets(config.attestation_id, wallets)
    reserves_path = root / "input" / "reserves.csv"
    decimals = {a.symbol: a.decimals for a in config.assets}
    reserves_path.write_bytes(reserves_csv(signed, decimals))
    reserves, _ = read_reserves(reserves_path, config)
    with ProcessPoolExecutor(2) as pool:
        prove_attestation(
            snapshot,
            config,
            inputs_digest(csv_path, toml_path),
            root / "attestation",
            root / "private",
            dev_keys_for,
            pool,
            in_flight=2,
            reserves=reserves,
        )
    return root / "attestation", root / "private"


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _prove(tmp_path_factory.mktemp("site-attestation"), {"BTC": 110, "USDT": 100})


@pytest.fixture(scope="module")
def site(proven: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(proven[0], tmp_path_factory.mktemp("sites") / "site", DEV)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


def test_two_builds_are_identical_byte_for_byte(
    proven: tuple[Path, Path], site: Path, tmp_path: Path
) -> None:
    again = build_site(proven[0], tmp_path / "again", DEV)
    first, second = tree(site), tree(again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_the_site_has_every_page_the_attestation_and_the_pinned_files(site: Path) -> None:
    for name in ("verify", "reserves", "wrapped", "proofs", "methodology", "reproduce", "history"):
        assert (site / name / "index.html").is_file(), name
    assert (site / "index.html").is_file()
    assert (site / "attestation" / MANIFEST).is_file()
    assert len(list(site.glob("v/*/pyodide.asm.wasm"))) == 1
    wheels = sorted(p.name for p in site.glob("v/*/*.whl"))
    ours = f"zkpor_verifier-{verifier.__version__}-py3-none-any.whl"  # the installed version
    assert wheels == ["py_ecc-8.0.0-py3-none-any.whl", ours]
    assert not (site / "sitemap.xml.gz").exists()
    # Only content-addressed copies of the page's scripts and of the vendored files.
    assert not (site / "vendor").exists()
    assert not (site / "assets" / "zkpor" / "worker.js").exists()


def test_the_attestation_is_copied_exactly(proven: tuple[Path, Path], site: Path) -> None:
    assert tree(site / "attestation") == tree(proven[0])


def test_sha256sums_lists_every_other_file_with_its_hash(site: Path) -> None:
    listed = {}
    for line in (site / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = tree(site)
    assert sorted(listed) == sorted(name for name in files if name != "SHA256SUMS")
    assert all(hashlib.sha256(files[name]).hexdigest() == d for name, d in listed.items())


def verify_js(site: Path) -> tuple[str, str]:
    """Return the site path of the verify.js the Verify page loads, and its text."""
    found = re.findall(r'<script type="module" src="([^"]+)" integrity=', page(site, "verify"))
    [src] = [src for src in found if src.endswith("/verify.js")]
    path = posixpath.normpath(f"verify/{src}")  # the page is verify/index.html
    return path, (site / path).read_text(encoding="utf-8")


def site_spec(site: Path) -> dict[str, Any]:
    """Return the table of paths and pins verify.js was built with (``SITE``)."""
    _, script = verify_js(site)
    return json.loads(re.search(r"const SITE = (\{.*?\n\});", script, re.S).group(1))  # type: ignore[union-attr,no-any-return]


def test_verify_js_pins_every_file_the_worker_loads(site: Path) -> None:
    _, script = verify_js(site)
    spec = site_spec(site)
    served = {p for p in tree(site) if p.startswith("v/") and not p.endswith("/verify.js")}
    assert served == set(spec["pins"])
    for path, pin in spec["pins"].items():
        assert sri((site / path).read_bytes()) == pin, path
    # and the page loads verify.js itself with subresource integrity
    assert f'integrity="{sri(script.encode())}"' in page(site, "verify")


def test_every_pinned_file_is_content_addressed(site: Path) -> None:
    """v/<h>/<name>: h starts the file's own sha256, or for a bundle (Pyodide, libsodium.js)
    the sha256 of its folder's sha256sum listing."""
    verify_path, script = verify_js(site)
    spec = site_spec(site)
    paths = [*spec["pins"], f"v/{hashlib.sha256(script.encode()).hexdigest()[:16]}/verify.js"]
    bundles = 0
    for path in paths:
        assert is_content_addressed(path), path
        folder = site / path.rsplit("/", 1)[0]
        h = folder.name
        if hashlib.sha256((site / path).read_bytes()).hexdigest().startswith(h):
            continue
        members = {p.name: p.read_bytes() for p in folder.iterdir()}
        listing = "".join(
            f"{hashlib.sha256(data).hexdigest()}  {name}\n"
            for name, data in sorted(members.items())
        )
        assert len(members) > 1 and hashlib.sha256(listing.encode()).hexdigest()[:16] == h, path
        bundles += 1
    assert bundles == 5 + 4  # Pyodide's files, libsodium.js and its licences
    if verify_path != "assets/zkpor/verify.js":  # a template of before v/ loads it from there
        assert verify_path == paths[-1]
    # every role of the table is a pinned file
    roles = spec["paths"]
    for role, path in roles.items():
        for one in path if role == "wheels" else [path]:
            assert one in spec["pins"], (role, one)
    assert [p.rsplit("/", 1)[-1] for p in roles["wheels"]] == [
        "py_ecc-8.0.0-py3-none-any.whl",
        f"zkpor_verifier-{verifier.__version__}-py3-none-any.whl",
    ]


def test_pyodide_finds_its_parts_beside_pyodide_asm_mjs(site: Path) -> None:
    """The worker's indexURL is the folder of paths.pyodideAsm: Pyodide loads
    pyodide.asm.wasm and python_stdlib.zip from there, by name."""
    roles = site_spec(site)["paths"]
    index = roles["pyodideAsm"].rsplit("/", 1)[0]
    assert roles["pyodideAsm"] == f"{index}/pyodide.asm.mjs"
    names = sorted(p.name for p in (site / index).iterdir())
    assert names == sorted(
        [
            "pyodide.mjs",
            "pyodide.asm.mjs",
            "pyodide.asm.wasm",
            "python_stdlib.zip",
            "pyodide-lock.json",
        ]
    )
    assert roles["pyodide"] == f"{index}/pyodide.mjs"
    assert roles["pyodideLock"] == f"{index}/pyodide-lock.json"
    sodium = roles["sodium"].rsplit("/", 1)[0]
    assert roles["sodiumWrappers"] == f"{sodium}/libsodium-wrappers.mjs"


def test_serve_compresses_what_compresses_for_a_browser_that_accepts_gzip(site: Path) -> None:
    import gzip

    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    wasm_file = next(site.glob("v/*/pyodide.asm.wasm"))
    wasm = "/" + wasm_file.relative_to(site).as_posix()

    def get(path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1])
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    try:
        status, headers, body = get(wasm, **{"Accept-Encoding": "gzip, br"})
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert headers["Content-Type"] == "application/wasm"
        assert headers["Vary"] == "Accept-Encoding"
        assert gzip.decompress(body) == wasm_file.read_bytes()
        assert len(body) < wasm_file.stat().st_size // 2
        assert get(wasm, **{"Accept-Encoding": "gzip"})[2] == body  # deterministic
        status, headers, body = get(wasm)  # no Accept-Encoding: the file as it is
        assert "Content-Encoding" not in headers and body == wasm_file.read_bytes()
        later = "Fri, 31 Dec 2100 00:00:00 GMT"
        status, _, body = get(wasm, **{"Accept-Encoding": "gzip", "If-Modified-Since": later})
        assert (status, body) == (304, b"")
        status, headers, _ = get("/verify/", **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip"
    finally:
        server.shutdown()
        server.server_close()


def test_serve_lets_browsers_keep_content_addressed_files_for_a_year(site: Path) -> None:
    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    wasm = "/" + next(site.glob("v/*/pyodide.asm.wasm")).relative_to(site).as_posix()

    def cache_control(path: str, method: str = "GET", **headers: str) -> tuple[int, str | None]:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1])
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, response.getheader("Cache-Control")
        finally:
            connection.close()

    try:
        year = "public, max-age=31536000, immutable"
        assert cache_control(wasm) == (200, year)
        assert cache_control(wasm, "HEAD") == (200, year)
        assert cache_control(wasm + "?v=1") == (200, year)
        # a conditional request for an unchanged file: 304, and still good for a year
        later = "Fri, 31 Dec 2100 00:00:00 GMT"
        assert cache_control(wasm, **{"If-Modified-Since": later}) == (304, year)
        verify = "/" + verify_js(site)[0]
        for path in ("/", "/verify/", "/verify/index.html", f"/attestation/{MANIFEST}", verify):
            expected = year if verify == path and is_content_addressed(path[1:]) else "no-cache"
            assert cache_control(path) == (200, expected), path
        assert cache_control("/SHA256SUMS") == (200, "no-cache")
        assert cache_control("/verify") == (301, "no-cache")  # the redirect to verify/
        assert cache_control("/v/0123456789abcdef/missing.js") == (404, "no-cache")
        assert cache_control(wasm.rsplit("/", 1)[0] + "/") == (200, "no-cache")  # a listing
    finally:
        server.shutdown()
        server.server_close()


def test_nothing_is_loaded_from_another_origin(site: Path) -> None:
    external = re.compile(r"""<(?:script|link|img|iframe)[^>]+(?:src|href)=["']?(?:https?:)?//""")
    for path in site.rglob("*.html"):
        assert not external.search(path.read_text(encoding="utf-8")), path
    css = (site / "assets").rglob("*.css")
    assert not any("fonts.googleapis" in p.read_text(encoding="utf-8") for p in css)


def test_every_page_carries_the_content_security_policy(site: Path) -> None:
    from publisher.site.csp import inline_script_hashes, policy

    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 7  # the seven pages (404.html only with --site-url)
    for path in pages:
        text = path.read_text(encoding="utf-8")
        found = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text)
        where = path.relative_to(site).as_posix()
        # One policy, before any script, allowing exactly the theme's inline scripts.
        assert found == [policy(inline_script_hashes(text, where))], where
        assert "<script" not in text.split("Content-Security-Policy", 1)[0], where
        assert "'unsafe-inline'" not in found[0] and "'unsafe-eval'" not in found[0]


def test_an_inline_script_that_is_not_the_themes_refuses_the_policy() -> None:
    from publisher.site.csp import CspError, apply_csp

    meta = '<meta http-equiv="Content-Security-Policy" content="__ZKPOR_CSP__">'
    with pytest.raises(CspError, match=r"x\.html: an inline script that is not the theme's"):
        apply_csp(f"<head>{meta}</head><body><script>alert(1)</script></body>", "x.html")
    with pytest.raises(CspError, match="a script comes before"):
        apply_csp(f"<script src=a.js></script>{meta}", "x.html")
    with pytest.raises(CspError, match="expected one"):
        apply_csp("<head></head>", "x.html")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "http://example.com/", "https://x.example/```\n<script>"]
)
def test_a_hostile_site_url_is_refused(proven: tuple[Path, Path], tmp_path: Path, url: str) -> None:
    with pytest.raises(SiteError, match="must be"):
        build_site(proven[0], tmp_path / "site", BuildOptions(True, site_url=url))
    assert not (tmp_path / "site").exists()


def test_the_404_page_links_under_the_site_url_and_is_left_out_without_one(
    proven: tuple[Path, Path], site: Path, tmp_path: Path
) -> None:
    assert not (site / "404.html").exists()  # built without --site-url
    url = "https://example.org/zkpor-project/"
    built = build_site(proven[0], tmp_path / "site", BuildOptions(True, site_url=url))
    links = re.findall(r'(?:href|src)="([^"]+)"', (built / "404.html").read_text("utf-8"))
    local = [link for link in links if not link.startswith(("https:", "#", "data:"))]
    assert local and all(link.startswith("/zkpor-project/") for link in local), local


def test_no_secret_reaches_the_site(proven: tuple[Path, Path], site: Path) -> None:
    _, private = proven
    with (private / CODES).open(encoding="utf-8", newline="") as f:
        codes = [row["code"] for row in csv.DictReader(f)]
    with (private / "leaves.csv").open(encoding="utf-8", newline="") as f:
        salts = [row["salt"] for row in csv.DictReader(f)]
    secrets = [c.encode() for c in codes] + [s.encode() for s in salts if len(s) > 8]
    secrets += [c.replace("-", "").encode() for c in codes]
    for name, data in tree(site).items():
        assert not any(secret in data for secret in secrets), name


def test_summary_shows_coverage_and_the_insecure_setup_warning(site: Path) -> None:
    summary = page(site, "")
    assert "INSECURE development setup" in summary
    assert "110.00%" in summary and "100.00%" in summary
    assert "UNDER-COVERED" not in summary
    assert "<svg" in summary  # the coverage chart, drawn at build time
    for name in ("reserves", "proofs", "methodology", "verify"):
        assert "INSECURE development setup" in page(site, name), name


def test_reserves_page_lists_every_wallet(site: Path) -> None:
    reserves = json.loads((site / "attestation" / "reserves.json").read_text())
    html = page(site, "reserves")
    for wallet in reserves["wallets"]:
        assert wallet["address"] in html


def test_an_under_covered_asset_is_shown_plainly(tmp_path: Path) -> None:
    attestation, _ = _prove(tmp_path / "short", {"BTC": 93, "USDT": 100})
    built = build_site(attestation, tmp_path / "site", DEV)
    summary = page(built, "")
    assert "UNDER-COVERED" in summary and "short by" in summary
    assert "Under-covered: BTC" in summary
    assert "93.00%" in summary
    assert "Under-covered: BTC" in page(built, "reserves")


def test_a_development_setup_needs_the_explicit_flag(
    proven: tuple[Path, Path], tmp_path: Path
) -> None:
    with pytest.raises(SiteError, match="--allow-insecure-dev-setup"):
        build_site(proven[0], tmp_path / "site", BuildOptions())
    assert not (tmp_path / "site").exists()
    assert list(tmp_path.iterdir()) == []  # no half-built site left behind


def test_an_attestation_that_does_not_verify_is_refused(
    proven: tuple[Path, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "attestation"
    shutil.copytree(proven[0], broken)
    proofs = json.loads((broken / PROOFS).read_text())
    proofs[0]["proof"]["pi_a"][0] = str(int(proofs[0]["proof"]["pi_a"][0]) + 1)
    (broken / PROOFS).write_text(json.dumps(proofs))
    with pytest.raises(SiteError, match="manifest and file hashes"):
        build_site(broken, tmp_path / "site", DEV)
    assert not (tmp_path / "site").exists()


def test_reproduce_passes_on_a_fresh_build(site: Path) -> None:
    assert reproduce(str(site)) == []


Edit = Callable[[Path], None]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda s: (s / "index.html").write_text("changed"), [("index.html", "changed")]),
        (lambda s: (s / "extra.js").write_text("x"), [("extra.js", "not in the rebuild")]),
        (
            lambda s: (s / "proofs" / "index.html").unlink(),
            [("proofs/index.html", "missing from the site")],
        ),
        (
            lambda s: next(s.glob("v/*/pyodide.mjs")).write_bytes(b"evil"),
            [("v/*/pyodide.mjs", "changed")],
        ),
    ],
)
def test_reproduce_lists_every_file_that_differs(
    site: Path, tmp_path: Path, edit: Edit, expected: list[tuple[str, str]]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    edit(copy)
    found = [(d.path, d.problem) for d in reproduce(str(copy))]
    assert len(found) == len(expected)
    for (path, problem), (pattern, expected_problem) in zip(found, expected, strict=True):
        assert PurePosixPath(path).match(pattern) and problem == expected_problem, (path, problem)


def test_compare_of_identical_trees_is_empty(site: Path) -> None:
    assert compare(site, site) == []


def test_history_lists_earlier_attestations_and_is_reproduced(
    proven: tuple[Path, Path], tmp_path: Path
) -> None:
    earlier_manifest = json.loads((proven[0] / MANIFEST).read_text())
    earlier_manifest["as_of"] = "2026-10-21T00:00:00Z"
    earlier_manifest["id"] = "test-2026-10-21"
    earlier = tmp_path / "earlier.json"
    earlier.write_text(json.dumps(earlier_manifest, indent=1))
    built = build_site(proven[0], tmp_path / "site", DEV, history_sources=[str(earlier)])
    history = page(built, "history")
    assert "test-2026-10-21" in history and "2026-10-21T00:00:00Z" in history
    assert "<svg" in history
    assert json.loads((built / "build.json").read_text())["history"] == [
        f"history/{hashlib.sha256(earlier.read_bytes()).hexdigest()}.json"
    ]
    assert reproduce(str(built)) == []


def test_cli_build_refuses_an_existing_folder_and_reproduce_exit_codes(
    proven: tuple[Path, Path], site: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, ["site", "build", str(proven[0]), "--out", str(out)])
    assert result.exit_code == 2 and "already exists" in result.output
    result = runner.invoke(app, ["site", "reproduce", str(site)])
    assert result.exit_code == 0, result.output
    assert "reproduced byte for byte" in result.output
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    (copy / "proofs" / "index.html").write_text("x")
    result = runner.invoke(app, ["site", "reproduce", str(copy)])
    assert result.exit_code == 1
    assert "DIFFERS: proofs/index.html (changed)" in result.output


def test_reproduce_downloads_a_site_by_url(site: Path, tmp_path: Path) -> None:
    site = Path(shutil.copytree(site, tmp_path / "served"))
    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        assert reproduce(url) == []
        (site / "methodology" / "index.html").write_bytes(b"served, not reproduced")
        assert [d.path for d in reproduce(url)] == ["methodology/index.html"]
    finally:
        server.shutdown()
        server.server_close()
