"""Co-sign a published attestation: an auditor's Ed25519 or EIP-191 signature over the
manifest's canonical digest (``verifier.cosign``).

Two ways to sign. ``cosign`` (``zkpor attest sign``) signs with a key file. A key kept in
an HSM or a hardware wallet never leaves it, so ``message_to_sign`` (``zkpor attest
message``) returns the exact bytes to sign there, and ``add_cosignature`` (``zkpor attest
add``) checks the signature made outside zkpor before storing it.

The signature goes to ``signatures/<name>-<key>.json`` beside the attestation and is
listed in ``signatures/index.json``; both are written atomically, and the index last, so
a reader never sees an index naming a file that is not there. Signing again with the same
key replaces that key's earlier signature.

A key file holds one line: the 32-byte secret in hex (``0x`` optional), an Ed25519 seed
or a secp256k1 private key. ``generate_key`` writes one (mode 0600).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey
from py_ecc.secp256k1 import secp256k1

from publisher.crypto import NaclBackend
from publisher.files import write_atomic
from verifier.attestation import AttestationFiles, read_manifest
from verifier.attestation2 import read_manifest2
from verifier.cosign import (
    SIGNATURES_INDEX,
    Cosignature,
    SignedManifest,
    check_cosignature,
    cosign_message,
    index_to_json,
    manifest_digest,
    parse_cosignature,
    parse_index,
    signature_problem,
)
from verifier.errors import VerificationError, ZkporError
from verifier.fetch import directory_reader
from verifier.manifest import COSIGN_SCHEMES, MANIFEST
from verifier.manifest2 import is_zkpor2
from verifier.reserves import check_evm_address, eip191_hash, evm_address
from verifier.strict_json import loads
from verifier.text_fields import issuer_name_problem

_KEY_LINE = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")
_HEX = re.compile(r"[0-9a-fA-F]*")
#: File-name characters of a signer's name; the rest becomes '-'.
_SLUG = re.compile(r"[^a-z0-9]+")


class CosignError(ZkporError):
    """The attestation cannot be co-signed (no manifest, a bad key file, a bad name)."""


@dataclass(frozen=True)
class SigningKeyFile:
    """A co-signer's secret and its scheme."""

    scheme: str
    secret: bytes

    def public_key(self) -> str:
        """Return the public key as the manifest pins it (``verifier.cosign``)."""
        if self.scheme == "ed25519":
            return bytes(SigningKey(self.secret).verify_key).hex()
        x, y = secp256k1.privtopub(self.secret)
        return evm_address((int(x), int(y)))

    def sign(self, message: bytes) -> str:
        """Return the signature of ``message``, encoded as ``verifier.cosign`` reads it."""
        if self.scheme == "ed25519":
            return bytes(SigningKey(self.secret).sign(message).signature).hex()
        v, r, s = secp256k1.ecdsa_raw_sign(eip191_hash(message), self.secret)
        return "0x" + (r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])).hex()


def read_key(path: Path, scheme: str) -> SigningKeyFile:
    """Return the key in ``path`` for ``scheme``; raise ``CosignError`` naming the file."""
    if scheme not in COSIGN_SCHEMES:
        raise CosignError(f"unknown scheme {scheme!r} (schemes: {', '.join(COSIGN_SCHEMES)})")
    try:
        text = path.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CosignError(f"{path}: cannot read the key file: {exc}") from None
    match = _KEY_LINE.fullmatch(text)
    if match is None:
        raise CosignError(f"{path}: a key file holds one line: 64 hex digits (0x optional)")
    secret = bytes.fromhex(match.group(1))
    if scheme == "eip191" and not 0 < int.from_bytes(secret, "big") < secp256k1.N:
        raise CosignError(f"{path}: not a secp256k1 private key (0 or >= the group order)")
    return SigningKeyFile(scheme, secret)


