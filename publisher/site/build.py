"""``zkpor site build``: one attestation -> one static site, byte for byte reproducible.

The site tree::

    index.html, verify/, reserves/, ... the MkDocs pages (site/ + site/pages/*.md)
    assets/zkpor/    zkpor.css
    v/<hash>/        every file the Verify page loads, content-addressed
                     (publisher.site.addressed): verify.js (with the pins), worker.js,
                     Pyodide, libsodium.js, the py_ecc and verifier wheels (pinned)
    attestation/     the attestation: the files its manifest lists, and its co-signatures
                     (signatures/index.json and the files it lists, added after publication)
    history/         the manifests of earlier attestations shown on the History page
    build.json       zkpor version and build options: what `zkpor site reproduce` needs
    SHA256SUMS       every other file of the site

Reproducibility: the pages depend only on the attestation, the build options and the
zkpor version; MkDocs dates come from the attestation's as-of time (SOURCE_DATE_EPOCH);
the verifier wheel is stored uncompressed with fixed timestamps; MkDocs'
``sitemap.xml.gz`` is dropped because deflate output differs between zlib builds.
The site appears at ``out`` only once complete (built beside it, then renamed).

The templates (``mkdocs.yml``, ``docs/``, ``overrides/``, ``pages/``) are the repository's
top-level ``site/`` folder, which pyproject.toml ships as the package
``publisher.site.template``: they are read with importlib.resources, the same from a wheel,
an editable install and a checkout.

What the site may be built from: an attestation that passes every step of ``zkpor verify``
but the reserves step when its only failures are shortfalls (an under-covered asset, an
under-backed wrapped token: shown by a banner), and the trusted setup only as the explicit
options allow. A wallet whose signature fails, a wallet in two roles, a reserves.json that
does not add up (per role), a co-signature that does not verify, or any other failure
refuses the build. Every page
carries a strict Content-Security-Policy (``publisher.site.csp``); the custodian's values
are escaped for where they are written (``publisher.site.escape``) even though
``zkpor verify`` has already held them to strict character sets.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from publisher.crypto import NaclBackend
from publisher.site.addressed import place
from publisher.site.book import (
    BookManifest,
    BookSiteData,
    ShapeBatches,
    book_nav,
    is_book,
    read_book_manifest,
    render_book_pages,
)
from publisher.site.csp import CspError, apply_csp_to_site
from publisher.site.escape import html_text
from publisher.site.history import fetch_history, history_name_problem, load_history
from publisher.site.pages import CosignatureStatus, Earlier, SiteData, render_pages
from publisher.site.vendor import VENDORED, sri, vendor_files
from publisher.site.wheel import verifier_wheel
from verifier import __version__
from verifier.attestation import AttestationFiles, batch_entries, read_manifest, verify_attestation
from verifier.attestation2 import NET_SHORTFALL_WORDS
from verifier.ceremony_format import TRANSCRIPT, Transcript, parse_transcript
from verifier.cosign import (
    SIGNATURES_INDEX,
    check_cosignature,
    manifest_digest,
    parse_cosignature,
    parse_index,
)
from verifier.errors import VerificationError, ZkporError
from verifier.fetch import directory_reader
from verifier.manifest import BUNDLE_SUMS, MANIFEST, RESERVES, Manifest, parse_proofs
from verifier.manifest2 import Manifest2
from verifier.report import StepResult
from verifier.reserves import Wallet, check_reserves, parse_reserves, shortfalls
from verifier.segregation import wrapped_shortfalls
from verifier.strict_json import loads
from verifier.text_fields import https_url_problem
from verifier.web import BOOK_ATTESTATION_STEPS, BOOK_USER_STEPS, SAMPLES

#: The package of the site's templates: the repository's site/ folder (pyproject.toml).
TEMPLATE_PACKAGE = "publisher.site.template"
BUILD_JSON = "build.json"
SUMS = "SHA256SUMS"
#: The Verify page's scripts among the templates (site/docs/); the site serves them
#: content-addressed, under their logical names (publisher.site.addressed).
WORKER_SOURCE = "assets/zkpor/worker.js"
VERIFY_JS_SOURCE = "assets/zkpor/verify.js"
WORKER = "worker.js"
VERIFY_JS = "verify.js"
RESERVES_STEP = "reserves"

Log = Callable[[str], None]


class SiteError(ZkporError):
    """The site cannot be built (or reproduced) from what was given."""


@dataclass(frozen=True)
class BuildOptions:
    """Everything besides the attestation that the site depends on (kept in build.json)."""

    allow_insecure_dev_setup: bool = False
    site_url: str | None = None
    #: history/<name>.json files of the site, once the earlier manifests are copied in
    history: tuple[str, ...] = field(default=())
    #: build for a ceremony whose phase-1 file is not a pinned public one (demos)
    allow_unknown_phase1: bool = False

    def __post_init__(self) -> None:
        # Both end up in the pages (links, a code block) and build.json: checked here, so
        # that neither a --site-url nor a build.json can carry markup or name a path.
        if self.site_url is not None and (problem := https_url_problem(self.site_url)):
            raise SiteError(f"the site URL {self.site_url!r} {problem}")
        for name in self.history:
            if problem := history_name_problem(name):
                raise SiteError(f"the history entry {name!r} {problem}")

    def to_json(self, version: str) -> dict[str, Any]:
        return {
            "zkpor": version,
            "allow_insecure_dev_setup": self.allow_insecure_dev_setup,
            "allow_unknown_phase1": self.allow_unknown_phase1,
            "site_url": self.site_url,
            "history": list(self.history),
        }


def zkpor_version() -> str:
    """Return the installed zkpor version: part of what a site is a function of.

    It names the code (pyproject.toml): ``X.Y.Z`` for the release tagged ``vX.Y.Z``,
    ``...+g<commit>`` for another commit, ``...+g<commit>.d<date>`` for uncommitted code.
    """
    return __version__


def template() -> Traversable:
    """Return the folder of the site's templates (inside the installed package)."""
    return files(TEMPLATE_PACKAGE)


