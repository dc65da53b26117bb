"""The zkpor version names the code, and the site's templates ship inside the package.

setuptools-scm derives the version from git (pyproject.toml); ``zkpor site reproduce``
tells a reviewer exactly which code to install for the version a site's build.json names,
or that no installable code is exactly it. The templates are the package
``publisher.site.template`` (the repository's site/ folder), read with importlib.resources.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import setuptools
from typer.testing import CliRunner

import verifier
from publisher.cli.main import app
from publisher.site.build import BUILD_JSON, SiteError, template
from publisher.site.reproduce import install_hint, repository_url, reproduce, version_mismatch
from verifier.text_fields import software_version_problem

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
URL = "https://github.com/example/zkpor"


def test_every_package_is_listed_and_the_templates_are_the_site_folder() -> None:
    tool = PYPROJECT["tool"]["setuptools"]
    found = setuptools.find_packages(str(REPO), include=["verifier*", "publisher*"])
    assert sorted(tool["packages"]) == sorted([*found, "publisher.site.template"]), (
        "pyproject.toml's [tool.setuptools] packages must list every package"
    )
    assert tool["package-dir"] == {"publisher.site.template": "site"}


def test_package_data_covers_every_template_file() -> None:
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["publisher.site.template"]
    site = REPO / "site"
    shipped = {
        name
        for pattern in patterns
        for name in glob.glob(pattern, root_dir=site, recursive=True)
        if (site / name).is_file()
    }
    present = {
        path.relative_to(site).as_posix()
        for path in site.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.name != "__init__.py"
    }
    assert present <= shipped
    assert {"mkdocs.yml", "docs/assets/zkpor/worker.js", "pages/verify.md"} <= shipped


def test_templates_are_read_through_the_package() -> None:
    root = template()
    assert root.joinpath("mkdocs.yml").is_file()
    worker = root.joinpath("docs").joinpath("assets", "zkpor", "worker.js").read_bytes()
    # an editable install (the test run's) maps the package onto the repository's folder
    assert worker == (REPO / "site" / "docs" / "assets" / "zkpor" / "worker.js").read_bytes()


@pytest.mark.parametrize(
    "version",
    [
        "0.1.0",
        "0.1.dev5+g1a2b3c4",
        "0.1.dev92+g4da900416",
        "0.1.dev5+g1a2b3c4.d20261205",
        "0.1.1.dev0+d20261205",
        "12.34.56.dev12345+g1a2b3c4d5e6f7.d20261205",
        "0.0",
        "0+unknown",
    ],
)
def test_the_manifest_accepts_setuptools_scm_versions(version: str) -> None:
    assert software_version_problem(version) is None


@pytest.mark.parametrize("version", ["", "+g1a2b3c4", "0.1 ", "0.1<b>", '0.1"', "1" * 65])
def test_the_manifest_still_refuses_other_versions(version: str) -> None:
    assert software_version_problem(version) is not None


def test_this_version_is_written_by_setuptools_scm() -> None:
    written = (REPO / "verifier" / "_version.py").read_text(encoding="utf-8")
    assert re.search(r'^__version__ = "([^"]+)"$', written, re.M)
    assert verifier.__version__ in written
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "verifier/_version.py"], cwd=REPO, check=False
    )
    assert ignored.returncode == 0, "verifier/_version.py must be git-ignored"


def test_verifier_without_version_file_falls_back(tmp_path: Path) -> None:
    copy = tmp_path / "verifier"
    shutil.copytree(REPO / "verifier", copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "_version.py").unlink(missing_ok=True)
    code = "import sys; sys.path.insert(0, sys.argv[1]); import verifier; "
    code += "print(verifier.__version__)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    # zkpor is installed here: its metadata; elsewhere "0+unknown"
    assert done.stdout.strip() == verifier.__version__


def test_version_option() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    # the second line names the prover's backend (tests/cli/test_cli.py)
    assert result.output.splitlines()[0] == f"zkpor {verifier.__version__}"


def test_repository_url_is_the_projects() -> None:
    assert repository_url() == PYPROJECT["project"]["urls"]["Repository"]


def test_a_release_says_which_release_to_install() -> None:
    assert install_hint("0.1.0", URL) == "install that release: pip install 'zkpor==0.1.0'"


def test_a_commit_says_which_commit_to_install() -> None:
    assert install_hint("0.1.dev5+g1a2b3c4d5", URL) == (
        f"install the commit it names: pip install 'git+{URL}@1a2b3c4d5'"
    )
    assert "git+<the zkpor git repository>@1a2b3c4" in install_hint("0.2.dev1+g1a2b3c4", None)


@pytest.mark.parametrize(
    ("version", "base"),
    [
        ("0.1.dev5+g1a2b3c4d5.d20261205", " on top of commit 1a2b3c4d5"),
        ("0.1.1.dev0+d20261205", ""),
    ],
)
def test_uncommitted_code_cannot_be_reproduced_exactly(version: str, base: str) -> None:
    assert install_hint(version, URL) == (
        f"zkpor {version} was built from uncommitted changes{base}, which no one can "
        "install again: the site cannot be reproduced exactly"
    )


@pytest.mark.parametrize("version", ["0.0", "0+unknown", "0.1+local"])
def test_code_without_a_commit_cannot_be_reproduced_exactly(version: str) -> None:
    assert install_hint(version, URL) == (
        f"zkpor {version} names no release and no commit (it was built outside a git "
        "checkout): the site cannot be reproduced exactly"
    )


@pytest.mark.parametrize(
    ("built", "hint"),
    [
        ("0.1.0", "pip install 'zkpor==0.1.0'"),
        ("0.1.dev5+g1a2b3c4", "@1a2b3c4'"),
        ("0.1.dev5+g1a2b3c4.d20261205", "built from uncommitted changes on top of commit"),
    ],
)
def test_reproduce_with_another_version_names_the_code(
    tmp_path: Path, built: str, hint: str
) -> None:
    site = tmp_path / "site"
    (site / "attestation").mkdir(parents=True)
    doc = {
        "zkpor": built,
        "allow_insecure_dev_setup": True,
        "allow_unknown_phase1": False,
        "site_url": None,
        "history": [],
    }
    (site / BUILD_JSON).write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        reproduce(str(site))
    message = str(caught.value)
    assert message == version_mismatch(built, verifier.__version__, repository_url())
    assert message.startswith(f"the site was built with zkpor {built}, this is zkpor ")
    assert hint in message
