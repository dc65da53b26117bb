"""zkpor/2 output: the attestation directory of a proven book.

``write_book`` writes every public file into a temporary sibling of the output directory
and renames it into place (``pipeline._staging``), after ``private/codes.csv``: the
manifest (``verifier.manifest2.Manifest2``, read back before it is written), per shape
``vk-s{K}.json``, ``proofs-s{K}.json``, ``tree-s{K}.json`` and, for a ceremony,
``ceremony-s{K}.json``, the bundles (plaintext v2, ``verifier.bundle.Bundle2``, through
zkpor/1's bucket writer), ``reserves.json`` with the coverage of ``max(net, 0)``. Never
a salt, mask, code or balance of one account outside a sealed bundle.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from publisher.attest.book_jobs import ShapeRun
from publisher.attest.book_shapes import BookShape, published_registry
from publisher.attest.bundles import UserEntry, sibling_path
from publisher.attest.pipeline import (
    CODES,
    STAGE_PUBLISH,
    StageProgress,
    _CodesWriter,
    _json_bytes,
    _no_stage,
    _reserves_file,
    _staging,
    _sums_file,
    _write_bundles,
    _write_files,
)
from publisher.attest.registry import Registry
from publisher.config import Config2
from publisher.errors import PipelineError
from publisher.files import atomic_writer
from publisher.snark.batch2 import build_batch2
from verifier import __version__
from verifier.bundle import Bundle2
from verifier.ceremony import SETUP_CEREMONY, TRANSCRIPT
from verifier.codes import derived_code
from verifier.manifest import BUNDLE_SUMS, MANIFEST, tree_to_json
from verifier.manifest2 import (
    Asset2,
    Manifest2,
    Shape2,
    ceremony_name,
    proofs_name,
    tree_name,
    vk_name,
)
from verifier.reserves import Wallet, shortfalls
from verifier.segregation import CUSTOMER, segregation_of
from verifier.text_fields import MAX_STATEMENT

# -- the directory ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvenBook:
    """What ``prove_book`` wrote: its manifest, the shapes it used, and one sentence per
    asset whose declared reserves are below ``max(net, 0)`` (none without reserves)."""

    manifest: Manifest2
    shapes: tuple[BookShape, ...]
    shortfalls: tuple[str, ...] = ()


def book_entries(
    config: Config2, runs: Sequence[ShapeRun], code_key: bytes, name: str, stage: StageProgress
) -> Iterator[UserEntry]:
    """Yield each account's code and bundle, shape by shape, in leaf order."""
    total = sum(run.batches for run in runs)
    done = 0
    for run in runs:
        shape = run.shape
        for j, levels in enumerate(run.levels):
            above = sibling_path(run.top, j, shape.arity)
            for position, leaf in enumerate(run.batch_leaves(j)):
                if leaf.user_id is None:
                    continue
                bundle = Bundle2(
                    attestation_id=config.attestation_id,
                    user_id=leaf.user_id,
                    salt=leaf.salt,
                    entries=leaf.entries,
                    slots=shape.slots,
                    leaf=j * shape.batch_size + position,
                    batch=j,
                    leaf_hash=levels[0][position],
                    path=tuple(sibling_path(levels, position, shape.arity) + above),
                )
                yield UserEntry(derived_code(code_key, leaf.user_id), bundle)
            done += 1
            stage(name, done, total)


