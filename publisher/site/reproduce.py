"""``zkpor site reproduce``: rebuild a site from its own attestation and list what differs.

A reviewer who trusts neither the publisher nor its CI rebuilds the published site with
the same zkpor version: the attestation, the earlier manifests of the History page and
the build options all travel inside the site (``attestation/``, ``history/``,
``build.json``), so nothing else is needed. A site given by URL is downloaded first, file
by file as its ``SHA256SUMS`` lists them.

The zkpor version in ``build.json`` names the code to rebuild with (pyproject.toml): a
release ``X.Y.Z`` (``pip install zkpor==X.Y.Z``), a commit ``...+g<commit>`` (``pip
install git+<repository>@<commit>``), or uncommitted code ``...+g<commit>.d<date>``, which
no one can install again: such a site cannot be reproduced exactly.
"""

from __future__ import annotations

import json
import re
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path, PurePosixPath

from rich.console import Console

from publisher.site.build import (
    BUILD_JSON,
    SUMS,
    BuildOptions,
    Log,
    SiteError,
    _read_attestation,
    build_into,
    zkpor_version,
)
from publisher.site.history import HISTORY_NAME

TIMEOUT = 60.0
#: What setuptools-scm writes into a version's local part: the commit, the date of a build
#: from uncommitted changes; and the versions of code that names no commit (pyproject.toml's
#: fallback_version, verifier's own fallback).
_COMMIT = re.compile(r"g([0-9a-f]{7,40})")
_DIRTY = re.compile(r"d[0-9]{8}")
_UNIDENTIFIED = ("0.0", "0+unknown")


@dataclass(frozen=True)
class Difference:
    """One file that is not the same in the site and in its rebuild."""

    path: str
    problem: str  # "changed", "missing from the site", "not in the rebuild"


