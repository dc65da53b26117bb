"""zkpor/2 shapes: which circuit each account of a book is proven in.

A shape (``BookShape``) is one zkpor/2 batch circuit of an attestation: the registry's
``A`` assets with tables padded to ``T`` tiers, accounts of ``K`` slots, batches of
``arity**batch_depth`` accounts (circuit id ``verifier.book.circuit_id2``). Each account
goes to the smallest configured shape (``Config2.shapes``) with at least as many slots as
it holds assets (``assign_shapes``); an account too large for every shape is an
``InputError`` naming its file and line. The registry is taken as the verifier reads it
from the manifest (``published_registry``), so both sides derive the same tier tables.
Development keys per shape (``dev_book_keys``) are for tests and quick runs only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from publisher.attest.ingest2 import Account2, Snapshot2
from publisher.attest.pipeline import StageProgress, _no_stage
from publisher.attest.registry import Registry
from publisher.config import Config2
from publisher.errors import InputError, PipelineError
from publisher.files import write_atomic
from publisher.snark.batch2 import Batch2Shape, build_batch2
from publisher.snark.dev_setup import DEV_SETUP_WARNING, dev_setup
from publisher.snark.keys import KEY_FORMAT, Keys
from publisher.snark.r1cs import r1cs_digest
from verifier import book
from verifier.book import TierTable
from verifier.groth16 import VerifyingKey
from verifier.manifest import SETUP_INSECURE_DEV
from verifier.manifest2 import Registry2

STAGE_SHAPES = "sorting accounts into shapes"


# -- shapes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookShape:
    """One zkpor/2 batch circuit of an attestation: a registry of ``assets`` assets with
    tables padded to ``tiers``, accounts of ``slots`` slots, batches of
    ``arity**batch_depth`` accounts."""

    assets: int
    tiers: int
    slots: int
    arity: int
    batch_depth: int

    @property
    def batch_size(self) -> int:
        return int(self.arity**self.batch_depth)

    @property
    def circuit_id(self) -> str:
        return book.circuit_id2(self.assets, self.tiers, self.slots, self.arity, self.batch_depth)

    @property
    def n_public(self) -> int:
        """Return the public inputs of a batch proof: 5 + A (3T - 1)."""
        return book.PUBLIC_REGISTRY + self.assets * (3 * self.tiers - 1)

    def batch2(self) -> Batch2Shape:
        """Return the circuit shape of ``publisher.snark.batch2``."""
        return Batch2Shape(
            batch_size=self.batch_size,
            max_assets=self.slots,
            registry_size=self.assets,
            tiers=self.tiers,
            arity=self.arity,
        )


def registry_tiers(registry: Registry) -> int:
    """Return ``T``: the most tiers of any of the registry's published tables."""
    return published_registry(registry).tiers


def registry_tables(registry: Registry) -> list[TierTable]:
    """Return each asset's table in equity units, derived from the published registry as
    the verifier derives it (``Registry2.tier_tables``); refuse a registry whose own
    tables differ (they never should)."""
    tables = published_registry(registry).tier_tables
    for asset, table in zip(registry.assets, tables, strict=True):
        if asset.tiers != table:
            raise PipelineError(
                f"the registry's tiers of {asset.symbol} are not the published ones"
            )
    return tables


def published_registry(registry: Registry) -> Registry2:
    """Return the manifest's ``registry`` section, as the verifier reads it (the registry
    digest covers this object's JSON: ``Registry.to_json`` is its ``to_json``)."""
    return registry.published()


def book_shapes(registry: Registry, config: Config2) -> list[BookShape]:
    """Return every configured shape for ``registry`` (used or not), by slots."""
    tiers = registry_tiers(registry)
    return [
        BookShape(len(registry), tiers, s.slots, config.arity, s.batch_depth) for s in config.shapes
    ]


@dataclass
class Placed:
    """The accounts of one shape, before placement."""

    shape: BookShape
    accounts: list[Account2] = field(default_factory=list)


def assign_shapes(
    snapshot: Snapshot2, registry: Registry, config: Config2, stage: StageProgress = _no_stage
) -> list[Placed]:
    """Return the used shapes with their accounts: each account in the smallest shape with
    at least as many slots as its entries. Raise ``InputError`` (file, line of the account)
    for an account with more entries than the largest shape has slots."""
    shapes = book_shapes(registry, config)
    found = [Placed(shape) for shape in shapes]
    total = len(snapshot)
    for n, account in enumerate(snapshot.accounts()):
        held = len(account.entries)
        for placed in found:
            if held <= placed.shape.slots:
                placed.accounts.append(account)
                break
        else:
            largest = shapes[-1].slots
            raise InputError(
                snapshot.file,
                account.line,
                "account",
                f"holds {held} assets, more than the {largest} slots of the largest shape: "
                f"add a [[shapes]] entry with at least {held} slots to the config",
            )
        if n % 4096 == 0:
            stage(STAGE_SHAPES, n, total)
    stage(STAGE_SHAPES, total, total)
    return [placed for placed in found if placed.accounts]


def shapes_for(snapshot: Snapshot2, registry: Registry, config: Config2) -> list[BookShape]:
    """Return the shapes an attestation of ``snapshot`` will use (to set up their keys
    before proving, e.g. one ceremony each); ``InputError`` as ``assign_shapes``."""
    return [placed.shape for placed in assign_shapes(snapshot, registry, config)]


# -- keys ---------------------------------------------------------------------------------


def dev_book_keys(
    shape: BookShape, cache: Path, on_setup: Callable[[], None] | None = None
) -> Keys:
    """Return the development keys of ``shape`` (single party: tests and quick runs only),
    made on first use and cached per circuit and R1CS digest in ``cache/keys``."""
    cs = build_batch2(shape.batch2()).cs
    stem = cache / "keys" / f"{shape.circuit_id}-{r1cs_digest(cs)[:16]}-v{KEY_FORMAT}-dev"
    pk_path, vk_path = stem.with_suffix(".pk"), stem.with_suffix(".vk.json")
    if not (pk_path.exists() and vk_path.exists()):
        if on_setup:
            on_setup()
        pk, vk = dev_setup(cs, shape.circuit_id)
        pk.save(pk_path)
        write_atomic(vk_path, json.dumps(vk.to_json(), indent=1).encode())
    vk = VerifyingKey.from_json(json.loads(vk_path.read_text()))
    return Keys(pk_path, vk, SETUP_INSECURE_DEV, DEV_SETUP_WARNING)
