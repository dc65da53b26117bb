"""Attack: make ``zkpor site reproduce`` vouch for a page the build never wrote.

Finding 4 of issue 11: build.json lists the site's history files, and reproduce copied
each into the rebuild under the name build.json gave. The host lists
``verify/index.html`` as a "history entry" and replaces the Verify page with its own
script: the rebuild then holds the same file and reproduce said "reproduced byte for
byte". History entries must be exactly ``history/<sha256 of the content>.json``, checked,
and nothing build.json names may leave its folder; reproduce must refuse, naming
build.json and the entry, and write nothing into the site.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app
from publisher.site.build import BUILD_JSON, SiteError
from publisher.site.history import HistoryError
from publisher.site.reproduce import reproduce
from tests.site_fixtures import make_attestation, make_site

runner = CliRunner()
EVIL_PAGE = b"<!doctype html><script>fetch('/steal?'+location.hash)</script>"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("history-escape")
    return make_site(make_attestation(root), root / "site")


def _tampered(site: Path, tmp_path: Path, history: list[str], files: dict[str, bytes]) -> Path:
    copy = Path(shutil.copytree(site, tmp_path / "site"))
    build = json.loads((copy / BUILD_JSON).read_text(encoding="utf-8"))
    build["history"] = history
    (copy / BUILD_JSON).write_text(json.dumps(build, indent=1, sort_keys=True) + "\n")
    for name, data in files.items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes(data)
    return copy


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_untampered_site_reproduces(site: Path) -> None:
    assert reproduce(str(site)) == []


@pytest.mark.parametrize(
    "entry",
    [
        "verify/index.html",  # the page holding the code, replaced by the host's script
        "index.html",
        "history/../verify/index.html",
        "history/verify.html",
        "/etc/passwd",
        "history/" + "A" * 64 + ".json",  # upper-case hex is not the name zkpor writes
    ],
)
def test_a_history_entry_outside_history_is_refused(site: Path, tmp_path: Path, entry: str) -> None:
    files = {"verify/index.html": EVIL_PAGE} if entry.startswith("verify") else {}
    copy = _tampered(site, tmp_path, [entry], files)
    before = _snapshot(copy)
    with pytest.raises(SiteError, match=r"build\.json: history\[0\] is .*history/<sha256"):
        reproduce(str(copy))
    assert _snapshot(copy) == before  # nothing written into the site

    result = runner.invoke(app, ["site", "reproduce", str(copy)])
    assert result.exit_code != 0
    assert "reproduced" not in result.output.lower().replace("not reproduced", "")
    assert "history[0]" in result.output


def test_a_history_file_not_named_after_its_content_is_refused(site: Path, tmp_path: Path) -> None:
    # A well-formed name whose content is something else: the HTML page, kept under a
    # plausible name, must not be carried into the rebuild either.
    name = "history/" + hashlib.sha256(b"another manifest").hexdigest() + ".json"
    copy = _tampered(site, tmp_path, [name], {name: EVIL_PAGE})
    with pytest.raises(HistoryError, match="named after the sha256 of its content"):
        reproduce(str(copy))


def test_a_hostile_site_url_in_build_json_is_refused(site: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(site, tmp_path / "site"))
    build = json.loads((copy / BUILD_JSON).read_text(encoding="utf-8"))
    build["site_url"] = "javascript:alert(1)//"
    (copy / BUILD_JSON).write_text(json.dumps(build), encoding="utf-8")
    with pytest.raises(SiteError, match="must be an https:// URL"):
        reproduce(str(copy))


def test_a_build_json_with_an_unknown_key_or_a_string_flag_is_refused(
    site: Path, tmp_path: Path
) -> None:
    for change in ({"output": "verify/"}, {"allow_insecure_dev_setup": "false"}):
        copy = Path(shutil.copytree(site, tmp_path / f"site-{len(list(tmp_path.iterdir()))}"))
        build = json.loads((copy / BUILD_JSON).read_text(encoding="utf-8"))
        build.update(change)
        (copy / BUILD_JSON).write_text(json.dumps(build), encoding="utf-8")
        with pytest.raises(SiteError, match=r"build\.json"):
            reproduce(str(copy))
