"""The account holder's check of a zkpor/2 attestation: one code, one account of the book.

Seven named steps, as ``verifier.user``'s for zkpor/1 (``verifier.user.verify_user`` and
``any_user_steps`` here dispatch on the manifest's ``format``):

1. bundle                            the code opens a v2 bundle of this attestation, in a
                                     bucket listed in bundles/SHA256SUMS, that fits a shape
2. leaf                              ``leaf2_hash(H(ID, uid, salt), entries, K)`` is the leaf
                                     committed to; entries sorted, in range, at most K
3. path to batch root                the leaf hashes up to the root its batch proof is for
4. batch root in the published tree  that root hashes up to the shape's published root
5. batch proofs                      the proofs of the user's batch and of ``samples`` random
                                     other batches of any shape (or of every batch) are valid
6. totals                            the totals identity holds and β, γ are derived; the
                                     published totals are proven only if every batch proof
                                     was verified in this run
7. trusted setup                     every shape's key comes from its checked ceremony

Then the report shows, per asset held: equity and debt (units and tokens), the collateral
value of the equity and the value of the debt in the quote (``verifier.book``), and the
account's margin ratio. Nothing secret (code, salt) goes into a step detail.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from verifier.attestation2 import (
    batch_entries2,
    batch_inputs,
    check_setup2,
    check_setup_files2,
    check_totals2,
    folded_key,
    read_manifest2,
    read_vk2,
)
from verifier.attestation_files import (
    PROGRESS_CHUNK,
    Reader,
    proof_of,
)
from verifier.book import account_values, check_entries, leaf2_hash
from verifier.bundle import Bundle2, CryptoBackend, open_bundle2
from verifier.ceremony_format import parse_transcript
from verifier.codes import parse_code
from verifier.errors import VerificationError
from verifier.groth16 import Proof, VerifyingKey, verify_many
from verifier.manifest import (
    BUNDLE_SUMS,
    MANIFEST,
    SETUP_INSECURE_DEV,
    BatchEntry,
    coverage_ratio,
    format_units,
    parse_tree,
)
from verifier.manifest2 import Manifest2, Shape2
from verifier.protocol import id_commitment, user_id_to_field
from verifier.report import Step, StepResult, passed, run_steps, to_json
from verifier.user_common import (
    UserCheckFiles,
    UserOptions,
    _in_published_figures,
    _short,
    hash_up,
)

USER_STEP_NAMES2 = (
    "bundle",
    "leaf",
    "path to batch root",
    "batch root in the published tree",
    "batch proofs",
    "totals",
    "trusted setup",
)
#: What a passed check that verified every batch proof establishes about the account.
STATEMENT = "your net balance is non-negative and counted in every asset's totals"
#: What a passed check establishes when it verified only the account's batch and samples:
#: another batch's proof, unverified here, could offset any amount in the totals.
STATEMENT_SAMPLED = (
    "your net balance is non-negative and your account is in a proven batch under the "
    "published root; that it is counted in every asset's totals is proven only when every "
    "batch proof is verified (Verify all, or zkpor verify-user --all)"
)


def statement(passed: bool, totals_proven: bool) -> str | None:
    """Return what a run established about the account, claiming no more than it checked:
    nothing unless every step passed, the totals only if every batch proof was verified."""
    if not passed:
        return None
    return STATEMENT if totals_proven else STATEMENT_SAMPLED
#: The exact words of a claim made only when every batch proof was verified in the run.
TOTALS_PROVEN = "the published totals are proven"
#: A batch of one shape: (slots K, batch j).
BatchKey = tuple[int, int]


def _key_name(key: BatchKey) -> str:
    return f"K = {key[0]} batch {key[1]}"


class UserCheck2(UserCheckFiles[Manifest2, Bundle2]):
    """The check of one code against one zkpor/2 attestation (as ``verifier.user.UserCheck``).

    ``proof_status`` maps each ``(K, batch)`` whose proof step 5 judged to OK / FAIL.
    """

    def __init__(
        self,
        read: Reader,
        code: bytes,
        backend: CryptoBackend,
        options: UserOptions | None = None,
    ) -> None:
        super().__init__(read, code, backend, options)
        self.proof_status: dict[BatchKey, str] = {}

    @property
    def steps(self) -> list[Step]:
        """Return the seven ``(name, check)`` steps, to be run in order."""
        checks = (
            self._check_bundle,
            self._check_leaf,
            self._check_batch_path,
            self._check_top_path,
            self._check_proofs,
            self._check_totals,
            self._check_setup,
        )
        return [
            (name, partial(self._run, number, check))
            for number, (name, check) in enumerate(zip(USER_STEP_NAMES2, checks, strict=True), 1)
        ]

    def run(self) -> UserReport2:
        return self.report(run_steps(self.steps))

    def report(self, results: Sequence[StepResult]) -> UserReport2:
        return UserReport2(
            self.manifest, self.bundle, tuple(results), dict(sorted(self.proof_status.items()))
        )

    @property
    def every_proof_verified(self) -> bool:
        return _all_verified(self.manifest, self.proof_status)

    # --- what earlier steps found ---------------------------------------------------------

    def _need_bundle(self) -> tuple[Manifest2, Bundle2, Shape2]:
        manifest, bundle = self._need_opened()
        shape = manifest.shape(bundle.slots)
        assert shape is not None  # step 1 checked it
        return manifest, bundle, shape

    def _entries(self, shape: Shape2) -> list[BatchEntry]:
        return self._load(shape.proofs, lambda: batch_entries2(self._files, shape))

    def _vk(self, manifest: Manifest2, shape: Shape2) -> VerifyingKey:
        return self._load(shape.vk, lambda: read_vk2(self._files, shape, manifest.n_public))

    # --- 1. bundle ------------------------------------------------------------------------

    def _check_bundle(self) -> str:
        """Step 1: the code opens a v2 bundle from a listed bucket, fitting a shape."""
        manifest, difference = read_manifest2(self._files)
        if difference is not None and not _in_published_figures(difference):
            raise VerificationError(difference.message)
        self._figures_difference = difference
        self.manifest = manifest
        if manifest.bundles is None:
            raise VerificationError(
                f"{MANIFEST} has no per-user bundles: this attestation cannot be checked "
                "with a code"
            )
        before = set(self._bytes)
        bundle = open_bundle2(
            self._read_once, manifest.bundles, manifest.attestation_id, self._code, self._backend
        )
        buckets = sorted(n for n in set(self._bytes) - before if n.startswith("bundles/"))
        if len(buckets) != 1:
            raise VerificationError(f"expected one bucket file to be read, got {len(buckets)}")
        self._check_bucket_listed(buckets[0])
        check_fits2(bundle, manifest)
        self.bundle = bundle
        return (
            f"bundle found in {buckets[0]} (as listed in {BUNDLE_SUMS}) for leaf {bundle.leaf} "
            f"of batch {bundle.batch} of shape K = {bundle.slots}"
        )

    # --- 2. leaf --------------------------------------------------------------------------

    def _check_leaf(self) -> str:
        """Step 2: recompute ``leaf2_hash`` from the id, salt and entries."""
        manifest, bundle, shape = self._need_bundle()
        try:
            check_entries(bundle.entries, shape.slots, len(manifest.registry.assets))
        except ValueError as exc:
            raise VerificationError(f"your bundle's entries are not an account's: {exc}") from exc
        idc = id_commitment(user_id_to_field(bundle.user_id), bundle.salt)
        leaf = leaf2_hash(idc, bundle.entries, shape.slots)
        if leaf != bundle.leaf_hash:
            raise VerificationError(
                f"your id, salt and entries hash to the leaf {_short(leaf)}, but the custodian "
                f"committed to the leaf {_short(bundle.leaf_hash)}: the bundle does not "
                "describe the account that was proven"
            )
        self._leaf = leaf
        return (
            f"leaf {_short(leaf)} recomputed from your id, salt and {len(bundle.entries)} "
            f"entries (of at most {shape.slots})"
        )

    # --- 3. path to batch root ------------------------------------------------------------

    def _check_batch_path(self) -> str:
        """Step 3: the leaf and the in-batch path hash to the root batch j is proven for."""
        _, bundle, shape = self._need_bundle()
        leaf = self._need_leaf()
        entries = self._entries(shape)
        nodes = hash_up(leaf, bundle.leaf, bundle.path[: shape.batch_depth], shape.arity)
        root = nodes[-1] if nodes else leaf
        proven = entries[bundle.batch].public[0]
        if root != proven:
            raise VerificationError(
                f"your leaf and path hash to {_short(root)}, but the proof of batch "
                f"{bundle.batch} in {shape.proofs} is for root {_short(proven)}: your account "
                "is not in the batch that was proven"
            )
        return (
            f"your leaf hashes up {shape.batch_depth} levels to the root of batch "
            f"{bundle.batch} in {shape.proofs}"
        )

    # --- 4. batch root in the published tree ----------------------------------------------

    def _check_top_path(self) -> str:
        """Step 4: the proven batch root is in the shape's tree file and hashes up to the
        shape's published root."""
        _, bundle, shape = self._need_bundle()
        entries = self._entries(shape)
        arity, levels = self._load(shape.tree, lambda: parse_tree(self._files.json(shape.tree)))
        if (
            arity != shape.arity
            or len(levels) != shape.top_depth + 1
            or any(
                len(level) != arity ** (shape.top_depth - depth)
                for depth, level in enumerate(levels)
            )
        ):
            raise VerificationError(
                f"{shape.tree} is not the top of a tree of {shape.batches} batches of arity "
                f"{shape.arity}"
            )
        slot = levels[0][bundle.batch]
        proven = entries[bundle.batch].public[0]
        if slot != proven:
            raise VerificationError(
                f"{shape.tree} level 0 slot {bundle.batch} is {_short(slot)}, but the proof of "
                f"batch {bundle.batch} is for root {_short(proven)}"
            )
        nodes = hash_up(slot, bundle.batch, bundle.path[shape.batch_depth :], arity)
        for depth, node in enumerate(nodes, 1):
            index = bundle.batch // arity**depth
            if levels[depth][index] != node:
                raise VerificationError(
                    f"your path gives {_short(node)} at {shape.tree} level {depth} slot {index}, "
                    f"but {shape.tree} has {_short(levels[depth][index])}"
                )
        root = nodes[-1] if nodes else slot
        if root != shape.root:
            raise VerificationError(
                f"your path reaches root {_short(root)}, but {MANIFEST} publishes root "
                f"{_short(shape.root)} for shape K = {shape.slots}"
            )
        return (
            f"the root of batch {bundle.batch} hashes up {shape.top_depth} levels to the "
            f"published root of shape K = {shape.slots}"
        )

    # --- 5. batch proofs ------------------------------------------------------------------

    def _chosen(self, manifest: Manifest2, own: BatchKey) -> list[BatchKey]:
        others = [(s.slots, j) for s in manifest.shapes for j in range(s.batches)]
        others.remove(own)
        if self._options.check_all:
            return others
        rng: random.Random = self._options.rng or secrets.SystemRandom()
        return sorted(rng.sample(others, min(max(self._options.samples, 0), len(others))))

    def _check_proofs(self) -> str:
        """Step 5: the proofs of the user's batch and of the chosen others are valid (per
        shape, with the registry folded into the shape's key once)."""
        manifest, bundle, _ = self._need_bundle()
        own = (bundle.slots, bundle.batch)
        chosen = self._chosen(manifest, own)
        order = [own, *chosen]
        total = len(order)
        done = [0]
        progress = self._options.on_proofs
        registry = manifest.registry.public_inputs
        for shape in manifest.shapes:
            keys = [k for k in order if k[0] == shape.slots]
            if not keys:
                continue
            entries = self._entries(shape)
            key = folded_key(self._vk(manifest, shape), registry, None)
            items: list[tuple[Sequence[int], Proof]] = [
                (batch_inputs(entries[j], manifest.beta, manifest.gamma), proof_of(entries[j]))
                for _, j in keys
            ]
            chunk = PROGRESS_CHUNK if progress else max(len(items), 1)
            for start in range(0, len(items), chunk):
                part = keys[start : start + chunk]
                try:
                    verify_many(key, items[start : start + chunk])
                except VerificationError as exc:
                    index = getattr(exc, "index", None)
                    if index is None:
                        raise VerificationError(f"the proofs cannot be checked: {exc}") from exc
                    for k in part[:index]:
                        self.proof_status[k] = "OK"
                    bad = part[index]
                    self.proof_status[bad] = "FAIL"
                    whose = "your batch" if bad == own else "batch"
                    raise VerificationError(
                        f"{whose} {bad[1]} of shape K = {bad[0]} is not proven: {exc}"
                    ) from exc
                for k in part:
                    self.proof_status[k] = "OK"
                done[0] += len(part)
                if progress:
                    progress(done[0], total)
        all_batches = sum(s.batches for s in manifest.shapes)
        if len(self.proof_status) == all_batches:
            return f"all {all_batches} batch proofs are valid, yours ({_key_name(own)}) included"
        unchecked = all_batches - len(self.proof_status)
        if not chosen:
            checked = f"the Groth16 proof of your batch ({_key_name(own)}) is valid"
        else:
            others = "; ".join(_key_name(k) for k in chosen)
            checked = (
                f"the Groth16 proofs of your batch ({_key_name(own)}) and of {others} (chosen "
                "at random) are valid"
            )
        others_left = f"{unchecked} other batch{'es' if unchecked > 1 else ''}"
        return f"{checked}; {others_left} not checked in this run"

    # --- 6. totals ------------------------------------------------------------------------

    def _check_totals(self) -> str:
        """Step 6: the totals identity and the derived challenges; the totals are proven
        only if every batch proof held in this run."""
        manifest = self._need_manifest()
        if self._figures_difference is not None:
            raise VerificationError(
                f"the published totals are not consistent: {self._figures_difference.message}"
            )
        entries = {s.slots: self._entries(s) for s in manifest.shapes}
        detail = check_totals2(manifest, entries)
        if self.every_proof_verified:
            return f"{detail}; with every batch proof verified in this run, {TOTALS_PROVEN}"
        verified = sum(1 for status in self.proof_status.values() if status == "OK")
        total = sum(s.batches for s in manifest.shapes)
        return (
            f"{detail}; only {verified} of {total} batch proofs were verified in this run, so "
            "the totals are NOT proven by it (an unverified batch could add any amount): "
            "verify every batch (zkpor verify-user --all, or Verify all) for that"
        )

    # --- 7. trusted setup -----------------------------------------------------------------

    def _check_setup(self) -> str:
        """Step 7: every shape's key comes from its checked ceremony; a development setup
        fails."""
        manifest = self._need_manifest()
        check_setup_files2(manifest)
        vks = {s.slots: self._vk(manifest, s) for s in manifest.shapes}
        if manifest.setup_kind != SETUP_INSECURE_DEV:
            for s in manifest.shapes:
                self._load(s.ceremony, lambda: None)
        allow = self._options.allow_unknown_phase1 or self._phase1_listed(manifest)
        return check_setup2(self._files.bytes, manifest, vks, allow_unknown_phase1=allow)

    def _phase1_listed(self, manifest: Manifest2) -> bool:
        extra = self._options.extra_known_phase1
        if not extra or manifest.setup_kind == SETUP_INSECURE_DEV:
            return False
        return all(
            parse_transcript(self._files.bytes(s.ceremony)).header.ptau.blake2b in extra
            for s in manifest.shapes
        )


