"""The ``zkpor-verifier`` wheel the site serves to Pyodide: complete, valid, reproducible."""

from __future__ import annotations

import base64
import csv
import email.parser
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import resources
from pathlib import Path

import pytest

import verifier
from publisher.site import wheel
from publisher.site.wheel import verifier_wheel
from verifier.poseidon import CONSTANTS_FILE, CONSTANTS_MAGIC

PACKAGE = Path(verifier.__file__).resolve().parent
DIST_INFO = "zkpor_verifier-0.1.0.dist-info"


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _shipped(root: Path, version: str = "0.1.0") -> dict[str, bytes]:
    """Return what the wheel must hold of the package at ``root``, found independently:
    its files but the installed ``_version.py``, and a ``_version.py`` saying ``version``."""
    out = {"verifier/_version.py": wheel.version_file(version)}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            at_top = Path(dirpath) == root
            if (name.endswith((".py", ".bin")) or name == "py.typed") and not (
                at_top and name == "_version.py"
            ):
                path = Path(dirpath) / name
                out["verifier/" + path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def test_two_builds_are_identical() -> None:
    name, data = verifier_wheel("0.1.0")
    assert name == "zkpor_verifier-0.1.0-py3-none-any.whl"
    assert verifier_wheel("0.1.0") == (name, data)


def test_default_version_is_zkpors() -> None:
    import importlib.metadata

    name, data = verifier_wheel()
    assert verifier.__version__ == importlib.metadata.version("zkpor")
    assert name == f"zkpor_verifier-{verifier.__version__}-py3-none-any.whl"
    assert _entries(data)["verifier/_version.py"] == wheel.version_file(verifier.__version__)


def test_version_file_is_the_wheels_own_not_the_installed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "verifier"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(wheel, "_package_dir", lambda: copy)
    (copy / "_version.py").unlink(missing_ok=True)
    without = verifier_wheel("0.1.dev3+g1a2b3c4d5")
    (copy / "_version.py").write_text('__version__ = "9.9.9"\n# setuptools-scm said so\n')
    assert verifier_wheel("0.1.dev3+g1a2b3c4d5") == without
    entries = _entries(without[1])
    assert entries["verifier/_version.py"] == (
        b"# The zkpor version this verifier wheel was made for (publisher.site.wheel).\n"
        b'__version__ = "0.1.dev3+g1a2b3c4d5"\n'
    )
    assert without[0] == "zkpor_verifier-0.1.dev3+g1a2b3c4d5-py3-none-any.whl"


def test_holds_exactly_the_package_files_and_dist_info() -> None:
    _, data = verifier_wheel("0.1.0")
    entries = _entries(data)
    expected = _shipped(PACKAGE)
    assert {"verifier/__init__.py", "verifier/py.typed", "verifier/groth16.py"} <= set(expected)
    assert "verifier/poseidon_constants.bin" in expected
    package_part = {n: b for n, b in entries.items() if not n.startswith(DIST_INFO + "/")}
    assert package_part == expected  # same names, same bytes
    names = list(entries)
    assert names == sorted(expected) + [f"{DIST_INFO}/{f}" for f in ("METADATA", "WHEEL", "RECORD")]


def test_holds_the_binary_poseidon_constants_and_no_json() -> None:
    _, data = verifier_wheel("0.1.0")
    entries = _entries(data)
    constants = entries["verifier/poseidon_constants.bin"]
    assert constants == resources.files("verifier").joinpath(CONSTANTS_FILE).read_bytes()
    assert constants.startswith(CONSTANTS_MAGIC)
    assert not [name for name in entries if name.endswith(".json")]
    # The constants were 923 kB of JSON text, stored uncompressed: now 357 kB of binary.
    assert len(constants) < 360_000
    # The whole wheel was 1.21 MB; now 0.86 MB (the constants, and ~500 kB of code, the
    # pairing of verifier/bn254.py, wallet roles, co-signatures and zkpor/2's book,
    # manifest2, attestation2 and user2 included), of which a host that gzips sends
    # ~0.5 MB.
    assert len(data) < 880_000


def test_pyproject_ships_the_data_files_the_wheel_holds() -> None:
    """An installed zkpor (pyproject.toml's package-data) and the site's wheel ship the
    same data files of the verifier package."""
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["verifier"]
    data = {p.name for pattern in patterns for p in PACKAGE.glob(pattern)}
    in_wheel = {
        name.removeprefix("verifier/")
        for name in _entries(verifier_wheel("0.1.0")[1])
        if name.startswith("verifier/") and not name.endswith(".py")
    }
    assert data == in_wheel == {"poseidon_constants.bin", "py.typed"}


def test_zip_entries_carry_nothing_host_specific() -> None:
    _, data = verifier_wheel("0.1.0")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr == 0o644 << 16
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.extra == b""
        assert zf.testzip() is None


def test_metadata_and_wheel_files() -> None:
    _, data = verifier_wheel("1.2.3")
    entries = _entries(data)
    meta = email.parser.Parser().parsestr(
        entries["zkpor_verifier-1.2.3.dist-info/METADATA"].decode()
    )
    assert meta["Metadata-Version"] == "2.1"
    assert meta["Name"] == "zkpor-verifier"
    assert meta["Version"] == "1.2.3"
    assert meta["Summary"]
    assert meta.get_all("Requires-Dist") == ["py_ecc (>=8,<9)"]
    whl = email.parser.Parser().parsestr(entries["zkpor_verifier-1.2.3.dist-info/WHEEL"].decode())
    assert whl["Wheel-Version"] == "1.0"
    assert whl["Generator"] == "zkpor"
    assert whl["Root-Is-Purelib"] == "true"
    assert whl.get_all("Tag") == ["py3-none-any"]


def test_record_lists_every_file_with_its_hash_and_size() -> None:
    _, data = verifier_wheel("0.1.0")
    entries = _entries(data)
    rows = list(csv.reader(io.StringIO(entries[f"{DIST_INFO}/RECORD"].decode())))
    assert rows[-1] == [f"{DIST_INFO}/RECORD", "", ""]
    listed = {}
    for path, digest, size in rows[:-1]:
        body = entries[path]
        b64 = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode().rstrip("=")
        assert digest == "sha256=" + b64, path
        assert int(size) == len(body), path
        listed[path] = digest
    assert len(listed) == len(rows) - 1  # no path twice
    assert set(listed) | {f"{DIST_INFO}/RECORD"} == set(entries)


def test_pip_installs_it_and_it_imports_from_the_target(tmp_path: Path) -> None:
    name, data = verifier_wheel("0.1.0")
    whl = tmp_path / name
    whl.write_bytes(data)
    target = tmp_path / "target"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*pip, "--target", str(target), str(whl)], check=True, capture_output=True)
    assert (target / DIST_INFO / "RECORD").is_file()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import verifier.groth16, verifier.user, importlib.metadata as m;"
        "print(verifier.__file__); print(m.version('zkpor-verifier')); print(verifier.__version__)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", code, str(target)],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    where, version, imported = result.stdout.split()
    assert Path(where) == target / "verifier" / "__init__.py"
    assert version == imported == "0.1.0"


def test_stray_files_are_left_out_and_mtimes_do_not_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = verifier_wheel("0.1.0")  # from the checkout, which may hold a __pycache__
    copy = tmp_path / "verifier"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(wheel, "_package_dir", lambda: copy)
    clean = verifier_wheel("0.1.0")
    assert clean == real

    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "groth16.cpython-311.pyc").write_bytes(b"\0" * 16)
    (copy / "notes.txt").write_text("scratch")
    (copy / "groth16.py.orig").write_text("old")
    for path in copy.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
        path.chmod(0o600 if path.is_file() else 0o700)
    assert verifier_wheel("0.1.0") == clean
    names = _entries(clean[1])
    assert not any("__pycache__" in n or n.endswith((".txt", ".orig", ".pyc")) for n in names)


def test_bad_version_is_refused() -> None:
    for bad in ("", "1.0-beta", "1,0", "../1"):
        with pytest.raises(ValueError, match="version"):
            verifier_wheel(bad)