def generate_key(path: Path, scheme: str) -> SigningKeyFile:
    """Write a fresh key for ``scheme`` to ``path`` (0600, never over an existing file)."""
    if scheme not in COSIGN_SCHEMES:
        raise CosignError(f"unknown scheme {scheme!r} (schemes: {', '.join(COSIGN_SCHEMES)})")
    if path.exists():
        raise CosignError(f"{path} already exists: a key is never overwritten")
    while True:
        secret = secrets.token_bytes(32)
        if scheme != "eip191" or 0 < int.from_bytes(secret, "big") < secp256k1.N:
            break
    key = SigningKeyFile(scheme, secret)
    write_atomic(path, (secret.hex() + "\n").encode())
    return key


def signature_file(name: str, public_key: str) -> str:
    """Return the file a co-signature by ``name`` with ``public_key`` is stored in."""
    slug = _SLUG.sub("-", name.lower()).strip("-")[:40].strip("-") or "signer"
    return f"signatures/{slug}-{public_key.removeprefix('0x')[:8]}.json"


def cosign(attestation: Path, key: SigningKeyFile, name: str) -> tuple[str, Cosignature]:
    """Sign the manifest of the attestation folder ``attestation`` as ``name``; return the
    file written (relative to the folder) and the co-signature."""
    _check_name(name)
    manifest = _read_manifest(attestation)
    digest = manifest_digest(manifest)
    signature = Cosignature(
        manifest.attestation_id,
        digest,
        name,
        key.scheme,
        key.public_key(),
        key.sign(cosign_message(manifest.attestation_id, digest, name)),
    )
    return _write_cosignature(attestation, signature), signature


def message_to_sign(attestation: Path, name: str) -> bytes:
    """Return the exact bytes ``name`` signs to co-sign the attestation folder
    ``attestation`` (what ``cosign`` signs), for a key that never leaves its device."""
    _check_name(name)
    manifest = _read_manifest(attestation)
    return cosign_message(manifest.attestation_id, manifest_digest(manifest), name)


def add_cosignature(
    attestation: Path, name: str, scheme: str, key: str, signature: str
) -> tuple[str, Cosignature]:
    """Store a co-signature made outside zkpor (an HSM, a hardware wallet) over
    ``message_to_sign(attestation, name)``; return the file written and the co-signature.

    Nothing is written unless it is a co-signature ``zkpor verify`` accepts: the signature
    verifies over this manifest's message for ``name``, and the key is pinned under
    ``name`` when the manifest pins co-signers. ``key`` and ``signature`` are accepted in
    the spellings signers print (upper-case hex, an EIP-55 address, ``v`` 0/1 or 27/28)
    and stored in the one spelling zkpor/1 reads."""
    _check_name(name)
    if scheme not in COSIGN_SCHEMES:
        raise CosignError(f"unknown scheme {scheme!r} (schemes: {', '.join(COSIGN_SCHEMES)})")
    key, signature = _external_key(scheme, key), _external_signature(scheme, signature)
    manifest = _read_manifest(attestation)
    digest = manifest_digest(manifest)
    sig = Cosignature(manifest.attestation_id, digest, name, scheme, key, signature)
    backend = NaclBackend()
    if (problem := signature_problem(sig, backend)) is not None:
        raise CosignError(
            f"the signature does not verify: {problem}. It must be made by {scheme} key "
            f"{key} over exactly the bytes that `zkpor attest message {attestation} "
            f'--name "{name}"` prints'
        )
    try:
        check_cosignature(manifest, digest, sig, backend)
    except VerificationError as exc:
        raise CosignError(
            f"refused, `zkpor verify` would fail step 10 with this co-signature: {exc}"
        ) from None
    return _write_cosignature(attestation, sig), sig


