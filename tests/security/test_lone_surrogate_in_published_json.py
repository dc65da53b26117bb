"""Attack: a lone surrogate escape (``"\\ud800"``) in a published JSON file.

JSON lets ``\\uD800``..``\\uDFFF`` stand alone, and Python's parser turns one into a string
that is not Unicode text: it cannot be encoded as UTF-8. In the ceremony transcript, a
contribution ``name`` holding one (names are covered by no hash, so anyone serving the
transcript can rewrite them) made ``zkpor verify`` end in a ``UnicodeEncodeError``
traceback, and one in ``ptau.contributors`` was accepted as a name; elsewhere each field's
own rule happened to reject it.

Now the strict JSON parser every published file goes through (``verifier.strict_json``)
rejects a lone surrogate anywhere, in keys and values alike: the step that reads the file
FAILS, naming it. A surrogate pair (one character above U+FFFF) is still accepted.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.security.vector_attestation import (
    ALLOW,
    code_of,
    copy_vectors,
    read_json,
    steps_of,
    verify,
    verify_user,
    write_json,
)
from verifier.ceremony import TRANSCRIPT
from verifier.manifest import MANIFEST, RESERVES
from verifier.strict_json import loads

USER = "bob"
LONE = "a string holds the lone surrogate \\ud800, which is not Unicode text"


def _write_escaped(folder: Path, name: str, doc: Any) -> None:
    """Write ``doc`` with every non-ASCII character escaped (the only way to write a lone
    surrogate) and list its new sha256, as the adversary would."""
    data = (json.dumps(doc, indent=1) + "\n").encode()
    (folder / name).write_bytes(data)
    if name != MANIFEST:
        manifest = read_json(folder, MANIFEST)
        manifest["files"][name] = hashlib.sha256(data).hexdigest()
        write_json(folder, MANIFEST, manifest)


@pytest.mark.parametrize("where", ["contribution name", "phase-1 contributor"])
def test_a_lone_surrogate_in_the_transcript_fails_the_setupsteps_of(
    tmp_path: Path, where: str
) -> None:
    folder = copy_vectors(tmp_path / "transcript")
    transcript = read_json(folder, TRANSCRIPT)
    if where == "contribution name":
        transcript["contributions"][0]["name"] = "vector \ud800contributor"
    else:
        transcript["ptau"]["contributors"] = ["vectors \ud800"]
    _write_escaped(folder, TRANSCRIPT, transcript)
    message = f"the transcript is not valid JSON: {LONE}"

    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1 and not report["passed"]
    assert "Traceback" not in text.output and "UnicodeEncodeError" not in text.output
    steps = steps_of(report)
    assert steps[9][0] == "FAIL" and message in steps[9][1], steps[9]
    assert all(status == "OK" for n, (status, _) in steps.items() if n != 9), steps

    text, report = verify_user(folder, code_of(USER), ALLOW, "--all")
    assert text.exit_code == 1 and "Traceback" not in text.output
    steps = steps_of(report)
    assert steps[7][0] == "FAIL" and message in steps[7][1], steps[7]


def test_a_lone_surrogate_in_the_manifest_fails_step_1_of_both_checks(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "manifest")
    manifest = read_json(folder, MANIFEST)
    manifest["issuer"]["name"] = "Vector \ud800Custody Ltd."
    _write_escaped(folder, MANIFEST, manifest)
    message = f"{MANIFEST} is not valid JSON: {LONE}"

    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1
    assert steps_of(report)[1] == ("FAIL", message)
    text, report = verify_user(folder, code_of(USER), ALLOW)
    assert text.exit_code == 1
    assert steps_of(report)[1] == ("FAIL", message)


def test_a_lone_surrogate_key_in_reserves_fails_step_8(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "reserves")
    reserves = read_json(folder, RESERVES)
    reserves["\udc00"] = 1
    _write_escaped(folder, RESERVES, reserves)
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1
    status, detail = steps_of(report)[8]
    assert status == "FAIL" and LONE.replace("d800", "dc00") in detail, detail


def test_the_parser_rejects_lone_surrogates_and_keeps_pairs() -> None:
    assert loads(b'["\\ud83d\\ude00", "\\\\ud800"]') == ["\U0001f600", "\\ud800"]
    for text in (b'"\\ud800"', b'"\\uDFFFx"', b'{"\\udbff": 1}', b'[["\\ud83d\\u0041"]]'):
        with pytest.raises(ValueError, match="lone surrogate"):
            loads(text)
