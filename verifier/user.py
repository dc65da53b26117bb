"""The account holder's check: with one code, find their account under the proven root.

Six named steps, shown the same way by ``zkpor verify-user`` and the browser:

1. bundle                            the code opens a bundle of this attestation
2. leaf                              the leaf is recomputed from the user's id, salt, balances
3. path to batch root                the leaf hashes up to the root a batch proof is for
4. batch root in the published tree  that batch root hashes up to the manifest's root
5. batch proof                       the Groth16 proof of that batch is valid
6. accumulator chain                 the batches add up to the published liabilities

Files come only through ``read(name)``, as in ``verifier.attestation``; each file a step
parses must hash to the sha256 the manifest lists. The code is parsed before anything is
read, so a typo costs no fetch. Nothing secret (code, salt) ever goes into a step detail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast

from verifier.attestation import (
    AttestationFiles,
    Reader,
    batch_entries,
    check_asset_count,
    check_chain,
    check_totals,
    file_problem,
    proof_of,
    read_manifest,
    read_vk,
)
from verifier.bundle import Bundle, CryptoBackend, open_bundle
from verifier.codes import parse_code
from verifier.errors import StepSkipped, VerificationError
from verifier.groth16 import verify
from verifier.manifest import (
    MANIFEST,
    PROOFS,
    TREE,
    VK,
    BatchEntry,
    Manifest,
    format_units,
    parse_tree,
)
from verifier.protocol import (
    BALANCE_BITS,
    id_commitment,
    leaf_hash,
    node_hash,
    top_depth_for,
    user_id_to_field,
)
from verifier.report import Step, StepResult, passed, run_steps, to_json
from verifier.strict_json import show

T = TypeVar("T")

USER_STEP_NAMES = (
    "bundle",
    "leaf",
    "path to batch root",
    "batch root in the published tree",
    "batch proof",
    "accumulator chain",
)


def hash_up(node: int, index: int, path: Sequence[Sequence[int]], arity: int) -> list[int]:
    """Return the nodes above ``node`` (the ``index``-th of its level), one per level of
    ``path``, each hashed from the node below and its k-1 siblings."""
    nodes = []
    for siblings in path:
        position = index % arity
        node = node_hash([*siblings[:position], node, *siblings[position:]])
        index //= arity
        nodes.append(node)
    return nodes


def _short(value: int) -> str:
    """Return a field element shortened for a message: ``0x1234abcd…``."""
    return f"0x{value:064x}"[:10] + "…"


class UserCheck:
    """The check of one code against one attestation: its steps and what they found.

    ``manifest`` is set once step 1 has read it, ``bundle`` once step 1 has opened it and
    found it consistent with the manifest: never a part of a bundle.
    """

    def __init__(self, read: Reader, code: bytes, backend: CryptoBackend) -> None:
        self._read = read
        self._files = AttestationFiles(read)
        self._code = code
        self._backend = backend
        self.manifest: Manifest | None = None
        self.bundle: Bundle | None = None
        self._leaf: int | None = None
        self._step = 0
        self._parsed: dict[str, object] = {}
        self._failed: dict[str, int] = {}

    @property
    def steps(self) -> list[Step]:
        """Return the six ``(name, check)`` steps, to be run in order."""
        checks = (
            self._check_bundle,
            self._check_leaf,
            self._check_batch_path,
            self._check_top_path,
            self._check_proof,
            self._check_chain,
        )
        return [
            (name, partial(self._run, number, check))
            for number, (name, check) in enumerate(zip(USER_STEP_NAMES, checks, strict=True), 1)
        ]

    def run(self) -> UserReport:
        """Return the report of running every step, in order."""
        results = run_steps(self.steps)
        return UserReport(self.manifest, self.bundle, tuple(results))

    @property
    def files(self) -> AttestationFiles:
        """The files as this check read them (each read once): later checks of the same
        visit reuse them, so a server cannot answer them differently a second time."""
        return self._files

    def _run(self, number: int, check: Callable[[], str]) -> str:
        self._step = number
        return check()

    # --- what earlier steps found ---------------------------------------------------------

    def _need_manifest(self) -> Manifest:
        if self.manifest is None:
            raise StepSkipped(f"needs {MANIFEST}, which could not be read (step 1)")
        return self.manifest

    def _need_bundle(self) -> tuple[Manifest, Bundle]:
        manifest = self._need_manifest()
        if self.bundle is None:
            raise StepSkipped("needs your bundle, which could not be opened (step 1)")
        return manifest, self.bundle

    def _need_leaf(self) -> int:
        if self._leaf is None:
            raise StepSkipped("needs your leaf, which could not be recomputed (step 2)")
        return self._leaf

    def _load(self, name: str, parse: Callable[[], T]) -> T:
        """Return file ``name`` parsed by ``parse``, once it hashes to the sha256 the
        manifest lists. It is parsed once; after a failure, later steps skip."""
        manifest = self._need_manifest()
        if name in self._failed:
            raise StepSkipped(f"needs {name}, which could not be read (step {self._failed[name]})")
        if name not in self._parsed:
            try:
                listed = manifest.files.get(name)
                if listed is None:
                    raise VerificationError(f"{MANIFEST} does not list the sha256 of {name}")
                if (problem := file_problem(self._files, name, listed)) is not None:
                    raise VerificationError(problem)
                self._parsed[name] = parse()
            except VerificationError:
                self._failed[name] = self._step
                raise
        return cast(T, self._parsed[name])

    def _entries(self, manifest: Manifest) -> list[BatchEntry]:
        return self._load(PROOFS, lambda: batch_entries(self._files, manifest.tree.batches))

    # --- 1. bundle ------------------------------------------------------------------------

    def _check_bundle(self) -> str:
        """Step 1: the code opens a bundle that fits this attestation's tree."""
        manifest, difference = read_manifest(self._files)
        if difference is not None:
            raise VerificationError(difference)
        self.manifest = manifest
        if manifest.bundles is None:
            raise VerificationError(
                f"{MANIFEST} has no per-user bundles: this attestation cannot be checked "
                "with a code"
            )
        bundle = open_bundle(
            self._read, manifest.bundles, manifest.attestation_id, self._code, self._backend
        )
        _check_fits(bundle, manifest)
        self.bundle = bundle
        return f"bundle found for leaf {bundle.leaf} of batch {bundle.batch}"

    # --- 2. leaf --------------------------------------------------------------------------

    def _check_leaf(self) -> str:
        """Step 2: recompute the leaf H(LEAF, H(ID, uid, salt), packed balances)."""
        manifest, bundle = self._need_bundle()
        check_asset_count(manifest)
        for asset, balance in zip(manifest.assets, bundle.balances, strict=True):
            if not 0 <= balance < 1 << BALANCE_BITS:
                raise VerificationError(
                    f"your {show(asset.symbol)} balance {balance} does not fit {BALANCE_BITS} bits"
                )
        idc = id_commitment(user_id_to_field(bundle.user_id), bundle.salt)
        leaf = leaf_hash(idc, bundle.balances)
        if leaf != bundle.leaf_hash:
            raise VerificationError(
                f"your id, salt and balances hash to the leaf {_short(leaf)}, but the custodian "
                f"committed to the leaf {_short(bundle.leaf_hash)}: the bundle does not "
                "describe the account that was proven"
            )
        self._leaf = leaf
        return f"leaf {_short(leaf)} recomputed from your id, salt and balances"

    # --- 3. path to batch root ------------------------------------------------------------

    def _check_batch_path(self) -> str:
        """Step 3: the leaf and the in-batch path hash to the root batch ``j`` is proven for."""
        manifest, bundle = self._need_bundle()
        leaf = self._need_leaf()
        entries = self._entries(manifest)
        tree = manifest.tree
        nodes = hash_up(leaf, bundle.leaf, bundle.path[: tree.batch_depth], tree.arity)
        root = nodes[-1] if nodes else leaf
        proven = entries[bundle.batch].public[0]
        if root != proven:
            raise VerificationError(
                f"your leaf and path hash to {_short(root)}, but the proof of batch "
                f"{bundle.batch} is for root {_short(proven)}: your account is not in the "
                "batch that was proven"
            )
        return (
            f"your leaf hashes up {tree.batch_depth} levels to the root of batch "
            f"{bundle.batch} in {PROOFS}"
        )

    # --- 4. batch root in the published tree ----------------------------------------------

    def _check_top_path(self) -> str:
        """Step 4: the proven batch root is in tree.json and hashes up to the root."""
        manifest, bundle = self._need_bundle()
        entries = self._entries(manifest)
        arity, levels = self._load(TREE, lambda: parse_tree(self._files.json(TREE)))
        tree = manifest.tree
        _check_tree_shape(manifest, arity, levels)
        slot = levels[0][bundle.batch]
        proven = entries[bundle.batch].public[0]
        if slot != proven:
            raise VerificationError(
                f"{TREE} level 0 slot {bundle.batch} is {_short(slot)}, but the proof of batch "
                f"{bundle.batch} is for root {_short(proven)}"
            )
        nodes = hash_up(slot, bundle.batch, bundle.path[tree.batch_depth :], arity)
        for depth, node in enumerate(nodes, 1):
            index = bundle.batch // arity**depth
            if levels[depth][index] != node:
                raise VerificationError(
                    f"your path gives {_short(node)} at {TREE} level {depth} slot {index}, but "
                    f"{TREE} has {_short(levels[depth][index])}"
                )
        root = nodes[-1] if nodes else slot
        if root != tree.root:
            raise VerificationError(
                f"your path reaches root {_short(root)}, but {MANIFEST} publishes root "
                f"{_short(tree.root)}"
            )
        return (
            f"the root of batch {bundle.batch} hashes up {tree.top_depth} levels to the "
            "published root"
        )

    # --- 5. batch proof -------------------------------------------------------------------

    def _check_proof(self) -> str:
        """Step 5: the Groth16 proof of the user's batch is valid."""
        manifest, bundle = self._need_bundle()
        entry = self._entries(manifest)[bundle.batch]
        vk = self._load(VK, lambda: read_vk(self._files))
        proof = proof_of(entry)
        try:
            verify(vk, entry.public, proof)
        except VerificationError as exc:
            raise VerificationError(f"batch {bundle.batch} is not proven: {exc}") from exc
        return f"the Groth16 proof of batch {bundle.batch} is valid"

    # --- 6. accumulator chain -------------------------------------------------------------

    def _check_chain(self) -> str:
        """Step 6: the batches chain from zero to the final totals, which are the
        published liabilities."""
        manifest = self._need_manifest()
        detail = check_chain(manifest, self._entries(manifest))
        check_totals(manifest)
        return f"{detail}, which are the published liabilities"


