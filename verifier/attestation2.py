"""The reviewer's full check of a zkpor/2 attestation directory, as nine named steps.

``verifier.attestation.attestation_steps`` (what ``zkpor verify`` and the browser call)
runs these when the manifest says ``"format": "zkpor/2"``; the machinery (``Step``,
``StepResult``, ``run_steps``, the progress callback, files read once through ``read``) is
zkpor/1's. Steps (docs/protocol.md §16):

1. manifest and file hashes   the manifest is what zkpor/2 writes from its fields, its
                              registry one zkpor/2 can prove; every listed file hashes
                              to its sha256, and every shape's key, proofs and tree are listed
2. verification keys          each ``vk-s{K}.json`` parses and takes ``5 + A (3T - 1)`` inputs
3. batch proofs               every batch proof of every shape is valid for
                              ``[root_j, c_j, s_j, β, γ, *registry]`` (published β, γ): the
                              registry part of vk_x is folded once per shape into a key of
                              five inputs, after the shape's key passed its point checks
4. totals                     ``Σ s_j - M = Σ_a (E_a + γ D_a) / (β - a)`` with the published
                              figures, and ``(β, γ)`` are the ones ``verifier.book.challenges``
                              derives from everything they must not adapt to
5. trees                      per shape, ``tree-s{K}.json`` is the top of the tree over the
                              proven batch roots, up to the shape's root
6. bundle files               as zkpor/1 step 7
7. reserves                   as zkpor/1 step 8, each asset's liability being ``max(net, 0)``
8. trusted setup              per shape, ``ceremony-s{K}.json`` fixed ``vk-s{K}.json`` for the
                              shape's circuit id (listed for every shape under a ceremony,
                              for none under a development setup)
9. co-signatures              as zkpor/1 step 10, over the zkpor/2 manifest

Pure Python (stdlib + py_ecc): importable in Pyodide.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from fractions import Fraction
from functools import partial

from verifier.attestation_files import (
    DEV_SETUP_ACCEPTED,
    PROGRESS_CHUNK,
    AttestationFiles,
    CheckedFiles,
    Difference,
    ProofProgress,
    Reader,
    _first_difference,
    _json_difference,
    check_bundle_files,
    check_cosignatures,
    check_listed_files,
    no_reserves,
    proof_of,
    vk_json,
)
from verifier.bn254 import g1_msm
from verifier.book import PUBLIC_REGISTRY, challenges, totals_identity_holds
from verifier.ceremony import TRANSCRIPT, check_setup
from verifier.ceremony_crypto import PURE_OPS, CurveOps
from verifier.ceremony_format import SETUP_CEREMONY, CeremonyError
from verifier.errors import (
    MalformedInput,
    StepSkipped,
    VerificationError,
)
from verifier.field import R
from verifier.groth16 import Proof, VerifyingKey, _check_key, verify_many
from verifier.manifest import (
    MANIFEST,
    PROOFS,
    RESERVES,
    SETUP_INSECURE_DEV,
    TREE,
    VK,
    BatchEntry,
    coverage_ratio,
    format_units,
    parse_proofs,
    parse_tree,
)
from verifier.manifest2 import Manifest2, Shape2, signed_units
from verifier.protocol import top_levels
from verifier.report import Step
from verifier.reserves import SignatureBackend, check_reserves

#: How the reserves step names a shortfall's base, where zkpor/1 says "< liabilities "
#: (the site recognises an under-covered asset by these words: publisher.site.build).
NET_SHORTFALL_WORDS = "< net (equity - debt) "
STEP_NAMES2 = (
    "manifest and file hashes",
    "verification keys",
    "batch proofs",
    "totals",
    "trees",
    "bundle files",
    "reserves",
    "trusted setup",
    "co-signatures",
)
#: The public inputs a proofs file publishes per batch; β, γ and the registry follow.
PUBLISHED_INPUTS = ("root", "c", "s")
WRITER = "zkpor/2"


def _renamed(text: str, names: dict[str, str]) -> str:
    """Return a zkpor/1 message with its file names replaced by a shape's."""
    for old, new in names.items():
        text = text.replace(old, new)
    return text