def _copy_template(source: Traversable, target: Path) -> None:
    """Copy a template folder to ``target`` (from any importlib.resources location)."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            _copy_template(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())


class AttestationFolder(Mapping[str, bytes]):
    """An attestation's files by name: the manifest and the files it lists in memory, the
    buckets read from disk each time they are asked for (an attestation of a million
    accounts has tens of thousands of them, more than a build should hold at once)."""

    def __init__(self, files: dict[str, bytes], buckets: list[str], read: Callable[[str], bytes]):
        self.files = files
        self.buckets = dict.fromkeys(buckets)
        self.read = read

    def __getitem__(self, name: str) -> bytes:
        if name in self.files:
            return self.files[name]
        if name in self.buckets:
            return self.read(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield from self.files
        yield from self.buckets

    def __len__(self) -> int:
        return len(self.files) + len(self.buckets)


def _read_attestation(folder: Path) -> AttestationFolder:
    """Return the attestation's files by name: the manifest, every file it lists, and
    every bucket the bundle checksum list names (nothing else from the folder)."""
    read = directory_reader(folder)
    try:
        files = {MANIFEST: read(MANIFEST)}
        listed = _listed_files(files[MANIFEST])
        for name in sorted(listed):
            files[name] = read(name)
        buckets = []
        if BUNDLE_SUMS in files:
            for line in files[BUNDLE_SUMS].decode("ascii").splitlines():
                buckets.append("bundles/" + line.split()[-1])
        files.update(_signature_files(read))
    except (OSError, UnicodeDecodeError, VerificationError) as exc:
        raise SiteError(f"cannot read the attestation in {folder}: {exc}") from exc
    return AttestationFolder(files, buckets, read)


def _listed_files(manifest_bytes: bytes) -> Mapping[str, str]:
    """Return the files the manifest lists (zkpor/1 or zkpor/2)."""
    if is_book(manifest_bytes):  # derived fields are compared by zkpor verify (step 1)
        return Manifest2.from_json(loads(manifest_bytes)).files
    manifest, _ = read_manifest(AttestationFiles(lambda _: manifest_bytes))
    return manifest.files


def _signature_files(read: Callable[[str], bytes]) -> dict[str, bytes]:
    """Return ``signatures/index.json`` and every co-signature it lists, if there is an
    index: co-signatures are made after the manifest, so it cannot list them
    (``verifier.cosign``), yet the Verify page's step 10 must find them on the site.

    An index that does not parse, or a listed file that is missing, is left for
    ``zkpor verify`` (step 10) to report, which refuses the build with its reason.
    """
    try:
        index = read(SIGNATURES_INDEX)
    except FileNotFoundError:
        return {}
    found = {SIGNATURES_INDEX: index}
    try:
        names = parse_index(loads(index))
    except (ValueError, VerificationError):
        return found
    for name in names:
        try:
            found[name] = read(name)
        except FileNotFoundError:
            continue
    return found


def only_short(files: Mapping[str, bytes], detail: str) -> bool:
    """Return whether the reserves step failed for shortfalls and nothing else: assets
    under-covered, wrapped tokens under-backed (``verifier.segregation.wrapped_shortfalls``).

    The step's reason must be exactly the shortfall sentences, and the whole reserves
    check is run again here (``verifier.reserves.check_reserves``) and must fail with those
    sentences only: it raises them after every other check has passed (reserves.json
    parses, is for this attestation, every wallet's signature is valid for its role, no
    wallet is counted twice or in two roles, and the signed wallets add up, per role, to
    the reserves, collateral, protection fund and corporate funds the manifest publishes).
    Anything else is not shown, it is refused.
    """
    try:
        if is_book(files[MANIFEST]):
            # zkpor/2: each asset's liability is its net, max(equity - debt, 0).
            manifest = read_book_manifest(files[MANIFEST]).reserves_view()
        else:
            manifest, _ = read_manifest(AttestationFiles(files.__getitem__))
        doc = loads(files[RESERVES]) if RESERVES in files else None
    except (VerificationError, ValueError):
        return False
    problems = shortfalls(manifest.assets) + wrapped_shortfalls(manifest)
    if is_book(files[MANIFEST]):
        # zkpor/2's step says "net (equity - debt)" where zkpor/1's says "liabilities".
        detail = detail.replace(NET_SHORTFALL_WORDS, "< liabilities ")
    if doc is None or not problems or detail != "; ".join(problems):
        return False
    try:
        check_reserves(manifest, doc, NaclBackend())
    except VerificationError as exc:
        return str(exc) == "; ".join(problems)
    except (KeyError, ValueError):
        return False
    return False  # the reserves check passes here: the step's failure was something else


def check_attestation(
    files: Mapping[str, bytes], allow_dev: bool, allow_unknown_phase1: bool = False
) -> list[StepResult]:
    """Run ``zkpor verify`` on the files; refuse any failure but an under-covered asset or
    an under-backed wrapped token, which the site shows plainly instead (``only_short``)."""

    def read(name: str) -> bytes:
        if name not in files:
            raise FileNotFoundError(name)
        return files[name]

    results = verify_attestation(
        read, NaclBackend(), allow_dev_setup=allow_dev, allow_unknown_phase1=allow_unknown_phase1
    )
    bad = [
        r
        for r in results
        if r.status != "OK" and not (r.name == RESERVES_STEP and only_short(files, r.detail))
    ]
    if bad:
        hint = (
            " (an attestation from the development setup needs --allow-insecure-dev-setup)"
            if any(r.name == "trusted setup" for r in bad)
            else ""
        )
        if any(r.name == RESERVES_STEP for r in bad):
            hint += (
                " (of the reserves step, only an under-covered asset or an under-backed "
                "wrapped token may be published)"
            )
        reasons = "; ".join(f"{r.number}. {r.name}: {r.detail}" for r in bad)
        raise SiteError(f"the attestation does not verify: {reasons}{hint}")
    return results


def _wallets(files: Mapping[str, bytes], manifest: Manifest) -> list[Wallet]:
    if RESERVES not in files:
        return []
    decimals = {a.symbol: a.decimals for a in manifest.assets}
    return parse_reserves(loads(files[RESERVES]), decimals)[1]


def cosignature_statuses(
    files: Mapping[str, bytes], manifest: Manifest | Manifest2
) -> list[CosignatureStatus]:
    """Return each co-signature ``signatures/index.json`` lists, in its order, with whether
    its key is pinned by the manifest and whether it verifies (``verifier.cosign``; step
    10 has already refused the build if one does not: this is what the pages show)."""
    if SIGNATURES_INDEX not in files:
        return []
    # A zkpor/2 manifest is signed the same way: its digest is of its canonical JSON.
    digest = manifest_digest(manifest)
    out = []
    for name in parse_index(loads(files[SIGNATURES_INDEX])):
        sig = parse_cosignature(loads(files[name]), name)
        pinned = any((c.scheme, c.key) == (sig.scheme, sig.key) for c in manifest.cosigners)
        try:
            check_cosignature(manifest, digest, sig, NaclBackend())
            problem = None
        except VerificationError as exc:
            problem = str(exc)
        out.append(CosignatureStatus(name, sig, pinned, problem))
    return out


def _transcript(files: Mapping[str, bytes]) -> Transcript | None:
    return parse_transcript(files[TRANSCRIPT]) if TRANSCRIPT in files else None


def _epoch(as_of: str) -> int:
    return int(datetime.fromisoformat(as_of.replace("Z", "+00:00")).timestamp())


def _mkdocs_config(
    manifest: Manifest | BookManifest, site_url: str | None, nav: list[Any] | None = None
) -> str:
    config = yaml.safe_load(template().joinpath("mkdocs.yml").read_text(encoding="utf-8"))
    if nav is not None:
        config["nav"] = nav
    # The Material templates write site_name and site_description into <title>, text and
    # attributes without escaping: they are HTML-escaped here (a no-op for any name
    # `zkpor verify` accepts, which cannot hold < > & " ' `).
    config["site_name"] = html_text(f"{manifest.issuer_name}: Proof of Reserves")
    config["site_description"] = html_text(
        f"Proof of Reserves attestation {manifest.attestation_id}"
    )
    if site_url:
        if problem := https_url_problem(site_url):
            raise SiteError(f"the site URL {site_url!r} {problem}")
        config["site_url"] = site_url
    # JSON is YAML: no quoting rules to get wrong for an issuer's name.
    return json.dumps(config, indent=1, sort_keys=True, ensure_ascii=False)


def _site_spec(extra: dict[str, bytes]) -> dict[str, Any]:
    """Return what verify.js needs: every pinned path's SRI and which file is which.

    ``extra`` holds the pinned files by site path (``browser_files``); each role is the
    one file of its name.
    """

    def named(name: str) -> str:
        [path] = [path for path in extra if path.rsplit("/", 1)[-1] == name]
        return path

    wheels = [path for path in extra if path.endswith(".whl")]
    return {
        "pins": {path: sri(data) for path, data in sorted(extra.items())},
        "paths": {
            "worker": named(WORKER),
            "pyodide": named("pyodide.mjs"),
            "pyodideAsm": named("pyodide.asm.mjs"),
            "pyodideLock": named("pyodide-lock.json"),
            "sodium": named("libsodium-sumo.mjs"),
            "sodiumWrappers": named("libsodium-wrappers.mjs"),
            "wheels": sorted(wheels, key=lambda path: path.rsplit("/", 1)[-1]),
        },
    }


def _run_mkdocs(project: Path, out: Path, epoch: int) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"]
    done = subprocess.run(
        [*command, "-f", str(project / "mkdocs.yml"), "-d", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SiteError(f"mkdocs build failed:\n{done.stdout}{done.stderr}")


def _write_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in sorted(files.items()):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def sha256sums(root: Path) -> bytes:
    """Return ``sha256sum``-format lines for every file under ``root`` but SHA256SUMS."""
    lines = [
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(root).as_posix()}"
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() != SUMS
    ]
    return ("\n".join(lines) + "\n").encode()


def browser_files(version: str, console: Console | None = None) -> tuple[dict[str, bytes], str]:
    """Return the pinned files the Verify page loads, by their content-addressed site path
    (``v/<hash>/<name>``, ``publisher.site.addressed``), and verify.js with their pins
    filled in (``verify_js_path`` says where it is served)."""
    files = dict(vendor_files(console=console))
    wheel_name, wheel = verifier_wheel(version)
    docs = template().joinpath("docs")
    files[wheel_name] = wheel
    files[WORKER] = docs.joinpath(*WORKER_SOURCE.split("/")).read_bytes()
    where = place(files)
    extra = {where[name]: data for name, data in sorted(files.items())}
    spec = json.dumps(_site_spec(extra), indent=1, sort_keys=True)
    verify_js = docs.joinpath(*VERIFY_JS_SOURCE.split("/")).read_text(encoding="utf-8")
    return extra, verify_js.replace('"__ZKPOR_SITE__"', spec)


def verify_js_path(verify_js: str) -> str:
    """Return the content-addressed site path of ``verify_js`` (``v/<hash>/verify.js``)."""
    return place({VERIFY_JS: verify_js.encode()})[VERIFY_JS]


def render_site(data: SiteData | BookSiteData, verify_js: str, work: Path) -> Path:
    """Return the folder of the MkDocs pages of ``data``, built in ``work``, each page with
    its Content-Security-Policy, and ``verify_js`` at its content-addressed path: the part
    of a site made from the custodian's values. ``BookSiteData`` (zkpor/2) gets its own
    pages and navigation (``publisher.site.book``)."""
    project = work / "project"
    _copy_template(template().joinpath("docs"), project / "docs")
    _copy_template(template().joinpath("overrides"), project / "overrides")
    for source in (WORKER_SOURCE, VERIFY_JS_SOURCE):  # served content-addressed instead
        (project / "docs" / source).unlink()
    nav = book_nav(data.manifest) if isinstance(data, BookSiteData) else None
    config = _mkdocs_config(data.manifest, data.site_url, nav)
    (project / "mkdocs.yml").write_text(config, "utf-8")
    verify_path = verify_js_path(verify_js)
    # verify/index.html loads it: "../" is the site root (use_directory_urls).
    pages_dir, verify_sri = template().joinpath("pages"), sri(verify_js.encode())
    if isinstance(data, BookSiteData):
        pages = render_book_pages(data, pages_dir, verify_sri, verify_path)
    else:
        pages = render_pages(data, pages_dir, verify_sri, verify_path)
    for name, text in pages.items():
        (project / "docs" / name).write_text(text, encoding="utf-8")
    site = work / "site"
    _run_mkdocs(project, site, _epoch(data.manifest.as_of))
    (site / "sitemap.xml.gz").unlink(missing_ok=True)
    if data.site_url is None:
        # A 404 page is served at any depth, so its links must be absolute; MkDocs makes
        # them root-absolute ("/assets/..."), wrong for a site under a sub-path (a GitHub
        # Pages project site). Without --site-url the host's own 404 page is better.
        (site / "404.html").unlink(missing_ok=True)
    try:
        apply_csp_to_site(site)
    except CspError as exc:
        raise SiteError(f"the pages cannot be given their Content-Security-Policy: {exc}") from exc
    _write_tree(site, {verify_path: verify_js.encode()})
    return site


def _site_data(
    attestation: Mapping[str, bytes],
    history: Sequence[tuple[str, bytes]],
    options: BuildOptions,
    results: list[StepResult],
    extra: dict[str, bytes],
    verify_js: str,
) -> SiteData:
    """Return what the pages of a zkpor/1 site are made from."""
    manifest, _ = read_manifest(AttestationFiles(attestation.__getitem__))
    entries = batch_entries(AttestationFiles(attestation.__getitem__), manifest.tree.batches)
    return SiteData(
        manifest=manifest,
        entries=entries,
        results=results,
        wallets=_wallets(attestation, manifest),
        cosignatures=cosignature_statuses(attestation, manifest),
        transcript=_transcript(attestation),
        **_site_fields(history, options, extra, verify_js),
    )


def _site_fields(
    history: Sequence[tuple[str, bytes]],
    options: BuildOptions,
    extra: dict[str, bytes],
    verify_js: str,
) -> dict[str, Any]:
    """Return what the site data of either format takes of the build, not of the
    attestation: the earlier attestations, this zkpor, the site's address, vendored code
    and pins, and the bytes a first visit of the Verify page downloads."""
    return {
        "history": [Earlier(m, name) for name, m in load_history(history)],  # type: ignore[arg-type]
        "version": zkpor_version(),
        "site_url": options.site_url,
        "vendored": VENDORED,
        "pins": _site_spec(extra)["pins"],
        # What a first visit of the Verify page fetches: every file it may load, pinned.
        "download_bytes": sum(len(b) for b in extra.values()) + len(verify_js.encode()),
    }


def book_site_data(
    attestation: Mapping[str, bytes],
    history: Sequence[tuple[str, bytes]],
    options: BuildOptions,
    results: list[StepResult],
    extra: dict[str, bytes],
    verify_js: str,
) -> BookSiteData:
    """Return what the pages of a zkpor/2 site are made from (``publisher.site.book``)."""
    parsed = read_book_manifest(attestation[MANIFEST])
    manifest = BookManifest.of(parsed)
    batches = []
    transcripts = {}
    for shape in parsed.shapes:
        entries = parse_proofs(loads(attestation[shape.proofs]))
        batches.append(ShapeBatches(shape.slots, [(e.batch, e.public) for e in entries]))
        if shape.ceremony in attestation:
            transcripts[shape.slots] = parse_transcript(attestation[shape.ceremony])
    wallets = []
    if RESERVES in attestation:
        wallets = parse_reserves(loads(attestation[RESERVES]), parsed.decimals)[1]
    return BookSiteData(
        manifest=manifest,
        batches=batches,
        results=results,
        wallets=wallets,
        transcripts=transcripts,
        **_site_fields(history, options, extra, verify_js),
        user_steps=BOOK_USER_STEPS,
        attestation_steps=BOOK_ATTESTATION_STEPS,
        samples=SAMPLES,
        cosignatures=cosignature_statuses(attestation, parsed),
    )


def build_into(
    attestation: Mapping[str, bytes],
    history: Sequence[tuple[str, bytes]],
    options: BuildOptions,
    work: Path,
    log: Log | None = None,
    console: Console | None = None,
) -> Path:
    """Build the site in ``work`` and return its folder: the shared core of build and
    reproduce. ``history`` is (history/<sha256>.json, manifest bytes) of earlier
    attestations, each name checked against its content (``load_history``)."""
    say = log or (lambda _: None)
    version = zkpor_version()
    say("checking the attestation (zkpor verify)")
    results = check_attestation(
        attestation, options.allow_insecure_dev_setup, options.allow_unknown_phase1
    )
    say("collecting the files the browser loads")
    extra, verify_js = browser_files(version, console)
    data: SiteData | BookSiteData
    if is_book(attestation[MANIFEST]):
        data = book_site_data(attestation, history, options, results, extra, verify_js)
    else:
        data = _site_data(attestation, history, options, results, extra, verify_js)
    say("building the pages (mkdocs)")
    site = render_site(data, verify_js, work)
    try:
        for name in attestation:  # one file in memory at a time
            _write_tree(site, {f"attestation/{name}": attestation[name]})
    except OSError as exc:
        raise SiteError(f"cannot read the attestation: {exc}") from exc
    _write_tree(site, extra)
    _write_tree(site, dict(history))
    build_json = json.dumps(options.to_json(version), indent=1, sort_keys=True) + "\n"
    (site / BUILD_JSON).write_text(build_json, encoding="utf-8")
    (site / SUMS).write_bytes(sha256sums(site))
    return site


def build_site(
    attestation_dir: Path,
    out: Path,
    options: BuildOptions,
    history_sources: Sequence[str] = (),
    replace: bool = False,
    log: Log | None = None,
    console: Console | None = None,
) -> Path:
    """Build the site of the attestation in ``attestation_dir`` at ``out``, atomically."""
    if out.exists() and not replace:
        raise SiteError(f"{out} already exists; remove it or pass --force")
    attestation = _read_attestation(attestation_dir)
    history = fetch_history(history_sources)
    options = BuildOptions(
        options.allow_insecure_dev_setup,
        options.site_url,
        tuple(name for name, _ in history),
        allow_unknown_phase1=options.allow_unknown_phase1,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
        site = build_into(attestation, history, options, Path(tmp).resolve(), log, console)
        if out.exists():
            shutil.rmtree(out)
        site.rename(out)
    return out