def _check_fits(bundle: Bundle, manifest: Manifest) -> None:
    """Raise unless the bundle has one balance per asset and its leaf, batch and path
    fit the manifest's tree: a bundle is shown only once all of it fits."""
    if len(bundle.balances) != len(manifest.assets):
        raise VerificationError(
            f"your bundle has {len(bundle.balances)} balances, but the attestation has "
            f"{len(manifest.assets)} assets"
        )
    tree = manifest.tree
    if bundle.batch >= tree.batches:
        raise VerificationError(
            f"your bundle places you in batch {bundle.batch}, but the attestation has "
            f"{tree.batches} batches"
        )
    first = bundle.batch * tree.batch_size
    if not first <= bundle.leaf < first + tree.batch_size:
        raise VerificationError(
            f"your bundle places you at leaf {bundle.leaf}, which is not in batch "
            f"{bundle.batch} (leaves {first} to {first + tree.batch_size - 1})"
        )
    depth = tree.batch_depth + tree.top_depth
    if len(bundle.path) != depth:
        raise VerificationError(
            f"the path in your bundle has the wrong length: expected {depth} levels "
            f"({tree.batch_depth} in the batch, {tree.top_depth} above it), got "
            f"{len(bundle.path)}"
        )
    for level, siblings in enumerate(bundle.path):
        if len(siblings) != tree.arity - 1:
            raise VerificationError(
                f"level {level} of the path in your bundle: expected {tree.arity - 1} "
                f"siblings, got {len(siblings)}"
            )


