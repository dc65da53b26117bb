"""The account holder's check: with one code, find their account under the proven root.

Seven named steps, shown the same way by ``zkpor verify-user`` and the browser:

1. bundle                            the code opens a bundle of this attestation, in a bucket
                                     file listed in bundles/SHA256SUMS
2. leaf                              the leaf is recomputed from the user's id, salt, balances
3. path to batch root                the leaf hashes up to the root a batch proof is for
4. batch root in the published tree  that batch root hashes up to the manifest's root
5. batch proofs                      the Groth16 proofs of the user's batch and of ``samples``
                                     random other batches (or of every batch) are valid
6. accumulator chain                 the batches link from zero to the final accumulator,
                                     which opens to the published liabilities
7. trusted setup                     the keys come from a checked ceremony (as step 9 of
                                     ``zkpor verify``); a development setup fails

The report says exactly what was checked: step 5 names the batches whose proofs it
verified and the ones it did not, and step 6 says the published liabilities are proven
only if every batch proof was verified in this run (otherwise an unverified batch could
carry any totals into the chain).

Files come only through ``read(name)``, as in ``verifier.attestation``; each file is read
once, and each file a step parses must hash to the sha256 the manifest lists (the user's
bucket file: to the one ``bundles/SHA256SUMS`` lists). The code is parsed before anything
is read, so a typo costs no fetch. Nothing secret (code, salt) ever goes into a step detail.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from verifier.attestation import (
    PROGRESS_CHUNK,
    Reader,
    batch_entries,
    check_asset_count,
    check_chain,
    check_totals,
    proof_of,
    read_manifest,
    read_vk,
)
from verifier.bundle import Bundle, CryptoBackend, open_bundle
from verifier.ceremony import TRANSCRIPT, check_setup, check_setup_files, parse_transcript
from verifier.codes import parse_code
from verifier.errors import VerificationError
from verifier.groth16 import Proof, VerifyingKey, verify_many
from verifier.manifest import (
    BUNDLE_SUMS,
    MANIFEST,
    PROOFS,
    SETUP_INSECURE_DEV,
    TREE,
    VK,
    BatchEntry,
    Manifest,
    format_units,
    parse_tree,
)
from verifier.manifest2 import is_zkpor2, remember_manifest
from verifier.protocol import (
    BALANCE_BITS,
    id_commitment,
    leaf_hash,
    top_depth_for,
    user_id_to_field,
)
from verifier.report import Step, StepResult, passed, run_steps, to_json
from verifier.strict_json import show
from verifier.user2 import UserCheck2, UserReport2
from verifier.user_common import SAMPLES as SAMPLES
from verifier.user_common import UserCheckFiles
from verifier.user_common import UserOptions as UserOptions
from verifier.user_common import _batches as _batches
from verifier.user_common import _in_published_figures as _in_published_figures
from verifier.user_common import _short as _short
from verifier.user_common import hash_up as hash_up

USER_STEP_NAMES = (
    "bundle",
    "leaf",
    "path to batch root",
    "batch root in the published tree",
    "batch proofs",
    "accumulator chain",
    "trusted setup",
)
#: The exact words of a claim the check makes only when every batch proof was verified
#: in the run: tests look for them.
TOTALS_PROVEN = "the published liabilities are proven"


class UserCheck(UserCheckFiles[Manifest, Bundle]):
    """The check of one code against one attestation: its steps and what they found.

    ``manifest`` is set once step 1 has read it, ``bundle`` once step 1 has opened it and
    found it consistent with the manifest: never a part of a bundle. After step 5,
    ``proof_status`` maps each batch whose proof was judged to ``OK`` or ``FAIL``.
    """

    def __init__(
        self,
        read: Reader,
        code: bytes,
        backend: CryptoBackend,
        options: UserOptions | None = None,
    ) -> None:
        super().__init__(read, code, backend, options)
        self.proof_status: dict[int, str] = {}

    @property
    def steps(self) -> list[Step]:
        """Return the seven ``(name, check)`` steps, to be run in order."""
        checks = (
            self._check_bundle,
            self._check_leaf,
            self._check_batch_path,
            self._check_top_path,
            self._check_proofs,
            self._check_chain,
            self._check_setup,
        )
        return [
            (name, partial(self._run, number, check))
            for number, (name, check) in enumerate(zip(USER_STEP_NAMES, checks, strict=True), 1)
        ]

    def run(self) -> UserReport:
        """Return the report of running every step, in order."""
        results = run_steps(self.steps)
        return self.report(results)

    def report(self, results: Sequence[StepResult]) -> UserReport:
        """Return the report of ``results``, the outcomes of this check's steps."""
        return UserReport(
            self.manifest, self.bundle, tuple(results), dict(sorted(self.proof_status.items()))
        )

    @property
    def every_proof_verified(self) -> bool:
        """Return whether this run verified the proof of every batch, and all held."""
        batches = self.manifest.tree.batches if self.manifest else 0
        ok = [batch for batch, status in self.proof_status.items() if status == "OK"]
        return batches > 0 and sorted(ok) == list(range(batches))

    # --- what earlier steps found ---------------------------------------------------------

    def _need_bundle(self) -> tuple[Manifest, Bundle]:
        return self._need_opened()

    def _entries(self, manifest: Manifest) -> list[BatchEntry]:
        return self._load(PROOFS, lambda: batch_entries(self._files, manifest.tree.batches))

    # --- 1. bundle ------------------------------------------------------------------------

    def _check_bundle(self) -> str:
        """Step 1: the code opens a bundle that fits this attestation's tree, from a bucket
        file whose sha256 bundles/SHA256SUMS (hashed in the manifest) lists."""
        manifest, difference = read_manifest(self._files)
        if difference is not None and not _in_published_figures(difference):
            raise VerificationError(difference.message)
        # A published figure that differs from what its fields give is the liabilities'
        # problem, not the bundle's: step 6, which checks the published liabilities, fails
        # with it (a tampered file is reported under the step that reads what it changed).
        self._figures_difference = difference
        self.manifest = manifest
        if manifest.bundles is None:
            raise VerificationError(
                f"{MANIFEST} has no per-user bundles: this attestation cannot be checked "
                "with a code"
            )
        before = set(self._bytes)
        bundle = open_bundle(
            self._read_once, manifest.bundles, manifest.attestation_id, self._code, self._backend
        )
        buckets = sorted(n for n in set(self._bytes) - before if n.startswith("bundles/"))
        if len(buckets) != 1:
            raise VerificationError(f"expected one bucket file to be read, got {len(buckets)}")
        self._check_bucket_listed(buckets[0])
        _check_fits(bundle, manifest)
        self.bundle = bundle
        return (
            f"bundle found in {buckets[0]} (as listed in {BUNDLE_SUMS}) for leaf {bundle.leaf} "
            f"of batch {bundle.batch}"
        )

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

    # --- 5. batch proofs ------------------------------------------------------------------

    def _chosen_batches(self, batches: int, own: int) -> list[int]:
        """Return the other batches to verify: all of them, or ``samples`` chosen by the OS
        (``crypto.getRandomValues`` under Pyodide), which the publisher cannot predict."""
        others = [batch for batch in range(batches) if batch != own]
        if self._options.check_all:
            return others
        rng = self._options.rng or secrets.SystemRandom()
        return sorted(rng.sample(others, min(max(self._options.samples, 0), len(others))))

    def _check_proofs(self) -> str:
        """Step 5: the Groth16 proofs of the user's batch and of the chosen others are
        valid, checked together (``verify_many``) in chunks that report progress."""
        manifest, bundle = self._need_bundle()
        entries = self._entries(manifest)
        vk = self._load(VK, lambda: read_vk(self._files))
        chosen = self._chosen_batches(len(entries), bundle.batch)
        order = [bundle.batch, *chosen]
        items: list[tuple[Sequence[int], Proof]] = [
            (entries[b].public, proof_of(entries[b])) for b in order
        ]
        self._verify_in_chunks(vk, order, items)
        unchecked = [b for b in range(len(entries)) if b not in self.proof_status]
        if not unchecked:
            total = len(entries)
            return f"all {total} batch proofs are valid, yours (batch {bundle.batch}) included"
        if not chosen:
            checked = f"the Groth16 proof of your batch {bundle.batch} is valid"
        else:
            checked = (
                f"the Groth16 proofs of your batch {bundle.batch} and of {_batches(chosen)} "
                "(chosen at random) are valid"
            )
        return f"{checked}; {_batches(unchecked)} not checked in this run"

    def _verify_in_chunks(
        self, vk: VerifyingKey, order: list[int], items: list[tuple[Sequence[int], Proof]]
    ) -> None:
        """Verify ``items`` (the proofs of batches ``order``), recording each verdict."""
        progress = self._options.on_proofs
        chunk = PROGRESS_CHUNK if progress else max(len(items), 1)
        own = order[0]
        for start in range(0, len(items), chunk):
            try:
                verify_many(vk, items[start : start + chunk])
            except VerificationError as exc:
                index = getattr(exc, "index", None)
                if index is None:
                    raise VerificationError(f"the proofs cannot be checked: {exc}") from exc
                # verify_many checked the proofs before the bad one on their own.
                for batch in order[start : start + index]:
                    self.proof_status[batch] = "OK"
                bad = order[start + index]
                self.proof_status[bad] = "FAIL"
                whose = "your batch" if bad == own else "batch"
                raise VerificationError(f"{whose} {bad} is not proven: {exc}") from exc
            for batch in order[start : start + chunk]:
                self.proof_status[batch] = "OK"
            if progress:
                progress(min(start + chunk, len(items)), len(items))

    # --- 6. accumulator chain -------------------------------------------------------------

    def _check_chain(self) -> str:
        """Step 6: the batches link from acc_0 to the final accumulator, which opens to
        the published liabilities. That proves the totals only if every batch proof held:
        an unverified batch could go from any accumulator to any other."""
        manifest = self._need_manifest()
        if self._figures_difference is not None:
            raise VerificationError(
                f"the published liabilities are not consistent: {self._figures_difference.message}"
            )
        entries = self._entries(manifest)
        check_chain(manifest, entries)
        check_totals(manifest)
        links = (
            f"{len(entries)} batches link from zero to the final accumulator, which opens to "
            "the published liabilities"
        )
        if self.every_proof_verified:
            return f"{links}; with every batch proof verified in this run, {TOTALS_PROVEN}"
        verified = sum(1 for status in self.proof_status.values() if status == "OK")
        return (
            f"{links}; only {verified} of {len(entries)} batch proofs were verified in this "
            "run, so the totals are NOT proven by it (an unverified batch could add any "
            "amount): verify every batch (zkpor verify-user --all, or Verify all) for that"
        )

    # --- 7. trusted setup -----------------------------------------------------------------

    def _check_setup(self) -> str:
        """Step 7: the keys come from a ceremony whose transcript (listed and hashed in the
        manifest, ``check_setup_files``) checks and fixed vk.json, on a known phase 1; a
        development setup fails."""
        manifest = self._need_manifest()
        check_setup_files(manifest.setup_kind, manifest.files)
        vk = self._load(VK, lambda: read_vk(self._files))
        if manifest.setup_kind != SETUP_INSECURE_DEV:
            self._load(TRANSCRIPT, lambda: None)
        allow = self._options.allow_unknown_phase1 or self._phase1_listed()
        return check_setup(
            self._files.bytes,
            manifest.setup_kind,
            vk,
            manifest.circuit_id,
            allow_unknown_phase1=allow,
        )

    def _phase1_listed(self) -> bool:
        """Return whether the transcript's phase-1 file is in ``extra_known_phase1``."""
        extra = self._options.extra_known_phase1
        if not extra or self.manifest is None or self.manifest.setup_kind == SETUP_INSECURE_DEV:
            return False
        return parse_transcript(self._files.bytes(TRANSCRIPT)).header.ptau.blake2b in extra


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


