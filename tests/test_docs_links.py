"""Every relative link in the repository's Markdown resolves to a file inside the
repository: the documentation must not point at notes that only exist elsewhere. (The
site's page templates link to the published site's files, and are tested with the site.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.paths import REPO

#: [text](target) and [text]: target, outside code spans; images alike.
_INLINE = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def _markdown_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.md"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    # site/ holds the published site's page templates: their links are to the site's files.
    return [REPO / name for name in listed if not name.startswith(("site/", "tests/js/"))]


def _links(text: str) -> list[str]:
    prose = _CODE.sub("", text)
    return _INLINE.findall(prose) + _REFERENCE.findall(prose)


def _is_external(target: str) -> bool:
    return re.match(r"[a-z][a-z0-9+.-]*:", target) is not None


@pytest.mark.parametrize("page", _markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve_inside_the_repository(page: Path) -> None:
    broken = []
    for target in _links(page.read_text(encoding="utf-8")):
        if _is_external(target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        resolved = (page.parent / path).resolve()
        if not resolved.is_relative_to(REPO) or not resolved.exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(REPO)} links to {broken}"


def test_the_checker_sees_a_link_outside() -> None:
    assert _links("see [the note](../shared/DESIGN.md) and `[x](y)`") == ["../shared/DESIGN.md"]
