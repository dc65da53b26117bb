"""The reviewer's full check of an attestation directory, as ten numbered, named steps.

The CLI (``zkpor verify``) and the browser run these same steps and show the same
names. Files come only through ``read(name)``, which returns a file's bytes or raises
``FileNotFoundError`` (or another ``OSError``): a local folder, an http(s) base URL or
the browser's ``fetch`` (see ``verifier.fetch``). This module must never touch the file
system or the network itself, and must stay importable in Pyodide.

Every file is read once and the bytes that were hashed in step 1 are the bytes that
later steps parse, so a server cannot answer the hash check and the parser differently.
"""

from __future__ import annotations

from functools import partial

from verifier.attestation_files import (
    DEV_SETUP_ACCEPTED,
    CheckedFiles,
    check_listed_files,
    no_reserves,
    vk_json,
)
from verifier.attestation_files import PROGRESS_CHUNK as PROGRESS_CHUNK
from verifier.attestation_files import AttestationFiles as AttestationFiles
from verifier.attestation_files import Difference as Difference
from verifier.attestation_files import ProofProgress as ProofProgress
from verifier.attestation_files import Reader as Reader
from verifier.attestation_files import _first_difference as _first_difference
from verifier.attestation_files import _json_difference as _json_difference
from verifier.attestation_files import _slot_meaning as _slot_meaning
from verifier.attestation_files import check_bundle_files as check_bundle_files
from verifier.attestation_files import check_cosignatures as check_cosignatures
from verifier.attestation_files import file_problem as file_problem
from verifier.attestation_files import proof_of as proof_of
from verifier.ceremony import check_setup, check_setup_files
from verifier.ceremony_crypto import PURE_OPS, CurveOps
from verifier.errors import (
    MalformedInput,
    StepSkipped,
    VerificationError,
)
from verifier.field import R
from verifier.groth16 import VerifyingKey, verify_many
from verifier.manifest import (
    MANIFEST,
    PROOFS,
    RESERVES,
    SETUP_INSECURE_DEV,
    TREE,
    VK,
    BatchEntry,
    Manifest,
    format_units,
    parse_proofs,
    parse_tree,
)
from verifier.manifest2 import is_zkpor2, remember_manifest
from verifier.protocol import (
    MAX_ASSETS,
    accumulator,
    initial_accumulator,
    top_depth_for,
    top_levels,
)
from verifier.report import Step, StepResult, run_steps
from verifier.reserves import SignatureBackend, check_reserves
from verifier.strict_json import show

STEP_NAMES = (
    "manifest and file hashes",
    "verification key",
    "batch proofs",
    "accumulator chain",
    "tree",
    "totals",
    "bundle files",
    "reserves",
    "trusted setup",
    "co-signatures",
)
#: The public inputs of every batch proof, in order.
PUBLIC_INPUTS = ("root", "acc_in", "acc_out")


class _Attestation(CheckedFiles[Manifest]):
    """The files of one attestation and what the reviewer's steps parsed from them.

    A field stays ``None`` while the step that parses it has not succeeded; steps that
    need it then raise ``StepSkipped``.
    """

    vk: VerifyingKey | None = None
    entries: list[BatchEntry] | None = None

    def need_vk(self) -> VerifyingKey:
        """Return the verification key, or skip the step if step 2 rejected it."""
        if self.vk is None:
            raise StepSkipped(f"needs {VK}, which was rejected (step 2)")
        return self.vk

    def need_entries(self) -> list[BatchEntry]:
        """Return the batch entries, or skip the step if step 3 could not read them."""
        if self.entries is None:
            raise StepSkipped(f"needs the batches of {PROOFS}, which could not be read (step 3)")
        return self.entries


# --- 1. manifest and file hashes -------------------------------------------------------


def read_manifest(files: AttestationFiles) -> tuple[Manifest, Difference | None]:
    """Return the parsed manifest and the first place where it differs from the manifest
    zkpor/1 writes from its fields (None if nowhere)."""
    doc = files.json(MANIFEST)
    manifest = Manifest.from_json(doc)
    return manifest, _json_difference(doc, manifest.to_json())


def _check_manifest(files: _Attestation) -> str:
    """Step 1: parse the manifest and check the sha256 of every file it lists."""
    manifest, difference = read_manifest(files)
    files.manifest, files.manifest_rejected = manifest, difference
    return check_listed_files(files, manifest.files, difference, (VK, PROOFS, TREE))


