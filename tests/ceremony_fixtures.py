"""A small real setup ceremony for tests, and attestations proven with its keys.

A development setup fails every check now (``zkpor verify`` step 9, ``zkpor verify-user``'s
"trusted setup" step, the Verify page), so a green path needs keys from a ceremony. This
runs ``zkpor demo``'s own ceremony (``publisher.demo.run_demo_ceremony``: a demo phase-1
file, init, three contributions, a beacon, verify, finalize) on the shape of
``tests.site_fixtures.make_attestation`` (2 assets, arity 2, batch depth 2: a 2^12
domain, ~1.5 minutes on 2 cores), once per session.

Its phase 1 is the demo's own, so it is NOT a pinned public file: checks pass only with
``allow_unknown_phase1=True``, or, for the browser, on a test-built site whose worker lists
this file's blake2b among its extra known phase-1 files (``site_knowing_phase1``). The
shipped page lists none.

``ZKPOR_TEST_CEREMONY=DIR`` keeps the ceremony in DIR across runs (it is reused only if
its keys still load and check); by default it lives in the session's temporary folder.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest

from publisher.ceremony.demo_ptau import demo_ptau
from publisher.ceremony.directory import keys_for_prove, load_ceremony_keys
from publisher.demo import CEREMONY_DIR, KEYS_DIR, demo_beacon_value, run_demo_ceremony
from publisher.site.addressed import CONTENT_DIR, place
from publisher.site.build import (
    SUMS,
    VERIFY_JS,
    WORKER,
    BuildOptions,
    build_site,
    sha256sums,
)
from publisher.snark.circuit import CircuitShape
from publisher.snark.keys import Keys
from tests.site_fixtures import SmallAttestation, make_attestation
from verifier.ceremony import parse_transcript
from verifier.errors import ZkporError

#: The batch shape of ``tests.site_fixtures.make_attestation`` (``tests.attest.test_pipeline``).
CEREMONY_SHAPE = CircuitShape(n_assets=2, arity=2, batch_depth=2)
T = TypeVar("T")


@dataclass(frozen=True)
class TestCeremony:
    """A finished ceremony: its finalized keys and its phase-1 file's blake2b-512."""

    __test__ = False  # a fixture value, not a test class

    keys: Path
    phase1_blake2b: str

    def keys_for(self) -> Callable[[CircuitShape], Keys]:
        """Return a ``keys_for`` of ``prove_attestation`` that also publishes the
        transcript, as ``zkpor prove --ceremony`` does."""
        return keys_for_prove(self.keys)


def _finished(folder: Path) -> TestCeremony | None:
    """Return the ceremony already in ``folder`` if its keys load and check, else None."""
    keys = folder / KEYS_DIR
    try:
        loaded = load_ceremony_keys(keys, CEREMONY_SHAPE.circuit_id)
    except (OSError, ValueError, ZkporError):
        return None
    return TestCeremony(keys, parse_transcript(loaded.transcript_bytes).header.ptau.blake2b)


def make_ceremony(folder: Path) -> TestCeremony:
    """Run the demo's ceremony for ``CEREMONY_SHAPE`` in ``folder`` (or reuse it)."""
    if (done := _finished(folder)) is not None:
        return done
    for stale in (folder / CEREMONY_DIR, folder / KEYS_DIR):  # from an older format
        shutil.rmtree(stale, ignore_errors=True)
    run_demo_ceremony(
        folder,
        CEREMONY_SHAPE,
        demo_beacon_value("tests", 0),
        lambda power: demo_ptau(power, folder / "ptau-cache"),
        lambda _title, work: work(lambda _message: None),
    )
    done = _finished(folder)
    if done is None:
        raise AssertionError(f"the ceremony in {folder} finished but its keys do not check")
    return done


#: What the session already made, by name. A fixture imported into several test modules
#: is a separate fixture in each (pytest keys fixtures by the module that holds them), so
#: "session" scope alone would redo the ceremony per module: this keeps one per process.
_MADE: dict[str, Any] = {}


def _once(name: str, make: Callable[[], T]) -> T:
    if name not in _MADE:
        _MADE[name] = make()
    return cast(T, _MADE[name])