def _shape_names(shape: Shape2) -> dict[str, str]:
    return {VK: shape.vk, PROOFS: shape.proofs, TREE: shape.tree, TRANSCRIPT: shape.ceremony}


class _Attestation2(CheckedFiles[Manifest2]):
    """The files of one zkpor/2 attestation and what the steps parsed from them."""

    vks: dict[int, VerifyingKey] | None = None
    entries: dict[int, list[BatchEntry]] | None = None

    def need_vks(self) -> dict[int, VerifyingKey]:
        if self.vks is None:
            raise StepSkipped("needs the verification keys, which were rejected (step 2)")
        return self.vks

    def need_entries(self) -> dict[int, list[BatchEntry]]:
        if self.entries is None:
            raise StepSkipped(
                "needs the batches of the proofs files, which could not be read (step 3)"
            )
        return self.entries


# --- 1. manifest and file hashes -------------------------------------------------------


def read_manifest2(files: AttestationFiles) -> tuple[Manifest2, Difference | None]:
    """Return the parsed zkpor/2 manifest and the first place where it differs from the
    manifest zkpor/2 writes from its fields (None if nowhere)."""
    doc = files.json(MANIFEST)
    manifest = Manifest2.from_json(doc)
    return manifest, _json_difference(doc, manifest.to_json(), writer=WRITER)


def required_files(manifest: Manifest2) -> list[str]:
    """Return the files every zkpor/2 manifest must list: each shape's key, proofs, tree."""
    return [name for s in manifest.shapes for name in (s.vk, s.proofs, s.tree)]


def _check_manifest(files: _Attestation2) -> str:
    """Step 1: parse the manifest and check the sha256 of every file it lists."""
    manifest, difference = read_manifest2(files)
    files.manifest, files.manifest_rejected = manifest, difference
    return check_listed_files(files, manifest.files, difference, required_files(manifest))


# --- 2. verification keys --------------------------------------------------------------


def read_vk2(files: AttestationFiles, shape: Shape2, n_public: int) -> VerifyingKey:
    """Return the key of ``shape`` once it parses and takes ``n_public`` inputs."""
    name = shape.vk
    vk = vk_json(files, name)
    if vk.n_public != n_public:
        raise MalformedInput(
            f"{name} is for {vk.n_public} public inputs, but a zkpor/2 batch proof of this "
            f"registry has {n_public} (5 + A (3T - 1)): it is not this attestation's key"
        )
    return vk


def _check_vks(files: _Attestation2) -> str:
    """Step 2: every shape's key parses and takes ``5 + A (3T - 1)`` public inputs."""
    manifest = files.need_manifest()
    n = manifest.n_public
    files.vks = {s.slots: read_vk2(files, s, n) for s in manifest.shapes}
    return f"{len(manifest.shapes)} Groth16 keys for {n} public inputs (5 + A (3T - 1))"


# --- 3. batch proofs -------------------------------------------------------------------


def batch_entries2(files: AttestationFiles, shape: Shape2) -> list[BatchEntry]:
    """Return the entries of the shape's proofs file: one per batch, in batch order, each
    with the three published inputs ``[root, c, s]``."""
    name = shape.proofs
    try:
        entries = parse_proofs(files.json(name))
    except MalformedInput as exc:
        raise MalformedInput(_renamed(str(exc), {PROOFS: name})) from exc
    if len(entries) != shape.batches:
        raise MalformedInput(
            f"{name} has {len(entries)} entries, but {MANIFEST} says {shape.batches} batches"
        )
    for i, entry in enumerate(entries):
        if entry.batch != i:
            raise MalformedInput(f"{name} entry {i} is for batch {entry.batch}, expected {i}")
        if len(entry.public) != len(PUBLISHED_INPUTS):
            raise MalformedInput(
                f"{name} entry {i} has {len(entry.public)} public inputs, expected "
                f"{len(PUBLISHED_INPUTS)} ({', '.join(PUBLISHED_INPUTS)})"
            )
    return entries