# --- 2. verification key ---------------------------------------------------------------


def read_vk(files: AttestationFiles) -> VerifyingKey:
    """Return the parsed verification key once it takes the three public inputs."""
    vk = vk_json(files, VK)
    if vk.n_public != len(PUBLIC_INPUTS):
        raise MalformedInput(
            f"{VK} is for {vk.n_public} public inputs, but a zkpor/1 batch proof has "
            f"{len(PUBLIC_INPUTS)} ({', '.join(PUBLIC_INPUTS)}): it is not a zkpor/1 key"
        )
    return vk


def _check_vk(files: _Attestation) -> str:
    """Step 2: parse the verification key; it must take the three public inputs."""
    files.vk = read_vk(files)
    return f"Groth16 key for {len(PUBLIC_INPUTS)} public inputs ({', '.join(PUBLIC_INPUTS)})"


# --- 3. batch proofs -------------------------------------------------------------------


def batch_entries(files: AttestationFiles, batches: int) -> list[BatchEntry]:
    """Return the entries of proofs.json once there is one per batch, in batch order."""
    entries = parse_proofs(files.json(PROOFS))
    if batches == 0:
        raise MalformedInput(f"{MANIFEST} says the tree has 0 batches; there must be at least 1")
    if len(entries) != batches:
        raise MalformedInput(
            f"{PROOFS} has {len(entries)} entries, but {MANIFEST} says {batches} batches"
        )
    for i, entry in enumerate(entries):
        if entry.batch != i:
            raise MalformedInput(f"{PROOFS} entry {i} is for batch {entry.batch}, expected {i}")
        if len(entry.public) != len(PUBLIC_INPUTS):
            raise MalformedInput(
                f"{PROOFS} entry {i} has {len(entry.public)} public inputs, expected "
                f"{len(PUBLIC_INPUTS)} ({', '.join(PUBLIC_INPUTS)})"
            )
    return entries


def _check_proofs(files: _Attestation) -> str:
    """Step 3: one well-formed entry per batch, in order, and every Groth16 proof valid."""
    manifest = files.need_manifest()
    entries = batch_entries(files, manifest.tree.batches)
    files.entries = entries
    proofs = [proof_of(entry) for entry in entries]
    vk = files.need_vk()
    items = [(e.public, p) for e, p in zip(entries, proofs, strict=True)]
    chunk = PROGRESS_CHUNK if files.on_proofs else max(len(items), 1)
    for start in range(0, len(items), chunk):
        try:
            verify_many(vk, items[start : start + chunk], ops=files.ops)
        except VerificationError as exc:
            index = getattr(exc, "index", None)
            if index is None:
                raise VerificationError(f"the proofs cannot be checked: {exc}") from exc
            raise VerificationError(f"batch {start + index} is not proven: {exc}") from exc
        if files.on_proofs:
            files.on_proofs(min(start + chunk, len(items)), len(items))
    return f"{len(entries)} Groth16 proofs valid"


# --- 4. accumulator chain --------------------------------------------------------------


def check_asset_count(manifest: Manifest) -> int:
    """Return the number of assets once it fits zkpor/1 and matches the final totals."""
    count = len(manifest.assets)
    if not 1 <= count <= MAX_ASSETS:
        raise MalformedInput(f"{MANIFEST} lists {count} assets; zkpor/1 allows 1 to {MAX_ASSETS}")
    if len(manifest.final_totals) != count:
        raise MalformedInput(
            f"{MANIFEST} lists {count} assets but {len(manifest.final_totals)} final totals"
        )
    return count