def _check_tree_shape(manifest: Manifest, arity: int, levels: list[list[int]]) -> None:
    """Raise unless tree.json has the shape of the manifest's top of the tree."""
    tree = manifest.tree
    if arity != tree.arity:
        raise VerificationError(f"{TREE} has arity {arity}, but {MANIFEST} says {tree.arity}")
    if tree.top_depth != (needed := top_depth_for(tree.batches, arity)):
        raise VerificationError(
            f"{MANIFEST} says the top of the tree has {tree.top_depth} levels, but "
            f"{tree.batches} batches of arity {arity} need exactly {needed}"
        )
    if len(levels) != tree.top_depth + 1:
        raise VerificationError(
            f"{TREE} has {len(levels)} levels, expected {tree.top_depth + 1} (batch slots to root)"
        )
    for depth, level in enumerate(levels):
        if len(level) != (width := arity ** (tree.top_depth - depth)):
            raise VerificationError(
                f"{TREE} level {depth} has {len(level)} nodes, expected {width}"
            )


def user_steps(read: Reader, code_text: str, backend: CryptoBackend) -> UserCheck:
    """Return the check of the code ``code_text`` over the files ``read`` returns.

    Raises ``InvalidCode`` if the code is malformed or has a typo, before anything is read.
    For a caller that shows each step as it runs (the browser): run ``check.steps`` one
    by one with ``verifier.report.run_step``, then show ``check.bundle``.
    """
    return UserCheck(read, parse_code(code_text), backend)


@dataclass(frozen=True)
class UserReport:
    """The outcome of the account holder's check."""

    manifest: Manifest | None
    #: The opened bundle, or None if step 1 failed.
    bundle: Bundle | None
    results: tuple[StepResult, ...]

    @property
    def passed(self) -> bool:
        """Return whether every step passed."""
        return passed(self.results)

    def user_json(self) -> dict[str, Any] | None:
        """Return the user's id and balances (in whole tokens and in units), if known."""
        if self.bundle is None or self.manifest is None:
            return None
        return {
            "user_id": self.bundle.user_id,
            "balances": [
                {
                    "asset": asset.symbol,
                    "amount": format_units(units, asset.decimals),
                    "units": str(units),
                }
                for asset, units in zip(self.manifest.assets, self.bundle.balances, strict=True)
            ],
        }

    def to_json(self) -> dict[str, Any]:
        """Return ``{"passed", "user", "steps"}``."""
        return {"passed": self.passed, "user": self.user_json(), "steps": to_json(self.results)}


def verify_user(read: Reader, code_text: str, backend: CryptoBackend) -> UserReport:
    """Return the report of all six steps of the code ``code_text``; raises
    ``InvalidCode`` before anything is read if the code is malformed or has a typo."""
    return user_steps(read, code_text, backend).run()
