"""Co-signatures: an auditor, or any independent party, signs an attestation's manifest.

A co-signer signs this message (UTF-8, every line ending in ``\\n``, the last one too)::

    zkpor/1 co-signature
    attestation: <attestation id>
    manifest sha256: <manifest_digest, 64 lowercase hex digits>
    signer: <the co-signer's name>

``manifest_digest`` is the sha256 of the manifest's canonical JSON (sorted keys, no
spaces, ASCII), so re-indenting ``attestation.json`` does not break a signature while any
change to what it says does. Schemes: ``ed25519`` (key and signature in lowercase hex,
checked by the injected ``SignatureBackend``) and ``eip191`` (``personal_sign`` by an EVM
key; the key is its lowercase ``0x`` address, the signature ``0x`` + r, s, v).

Signatures are added after the attestation is published, so the manifest cannot list
them. They live in ``signatures/<name>.json``, and ``signatures/index.json`` lists them
(a static host cannot list a folder)::

    {"format": "zkpor/1", "signatures": ["signatures/example-audit-1a2b3c4d.json"]}

The host can hide a co-signature by leaving it out of the index. The custodian's defence
is to pin the keys it expects in the manifest (``cosigners``): then every pinned key must
have signed, and only pinned keys may sign. Without pins, a valid co-signature shows its
signer's name as the signer wrote it; only its key says who signed (compare it with the
key the co-signer publishes itself).

Pure Python (stdlib; EIP-191 through ``verifier.reserves``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from verifier.ceremony_format import canonical_json
from verifier.errors import MalformedInput, VerificationError
from verifier.manifest import COSIGN_SCHEMES, MAX_COSIGNERS, Cosigner, _Doc
from verifier.manifest import cosigner_key_problem as key_problem
from verifier.protocol import FORMAT
from verifier.reserves import SignatureBackend, recover_evm_signer
from verifier.strict_json import show, unknown_key
from verifier.text_fields import issuer_name_problem

COSIGN_HEADER = "zkpor/1 co-signature"
SIGNATURES_INDEX = "signatures/index.json"
#: A co-signature's file name in the index: its own folder, a plain lowercase name.
_SIGNATURE_FILE = re.compile(r"signatures/[a-z0-9][a-z0-9-]{0,79}\.json")
SIGNATURE_KEYS = (
    "format",
    "attestation_id",
    "manifest_sha256",
    "name",
    "scheme",
    "key",
    "signature",
)
INDEX_KEYS = ("format", "signatures")
_HEX = re.compile("[0-9a-f]*")


class SignedManifest(Protocol):
    """What co-signing reads of a manifest, zkpor/1's (``Manifest``) or zkpor/2's
    (``verifier.manifest2.Manifest2``): its id, its pinned co-signers, its JSON."""

    @property
    def attestation_id(self) -> str: ...

    @property
    def cosigners(self) -> Sequence[Cosigner]: ...

    def to_json(self) -> dict[str, Any]: ...


def manifest_digest(manifest: SignedManifest) -> str:
    """Return the sha256 (hex) of the manifest's canonical JSON: what a co-signer signs."""
    return hashlib.sha256(canonical_json(manifest.to_json())).hexdigest()


def cosign_message(attestation_id: str, digest: str, name: str) -> bytes:
    """Return the exact bytes a co-signer signs (see the module docstring)."""
    if (problem := issuer_name_problem(name)) is not None:
        raise ValueError(f"the co-signer's name {problem}")
    lines = [
        COSIGN_HEADER,
        f"attestation: {attestation_id}",
        f"manifest sha256: {digest}",
        f"signer: {name}",
    ]
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class Cosignature:
    """One co-signature file: who signed which manifest, with which key."""

    attestation_id: str
    manifest_sha256: str
    name: str
    scheme: str
    key: str
    signature: str

    def to_json(self) -> dict[str, str]:
        """Return the JSON object of this co-signature's file."""
        return {
            "format": FORMAT,
            "attestation_id": self.attestation_id,
            "manifest_sha256": self.manifest_sha256,
            "name": self.name,
            "scheme": self.scheme,
            "key": self.key,
            "signature": self.signature,
        }

    def describe(self) -> str:
        """Return the signer and its key, for a report line."""
        return f"{self.name} ({self.scheme} key {self.key})"


def index_to_json(names: list[str]) -> dict[str, object]:
    """Return the JSON object of ``signatures/index.json``."""
    return {"format": FORMAT, "signatures": names}