def folded_key(
    vk: VerifyingKey, registry_inputs: Sequence[int], ops: CurveOps | None
) -> VerifyingKey:
    """Return the five-input key of ``vk`` with the registry part of ``vk_x`` folded in:
    ``IC'_0 = IC_0 + Σ_i x_i IC_{5+i}``, ``IC'_1..5 = IC_1..5``.

    The key's points are checked first (on the curve, G2 points in G2, none at infinity,
    ``groth16._check_key``): folding adds its IC points, which is only meaningful for
    points of the curve. ``verify_many`` checks the derived key again.
    """
    _check_key(vk, ops)
    head = 1 + PUBLIC_REGISTRY
    if len(vk.ic) != head + len(registry_inputs) or any(not 0 <= x < R for x in registry_inputs):
        raise MalformedInput("the registry inputs do not fit the key")
    ic0 = g1_msm([vk.ic[0], *vk.ic[head:]], [1, *registry_inputs])
    return replace(vk, ic=(ic0, *vk.ic[1:head]))


def batch_inputs(entry: BatchEntry, beta: int, gamma: int) -> tuple[int, ...]:
    """Return the five inputs a folded key takes: ``[root, c, s, β, γ]``."""
    return (*entry.public, beta, gamma)


def verify_shape(
    shape: Shape2,
    key: VerifyingKey,
    items: Sequence[tuple[int, tuple[int, ...], Proof]],
    ops: CurveOps | None,
    progress: Callable[[int], None] | None,
) -> None:
    """Verify ``items`` ``(batch, inputs, proof)`` of ``shape`` under its folded key, in
    chunks when ``progress`` is given; a failure names the shape and the batch."""
    chunk = PROGRESS_CHUNK if progress else max(len(items), 1)
    for start in range(0, len(items), chunk):
        part = items[start : start + chunk]
        try:
            verify_many(key, [(inputs, proof) for _, inputs, proof in part], ops=ops)
        except VerificationError as exc:
            index = getattr(exc, "index", None)
            if index is None:
                raise VerificationError(
                    f"the proofs of {shape.proofs} cannot be checked: {exc}"
                ) from exc
            batch = part[index][0]
            raise VerificationError(
                f"batch {batch} of shape K = {shape.slots} ({shape.proofs}) is not proven: {exc}"
            ) from exc
        if progress:
            progress(len(part))


def _check_proofs(files: _Attestation2) -> str:
    """Step 3: one well-formed entry per batch of every shape, in order, and every
    Groth16 proof valid for ``[root, c, s, β, γ, *registry]``."""
    manifest = files.need_manifest()
    entries = {s.slots: batch_entries2(files, s) for s in manifest.shapes}
    files.entries = entries
    proofs = {s.slots: [proof_of(e) for e in entries[s.slots]] for s in manifest.shapes}
    vks = files.need_vks()
    registry = manifest.registry.public_inputs
    total = sum(s.batches for s in manifest.shapes)
    done = [0]

    def progress(count: int) -> None:
        done[0] += count
        if files.on_proofs:
            files.on_proofs(done[0], total)

    for shape in manifest.shapes:
        try:
            key = folded_key(vks[shape.slots], registry, files.ops)
        except VerificationError as exc:
            raise VerificationError(f"{shape.vk}: {exc}") from exc
        items = [
            (e.batch, batch_inputs(e, manifest.beta, manifest.gamma), p)
            for e, p in zip(entries[shape.slots], proofs[shape.slots], strict=True)
        ]
        verify_shape(shape, key, items, files.ops, progress if files.on_proofs else None)
    shapes = ", ".join(f"K = {s.slots}: {s.batches}" for s in manifest.shapes)
    return f"{total} Groth16 proofs valid ({shapes}), registry folded once per shape"


# --- 4. totals -------------------------------------------------------------------------


