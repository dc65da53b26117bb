"""What every attestation check shares, whatever its format: files read once through
``read`` (``CheckedFiles``: with the reviewer's options and the manifest step 1 read),
the manifest compared with its re-serialization, listed hashes, a verification key's
JSON, the bundle files, the reserves declared, the development setup and the
co-signatures.

``verifier.attestation`` (zkpor/1) and ``verifier.attestation2`` (zkpor/2) both build on
it; ``verifier.attestation`` re-exports every name, which is where callers find them.
This module must never touch the file system or the network itself, and must stay
importable in Pyodide.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from verifier.bn254 import CurveOps
from verifier.bundle import bucket_name, check_bucket, parse_bundle_sums
from verifier.cosign import (
    SIGNATURES_INDEX,
    SignedManifest,
    check_cosignature,
    manifest_digest,
    parse_cosignature,
    parse_index,
)
from verifier.download import DownloadFailed
from verifier.errors import (
    MalformedInput,
    MalformedVerifyingKey,
    StepSkipped,
    UnreadableFile,
    VerificationError,
)
from verifier.groth16 import Proof, VerifyingKey
from verifier.manifest import (
    BUNDLE_SUMS,
    MANIFEST,
    PROOFS,
    RESERVES,
    TREE,
    BatchEntry,
    BundleInfo,
)
from verifier.reserves import SignatureBackend
from verifier.strict_json import loads, show

_SHA256_HEX = re.compile("[0-9a-f]{64}")


Reader = Callable[[str], bytes]
#: Called as ``on_proofs(done, total)`` while step 3 checks the batch proofs.
ProofProgress = Callable[[int, int], None]
#: Proofs checked together between two progress reports: a random linear combination
#: costs n + 3 Miller loops and one final exponentiation, and every chunk pays the fixed
#: part again; 16 keeps most of the saving (a report every ~0.3 s in a desktop browser).
PROGRESS_CHUNK = 16


class AttestationFiles:
    """The files of one attestation, each read once through ``read``.

    The user's check (``verifier.user``) reads files through this class too.
    """

    def __init__(self, read: Reader) -> None:
        self._read = read
        self._bytes: dict[str, bytes] = {}

    def bytes(self, name: str, keep: bool = True) -> bytes:
        """Return the bytes of file ``name``, reading it on first use only.

        ``keep=False`` reads a file that only one check looks at (a bucket: there are
        tens of thousands at a million accounts) without holding on to it.
        """
        if name not in self._bytes:
            try:
                data = self._read(name)
            except FileNotFoundError as exc:
                raise UnreadableFile(f"{show(name)} is missing from the attestation") from exc
            except DownloadFailed as exc:  # its message names the file and says why
                raise UnreadableFile(str(exc)) from exc
            except OSError as exc:
                raise UnreadableFile(f"cannot read {show(name)}: {exc}") from exc
            if not keep:
                return data
            self._bytes[name] = data
        return self._bytes[name]

    def json(self, name: str) -> object:
        """Return the parsed JSON of file ``name`` (strict UTF-8 JSON, no duplicate keys)."""
        try:
            return loads(self.bytes(name))
        except ValueError as exc:
            raise MalformedInput(f"{name} is not valid JSON: {exc}") from exc

    def optional_json(self, name: str) -> object | None:
        """Return the parsed JSON of a file an attestation may lack, None if it is absent
        (any other failure to read it is an ``UnreadableFile``, never "absent")."""
        try:
            return self.json(name)
        except UnreadableFile as exc:
            if isinstance(exc.__cause__, FileNotFoundError):
                return None
            raise


M = TypeVar("M")


class CheckedFiles(AttestationFiles, Generic[M]):
    """The files of one attestation, the reviewer's options, and the manifest step 1
    parsed (``manifest_rejected``: why step 1 rejected its strictness, None if it did
    not). Each format's checks add the fields their later steps parse.

    A field stays ``None`` while the step that parses it has not succeeded; steps that
    need it then raise ``StepSkipped``.
    """

    def __init__(
        self,
        read: Reader,
        crypto: SignatureBackend | None = None,
        allow_dev: bool = False,
        on_proofs: ProofProgress | None = None,
        allow_unknown_phase1: bool = False,
        ops: CurveOps | None = None,
    ) -> None:
        super().__init__(read)
        self.crypto = crypto
        self.ops = ops
        self.allow_dev = allow_dev
        self.allow_unknown_phase1 = allow_unknown_phase1
        self.on_proofs = on_proofs
        self.manifest: M | None = None
        self.manifest_rejected: Difference | None = None

    def need_manifest(self) -> M:
        """Return the manifest, or skip the step if step 1 could not parse it or found it
        is not the manifest its format writes from its fields (as the user's check does)."""
        if self.manifest is None:
            raise StepSkipped(f"needs {MANIFEST}, which could not be read (step 1)")
        if self.manifest_rejected is not None:
            # Fields the parser does not read (unknown keys, derived fields that lie)
            # could mean something else to another reader: nothing is built on it.
            raise StepSkipped(f"needs {MANIFEST}, which was rejected (step 1)")
        return self.manifest


@dataclass(frozen=True)
class Difference:
    """Where a manifest as found first differs from the one zkpor/1 writes from its fields:
    the JSON path below the manifest (keys and list indexes) and the reader's message."""

    path: tuple[str | int, ...]
    message: str

    def __str__(self) -> str:
        return self.message


def _json_difference(
    found: object, written: object, path: tuple[str | int, ...] = (), writer: str = "zkpor/1"
) -> Difference | None:
    """Return the first place where the manifest as found differs from the manifest as
    zkpor/1 writes it from the parsed fields (None if nowhere).

    This catches fields the parser does not read: derived ones a reader sees (batch
    size, leaf count, amounts in whole tokens), unknown extra fields, non-canonical numbers.
    """
    where = MANIFEST + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    if isinstance(found, dict) and isinstance(written, dict):
        for key in [*written, *(k for k in found if k not in written)]:
            if key not in found:
                return Difference((*path, key), f"{where}.{key} is missing")
            if key not in written:
                message = f"{where} has a field {writer} does not define: {show(key)}"
                return Difference((*path, key), message)
            if difference := _json_difference(found[key], written[key], (*path, key), writer):
                return difference
        return None
    if isinstance(found, list) and isinstance(written, list) and len(found) == len(written):
        for i, (value, expected) in enumerate(zip(found, written, strict=True)):
            if difference := _json_difference(value, expected, (*path, i), writer):
                return difference
        return None
    if type(found) is type(written) and found == written:
        return None
    return Difference(
        path,
        f"{where} is {show(json.dumps(found))}, expected {show(json.dumps(written))} "
        f"(as {writer} writes it from the other fields)",
    )


def file_problem(files: AttestationFiles, name: str, listed: str) -> str | None:
    """Return what is wrong with listed file ``name``, or None if it hashes to ``listed``."""
    if not _SHA256_HEX.fullmatch(listed):
        return f"the sha256 listed for {show(name)} is not 64 lowercase hex digits"
    try:
        actual = hashlib.sha256(files.bytes(name)).hexdigest()
    except UnreadableFile as exc:
        return str(exc)
    if actual != listed:
        return f"{show(name)} has sha256 {actual}, but the manifest lists {listed}"
    return None


def check_listed_files(
    files: AttestationFiles,
    listed: Mapping[str, str],
    difference: Difference | None,
    required: Sequence[str],
) -> str:
    """Step 1 of either format, once the manifest is parsed: raise ``VerificationError``
    with every problem (its ``difference`` from the written manifest, a ``required`` file
    it does not list, a listed file whose sha256 differs), else return the detail."""
    problems = [] if difference is None else [difference.message]
    problems += [
        f"{MANIFEST} does not list the sha256 of {name}" for name in required if name not in listed
    ]
    problems += [
        problem
        for name, sha256 in sorted(listed.items())
        if (problem := file_problem(files, name, sha256)) is not None
    ]
    if problems:
        raise VerificationError("; ".join(problems))
    return f"{len(listed)} files match their sha256"


def vk_json(files: AttestationFiles, name: str) -> VerifyingKey:
    """Return the verification key in file ``name``, its errors naming the file (the
    count of its public inputs is each format's to check)."""
    doc = files.json(name)
    if not isinstance(doc, dict):
        raise MalformedInput(f"{name} must be a JSON object")
    try:
        return VerifyingKey.from_json(doc)
    except MalformedVerifyingKey as exc:
        raise MalformedVerifyingKey(f"{name}: {exc}") from exc


def proof_of(entry: BatchEntry) -> Proof:
    """Return the parsed proof of ``entry``, naming the batch if it is malformed."""
    try:
        return Proof.from_json(entry.proof)
    except MalformedInput as exc:
        raise MalformedInput(f"the proof of batch {entry.batch} is malformed: {exc}") from exc


def _slot_meaning(depth: int, slot: int, batches: int) -> str:
    """Return what the value at (``depth``, ``slot``) of the top of the tree must be."""
    if depth > 0:
        return "the hash of the level below"
    return f"the root of batch {slot} in {PROOFS}" if slot < batches else "an empty batch slot is 0"


def _first_difference(found: list[list[int]], expected: list[list[int]], batches: int) -> str:
    """Return where tree.json first differs from the recomputed levels."""
    if len(found) != len(expected):
        return f"{TREE} has {len(found)} levels, expected {len(expected)} (batch slots to root)"
    for depth, (have, want) in enumerate(zip(found, expected, strict=True)):
        if len(have) != len(want):
            return f"{TREE} level {depth} has {len(have)} nodes, expected {len(want)}"
        for slot, (h, w) in enumerate(zip(have, want, strict=True)):
            if h != w:
                why = _slot_meaning(depth, slot, batches)
                return f"{TREE} level {depth} slot {slot} is {h}, expected {w} ({why})"
    return f"{TREE} differs from the levels recomputed from the batch roots"


def check_cosignatures(
    files: AttestationFiles, manifest: SignedManifest, crypto: SignatureBackend | None
) -> str:
    """Return a detail once every co-signature ``signatures/index.json`` lists signs this
    manifest with a valid signature and, when the manifest pins co-signers, every pinned
    key has signed and no other; raise ``VerificationError`` otherwise."""
    index = files.optional_json(SIGNATURES_INDEX)
    names = [] if index is None else parse_index(index)
    digest = manifest_digest(manifest)
    signed: list[str] = []
    keys: dict[tuple[str, str], str] = {}
    for name in names:
        sig = parse_cosignature(files.json(name), name)
        try:
            pin = check_cosignature(manifest, digest, sig, crypto)
        except VerificationError as exc:
            raise VerificationError(f"{name}, co-signed by {sig.describe()}: {exc}") from exc
        if (sig.scheme, sig.key) in keys:
            raise VerificationError(f"{name}: the key of {keys[sig.scheme, sig.key]} signs twice")
        keys[sig.scheme, sig.key] = name
        signed.append(
            f"{sig.describe()}, {'pinned' if pin else 'not pinned: check its key with the signer'}"
        )
    missing = [c for c in manifest.cosigners if (c.scheme, c.key) not in keys]
    if missing:
        raise VerificationError(
            "no valid co-signature by "
            + ", ".join(f"{c.name} ({c.scheme} key {c.key})" for c in missing)
            + f", whom the manifest pins as co-signer{'s' if len(missing) > 1 else ''}"
            + (f" (co-signed by {'; '.join(signed)})" if signed else "")
        )
    if not signed:
        return "no co-signatures (the manifest pins no co-signer)"
    return f"co-signed by {'; '.join(signed)}"


class HasBundles(Protocol):
    """What the bundle files step reads of a manifest (zkpor/1's or zkpor/2's)."""

    @property
    def bundles(self) -> BundleInfo | None: ...

    @property
    def files(self) -> Mapping[str, str]: ...


def check_bundle_files(files: AttestationFiles, manifest: HasBundles) -> str:
    """Return a detail once every bucket the layout promises exists, has its listed hash
    and one size; raise ``VerificationError`` otherwise.

    This is the reviewer's check that no user's bundle is missing or damaged; it says
    nothing about what a bundle holds (only its user can open it).
    """
    info = manifest.bundles
    if info is None:
        return "this attestation publishes no per-user bundles"
    # As the user's check: only a listed SHA256SUMS (step 1 checked its hash) is the one
    # every reader is served; an unlisted one could differ from one reader to the next.
    if BUNDLE_SUMS not in manifest.files:
        raise VerificationError(f"{MANIFEST} does not list the sha256 of {BUNDLE_SUMS}")
    sums = parse_bundle_sums(files.bytes(BUNDLE_SUMS))
    expected = {bucket_name(i, info.bucket_bits) for i in range(info.buckets)}
    if set(sums) != expected:
        raise VerificationError(
            f"{BUNDLE_SUMS} lists {len(sums)} buckets, the layout needs {len(expected)}"
        )
    size = info.records_per_bucket * info.record_size
    for name in sorted(expected):
        data = files.bytes(name, keep=False)  # read by this step only
        if len(data) != size:
            raise VerificationError(f"{name} is {len(data)} bytes, every bucket must be {size}")
        if hashlib.sha256(data).hexdigest() != sums[name]:
            raise VerificationError(f"{name} does not match its sha256 in {BUNDLE_SUMS}")
        # Every record reachable, in an order that does not tell real from dummy records.
        check_bucket(data, info, int(name.removeprefix("bundles/").removesuffix(".bin"), 16))
    buckets = "1 bucket" if len(expected) == 1 else f"{len(expected)} buckets"
    return f"{buckets} of {size} bytes match {BUNDLE_SUMS}"


class _HoldsReserves(Protocol):
    @property
    def symbol(self) -> str: ...

    @property
    def reserves(self) -> int | None: ...


class DeclaresReserves(Protocol):
    """What the reserves step reads of a manifest before the reserves file."""

    @property
    def assets(self) -> Sequence[_HoldsReserves]: ...

    @property
    def files(self) -> Mapping[str, str]: ...

    @property
    def segregation(self) -> object | None: ...


def no_reserves(manifest: DeclaresReserves) -> str | None:
    """Return the reserves step's detail when the manifest declares no reserves, None
    when it declares them for every asset and lists the reserves file; raise
    ``MalformedInput`` for anything between (both formats' reserves steps)."""
    declared = [a.reserves is not None for a in manifest.assets]
    if not any(declared) and RESERVES not in manifest.files:
        if manifest.segregation is not None:
            # Its collateral and fund figures would be shown with no wallet behind them.
            raise MalformedInput(
                f"{MANIFEST} has a segregation section but declares no reserves: its "
                "figures are backed by no signed wallet"
            )
        return "this attestation declares no reserves (liabilities only)"
    if not all(declared):
        missing = [a.symbol for a in manifest.assets if a.reserves is None]
        raise MalformedInput(f"{MANIFEST} declares no reserves for {', '.join(missing)}")
    if RESERVES not in manifest.files:
        raise MalformedInput(f"{MANIFEST} declares reserves but does not list {RESERVES}")
    return None


#: The setup step's detail for a development setup the caller accepted (the demo).
DEV_SETUP_ACCEPTED = (
    "INSECURE single-party development setup, accepted on request: whoever ran it "
    "could forge proofs of any totals"
)