def write_book(
    out: Path,
    private: Path,
    config: Config2,
    registry: Registry,
    runs: Sequence[ShapeRun],
    totals: tuple[list[int], list[int], int, int, int],
    code_key: bytes,
    reserves: list[Wallet] | None,
    stage: StageProgress = _no_stage,
    bundle_seed: bytes | None = None,
) -> ProvenBook:
    """Write the public files into a temporary sibling of ``out``, then rename it into
    place; the codes go to ``private/codes.csv`` before (as zkpor/1's writer). The
    bundles are a function of ``bundle_seed`` (fresh if None) and the private inputs."""
    equity, debt, mask_sum, beta, gamma = totals
    with _staging(out) as staging, atomic_writer(private / CODES) as codes_file:
        codes = _CodesWriter(codes_file, config.site_url)
        bundle_info, sums = _write_bundles(
            staging,
            private,
            codes,
            config.attestation_id,
            lambda name: book_entries(config, runs, code_key, name, stage),
            secrets.token_bytes(32) if bundle_seed is None else bundle_seed,
        )
        stage(STAGE_PUBLISH, 0, 1)
        files = {BUNDLE_SUMS: _sums_file(sums), **shape_files(runs)}
        held = _reserves_file(files, config.attestation_id, reserves, registry.assets)
        manifest = Manifest2(
            attestation_id=config.attestation_id,
            issuer_name=config.issuer_name,
            issuer_url=config.issuer_url,
            as_of=config.as_of,
            registry=published_registry(registry),
            assets=tuple(
                Asset2(
                    a.symbol,
                    a.decimals,
                    e,
                    d,
                    None if held is None else held.get((CUSTOMER, a.symbol), 0),
                )
                for a, e, d in zip(registry.assets, equity, debt, strict=True)
            ),
            arity=config.arity,
            shapes=tuple(published_shape(run) for run in runs),
            mask_sum=mask_sum,
            beta=beta,
            gamma=gamma,
            setup_kind=runs[0].keys.setup_kind,
            setup_statement=setup_statement(runs),
            software_version=__version__,
            files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
            bundles=bundle_info,
            cosigners=config.cosigners,
        )
        if held is not None:
            liabilities = manifest.reserves_view().assets
            manifest = replace(manifest, segregation=segregation_of(held, liabilities, ()))
        files[MANIFEST] = _json_bytes(manifest.to_json())
        if Manifest2.from_json(json.loads(files[MANIFEST])).to_json() != manifest.to_json():
            raise PipelineError("the manifest does not read back as written")
        _write_files(staging, files)
    stage(STAGE_PUBLISH, 1, 1)
    under = shortfalls(manifest.reserves_view().assets) if reserves is not None else []
    return ProvenBook(manifest, tuple(run.shape for run in runs), tuple(under))


def shape_files(runs: Sequence[ShapeRun]) -> dict[str, bytes]:
    """Return each shape's public files: key, proofs, top of the tree, ceremony transcript."""
    files: dict[str, bytes] = {}
    for run in runs:
        slots = run.shape.slots
        files[vk_name(slots)] = _json_bytes(run.keys.verifying_key.to_json())
        files[proofs_name(slots)] = _json_bytes(
            [
                {"batch": j, "public": [str(v) for v in outputs], "proof": proof}
                for j, (outputs, proof) in enumerate(run.proofs)
            ]
        )
        files[tree_name(slots)] = _json_bytes(tree_to_json(run.shape.arity, run.top))
        if run.keys.setup_kind == SETUP_CEREMONY:
            if TRANSCRIPT not in run.keys.published:
                raise PipelineError(
                    f"the ceremony keys of {run.shape.circuit_id} have no transcript"
                )
            files[ceremony_name(slots)] = bytes(run.keys.published[TRANSCRIPT])
    return files


def published_shape(run: ShapeRun) -> Shape2:
    """Return one entry of the manifest's ``shapes``."""
    shape = run.shape
    return Shape2(
        slots=shape.slots,
        batch_depth=shape.batch_depth,
        batches=run.batches,
        root=run.root,
        constraints=len(build_batch2(shape.batch2()).cs.constraints),
        arity=shape.arity,
        circuit_id=shape.circuit_id,
    )


def setup_statement(runs: Sequence[ShapeRun]) -> str:
    """Return the manifest's setup statement: the shapes' one, or each shape's prefixed by
    its circuit id when they differ (one ceremony per shape)."""
    statements = [run.keys.setup_statement for run in runs]
    if len(set(statements)) == 1:
        return statements[0]
    joined = "; ".join(
        f"{run.shape.circuit_id}: {s}" for run, s in zip(runs, statements, strict=True)
    )
    if len(joined) <= MAX_STATEMENT:
        return joined
    circuits = ", ".join(run.shape.circuit_id for run in runs)
    return (
        f"one {runs[0].keys.setup_kind} setup per circuit ({circuits}): each shape's "
        "ceremony-s<K>.json says who contributed"
    )
