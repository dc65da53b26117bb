"""Attack: a published text field with a character assigned after Unicode 14.0.

The issuer name and the setup statement were checked with ``str.isprintable()``, whose
answer depends on the Unicode database of the Python that runs it: 14.0 in CPython 3.11
(the CLI), 16.0 in the browser's Pyodide. An issuer name with U+1FAE8 SHAKING FACE
(Unicode 15.0) failed ``zkpor verify`` and passed the Verify page: one attestation, two
verdicts, and the custodian chooses which readers see which.

Now the rule is Unicode 14.0's ``isprintable()`` written out as a table
(``verifier.text_fields.printable``): every verifier, whatever its Python, rejects such a
character in step 1 (``tests/verifier/test_text_fields_unicode.py`` checks the table).
"""

from __future__ import annotations

from pathlib import Path

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
from verifier.manifest import MANIFEST
from verifier.text_fields import MAX_STATEMENT

USER = "bob"
SHAKING_FACE = "\U0001fae8"  # Unicode 15.0
TJE = "\u1c89"  # Unicode 16.0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "name",
            f"Vector Custody {SHAKING_FACE}",
            "issuer.name contains a control, invisible or unassigned character",
        ),
        (
            "statement",
            f"multi-party setup ceremony {TJE}",
            f"setup.statement must be 1 to {MAX_STATEMENT} printable characters (Unicode 14.0)",
        ),
    ],
)
def test_a_character_newer_than_unicode_14_fails_step_1(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    folder = copy_vectors(tmp_path / field)
    manifest = read_json(folder, MANIFEST)
    manifest["issuer" if field == "name" else "setup"][field] = value
    write_json(folder, MANIFEST, manifest)

    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1
    status, detail = steps_of(report)[1]
    assert status == "FAIL" and message in detail, detail
    text, report = verify_user(folder, code_of(USER), ALLOW)
    assert text.exit_code == 1
    status, detail = steps_of(report)[1]
    assert status == "FAIL" and message in detail, detail


def test_characters_of_unicode_14_still_pass(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "ok")
    manifest = read_json(folder, MANIFEST)
    manifest["issuer"]["name"] = "Vector Custody Zoë 李 😀"
    write_json(folder, MANIFEST, manifest)
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 0 and report["passed"], text.output