def _shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder every xdist worker of this run sees: the parent of the workers'
    own temporary folders (or the session's, without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "ceremony"


def make_ceremony_once(folder: Path) -> TestCeremony:
    """Run ``make_ceremony`` in ``folder`` under an exclusive lock: the first worker
    makes the ceremony (two minutes of one core), the others wait and reuse it."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return make_ceremony(folder)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def ceremony(tmp_path_factory: pytest.TempPathFactory) -> TestCeremony:
    """The session's ceremony (see the module docstring), made once per run."""
    kept = os.environ.get("ZKPOR_TEST_CEREMONY")
    return _once(
        "ceremony",
        lambda: make_ceremony_once(Path(kept) if kept else _shared_folder(tmp_path_factory)),
    )


# --- a site whose worker knows the test phase 1 ------------------------------------------

_EXTRA = "const EXTRA_KNOWN_PHASE1 = [];"


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def site_knowing_phase1(site: Path, blake2b: str) -> None:
    """Make the built ``site`` (in place) accept the phase-1 file ``blake2b`` as known:
    the worker's empty ``EXTRA_KNOWN_PHASE1`` list gets the digest (``patch_page_script``).
    A shipped site is never built this way: its page hashes are those of ``zkpor site
    build``, which ``zkpor site reproduce`` rebuilds."""
    patch_page_script(site, WORKER, _EXTRA, f'const EXTRA_KNOWN_PHASE1 = ["{blake2b}"];')


def addressed(site: Path, name: str) -> Path:
    """Return the one content-addressed file ``v/<hash>/<name>`` of the built ``site``."""
    [path] = site.glob(f"{CONTENT_DIR}/*/{name}")
    return path


def _readdress(site: Path, path: Path, data: bytes) -> str:
    """Replace the content-addressed file at ``path`` by ``data`` at the path its new
    content gets; return that path, relative to the site."""
    [new] = place({path.name: data}).values()
    path.unlink()
    path.parent.rmdir()
    (site / new).parent.mkdir(parents=True)
    (site / new).write_bytes(data)
    return new


def patch_page_script(site: Path, script: str, old: str, new: str) -> None:
    """Replace ``old`` (once) by ``new`` in ``script`` (``WORKER`` or ``VERIFY_JS``) of the
    built ``site``, then re-address and re-pin it: the script moves to the
    content-addressed path of its new bytes, the worker's path and hash in verify.js follow,
    and so do verify.js's path and integrity in every page that loads it, and the site's
    SHA256SUMS; the page still loads every file under subresource integrity. For tests
    only: the change shows in the pins."""
    path = addressed(site, script)
    before = path.read_bytes()
    if before.count(old.encode()) != 1:
        raise AssertionError(f"{script} does not contain {old!r} exactly once")
    after = before.replace(old.encode(), new.encode())
    verify_js = addressed(site, VERIFY_JS)
    verify_before = verify_js.read_text(encoding="utf-8")
    if script == WORKER:
        old_path = path.relative_to(site).as_posix()
        new_path = _readdress(site, path, after)
        if verify_before.count(f'"{old_path}"') != 2:  # its path and its pin
            raise AssertionError(f"verify.js does not name {old_path} twice")
        verify_after = verify_before.replace(f'"{old_path}"', f'"{new_path}"')
        _replace_once_in(verify_after, _sri(before))
        verify_after = verify_after.replace(_sri(before), _sri(after))
    else:
        verify_after = after.decode("utf-8")
    old_verify = verify_js.relative_to(site).as_posix()
    new_verify = _readdress(site, verify_js, verify_after.encode())
    pages = [p for p in site.rglob("*.html") if b'verify.js" integrity=' in p.read_bytes()]
    if not pages:
        raise AssertionError("no page loads verify.js")
    for page in pages:
        text = page.read_text(encoding="utf-8")
        pinned = set(re.findall(r'verify\.js" integrity="(sha384-[^"]+)"', text))
        if len(pinned) != 1:
            raise AssertionError(f"{page} pins verify.js {len(pinned)} times, expected once")
        text = text.replace(pinned.pop(), _sri(verify_after.encode()))
        page.write_text(text.replace(old_verify, new_verify), encoding="utf-8")
    (site / SUMS).write_bytes(sha256sums(site))


def _replace_once_in(text: str, old: str) -> None:
    if text.count(old) != 1:
        raise AssertionError(f"verify.js mentions {old} {text.count(old)} times, expected once")


@pytest.fixture(scope="session")
def ceremony_attestation(
    ceremony: TestCeremony, tmp_path_factory: pytest.TempPathFactory
) -> SmallAttestation:
    """``tests.site_fixtures.make_attestation`` proven with the session ceremony's keys:
    10 accounts in 4 batches, signed reserves, ``ceremony/transcript.json`` published.
    Shared: tests that tamper with it work on a copy."""
    return _once(
        "attestation",
        lambda: make_attestation(
            tmp_path_factory.mktemp("ceremony-attestation"), ceremony.keys_for()
        ),
    )


@pytest.fixture(scope="session")
def ceremony_site(
    ceremony: TestCeremony,
    ceremony_attestation: SmallAttestation,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The site of ``ceremony_attestation``, its worker knowing the test phase 1
    (``make_ceremony_site``). Shared: tests that tamper with it work on a copy."""
    return _once(
        "site",
        lambda: make_ceremony_site(
            ceremony_attestation, ceremony, tmp_path_factory.mktemp("ceremony-site") / "site"
        ),
    )


def make_ceremony_site(attestation: SmallAttestation, ceremony: TestCeremony, out: Path) -> Path:
    """Build the site of a ceremony attestation (its phase 1 is the demo's: the build is
    told to accept it), then make its worker know that phase 1 (``site_knowing_phase1``)."""
    site = build_site(attestation.folder, out, BuildOptions(allow_unknown_phase1=True))
    site_knowing_phase1(site, ceremony.phase1_blake2b)
    return site