def _external_key(scheme: str, key: str) -> str:
    """Return ``key`` (from the command line) in zkpor/1's spelling, or raise naming it."""
    key = key.strip()
    if scheme == "eip191":
        try:
            check_evm_address(key)
        except ValueError as exc:
            raise CosignError(f"--key {key!r}: {exc}") from None
        return key.lower()
    body = key.removeprefix("0x")
    if len(body) != 64 or not _HEX.fullmatch(body):
        raise CosignError(f"--key {key!r}: an Ed25519 public key is 64 hex digits (32 bytes)")
    return body.lower()


def _external_signature(scheme: str, signature: str) -> str:
    """Return ``signature`` in zkpor/1's spelling (lowercase hex), or raise naming it."""
    signature = signature.strip()
    if scheme == "eip191":
        if not signature.startswith("0x") or len(signature) != 132:
            raise CosignError(
                "--signature: an EIP-191 (personal_sign) signature is 0x followed by 130 hex "
                f"digits (r, s, v: 65 bytes); got {len(signature)} characters"
            )
        if not _HEX.fullmatch(signature[2:]):
            raise CosignError("--signature: not hexadecimal after 0x")
        return signature.lower()
    body = signature.removeprefix("0x")
    if len(body) != 128 or not _HEX.fullmatch(body):
        raise CosignError(
            "--signature: an Ed25519 signature is 128 hex digits (64 bytes); "
            f"got {len(body)} characters"
        )
    return body.lower()


def _check_name(name: str) -> None:
    """Raise ``CosignError`` unless ``name`` may sign (the issuer-name rule)."""
    if (problem := issuer_name_problem(name)) is not None:
        raise CosignError(f"the co-signer's name {problem}")


def _read_manifest(attestation: Path) -> SignedManifest:
    """Return the folder's manifest (zkpor/1 or zkpor/2); refuse one zkpor would not
    write, whose canonical digest might not be what its readers see."""
    read = directory_reader(attestation)
    files = AttestationFiles(read)
    manifest: SignedManifest
    try:
        if is_zkpor2(read):  # signed the same way: the digest of its canonical JSON
            manifest, difference = read_manifest2(files)
        else:
            manifest, difference = read_manifest(files)
    except VerificationError as exc:
        raise CosignError(f"{attestation / MANIFEST}: {exc}") from None
    if difference is not None:
        raise CosignError(f"{attestation / MANIFEST} is not as zkpor writes it: {difference}")
    return manifest


def _write_cosignature(attestation: Path, signature: Cosignature) -> str:
    """Write ``signature`` to its file and list it in the index, replacing an earlier
    signature by the same key; return the file written (relative to the folder). The
    index is written last, so it never names a file that is not there."""
    names = _other_signatures(attestation, signature.scheme, signature.key)
    written = signature_file(signature.name, signature.key)
    if written in names:  # another key with the same name and key prefix: never overwritten
        raise CosignError(
            f"{attestation / written} holds another key's co-signature under the same name; "
            "sign under another name"
        )
    write_atomic(attestation / written, _json(signature.to_json()), mode=0o644)
    index = sorted({*names, written})
    write_atomic(attestation / SIGNATURES_INDEX, _json(index_to_json(index)), mode=0o644)
    return written


def _other_signatures(attestation: Path, scheme: str, public_key: str) -> list[str]:
    """Return the index's files that are not by this key (whose signature is replaced)."""
    path = attestation / SIGNATURES_INDEX
    if not path.exists():
        return []
    try:
        names = parse_index(loads(path.read_bytes()))
    except (OSError, ValueError, VerificationError) as exc:
        raise CosignError(f"{path}: {exc}") from None
    kept = []
    for listed in names:
        try:
            other = parse_cosignature(loads((attestation / listed).read_bytes()), listed)
        except (OSError, ValueError, VerificationError):
            kept.append(listed)  # not ours to judge: zkpor verify reports it
            continue
        if (other.scheme, other.key) != (scheme, public_key):
            kept.append(listed)
    return kept


def _json(doc: object) -> bytes:
    """Return ``doc`` as the publisher writes public JSON (indent 1, UTF-8)."""
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()
