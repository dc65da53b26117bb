"""Attack: a manifest with fields zkpor/1 does not define (or derived fields that lie),
whose later steps still report OK.

Step 1 compares the manifest with the one zkpor/1 writes from the fields it parsed, because
another reader may read what this parser ignores (an extra field, a whole-token amount that
differs from the units). The reviewer's check failed step 1 but still ran steps 3 to 9 on
the parsed fields, so its report showed "totals: OK", "reserves: OK" and so on about a
manifest it had rejected, while the account holder's check stopped at step 1.

Now every step that needs the manifest is SKIPPED once step 1 rejected it ("needs
attestation.json, which was rejected (step 1)"), as in the account holder's check; the key
(step 2), which does not need it, is still checked. In the account holder's check, a lying
per-asset figure fails step 6 (the step about the published liabilities) rather than step 1
("bundle"): the account's own steps do not read it, and the verdict is FAIL either way.
"""

from __future__ import annotations

from collections.abc import Callable
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
from verifier.manifest import MANIFEST

USER = "bob"
REJECTED = f"needs {MANIFEST}, which was rejected (step 1)"


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (
            lambda m: m.update(audited_by="Big Four"),
            f"{MANIFEST} has a field zkpor/1 does not define: audited_by",
        ),
        (
            lambda m: m["assets"][0].update(liabilities_amount="1000000"),
            f'{MANIFEST}.assets[0].liabilities_amount is "1000000", expected',
        ),
    ],
    ids=["unknown field", "lying derived field"],
)
def test_later_steps_skip_a_rejected_manifest(
    tmp_path: Path, forge: Callable[[dict[str, Any]], None], reason: str
) -> None:
    folder = copy_vectors(tmp_path / "rejected")
    manifest = read_json(folder, MANIFEST)
    forge(manifest)
    write_json(folder, MANIFEST, manifest)

    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1 and not report["passed"]
    steps = steps_of(report)
    assert steps[1][0] == "FAIL" and steps[1][1].startswith(reason), steps[1]
    assert steps[2][0] == "OK"
    assert {n: steps[n] for n in range(3, 10)} == {n: ("SKIP", REJECTED) for n in range(3, 10)}
    assert "OK: totals" not in text.output and "OK: reserves" not in text.output

    text, report = verify_user(folder, code_of(USER), ALLOW, "--all")
    assert text.exit_code == 1
    steps = steps_of(report)
    if "assets[0]" in reason:
        # A published figure that lies is the liabilities' failure, reported by the step
        # that checks them (6), not by "bundle" (issue 15): the account's own steps, which
        # do not read the figures, still run; the verdict is FAIL all the same.
        assert steps[6][0] == "FAIL", steps[6]
        assert steps[6][1].startswith(f"the published liabilities are not consistent: {reason}")
        assert all(steps[n][0] == "OK" for n in (1, 2, 3, 4, 5, 7)), steps
    else:
        assert steps[1][0] == "FAIL" and steps[1][1].startswith(reason), steps[1]
        assert all(status == "SKIP" for n, (status, _) in steps.items() if n != 1), steps


def test_a_file_hash_failure_still_lets_later_steps_report(tmp_path: Path) -> None:
    """Only the manifest's own strictness makes it no basis: with a file whose hash differs
    (its bytes are still what later steps parse), those steps still run and say why."""
    folder = copy_vectors(tmp_path / "hash")
    (folder / "tree.json").write_bytes((folder / "tree.json").read_bytes() + b" ")
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1
    steps = steps_of(report)
    assert steps[1][0] == "FAIL" and "tree.json has sha256" in steps[1][1]
    assert all(status == "OK" for n, (status, _) in steps.items() if n != 1), steps