def user_steps(
    read: Reader, code_text: str, backend: CryptoBackend, options: UserOptions | None = None
) -> UserCheck:
    """Return the check of the code ``code_text`` over the files ``read`` returns.

    Raises ``InvalidCode`` if the code is malformed or has a typo, before anything is read.
    For a caller that shows each step as it runs (the browser): run ``check.steps`` one
    by one with ``verifier.report.run_step``, then show ``check.bundle``.
    """
    return UserCheck(read, parse_code(code_text), backend, options)


@dataclass(frozen=True)
class UserReport:
    """The outcome of the account holder's check."""

    manifest: Manifest | None
    #: The opened bundle, or None if step 1 failed.
    bundle: Bundle | None
    results: tuple[StepResult, ...]
    #: batch -> "OK" / "FAIL" for every batch whose proof step 5 judged
    proof_status: dict[int, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Return whether every step passed."""
        return passed(self.results)

    @property
    def totals_proven(self) -> bool:
        """Return whether this run proved the published liabilities: every step passed
        and every batch's proof was verified in it."""
        batches = self.manifest.tree.batches if self.manifest else 0
        ok = sorted(b for b, status in self.proof_status.items() if status == "OK")
        return self.passed and batches > 0 and ok == list(range(batches))

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
        """Return ``{"passed", "totals_proven", "proofs", "user", "steps"}``; ``proofs``
        lists the batches whose proofs were judged, with their verdict."""
        return {
            "passed": self.passed,
            "totals_proven": self.totals_proven,
            "proofs": [{"batch": b, "status": s} for b, s in sorted(self.proof_status.items())],
            "user": self.user_json(),
            "steps": to_json(self.results),
        }


def verify_user(
    read: Reader, code_text: str, backend: CryptoBackend, options: UserOptions | None = None
) -> UserReport | UserReport2:
    """Return the report of all seven steps of the code ``code_text``; raises
    ``InvalidCode`` before anything is read if the code is malformed or has a typo.
    A zkpor/2 manifest is checked by ``verifier.user2`` (its ``UserReport2``)."""
    return any_user_steps(read, code_text, backend, options).run()


def any_user_steps(
    read: Reader, code_text: str, backend: CryptoBackend, options: UserOptions | None = None
) -> UserCheck | UserCheck2:
    """Return the check of ``code_text`` for the attestation's format: ``UserCheck2``
    (``verifier.user2``) for a zkpor/2 manifest, ``UserCheck`` otherwise. The code is
    parsed first (``InvalidCode`` before anything is read); the manifest is then read
    once, for the format and for the check."""
    code = parse_code(code_text)
    read = remember_manifest(read)
    if is_zkpor2(read):
        return UserCheck2(read, code, backend, options)
    return UserCheck(read, code, backend, options)