def _safe_relative(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise SiteError(f"{SUMS} lists {name!r}, which is not a path inside the site")
    return path.as_posix()


def download_site(url: str, into: Path, log: Log | None = None) -> Path:
    """Download every file the site at ``url`` lists in its SHA256SUMS into ``into``."""
    base = url.rstrip("/") + "/"

    def get(name: str) -> bytes:
        try:
            with urllib.request.urlopen(base + name, timeout=TIMEOUT) as response:
                return bytes(response.read())
        except (urllib.error.URLError, OSError) as exc:
            raise SiteError(f"cannot download {base + name}: {exc}") from exc

    sums = get(SUMS)
    names = [_safe_relative(line.split(None, 1)[1]) for line in sums.decode().splitlines() if line]
    for number, name in enumerate(names, 1):
        if log and number % 50 == 0:
            log(f"downloaded {number} of {len(names)} files")
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(get(name))
    (into / SUMS).write_bytes(sums)
    return into


def repository_url() -> str | None:
    """Return the ``Repository`` URL of the installed zkpor's ``[project.urls]``, if any."""
    try:
        urls: list[str] = metadata("zkpor").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository" and url.strip():
            return url.strip()
    return None


def install_hint(version: str, repository: str | None = None) -> str:
    """Return what to install to rebuild a site that build.json says zkpor ``version`` built."""
    public, _, local = version.partition("+")
    parts = local.split(".") if local else []
    commit = next((m.group(1) for part in parts if (m := _COMMIT.fullmatch(part))), None)
    if any(_DIRTY.fullmatch(part) for part in parts):
        base = f" on top of commit {commit}" if commit else ""
        return (
            f"zkpor {version} was built from uncommitted changes{base}, which no one can "
            "install again: the site cannot be reproduced exactly"
        )
    if commit:
        where = repository or "<the zkpor git repository>"
        return f"install the commit it names: pip install 'git+{where}@{commit}'"
    if local or version in _UNIDENTIFIED:
        return (
            f"zkpor {version} names no release and no commit (it was built outside a git "
            "checkout): the site cannot be reproduced exactly"
        )
    return f"install that release: pip install 'zkpor=={public}'"


def version_mismatch(built: str, installed: str, repository: str | None = None) -> str:
    """Return the error for a site built by another zkpor version than this one."""
    hint = install_hint(built, repository)
    return f"the site was built with zkpor {built}, this is zkpor {installed}: {hint}"


#: build.json: each key and the JSON type of its value (what BuildOptions.to_json writes).
_BUILD_KEYS: dict[str, tuple[type, ...]] = {
    "zkpor": (str,),
    "allow_insecure_dev_setup": (bool,),
    "allow_unknown_phase1": (bool,),
    "site_url": (str, type(None)),
    "history": (list,),
}


def _options(site: Path) -> BuildOptions:
    """Return the build options of ``site``'s build.json, read strictly: exactly the keys
    zkpor writes, of their types; every history entry ``history/<sha256>.json`` (its
    content is checked when the site is rebuilt) and listed once."""
    where = site / BUILD_JSON
    try:
        doc = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SiteError(f"{where} is missing or malformed: {exc}") from exc
    version = doc.get("zkpor") if isinstance(doc, dict) else None
    if isinstance(version, str) and version != zkpor_version():
        raise SiteError(version_mismatch(version, zkpor_version(), repository_url()))
    if not isinstance(doc, dict) or set(doc) != set(_BUILD_KEYS):
        raise SiteError(f"{where} must be an object with exactly the keys {sorted(_BUILD_KEYS)}")
    for key, types in _BUILD_KEYS.items():
        if not isinstance(doc[key], types):
            raise SiteError(f"{where}: {key} has the wrong type ({type(doc[key]).__name__})")
    history = doc["history"]
    for number, name in enumerate(history):
        if not isinstance(name, str) or not HISTORY_NAME.fullmatch(name):
            raise SiteError(
                f"{where}: history[{number}] is {name!r}; a history entry must be "
                "history/<sha256 of its content>.json, inside history/"
            )
    if len(set(history)) != len(history):
        raise SiteError(f"{where}: history lists a file twice")
    options = BuildOptions(
        allow_insecure_dev_setup=doc["allow_insecure_dev_setup"],
        site_url=doc["site_url"],
        history=tuple(history),
        allow_unknown_phase1=doc["allow_unknown_phase1"],
    )
    return options


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def compare(site: Path, rebuilt: Path) -> list[Difference]:
    """Return every file that differs between the two trees, sorted by path."""
    ours, theirs = _files(rebuilt), _files(site)
    out = []
    for name in sorted(ours.keys() | theirs.keys()):
        if name not in theirs:
            out.append(Difference(name, "missing from the site"))
        elif name not in ours:
            out.append(Difference(name, "not in the rebuild"))
        elif ours[name].read_bytes() != theirs[name].read_bytes():
            out.append(Difference(name, "changed"))
    return out


def reproduce(
    site_ref: str, log: Log | None = None, console: Console | None = None
) -> list[Difference]:
    """Rebuild the site at ``site_ref`` (a folder or an http(s) URL) and return what differs."""
    with tempfile.TemporaryDirectory(prefix="zkpor-reproduce-") as tmp:
        work = Path(tmp).resolve()
        if site_ref.startswith(("https://", "http://")):
            site = download_site(site_ref, work / "published", log)
        else:
            site = Path(site_ref)
        if not (site / "attestation").is_dir():
            raise SiteError(f"{site_ref} has no attestation/ folder: is it a zkpor site?")
        options = _options(site)
        try:
            history = [(name, (site / name).read_bytes()) for name in options.history]
        except OSError as exc:
            raise SiteError(f"{site_ref}: a history file build.json lists: {exc}") from exc
        attestation = _read_attestation(site / "attestation")
        (work / "build").mkdir()
        rebuilt = build_into(attestation, history, options, work / "build", log, console)
        return compare(site, rebuilt)