def _all_verified(manifest: Manifest2 | None, status: dict[BatchKey, str]) -> bool:
    if manifest is None:
        return False
    every = [(s.slots, j) for s in manifest.shapes for j in range(s.batches)]
    return bool(every) and all(status.get(k) == "OK" for k in every)


def check_fits2(bundle: Bundle2, manifest: Manifest2) -> None:
    """Raise unless the bundle's shape exists and its leaf, batch and path fit that shape's
    tree: a bundle is shown only once all of it fits."""
    shape = manifest.shape(bundle.slots)
    if shape is None:
        raise VerificationError(
            f"your bundle is for accounts of {bundle.slots} slots, but the attestation has "
            f"no such shape ({', '.join(str(s.slots) for s in manifest.shapes)})"
        )
    if bundle.batch >= shape.batches:
        raise VerificationError(
            f"your bundle places you in batch {bundle.batch}, but shape K = {shape.slots} has "
            f"{shape.batches} batches"
        )
    first = bundle.batch * shape.batch_size
    if not first <= bundle.leaf < first + shape.batch_size:
        raise VerificationError(
            f"your bundle places you at leaf {bundle.leaf}, which is not in batch "
            f"{bundle.batch} (leaves {first} to {first + shape.batch_size - 1})"
        )
    depth = shape.batch_depth + shape.top_depth
    if len(bundle.path) != depth:
        raise VerificationError(
            f"the path in your bundle has the wrong length: expected {depth} levels "
            f"({shape.batch_depth} in the batch, {shape.top_depth} above it), got "
            f"{len(bundle.path)}"
        )
    for level, siblings in enumerate(bundle.path):
        if len(siblings) != shape.arity - 1:
            raise VerificationError(
                f"level {level} of the path in your bundle: expected {shape.arity - 1} "
                f"siblings, got {len(siblings)}"
            )