def check_chain(manifest: Manifest, entries: list[BatchEntry]) -> str:
    """Return a detail once the batches chain acc_0 -> acc_1 -> ... to the final totals."""
    acc_0 = initial_accumulator(check_asset_count(manifest))
    if manifest.initial_accumulator != acc_0:
        raise VerificationError(
            f"the manifest's initial accumulator is {manifest.initial_accumulator}, but "
            f"acc_0 = H(ACC, 0..0, 0) is {acc_0}"
        )
    if entries[0].public[1] != acc_0:
        raise VerificationError(
            f"batch 0 starts from accumulator {entries[0].public[1]}, not from "
            f"acc_0 = {acc_0} (the totals of zero accounts)"
        )
    for j in range(len(entries) - 1):
        if entries[j + 1].public[1] != entries[j].public[2]:
            raise VerificationError(
                f"batch {j + 1} starts from a different accumulator than batch {j} ended with "
                f"({entries[j + 1].public[1]} vs {entries[j].public[2]})"
            )
    last = len(entries) - 1
    if entries[last].public[2] != manifest.final_accumulator:
        raise VerificationError(
            f"batch {last} ends with accumulator {entries[last].public[2]}, but the manifest's "
            f"final accumulator is {manifest.final_accumulator}"
        )
    if accumulator(manifest.final_totals, manifest.final_blind) != manifest.final_accumulator:
        raise VerificationError(
            "the manifest's final totals and final blind do not open its final accumulator: "
            "the published totals are not the ones the proofs add up to"
        )
    return f"{len(entries)} batches chain from zero to the published final totals"


def _check_chain(files: _Attestation) -> str:
    """Step 4: the batches chain acc_0 -> acc_1 -> ... to the published final totals."""
    return check_chain(files.need_manifest(), files.need_entries())


# --- 5. tree ---------------------------------------------------------------------------


def _expected_levels(manifest: Manifest, entries: list[BatchEntry]) -> list[list[int]]:
    """Return the public top of the tree recomputed from the batch roots in proofs.json."""
    arity, top_depth = manifest.tree.arity, manifest.tree.top_depth
    if top_depth != (needed := top_depth_for(len(entries), arity)):
        raise VerificationError(
            f"{MANIFEST} says the top of the tree has {top_depth} levels, but "
            f"{len(entries)} batches of arity {arity} need exactly {needed}"
        )
    roots = [entry.public[0] for entry in entries]
    for j, root in enumerate(roots):
        if root >= R:
            raise VerificationError(f"the root of batch {j} in {PROOFS} is not below r")
    return top_levels(roots, arity, top_depth)


def _check_tree(files: _Attestation) -> str:
    """Step 5: tree.json is the top of the tree over the proven batch roots, up to the root."""
    manifest, entries = files.need_manifest(), files.need_entries()
    arity, levels = parse_tree(files.json(TREE))
    if arity != manifest.tree.arity:
        raise VerificationError(
            f"{TREE} has arity {arity}, but {MANIFEST} says {manifest.tree.arity}"
        )
    expected = _expected_levels(manifest, entries)
    if levels != expected:
        raise VerificationError(_first_difference(levels, expected, len(entries)))
    if expected[-1] != [manifest.tree.root]:
        raise VerificationError(
            f"{MANIFEST} publishes root {manifest.tree.root}, but the batch roots hash to "
            f"{expected[-1][0]}"
        )
    return f"{len(entries)} batch roots hash to the published root"


# --- 6. totals -------------------------------------------------------------------------


def check_totals(manifest: Manifest) -> str:
    """Return a detail once each published liability is the final total of its asset."""
    if len(manifest.final_totals) != len(manifest.assets):
        raise MalformedInput(
            f"{MANIFEST} lists {len(manifest.assets)} assets but "
            f"{len(manifest.final_totals)} final totals"
        )
    for asset, total in zip(manifest.assets, manifest.final_totals, strict=True):
        if asset.liabilities != total:
            proven = format_units(total, asset.decimals)
            raise VerificationError(
                f"asset {show(asset.symbol)}: the manifest publishes liabilities of "
                f"{asset.amount} ({asset.liabilities} units), but the proofs add up to "
                f"{proven} ({total} units)"
            )
    return f"{len(manifest.assets)} published liabilities equal the proven totals"


def _check_totals(files: _Attestation) -> str:
    """Step 6: each published liability is the proven final total of its asset."""
    return check_totals(files.need_manifest())


# --- 7. bundle files -------------------------------------------------------------------


def _check_bundles(files: _Attestation) -> str:
    """Step 7: every bucket the layout promises exists, has its listed hash and one size
    (``check_bundle_files``)."""
    return check_bundle_files(files, files.need_manifest())


# --- 8. reserves ----------------------------------------------------------------------


def _check_reserves(files: _Attestation) -> str:
    """Step 8: every reserve wallet is proven by its signature and counted once, the
    signed balances add up to the published reserves, and every asset is covered."""
    manifest = files.need_manifest()
    if (detail := no_reserves(manifest)) is not None:
        return detail
    return check_reserves(manifest, files.json(RESERVES), files.crypto)