def derived_challenges(
    manifest: Manifest2, entries: dict[int, list[BatchEntry]]
) -> tuple[int, int]:
    """Return ``(β, γ)`` as ``verifier.book.challenges`` derives them from this
    attestation: its id, registry digest, every shape's ``(root_j, c_j)``, the published
    totals and the mask sum."""
    return challenges(
        manifest.attestation_id,
        manifest.registry.digest,
        [
            (s.slots, [(e.public[0], e.public[1]) for e in entries[s.slots]])
            for s in manifest.shapes
        ],
        manifest.equity,
        manifest.debt,
        manifest.mask_sum,
    )


def check_totals2(manifest: Manifest2, entries: dict[int, list[BatchEntry]]) -> str:
    """Return a detail once the published figures are the proven batch totals'
    (``totals_identity_holds`` with the published β, γ, which the proofs used) and the
    published β, γ are the derived ones; raise ``VerificationError`` with both reasons."""
    sums = [e.public[2] for s in manifest.shapes for e in entries[s.slots]]
    problems = []
    if not totals_identity_holds(
        sums, manifest.mask_sum, manifest.equity, manifest.debt, manifest.beta, manifest.gamma
    ):
        problems.append(
            "the published equity and debt totals and mask sum are not the ones the proven "
            "batch totals add up to (the identity Σ s_j - M = Σ_a (E_a + γ D_a) / (β - a) "
            "does not hold)"
        )
    beta, gamma = derived_challenges(manifest, entries)
    if (manifest.beta, manifest.gamma) != (beta, gamma):
        which = [
            name
            for name, published, derived in (
                ("beta", manifest.beta, beta),
                ("gamma", manifest.gamma, gamma),
            )
            if published != derived
        ]
        problems.append(
            f"{MANIFEST} totals.{' and totals.'.join(which)} "
            f"{'is' if len(which) == 1 else 'are'} not derived from the attestation "
            "(registry, batch roots and mask commitments, published totals, mask sum): "
            "the prover chose the challenges"
        )
    if problems:
        raise VerificationError("; ".join(problems))
    return (
        f"the published equity and debt of {len(manifest.assets)} assets are the sum of "
        f"{len(sums)} proven batch totals, with challenges derived from them"
    )


def _check_totals(files: _Attestation2) -> str:
    """Step 4: the totals identity and the challenges."""
    return check_totals2(files.need_manifest(), files.need_entries())


# --- 5. trees --------------------------------------------------------------------------


def check_tree2(files: AttestationFiles, shape: Shape2, entries: list[BatchEntry]) -> None:
    """Raise unless ``tree-s{K}.json`` is the top of the shape's tree over its proven batch
    roots, up to the shape's published root."""
    names = _shape_names(shape)
    try:
        arity, levels = parse_tree(files.json(shape.tree))
    except MalformedInput as exc:
        raise MalformedInput(_renamed(str(exc), names)) from exc
    if arity != shape.arity:
        raise VerificationError(
            f"{shape.tree} has arity {arity}, but {MANIFEST} says {shape.arity}"
        )
    roots = [e.public[0] for e in entries]
    for j, root in enumerate(roots):
        if root >= R:
            raise VerificationError(f"the root of batch {j} in {shape.proofs} is not below r")
    expected = top_levels(roots, arity, shape.top_depth)
    if levels != expected:
        raise VerificationError(_renamed(_first_difference(levels, expected, len(roots)), names))
    if expected[-1] != [shape.root]:
        raise VerificationError(
            f"{MANIFEST} publishes root {shape.root} for shape K = {shape.slots}, but its "
            f"batch roots hash to {expected[-1][0]}"
        )


def _check_trees(files: _Attestation2) -> str:
    """Step 5: per shape, the tree file is the top of the tree over the proven roots."""
    manifest, entries = files.need_manifest(), files.need_entries()
    for shape in manifest.shapes:
        check_tree2(files, shape, entries[shape.slots])
    return f"{len(manifest.shapes)} shape trees hash up to their published roots"


# --- 6. bundle files -------------------------------------------------------------------


def _check_bundles2(files: _Attestation2) -> str:
    """Step 6: as zkpor/1's bundle files step (the bucket layout does not change)."""
    return check_bundle_files(files, files.need_manifest())