def holdings(manifest: Manifest2, bundle: Bundle2) -> dict[str, Any]:
    """Return the account's figures: per asset held its equity and debt (units, tokens),
    the collateral value of the equity and the value of the debt in the quote; the
    account's totals and margin ratio (collateral value / debt value, or "no debt")."""
    registry = manifest.registry
    tables = registry.tier_tables
    # account_values counts x 100 in value units of 10^-(q+s) quote: 10^-(q+s+2) quote.
    decimals = registry.value_decimals + 2
    quote = registry.quote_symbol
    assets = []
    for a, equity, debt in bundle.entries:
        info = manifest.assets[a]
        collateral, owed = account_values([(a, equity, debt)], tables)
        assets.append(
            {
                "index": a,
                "symbol": info.symbol,
                "decimals": info.decimals,
                "equity": str(equity),
                "equity_amount": format_units(equity, info.decimals),
                "debt": str(debt),
                "debt_amount": format_units(debt, info.decimals),
                "collateral_value": format_units(collateral, decimals),
                "debt_value": format_units(owed, decimals),
            }
        )
    collateral, owed = account_values(bundle.entries, tables)
    return {
        "quote": quote,
        "price_source": registry.price_source,
        "assets": assets,
        "collateral_value": format_units(collateral, decimals),
        "debt_value": format_units(owed, decimals),
        "margin_ratio": coverage_ratio(collateral, owed) or "no debt",
    }