# --- 9. trusted setup ------------------------------------------------------------------


def _check_setup(files: _Attestation) -> str:
    """Step 9: the keys come from a ceremony whose transcript checks, whose header fixed
    vk.json's key (IC included) before any contribution, and whose phase 1 is a pinned
    public file. A single-party development setup fails, unless the caller asked to
    accept it (the demo does), and then the detail still says it proves nothing; an
    unknown phase 1 likewise, with ``allow_unknown_phase1``. First, the manifest must list
    the transcript of a ceremony (step 1 checked its sha256) and none for a development
    setup (``check_setup_files``): an unlisted transcript could differ from one reader to
    the next."""
    manifest = files.need_manifest()
    check_setup_files(manifest.setup_kind, manifest.files)
    vk = files.need_vk()
    if manifest.setup_kind == SETUP_INSECURE_DEV and files.allow_dev:
        return DEV_SETUP_ACCEPTED
    return check_setup(
        files.bytes,
        manifest.setup_kind,
        vk,
        manifest.circuit_id,
        ops=files.ops or PURE_OPS,
        allow_unknown_phase1=files.allow_unknown_phase1,
    )


# --- 10. co-signatures ----------------------------------------------------------------


def _check_cosignatures(files: _Attestation) -> str:
    """Step 10: the co-signatures are valid signatures of this manifest, and every
    co-signer the manifest pins has signed."""
    return check_cosignatures(files, files.need_manifest(), files.crypto)


# --- the steps -------------------------------------------------------------------------


def attestation_steps(
    read: Reader,
    crypto: SignatureBackend | None = None,
    allow_dev_setup: bool = False,
    on_proofs: ProofProgress | None = None,
    *,
    allow_unknown_phase1: bool = False,
    ops: CurveOps | None = None,
) -> list[Step]:
    """Return the ten ``(name, check)`` steps over the files ``read`` returns (the nine
    of ``verifier.attestation2`` when the manifest's ``format`` is ``zkpor/2``).

    ``crypto`` checks Ed25519 reserve signatures and co-signatures (PyNaCl in CPython,
    libsodium.js in the browser); without it, an Ed25519 wallet fails the reserves step and
    an Ed25519 co-signature the co-signatures step.
    ``allow_dev_setup`` lets a development-setup attestation pass the setup step (demos),
    ``allow_unknown_phase1`` a ceremony on a phase-1 file that is not a pinned public one.
    ``on_proofs(done, total)`` is told of step 3's progress, for a progress bar. ``ops``:
    other curve operations for the proofs and the ceremony (same checks; the CLI passes
    ``publisher.snark.pairing.FAST_OPS``), ``verifier.bn254``'s by default (the browser).

    For a caller that shows each step as it runs (the browser): run them one by one with
    ``verifier.report.run_step``, in order, since later steps use what earlier ones parsed.
    """
    read = remember_manifest(read)
    if is_zkpor2(read):  # the zkpor/2 check: nine steps (verifier.attestation2)
        from verifier.attestation2 import attestation2_steps

        return attestation2_steps(
            read,
            crypto,
            allow_dev_setup,
            on_proofs,
            allow_unknown_phase1=allow_unknown_phase1,
            ops=ops,
        )
    files = _Attestation(read, crypto, allow_dev_setup, on_proofs, allow_unknown_phase1, ops)
    checks = (
        _check_manifest,
        _check_vk,
        _check_proofs,
        _check_chain,
        _check_tree,
        _check_totals,
        _check_bundles,
        _check_reserves,
        _check_setup,
        _check_cosignatures,
    )
    return [(name, partial(check, files)) for name, check in zip(STEP_NAMES, checks, strict=True)]


def verify_attestation(
    read: Reader,
    crypto: SignatureBackend | None = None,
    allow_dev_setup: bool = False,
    *,
    allow_unknown_phase1: bool = False,
    ops: CurveOps | None = None,
) -> list[StepResult]:
    """Return the report of all ten steps over the attestation files ``read`` returns
    (of the nine zkpor/2 steps for a zkpor/2 manifest)."""
    return run_steps(
        attestation_steps(
            read, crypto, allow_dev_setup, allow_unknown_phase1=allow_unknown_phase1, ops=ops
        )
    )