def parse_index(obj: object) -> list[str]:
    """Return the co-signature files ``signatures/index.json`` lists, each once."""
    doc = _Doc(obj, SIGNATURES_INDEX, INDEX_KEYS)
    if doc.str("format") != FORMAT:
        raise MalformedInput(f"{SIGNATURES_INDEX}: format must be {FORMAT!r}")
    names = doc._get("signatures")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise MalformedInput(f"{SIGNATURES_INDEX}.signatures must be a list of file names")
    if len(names) > MAX_COSIGNERS:
        raise MalformedInput(f"{SIGNATURES_INDEX} lists more than {MAX_COSIGNERS} co-signatures")
    for name in names:
        if not _SIGNATURE_FILE.fullmatch(name) or name == SIGNATURES_INDEX:
            raise MalformedInput(
                f"{SIGNATURES_INDEX} lists {show(name)}, which is not a co-signature file name "
                "(signatures/ followed by lowercase letters, digits and '-', then .json)"
            )
    if len(set(names)) != len(names):
        raise MalformedInput(f"{SIGNATURES_INDEX} lists a file twice")
    return list(names)


def parse_cosignature(obj: object, where: str) -> Cosignature:
    """Return the co-signature of a parsed file, strictly: only the keys zkpor/1 writes,
    a known scheme, a key and a signature in their one spelling."""
    if isinstance(obj, dict) and (extra := unknown_key(obj, SIGNATURE_KEYS)) is not None:
        raise MalformedInput(f"{where} has a field zkpor/1 does not define: {show(extra)}")
    doc = _Doc(obj, where)
    if doc.str("format") != FORMAT:
        raise MalformedInput(f"{where}: format must be {FORMAT!r}")
    scheme = doc.str("scheme")
    if scheme not in COSIGN_SCHEMES:
        raise MalformedInput(f"{where}.scheme must be one of {', '.join(COSIGN_SCHEMES)}")
    key = doc.str("key")
    if (problem := key_problem(scheme, key)) is not None:
        raise MalformedInput(f"{where}.key {problem}")
    digest = doc.str("manifest_sha256")
    if len(digest) != 64 or not _HEX.fullmatch(digest):
        raise MalformedInput(f"{where}.manifest_sha256 must be 64 lowercase hex digits")
    return Cosignature(
        doc.str("attestation_id"),
        digest,
        doc.text("name", issuer_name_problem),
        scheme,
        key,
        doc.str("signature"),
    )


def signature_problem(sig: Cosignature, backend: SignatureBackend | None) -> str | None:
    """Return why ``sig`` is not a valid signature of its own message by its key, or None."""
    message = cosign_message(sig.attestation_id, sig.manifest_sha256, sig.name)
    if sig.scheme == "eip191":
        try:
            signer = recover_evm_signer(message, sig.signature)
        except ValueError as exc:
            return str(exc)
        if signer != sig.key:
            return f"the signature is by {signer}, not by the key {sig.key} it names"
        return None
    if len(sig.signature) != 128 or not _HEX.fullmatch(sig.signature):
        return "an Ed25519 signature is 128 lowercase hex digits"
    if backend is None:
        return "no Ed25519 backend was given to check this signature"
    if not backend.ed25519_verify(bytes.fromhex(sig.key), message, bytes.fromhex(sig.signature)):
        return (
            "the Ed25519 signature does not verify for this key (was the name, or the "
            "manifest digest it names, changed?)"
        )
    return None


def check_cosignature(
    manifest: SignedManifest, digest: str, sig: Cosignature, backend: SignatureBackend | None
) -> Cosigner | None:
    """Raise ``VerificationError`` unless ``sig`` is a valid co-signature of this manifest
    (and by a pinned key when the manifest pins any); return its pin, if any."""
    if sig.attestation_id != manifest.attestation_id:
        raise VerificationError(
            f"it signs attestation {show(sig.attestation_id)}, not {show(manifest.attestation_id)}"
        )
    if sig.manifest_sha256 != digest:
        raise VerificationError(
            f"it signs the manifest with sha256 {sig.manifest_sha256}, but this manifest's is "
            f"{digest}: it was made for another version of the manifest (an older one, or "
            "this one was changed after it was signed)"
        )
    if (problem := signature_problem(sig, backend)) is not None:
        raise VerificationError(problem)
    pin = next((c for c in manifest.cosigners if (c.scheme, c.key) == (sig.scheme, sig.key)), None)
    if manifest.cosigners and pin is None:
        raise VerificationError(
            "it is by a key the manifest does not pin (an unexpected co-signer; pinned: "
            + ", ".join(f"{c.name} ({c.scheme} key {c.key})" for c in manifest.cosigners)
            + ")"
        )
    if pin is not None and pin.name != sig.name:
        raise VerificationError(
            f"it signs as {show(sig.name)}, but the manifest pins this key for {show(pin.name)}"
        )
    return pin