# --- 7. reserves -----------------------------------------------------------------------


#: Beyond this many assets, the reserves step summarises the ratios instead of listing
#: them (a registry has up to 1,024; the Summary page lists every one).
LISTED_RATIOS = 8


def _covered(manifest: Manifest2) -> str:
    if len(manifest.assets) <= LISTED_RATIOS:
        return ", ".join(
            f"{a.symbol} net {a.ratio_net or 'n/a (net <= 0)'}, gross {a.ratio_gross or 'n/a'}"
            for a in manifest.assets
        )
    owed = [a for a in manifest.assets if a.ratio_net is not None]
    parts = [f"{len(manifest.assets)} assets"]
    if owed:
        # ratios are decimal strings with the same number of places: compare as numbers
        low = min(owed, key=lambda a: Fraction(a.ratio_net or "0"))
        parts.append(f"lowest net cover {low.symbol} {low.ratio_net}")
    parts.append(f"{len(manifest.assets) - len(owed)} with net <= 0")
    return ", ".join(parts)


def _check_reserves(files: _Attestation2) -> str:
    """Step 7: as zkpor/1's reserves step, each asset's liability being ``max(net, 0)``;
    the gross ratio (reserves / equity) is shown, not required."""
    manifest = files.need_manifest()
    if (detail := no_reserves(manifest)) is not None:
        return detail
    view = manifest.reserves_view()
    try:
        detail = check_reserves(view, files.json(RESERVES), files.crypto)
    except VerificationError as exc:
        # A shortfall is against the net (equity - debt): say so where zkpor/1 says
        # "liabilities"; other reasons (signatures, segregation) are zkpor/1's words.
        raise VerificationError(str(exc).replace("< liabilities ", NET_SHORTFALL_WORDS)) from exc
    old = ", ".join(
        f"{a.symbol} {coverage_ratio(a.reserves or 0, a.liabilities)}" for a in view.assets
    )
    return detail.replace(
        f"every asset covered ({old})", f"every asset's net covered ({_covered(manifest)})", 1
    )


# --- 8. trusted setup ------------------------------------------------------------------


def check_setup_files2(manifest: Manifest2) -> None:
    """Raise ``CeremonyError`` unless the listed files fit the setup kind: under a
    ceremony every shape's transcript is listed, under a development setup none is."""
    transcripts = {s.ceremony for s in manifest.shapes}
    listed = set(manifest.files)
    if manifest.setup_kind == SETUP_CEREMONY:
        missing = sorted(transcripts - listed)
        if missing:
            raise CeremonyError(
                f"{MANIFEST} does not list the sha256 of {', '.join(missing)}, but its "
                f"setup.kind is {SETUP_CEREMONY}: each shape's transcript must be listed"
            )
    if manifest.setup_kind == SETUP_INSECURE_DEV:
        found = sorted(n for n in listed if n.startswith("ceremony") and n.endswith(".json"))
        if found:
            raise CeremonyError(
                f"{MANIFEST} lists {', '.join(found)}, but its setup.kind is "
                f"{SETUP_INSECURE_DEV}: a development setup has no ceremony transcript"
            )


def shape_reader(read: Callable[[str], bytes], shape: Shape2) -> Callable[[str], bytes]:
    """Return ``read`` with ``ceremony/transcript.json`` meaning the shape's transcript."""

    def reader(name: str) -> bytes:
        return read(shape.ceremony if name == TRANSCRIPT else name)

    return reader


def check_setup2(
    read: Callable[[str], bytes],
    manifest: Manifest2,
    vks: dict[int, VerifyingKey],
    ops: CurveOps = PURE_OPS,
    allow_unknown_phase1: bool = False,
) -> str:
    """Return a detail once every shape's key comes from its checked ceremony
    (``verifier.ceremony.check_setup`` on ``ceremony-s{K}.json`` for the shape's id)."""
    if manifest.setup_kind != SETUP_CEREMONY:  # fails before reading any transcript
        return check_setup(read, manifest.setup_kind, vks[manifest.shapes[0].slots], "", ops=ops)
    details = []
    for shape in manifest.shapes:
        try:
            detail = check_setup(
                shape_reader(read, shape),
                manifest.setup_kind,
                vks[shape.slots],
                shape.circuit_id,
                ops=ops,
                allow_unknown_phase1=allow_unknown_phase1,
            )
        except VerificationError as exc:
            raise VerificationError(
                f"shape K = {shape.slots}: {_renamed(str(exc), _shape_names(shape))}"
            ) from exc
        details.append(f"K = {shape.slots}: {_renamed(detail, _shape_names(shape))}")
    return "; ".join(details)


