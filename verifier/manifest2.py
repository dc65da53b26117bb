"""The public attestation directory of zkpor/2: its file names and the manifest.

A zkpor/2 attestation (docs/protocol.md §16) attests an exchange's *book*: per account
and asset an equity and a debt, priced by a published registry with tiered collateral
ratios. Its directory holds, per *shape* (``K`` slots, batch depth ``d_b``):

``vk-s{K}.json``        the shape's Groth16 key, ``nPublic = 5 + A (3T - 1)``;
``proofs-s{K}.json``    one ``{"batch", "public": [root_j, c_j, s_j], "proof"}`` per batch
                        (the full public input vector ``[root, c, s, β, γ, *registry]``
                        is rebuilt by the verifier);
``tree-s{K}.json``      the top of the shape's tree (zkpor/1 §9.4);
``ceremony-s{K}.json``  the shape's ceremony transcript (``setup.kind = "ceremony"``);

and ``attestation.json`` (``Manifest2``), ``bundles/`` (plaintext v2, ``verifier.bundle.Bundle2``),
``reserves.json`` and ``signatures/`` as zkpor/1.

Parsing is as strict as zkpor/1's (``verifier.manifest``): the reader parses the fields
it needs, writes the manifest back from them (``Manifest2.to_json``) and compares
(``verifier.attestation2.read_manifest2``), so an unknown key or a derived field that
lies (amounts in tokens, ``net``, the coverage ratios, a shape's batch size, leaves, top
depth and circuit id, the assets' symbols and decimals, which are the registry's) rejects
the manifest. The ``registry`` section is ``Registry.to_json()`` verbatim; it is parsed
here into ``Registry2``, whose tier tables in equity units (``verifier.book.tier_tables``)
must exist, else the manifest is refused with the reason.

``totals.beta`` and ``totals.gamma`` are derived too, but from values that live in the
proofs files (every batch's ``root_j`` and ``c_j``), which the manifest parser does not
read: they are parsed here and compared with ``verifier.book.challenges`` in step 4 of
``zkpor verify`` (the totals step), which fails if they differ. Step 3 verifies the
proofs against the published ``β``, ``γ``; both steps passing means the proofs are for
the derived challenges.

Pure Python (stdlib + ``verifier``): importable in Pyodide.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from verifier import text_fields
from verifier.book import (
    FORMAT2,
    MAX_REGISTRY,
    MAX_TIERS,
    PERCENT,
    PUBLIC_REGISTRY,
    TOTAL_LIMIT,
    TierTable,
    circuit_id2,
    price_scale,
    registry_public_inputs,
    tier_tables,
)
from verifier.errors import MalformedInput
from verifier.manifest import (
    ARITIES,
    MANIFEST,
    MAX_BATCH_SIZE,
    MAX_BATCHES,
    MAX_RESERVES,
    AssetLiability,
    BundleInfo,
    Cosigner,
    Manifest,
    Segregation,
    TreeInfo,
    _bundle_info,
    _closing_json,
    _Doc,
    _files,
    _heading_json,
    _optional_sections,
    coverage_ratio,
    format_units,
)
from verifier.protocol import top_depth_for
from verifier.strict_json import loads

#: ``Registry.to_json()["format"]``.
REGISTRY_FORMAT = "zkpor/2 registry"
#: Decimals of the quote and of an asset (as ``registry.toml`` allows).
MAX_REGISTRY_DECIMALS = 30
#: Distinct tier tables a registry may publish.
MAX_TABLES = 64
#: A tier boundary is below this many ``10^-q`` quote units.
BOUND_LIMIT = 1 << 64
#: Digits of a price's whole part (as ``registry.toml`` allows).
MAX_WHOLE_DIGITS = 40
#: The largest number of slots of a shape: an account holds at most one entry per asset.
MAX_SLOTS = MAX_REGISTRY


def vk_name(slots: int) -> str:
    """Return the file name of the verification key of shape ``slots``."""
    return f"vk-s{slots}.json"


def proofs_name(slots: int) -> str:
    """Return the file name of the batch proofs of shape ``slots``."""
    return f"proofs-s{slots}.json"


def tree_name(slots: int) -> str:
    """Return the file name of the top of the tree of shape ``slots``."""
    return f"tree-s{slots}.json"


def ceremony_name(slots: int) -> str:
    """Return the file name of the ceremony transcript of shape ``slots``."""
    return f"ceremony-s{slots}.json"


def signed_units(units: int, decimals: int) -> str:
    """Return ``format_units`` of ``|units|`` with a leading ``-`` when negative."""
    return ("-" if units < 0 else "") + format_units(abs(units), decimals)


# --- the registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryTable:
    """One published tier table: boundaries in ``10^-q`` quote units, ratios in %."""

    bounds: tuple[int, ...]
    ratios: tuple[int, ...]


@dataclass(frozen=True)
class RegistryEntry:
    """One registry asset: its price in ``10^-q`` quote per whole token, its table."""

    symbol: str
    decimals: int
    price: int
    table: int


@dataclass(frozen=True)
class Registry2:
    """The manifest's ``registry`` section (``publisher.attest.registry.Registry.to_json``)."""

    quote_symbol: str
    quote_decimals: int
    price_source: str
    tables: tuple[RegistryTable, ...]
    assets: tuple[RegistryEntry, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the section as ``Registry.to_json()`` writes it."""
        q = self.quote_decimals
        return {
            "format": REGISTRY_FORMAT,
            "quote": {"symbol": self.quote_symbol, "decimals": q},
            "price_source": self.price_source,
            "tables": [
                {"bounds": [format_units(b, q) for b in t.bounds], "ratios": list(t.ratios)}
                for t in self.tables
            ],
            "assets": [
                {
                    "symbol": a.symbol,
                    "decimals": a.decimals,
                    "price": format_units(a.price, q),
                    "table": a.table,
                }
                for a in self.assets
            ],
        }

    def canonical_json(self) -> bytes:
        """Return ``to_json()`` as compact JSON with sorted keys, ASCII only."""
        return json.dumps(
            self.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        ).encode("ascii")

    @property
    def digest(self) -> bytes:
        """Return ``registry_digest``: the SHA-256 of ``canonical_json()``."""
        return hashlib.sha256(self.canonical_json()).digest()

    @property
    def tiers(self) -> int:
        """Return ``T``: the most tiers of any table (every circuit pads to it)."""
        return max(len(t.ratios) for t in self.tables)

    @property
    def scale(self) -> int:
        """Return ``s`` (``verifier.book.price_scale``): values count ``10^-(q+s)`` quote."""
        return price_scale([(a.price, a.decimals) for a in self.assets])

    @property
    def value_decimals(self) -> int:
        """Return ``q + s``: the decimals of a value unit of the quote."""
        return self.quote_decimals + self.scale

    @cached_property
    def tier_tables(self) -> list[TierTable]:
        """Return each asset's table in equity units (``verifier.book.tier_tables``)."""
        return tier_tables(
            [
                (a.price, a.decimals, self.tables[a.table].bounds, self.tables[a.table].ratios)
                for a in self.assets
            ]
        )

    @cached_property
    def public_inputs(self) -> list[int]:
        """Return the registry part of every batch's public inputs."""
        return registry_public_inputs(self.tier_tables, self.tiers)


def _quote_units(doc: _Doc, key: str, value: object, decimals: int, bound: int) -> int:
    """Return a plain decimal string in ``10^-decimals`` units, exactly (the canonical
    spelling is checked by writing the manifest back)."""
    if not isinstance(value, str) or not value.isascii():
        raise MalformedInput(f"{doc.where}.{key} must be a decimal string")
    whole, dot, fraction = value.partition(".")
    if not whole.isdigit() or (dot and not fraction.isdigit()):
        raise MalformedInput(f"{doc.where}.{key} must be a plain decimal such as 12.5")
    if len(whole) > MAX_WHOLE_DIGITS or len(fraction) > decimals:
        raise MalformedInput(
            f"{doc.where}.{key} has more than {MAX_WHOLE_DIGITS} digits or more than "
            f"{decimals} decimals"
        )
    units = int(whole + fraction.ljust(decimals, "0"))
    if units >= bound:
        raise MalformedInput(f"{doc.where}.{key} is not below {format_units(bound, decimals)}")
    return units


def _price_source(doc: _Doc) -> str:
    """Return the price source: an https URL, or a description (as registry.toml's)."""
    value = doc.str("price_source")
    if value.startswith("https://"):
        problem = text_fields.https_url_problem(value)
    elif value.lower().startswith(("http:", "https:")):
        problem = "must be an https:// URL or a description"
    else:
        problem = text_fields.issuer_name_problem(value)
    if problem is not None:
        raise MalformedInput(f"{doc.where}.price_source {problem}, found {value[:80]!r}")
    return value


def _table(doc: _Doc, decimals: int) -> RegistryTable:
    """Return one tier table: 1..8 tiers from 0, bounds increasing, ratios not."""
    bounds_obj, ratios_obj = doc._get("bounds"), doc._get("ratios")
    if not isinstance(bounds_obj, list) or not isinstance(ratios_obj, list):
        raise MalformedInput(f"{doc.where}.bounds and .ratios must be lists")
    if not 1 <= len(ratios_obj) <= MAX_TIERS or len(bounds_obj) != len(ratios_obj):
        raise MalformedInput(
            f"{doc.where} must have 1 to {MAX_TIERS} tiers, one bound and one ratio each"
        )
    bounds = tuple(
        _quote_units(doc, f"bounds[{i}]", b, decimals, BOUND_LIMIT)
        for i, b in enumerate(bounds_obj)
    )
    ratios: list[int] = []
    for i, r in enumerate(ratios_obj):
        if type(r) is not int or not 0 <= r <= PERCENT:
            raise MalformedInput(f"{doc.where}.ratios[{i}] must be a whole percent, 0 to 100")
        ratios.append(r)
    if bounds[0] != 0:
        raise MalformedInput(f"{doc.where}.bounds[0] must be 0: the first tier starts at 0")
    for i in range(1, len(bounds)):
        if bounds[i] <= bounds[i - 1]:
            raise MalformedInput(f"{doc.where}.bounds must strictly increase (at {i})")
        if ratios[i] > ratios[i - 1]:
            raise MalformedInput(f"{doc.where}.ratios must not increase (at {i})")
    return RegistryTable(bounds, tuple(ratios))


def parse_registry(doc: _Doc) -> Registry2:
    """Return the ``registry`` section once it is a registry zkpor/2 can prove: 1..1024
    assets of known decimals, each symbol once, 1..64 distinct tables in order of first
    use, every unit price and table in the circuit's ranges (``verifier.book.tier_tables``)."""
    quote = doc.sub("quote")
    if doc.str("format") != REGISTRY_FORMAT:
        raise MalformedInput(f"{doc.where}.format must be {REGISTRY_FORMAT!r}")
    q = quote.int("decimals", MAX_REGISTRY_DECIMALS)
    quote_symbol = quote.text("symbol", text_fields.symbol_problem)
    price_source = _price_source(doc)
    table_docs = doc.subs("tables")
    if not 1 <= len(table_docs) <= MAX_TABLES:
        raise MalformedInput(f"{doc.where}.tables must list 1 to {MAX_TABLES} tables")
    tables = tuple(_table(t, q) for t in table_docs)
    asset_docs = doc.subs("assets")
    if not 1 <= len(asset_docs) <= MAX_REGISTRY:
        raise MalformedInput(f"{doc.where}.assets must list 1 to {MAX_REGISTRY} assets")
    assets: list[RegistryEntry] = []
    for a in asset_docs:
        symbol = a.text("symbol", text_fields.symbol_problem)
        if any(other.symbol == symbol for other in assets):
            raise MalformedInput(f"{a.where}.symbol: {symbol} is listed twice")
        table = a.int("table")
        if table >= len(tables):
            raise MalformedInput(f"{a.where}.table {table} is not a table of the registry")
        assets.append(
            RegistryEntry(
                symbol,
                a.int("decimals", MAX_REGISTRY_DECIMALS),
                _quote_units(a, "price", a._get("price"), q, 10 ** (MAX_WHOLE_DIGITS + q)),
                table,
            )
        )
    # The publisher interns tables by content, in order of first use: one spelling.
    first_use = list(dict.fromkeys(a.table for a in assets))
    if first_use != list(range(len(tables))):
        raise MalformedInput(
            f"{doc.where}.tables must list each table an asset uses, in order of first use"
        )
    if len(set(tables)) != len(tables):
        raise MalformedInput(f"{doc.where}.tables lists the same table twice")
    registry = Registry2(quote_symbol, q, price_source, tables, tuple(assets))
    try:
        registry.tier_tables  # noqa: B018  (the check: every unit price and table fits)
    except ValueError as exc:
        raise MalformedInput(f"{doc.where} is not a registry zkpor/2 can prove: {exc}") from exc
    return registry


# --- assets and shapes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Asset2:
    """One registry asset's published figures: total equity and debt, in units."""

    symbol: str
    decimals: int
    equity: int
    debt: int
    #: Units in the signed reserve wallets; None when the attestation declares none.
    reserves: int | None = None

    @property
    def net(self) -> int:
        """Return ``equity - debt``: what the exchange owes its users net (may be < 0)."""
        return self.equity - self.debt

    @property
    def liability(self) -> int:
        """Return what the reserves must cover: ``max(net, 0)``."""
        return max(self.net, 0)

    @property
    def ratio_net(self) -> str | None:
        """Return reserves / net (None without reserves or when net <= 0)."""
        if self.reserves is None or self.net <= 0:
            return None
        return coverage_ratio(self.reserves, self.net)

    @property
    def ratio_gross(self) -> str | None:
        """Return reserves / equity (None without reserves or when equity = 0)."""
        return None if self.reserves is None else coverage_ratio(self.reserves, self.equity)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this asset in the manifest's ``assets`` list."""
        d = self.decimals
        doc: dict[str, Any] = {
            "symbol": self.symbol,
            "decimals": d,
            "equity": str(self.equity),
            "equity_amount": format_units(self.equity, d),
            "debt": str(self.debt),
            "debt_amount": format_units(self.debt, d),
            "net": str(self.net),
            "net_amount": signed_units(self.net, d),
        }
        if self.reserves is not None:
            doc["reserves"] = str(self.reserves)
            doc["reserves_amount"] = format_units(self.reserves, d)
            doc["ratio_net"] = self.ratio_net
            doc["ratio_gross"] = self.ratio_gross
        return doc


@dataclass(frozen=True)
class Shape2:
    """One shape: its ``K`` slots, batch depth, batches and tree root."""

    slots: int
    batch_depth: int
    batches: int
    root: int
    constraints: int
    arity: int
    #: The circuit id ``verifier.book.circuit_id2`` gives for (A, T, K, k, d_b).
    circuit_id: str

    @property
    def batch_size(self) -> int:
        return int(self.arity**self.batch_depth)

    @property
    def leaves(self) -> int:
        return self.batches * self.batch_size

    @property
    def top_depth(self) -> int:
        return top_depth_for(self.batches, self.arity)

    @property
    def vk(self) -> str:
        return vk_name(self.slots)

    @property
    def proofs(self) -> str:
        return proofs_name(self.slots)

    @property
    def tree(self) -> str:
        return tree_name(self.slots)

    @property
    def ceremony(self) -> str:
        return ceremony_name(self.slots)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this shape in the manifest's ``shapes`` list."""
        return {
            "slots": self.slots,
            "batch_depth": self.batch_depth,
            "batch_size": self.batch_size,
            "batches": self.batches,
            "leaves": self.leaves,
            "top_depth": self.top_depth,
            "root": str(self.root),
            "circuit": {"id": self.circuit_id, "constraints": self.constraints},
        }


def _shapes(doc: _Doc, arity: int, n_assets: int, tiers: int) -> tuple[Shape2, ...]:
    """Return the shapes: at least one, slots strictly increasing in 1..1024, batches
    of at most ``MAX_BATCH_SIZE`` accounts, at least one batch each."""
    shapes: list[Shape2] = []
    items = doc.subs("shapes")
    if not items:
        raise MalformedInput(f"{doc.where}.shapes must list at least one shape")
    for s in items:
        slots = s.int("slots", MAX_SLOTS)
        if slots < 1 or (shapes and slots <= shapes[-1].slots):
            raise MalformedInput(
                f"{s.where}.slots must be at least 1 and strictly increase from shape to shape"
            )
        depth = s.int("batch_depth", MAX_BATCH_SIZE.bit_length())
        if arity**depth > MAX_BATCH_SIZE:
            raise MalformedInput(
                f"{s.where}.batch_depth {depth}: a batch of {arity}^{depth} accounts is more "
                f"than zkpor/2 proves (at most {MAX_BATCH_SIZE})"
            )
        batches = s.int("batches", MAX_BATCHES)
        if batches < 1:
            raise MalformedInput(f"{s.where}.batches must be at least 1")
        shapes.append(
            Shape2(
                slots=slots,
                batch_depth=depth,
                batches=batches,
                root=s.field("root"),
                constraints=s.sub("circuit").int("constraints"),
                arity=arity,
                circuit_id=circuit_id2(n_assets, tiers, slots, arity, depth),
            )
        )
    return tuple(shapes)


def _assets2(doc: _Doc, registry: Registry2) -> tuple[Asset2, ...]:
    """Return one asset per registry asset, in its order; symbol and decimals are the
    registry's (a manifest that says otherwise differs from its re-serialization)."""
    items = doc.subs("assets")
    if len(items) != len(registry.assets):
        raise MalformedInput(
            f"{doc.where}.assets lists {len(items)} assets, the registry {len(registry.assets)}"
        )
    assets = []
    for a, entry in zip(items, registry.assets, strict=True):
        assets.append(
            Asset2(
                entry.symbol,
                entry.decimals,
                a._decimal("equity", a._get("equity"), TOTAL_LIMIT),
                a._decimal("debt", a._get("debt"), TOTAL_LIMIT),
                a._decimal("reserves", a.obj["reserves"], MAX_RESERVES)
                if "reserves" in a.obj
                else None,
            )
        )
    return tuple(assets)


# --- the manifest --------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest2:
    """``attestation.json`` of a zkpor/2 attestation."""

    attestation_id: str
    issuer_name: str
    issuer_url: str
    as_of: str
    registry: Registry2
    assets: tuple[Asset2, ...]
    arity: int
    shapes: tuple[Shape2, ...]
    mask_sum: int
    beta: int
    gamma: int
    setup_kind: str
    setup_statement: str
    software_version: str
    files: dict[str, str] = field(default_factory=dict)
    bundles: BundleInfo | None = None
    segregation: Segregation | None = None
    cosigners: tuple[Cosigner, ...] = ()

    @property
    def decimals(self) -> dict[str, int]:
        """Return each asset's decimals by symbol."""
        return {a.symbol: a.decimals for a in self.assets}

    @property
    def equity(self) -> list[int]:
        return [a.equity for a in self.assets]

    @property
    def debt(self) -> list[int]:
        return [a.debt for a in self.assets]

    @property
    def n_public(self) -> int:
        """Return the public inputs of every batch proof: ``5 + A (3T - 1)``."""
        return PUBLIC_REGISTRY + len(self.registry.assets) * (3 * self.registry.tiers - 1)

    def shape(self, slots: int) -> Shape2 | None:
        """Return the shape of ``slots`` slots, None if the attestation has none."""
        return next((s for s in self.shapes if s.slots == slots), None)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of ``attestation.json`` (derived fields from the rest)."""
        return {
            **_heading_json(FORMAT2, self),
            "registry": self.registry.to_json(),
            "assets": [a.to_json() for a in self.assets],
            "tree": {"arity": self.arity},
            "shapes": [s.to_json() for s in self.shapes],
            "totals": {
                "mask_sum": str(self.mask_sum),
                "beta": str(self.beta),
                "gamma": str(self.gamma),
            },
            **_closing_json(self),
        }

    def reserves_view(self) -> Manifest:
        """Return a zkpor/1 ``Manifest`` whose liabilities are each asset's ``max(net, 0)``,
        for ``verifier.reserves.check_reserves`` (its other fields are unused there)."""
        return Manifest(
            attestation_id=self.attestation_id,
            issuer_name=self.issuer_name,
            issuer_url=self.issuer_url,
            as_of=self.as_of,
            assets=tuple(
                AssetLiability(a.symbol, a.decimals, a.liability, a.reserves) for a in self.assets
            ),
            tree=TreeInfo(self.arity, 0, 0, 0, 0),
            initial_accumulator=0,
            final_accumulator=0,
            final_totals=(),
            final_blind=0,
            circuit_id="",
            constraints=0,
            setup_kind=self.setup_kind,
            setup_statement=self.setup_statement,
            software_version=self.software_version,
            files=self.files,
            bundles=self.bundles,
            segregation=self.segregation,
            cosigners=self.cosigners,
        )

    @classmethod
    def from_json(cls, obj: object) -> Manifest2:
        """Return the manifest of a parsed zkpor/2 ``attestation.json``."""
        doc = _Doc(obj, MANIFEST)
        if doc.str("format") != FORMAT2:
            raise MalformedInput(f"{MANIFEST}: format must be {FORMAT2!r}")
        issuer, setup = doc.sub("issuer"), doc.sub("setup")
        registry = parse_registry(doc.sub("registry"))
        arity = doc.sub("tree").choice("arity", ARITIES)
        totals = doc.sub("totals")
        manifest = cls(
            attestation_id=doc.text("id", text_fields.attestation_id_problem),
            issuer_name=issuer.text("name", text_fields.issuer_name_problem),
            issuer_url=issuer.text("url", text_fields.https_url_problem),
            as_of=doc.text("as_of", text_fields.as_of_problem),
            registry=registry,
            assets=_assets2(doc, registry),
            arity=arity,
            shapes=_shapes(doc, arity, len(registry.assets), registry.tiers),
            mask_sum=totals.field("mask_sum"),
            beta=totals.field("beta"),
            gamma=totals.field("gamma"),
            setup_kind=setup.text("kind", text_fields.setup_kind_problem),
            setup_statement=setup.text("statement", text_fields.statement_problem),
            software_version=doc.sub("software").text(
                "version", text_fields.software_version_problem
            ),
            files=_files(doc),
            bundles=_bundle_info(doc.sub("bundles")) if "bundles" in doc.obj else None,
        )
        if sections := _optional_sections(doc, manifest.decimals):
            manifest = replace(manifest, **sections)
        return manifest


def remember_manifest(read: Callable[[str], bytes]) -> Callable[[str], bytes]:
    """Return ``read`` answering ``attestation.json`` once, from its first answer (bytes
    or exception), so that a format probe and the check read the same manifest; every
    other file goes through to ``read`` (buckets are not held on to)."""
    first: list[bytes | BaseException] = []

    def reader(name: str) -> bytes:
        if name != MANIFEST:
            return read(name)
        if not first:
            try:
                first.append(read(name))
            except Exception as exc:  # raised again, the same, to whoever reads it
                first.append(exc)
        answer = first[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return reader


def is_zkpor2(read: Callable[[str], bytes]) -> bool:
    """Return whether the manifest ``read`` returns says ``"format": "zkpor/2"``.

    Any failure (missing, unreadable, not JSON) is "no": the zkpor/1 check then reports
    it in its first step, exactly as before zkpor/2 existed.
    """
    try:
        doc = loads(read(MANIFEST))
    except Exception:  # reported by the check that follows, not here
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT2


__all__ = [
    "REGISTRY_FORMAT",
    "Asset2",
    "Manifest2",
    "Registry2",
    "RegistryEntry",
    "RegistryTable",
    "Shape2",
    "ceremony_name",
    "is_zkpor2",
    "parse_registry",
    "proofs_name",
    "remember_manifest",
    "signed_units",
    "tree_name",
    "vk_name",
]
