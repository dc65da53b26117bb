"""Attack: an auditor's co-signature shown beside a manifest it never signed: one from an
older round, one made before the manifest was changed, or one whose named digest was
rewritten to the current manifest's.

A co-signature signs the attestation id and the sha256 of the manifest's canonical JSON,
so step 10 fails naming the file, the signer and the reason. Re-indenting the manifest is
not a change: the canonical digest ignores formatting.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from publisher.attest.cosign import cosign
from tests.security.segregated_attestation import AUDITOR, SECOND_AUDITOR, cosigned, pin
from tests.security.vector_attestation import ALLOW, read_json, steps_of, verify, write_json
from verifier.cosign import SIGNATURES_INDEX
from verifier.manifest import MANIFEST

NAME = "Vector Audit LLP"


def _step_10(folder: Path) -> tuple[int, str, str]:
    text, report = verify(folder, ALLOW)
    status, detail = steps_of(report)[10]
    return text.exit_code, status, detail


def test_a_valid_co_signature_passes_and_names_signer_and_key(tmp_path: Path) -> None:
    folder = cosigned(tmp_path / "a", [pin(AUDITOR, NAME)], (AUDITOR, NAME))
    code, status, detail = _step_10(folder)
    assert (code, status) == (0, "OK"), detail
    assert detail == f"co-signed by {NAME} (ed25519 key {AUDITOR.public_key()}), pinned"


def test_the_manifest_changed_after_signing_fails(tmp_path: Path) -> None:
    folder = cosigned(tmp_path / "a", [], (AUDITOR, NAME))
    manifest = read_json(folder, MANIFEST)
    manifest["issuer"]["name"] = "Vector Custody Holdings Ltd."
    write_json(folder, MANIFEST, manifest)
    code, status, detail = _step_10(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert f"co-signed by {NAME}" in detail and "made for another version of the manifest" in detail


def test_a_co_signature_of_another_round_fails(tmp_path: Path) -> None:
    old = cosigned(tmp_path / "old", [], (SECOND_AUDITOR, NAME))
    new = cosigned(tmp_path / "new", [])
    manifest = read_json(new, MANIFEST)
    manifest["id"] = "vectors-2026-02"  # the next round
    write_json(new, MANIFEST, manifest)
    shutil.copytree(old / "signatures", new / "signatures")
    code, status, detail = _step_10(new)
    assert (code, status) == (1, "FAIL"), detail
    assert "it signs attestation vectors-2026-01, not vectors-2026-02" in detail, detail


def test_a_digest_rewritten_to_the_current_manifest_fails_the_signature(tmp_path: Path) -> None:
    folder = cosigned(tmp_path / "a", [], (AUDITOR, NAME))
    manifest = read_json(folder, MANIFEST)
    manifest["issuer"]["name"] = "Vector Custody Holdings Ltd."
    write_json(folder, MANIFEST, manifest)
    index = read_json(folder, SIGNATURES_INDEX)["signatures"]
    signature = read_json(folder, index[0])
    stale = signature["manifest_sha256"]
    # What the verifier will compute now: sign a throw-away copy to learn the digest.
    probe = tmp_path / "probe"
    shutil.copytree(folder, probe)
    _, fresh = cosign(probe, SECOND_AUDITOR, "probe")
    assert fresh.manifest_sha256 != stale
    signature["manifest_sha256"] = fresh.manifest_sha256
    (folder / index[0]).write_text(json.dumps(signature))
    code, status, detail = _step_10(folder)
    assert (code, status) == (1, "FAIL"), detail
    assert "the Ed25519 signature does not verify for this key" in detail, detail


def test_a_re_indented_manifest_keeps_its_co_signature(tmp_path: Path) -> None:
    folder = cosigned(tmp_path / "a", [pin(AUDITOR, NAME)], (AUDITOR, NAME))
    manifest = read_json(folder, MANIFEST)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=4))
    assert _step_10(folder)[:2] == (0, "OK")