def _check_setup(files: _Attestation2) -> str:
    """Step 8: per shape, the key comes from a ceremony whose transcript checks; a
    development setup fails unless the caller accepts it (then it says so)."""
    manifest = files.need_manifest()
    check_setup_files2(manifest)
    vks = files.need_vks()
    if manifest.setup_kind == SETUP_INSECURE_DEV and files.allow_dev:
        return DEV_SETUP_ACCEPTED
    return check_setup2(
        files.bytes, manifest, vks, files.ops or PURE_OPS, files.allow_unknown_phase1
    )


# --- 9. co-signatures ------------------------------------------------------------------


def _check_cosignatures(files: _Attestation2) -> str:
    """Step 9: as zkpor/1's; the digest is over the zkpor/2 manifest's canonical JSON."""
    manifest = files.need_manifest()
    # check_cosignatures reads .to_json(), .attestation_id and .cosigners: Manifest2 has them.
    return check_cosignatures(files, manifest, files.crypto)


# --- the steps -------------------------------------------------------------------------


def attestation2_steps(
    read: Reader,
    crypto: SignatureBackend | None = None,
    allow_dev_setup: bool = False,
    on_proofs: ProofProgress | None = None,
    *,
    allow_unknown_phase1: bool = False,
    ops: CurveOps | None = None,
) -> list[Step]:
    """Return the nine ``(name, check)`` steps of a zkpor/2 attestation (arguments as
    ``verifier.attestation.attestation_steps``, which calls this for a zkpor/2 manifest)."""
    files = _Attestation2(read, crypto, allow_dev_setup, on_proofs, allow_unknown_phase1, ops)
    checks = (
        _check_manifest,
        _check_vks,
        _check_proofs,
        _check_totals,
        _check_trees,
        _check_bundles2,
        _check_reserves,
        _check_setup,
        _check_cosignatures,
    )
    return [(name, partial(check, files)) for name, check in zip(STEP_NAMES2, checks, strict=True)]


# --- the published figures, for the CLI and the site --------------------------------------


def figures_json(manifest: Manifest2) -> dict[str, object]:
    """Return what a zkpor/2 attestation publishes per asset, for display: the quote and
    price source, and per asset its price, equity, debt, net, reserves and both coverage
    ratios (net: reserves / max(net, 0), required; gross: reserves / equity, shown)."""
    registry = manifest.registry
    q = registry.quote_decimals
    return {
        "format": "zkpor/2",
        "quote": registry.quote_symbol,
        "price_source": registry.price_source,
        "assets": [
            {
                "symbol": a.symbol,
                "decimals": a.decimals,
                "price": format_units(entry.price, q),
                "equity_amount": format_units(a.equity, a.decimals),
                "debt_amount": format_units(a.debt, a.decimals),
                "net_amount": signed_units(a.net, a.decimals),
                "reserves_amount": None
                if a.reserves is None
                else format_units(a.reserves, a.decimals),
                "ratio_net": a.ratio_net,
                "ratio_gross": a.ratio_gross,
            }
            for a, entry in zip(manifest.assets, registry.assets, strict=True)
        ],
    }


def read_figures(read: Reader) -> dict[str, object] | None:
    """Return ``figures_json`` of the zkpor/2 manifest ``read`` returns, None if it is not
    one that parses (the steps say why)."""
    try:
        manifest, difference = read_manifest2(AttestationFiles(read))
    except VerificationError:
        return None
    return None if difference is not None else figures_json(manifest)
