"""Attack: a co-signature by a key the auditor does not hold, under the auditor's name;
and a pinned co-signer's signature hidden by the host.

Without pins, a valid co-signature passes but says its key is not pinned: the name is the
signer's own claim. With pins in the manifest, only pinned keys may co-sign, each under
its pinned name, and every pinned key must have signed: step 10 fails otherwise.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from publisher.attest.cosign import SigningKeyFile
from tests.security.segregated_attestation import AUDITOR, SECOND_AUDITOR, cosigned, pin
from tests.security.vector_attestation import ALLOW, steps_of, verify
from verifier.cosign import SIGNATURES_INDEX, index_to_json

NAME = "Vector Audit LLP"
IMPOSTOR = SigningKeyFile("ed25519", bytes(range(100, 132)))


def _step_10(folder: Path) -> tuple[int, str, str]:
    text, report = verify(folder, ALLOW)
    status, detail = steps_of(report)[10]
    return text.exit_code, status, detail


def test_an_unpinned_co_signature_passes_saying_its_key_is_not_pinned(tmp_path: Path) -> None:
    folder = cosigned(tmp_path / "a", [], (IMPOSTOR, NAME))
    code, status, detail = _step_10(folder)
    assert (code, status) == (0, "OK")
    assert (
        detail.endswith("not pinned: check its key with the signer")
        and IMPOSTOR.public_key() in detail
    )


def test_a_key_the_manifest_does_not_pin_fails(tmp_path: Path) -> None:
    folder = cosigned(tmp_path / "a", [pin(AUDITOR, NAME)], (AUDITOR, NAME), (IMPOSTOR, NAME))
    code, status, detail = _step_10(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert "by a key the manifest does not pin" in detail and IMPOSTOR.public_key() in detail


def test_a_pinned_key_signing_under_another_name_fails(tmp_path: Path) -> None:
    folder = cosigned(tmp_path / "a", [pin(SECOND_AUDITOR, NAME)], (SECOND_AUDITOR, "Big Four LLP"))
    code, status, detail = _step_10(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert f"the manifest pins this key for {NAME}" in detail, detail


def test_a_missing_pinned_co_signer_fails(tmp_path: Path) -> None:
    pins = [pin(AUDITOR, NAME), pin(SECOND_AUDITOR, "Second Audit LLP")]
    folder = cosigned(tmp_path / "a", pins, (AUDITOR, NAME), (SECOND_AUDITOR, "Second Audit LLP"))
    assert _step_10(folder)[:2] == (0, "OK")
    # The host drops one signature from the index ...
    names = [
        n
        for n in (folder / SIGNATURES_INDEX).read_text().split('"')
        if n.startswith("signatures/s")
    ]
    (folder / SIGNATURES_INDEX).write_text(json.dumps(index_to_json(names)))  # not listed
    code, status, detail = _step_10(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert detail.startswith(
        f"no valid co-signature by {NAME} (ed25519 key {AUDITOR.public_key()})"
    )
    # ... or every signature (no index at all: a 404).
    shutil.rmtree(folder / "signatures")
    code, status, detail = _step_10(folder)
    assert (code, status) == (1, "FAIL") and "whom the manifest pins as co-signers" in detail