@dataclass(frozen=True)
class UserReport2:
    """The outcome of the account holder's zkpor/2 check."""

    manifest: Manifest2 | None
    bundle: Bundle2 | None
    results: tuple[StepResult, ...]
    proof_status: dict[BatchKey, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return passed(self.results)

    @property
    def totals_proven(self) -> bool:
        return self.passed and _all_verified(self.manifest, self.proof_status)

    def user_json(self) -> dict[str, Any] | None:
        """Return the user's id, where the account is, and its figures (``holdings``)."""
        if self.bundle is None or self.manifest is None:
            return None
        return {
            "user_id": self.bundle.user_id,
            "slots": self.bundle.slots,
            "batch": self.bundle.batch,
            "leaf": self.bundle.leaf,
            **holdings(self.manifest, self.bundle),
        }

    def to_json(self) -> dict[str, Any]:
        """Return ``{"format", "passed", "totals_proven", "statement", "proofs", "user",
        "steps"}``; ``statement`` as ``statement(passed, totals_proven)``."""
        return {
            "format": "zkpor/2",
            "passed": self.passed,
            "totals_proven": self.totals_proven,
            "statement": statement(self.passed, self.totals_proven),
            "proofs": [
                {"slots": k, "batch": j, "status": s}
                for (k, j), s in sorted(self.proof_status.items())
            ],
            "user": self.user_json(),
            "steps": to_json(self.results),
        }


def user2_steps(
    read: Reader, code_text: str, backend: CryptoBackend, options: UserOptions | None = None
) -> UserCheck2:
    """Return the zkpor/2 check of ``code_text`` (``InvalidCode`` before any read)."""
    return UserCheck2(read, parse_code(code_text), backend, options)
