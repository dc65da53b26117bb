"""The public attestation directory of zkpor/1: its file names and data types.

An attestation directory holds (docs/protocol.md §9):

``attestation.json``  the manifest (``Manifest``), which also lists the sha256 of every
                      other file;
``vk.json``           the Groth16 verifying key, snarkjs format;
``proofs.json``       one ``{"batch": j, "public": [root, acc_in, acc_out], "proof": {..}}``
                      per batch, in batch order;
``tree.json``         ``{"arity": k, "levels": [[slot_0 .. slot_{k^d_t - 1}], .., [root]]}``:
                      the public top of the tree, from the batch slots (batch roots, then
                      ``"0"`` for slots with no batch) up to the root;
``reserves.json``     the signed reserve wallets (``verifier.reserves``), when the
                      attestation declares reserves: then every asset of the manifest also
                      carries ``reserves`` (units), ``reserves_amount`` and ``ratio``
                      (reserves / liabilities, 4 decimals rounded down; null when the
                      liabilities are 0). ``reserves`` counts the ``customer`` wallets only.

Two optional top-level sections (absent from attestations made before them):

``segregation``  when every reserve wallet has a role (``verifier.segregation``): the
                 wrapped tokens (supply declared, collateral signed, backing ratio), and
                 per asset what the ``protection-fund`` and ``corporate`` wallets hold.
``cosigners``    the co-signers' keys the custodian pins (``verifier.cosign``): each must
                 have co-signed this manifest.

Numbers that are field elements or token amounts are decimal strings; counts are JSON
integers. Parsing is strict: a missing key, a key the format does not define, a wrong type
or an out-of-range value raises ``MalformedInput`` naming the file and the key (the
manifest's unknown keys are caught by comparing it with its re-serialization,
``verifier.attestation.read_manifest``). The custodian's text fields (id, issuer name and
URL, as-of, asset symbols, circuit, setup, software version, file names) must keep to the
character sets of ``verifier.text_fields``: they reach the site's pages.

The manifest's shape (assets, ``tree.arity``, ``tree.batch_depth``) must be one the
publisher can prove (``circuit_shape_problem``), and ``circuit.id`` must be the zkpor/1 id
of that shape (``batch_circuit_id``): the ceremony's header names the same id, so the key
is bound to the tree the manifest describes. ``circuit.constraints`` is informational: the
publisher's count of the circuit's R1CS constraints, not checked by any reader.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from verifier import text_fields
from verifier.errors import MalformedInput
from verifier.field import R
from verifier.protocol import FORMAT, MAX_ASSETS
from verifier.strict_json import show, unknown_key

MANIFEST = "attestation.json"
VK = "vk.json"
PROOFS = "proofs.json"
TREE = "tree.json"
RESERVES = "reserves.json"
#: sha256sum-style list of every bucket file; the manifest lists its hash.
BUNDLE_SUMS = "bundles/SHA256SUMS"

SETUP_INSECURE_DEV = "insecure-dev"

#: Bounds on the counts a manifest may claim. They keep every derived value (10^decimals,
#: arity^batch_depth, the leaf count) small, so a hostile manifest cannot make a reader
#: compute for hours; real attestations are far below them.
ARITIES = (2, 4, 8)
MAX_DECIMALS = 77
#: The largest batch, arity^batch_depth leaves: at ~700+ constraints per account, a larger
#: batch exceeds 2^28 constraints, the largest public powers-of-tau file, and could never
#: be proven. ``publisher.config`` refuses larger batches with the same limit.
MAX_BATCH_SIZE = 1 << 18
#: The deepest batch of any arity within ``MAX_BATCH_SIZE`` (arity 2).
MAX_BATCH_DEPTH = MAX_BATCH_SIZE.bit_length() - 1
MAX_BATCHES = 1 << 32
#: Reserves are summed over wallets of up to 2^128 units each; a total stays far below this.
MAX_RESERVES = 1 << 160
#: A wrapped token's declared supply, in its own units (as an ERC-20 ``totalSupply``).
MAX_SUPPLY = 1 << 256
#: How many wrapped tokens and pinned co-signers a manifest may list.
MAX_WRAPPED = 1024
MAX_COSIGNERS = 64
#: The chains a wrapped token may be issued on: ``zkpor reserves check`` reads its
#: ``totalSupply()`` from an Ethereum mainnet node.
WRAPPED_CHAINS = ("ethereum",)
#: Co-signature schemes: Ed25519 (hex key) and EIP-191 ``personal_sign`` (0x address).
COSIGN_SCHEMES = ("ed25519", "eip191")


def batch_circuit_id(n_assets: int, arity: int, batch_depth: int) -> str:
    """Return the zkpor/1 id of the batch circuit of a shape (as
    ``publisher.snark.circuit.CircuitShape.circuit_id`` names it)."""
    return f"zkpor1-a{n_assets}-k{arity}-d{batch_depth}"


def batch_depth_problem(arity: int, batch_depth: int) -> str | None:
    """Return why zkpor/1 has no batch circuit of this depth (for a valid arity), or None."""
    if batch_depth < 1:
        return f"must be at least 1 (a batch proof covers at least one level), found {batch_depth}"
    if batch_depth > MAX_BATCH_DEPTH or arity**batch_depth > MAX_BATCH_SIZE:
        return (
            f"is {batch_depth}: a batch of {arity}^{batch_depth} leaves is more than zkpor/1 "
            f"proves (at most 2^{MAX_BATCH_DEPTH} = {MAX_BATCH_SIZE})"
        )
    return None


def circuit_shape_problem(n_assets: int, arity: int, batch_depth: int) -> str | None:
    """Return why (assets, arity, batch depth) is not a zkpor/1 batch circuit, or None."""
    if not 1 <= n_assets <= MAX_ASSETS:
        return f"{n_assets} assets (zkpor/1 allows 1 to {MAX_ASSETS})"
    if arity not in ARITIES:
        return f"arity {arity} (zkpor/1 allows {', '.join(map(str, ARITIES))})"
    if (problem := batch_depth_problem(arity, batch_depth)) is not None:
        return f"batch depth {problem}"
    return None


@dataclass(frozen=True)
class AssetLiability:
    """One asset: its precision and the liabilities the proofs add up to, in units."""

    symbol: str
    decimals: int
    liabilities: int
    #: Units held in the signed reserve wallets; None when the attestation declares none.
    reserves: int | None = None

    @property
    def amount(self) -> str:
        """Return the liabilities as a decimal string in whole tokens (``12.5``)."""
        return format_units(self.liabilities, self.decimals)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this asset in the manifest's ``assets`` list."""
        doc: dict[str, Any] = {
            "symbol": self.symbol,
            "decimals": self.decimals,
            "liabilities": str(self.liabilities),
            "liabilities_amount": self.amount,
        }
        if self.reserves is not None:
            doc["reserves"] = str(self.reserves)
            doc["reserves_amount"] = format_units(self.reserves, self.decimals)
            doc["ratio"] = coverage_ratio(self.reserves, self.liabilities)
        return doc


@dataclass(frozen=True)
class WrappedToken:
    """A token issued on a chain and backed 1:1 by wallets of an origin asset.

    ``supply`` is declared (in the token's own units, at ``block``) and compared with the
    chain by ``zkpor reserves check``; ``collateral`` is the sum of the signed
    ``wrapped:<symbol>`` wallets, in units of the origin asset.
    """

    symbol: str
    origin: str
    chain: str
    contract: str
    decimals: int
    supply: int
    block: int
    collateral: int

    def to_json(self, origin_decimals: int) -> dict[str, Any]:
        """Return the JSON object of this token in ``segregation.wrapped``."""
        return {
            "symbol": self.symbol,
            "origin": self.origin,
            "chain": self.chain,
            "contract": self.contract,
            "decimals": self.decimals,
            "supply": str(self.supply),
            "supply_amount": format_units(self.supply, self.decimals),
            "block": self.block,
            "collateral": str(self.collateral),
            "collateral_amount": format_units(self.collateral, origin_decimals),
            "ratio": backing_ratio(self.collateral, origin_decimals, self.supply, self.decimals),
        }


@dataclass(frozen=True)
class Holding:
    """What the wallets of one role hold of one asset, in units."""

    asset: str
    balance: int

    def to_json(self, decimals: int) -> dict[str, str]:
        """Return the JSON object of this holding."""
        return {
            "asset": self.asset,
            "balance": str(self.balance),
            "amount": format_units(self.balance, decimals),
        }


@dataclass(frozen=True)
class Segregation:
    """The reserves that are not customer coverage: wrapped-token collateral, the user
    protection fund and corporate funds (``verifier.segregation``)."""

    wrapped: tuple[WrappedToken, ...] = ()
    #: Per asset with at least one such wallet, in the manifest's asset order.
    protection_fund: tuple[Holding, ...] = ()
    corporate: tuple[Holding, ...] = ()

    def to_json(self, decimals: Mapping[str, int]) -> dict[str, Any]:
        """Return the JSON object of the manifest's ``segregation``."""
        return {
            "wrapped": [w.to_json(decimals[w.origin]) for w in self.wrapped],
            "protection_fund": [h.to_json(decimals[h.asset]) for h in self.protection_fund],
            "corporate": [h.to_json(decimals[h.asset]) for h in self.corporate],
        }


@dataclass(frozen=True)
class Cosigner:
    """A co-signer the custodian pins: its name, scheme and public key."""

    name: str
    scheme: str
    #: Ed25519: 64 lowercase hex digits; EIP-191: the 0x address in lowercase.
    key: str

    def to_json(self) -> dict[str, str]:
        """Return the JSON object of this co-signer in the manifest's ``cosigners``."""
        return {"name": self.name, "scheme": self.scheme, "key": self.key}


@dataclass(frozen=True)
class TreeInfo:
    """Shape of the liabilities tree and its root."""

    arity: int
    batch_depth: int
    top_depth: int
    batches: int
    root: int

    @property
    def batch_size(self) -> int:
        """Return the number of leaves under one batch root."""
        return int(self.arity**self.batch_depth)

    @property
    def leaves(self) -> int:
        """Return the number of leaves in all batches (accounts plus padding)."""
        return self.batches * self.batch_size


#: Bytes of ``bundles.run_salt``.
RUN_SALT_BYTES = 32


@dataclass(frozen=True)
class BundleInfo:
    """Layout of ``bundles/``: ``2^bucket_bits`` files of ``records_per_bucket`` records
    of ``record_size`` bytes each."""

    bucket_bits: int
    record_size: int
    records_per_bucket: int
    #: Fresh random bytes of this run, mixed into every code's lookup, key and nonce
    #: (``verifier.bundle.derive``), so two runs never reuse a key and nonce.
    run_salt: bytes

    @property
    def buckets(self) -> int:
        """Return the number of bucket files."""
        return 1 << self.bucket_bits

    def to_json(self) -> dict[str, int | str]:
        """Return the JSON object of the manifest's ``bundles`` entry."""
        return {
            "bucket_bits": self.bucket_bits,
            "record_size": self.record_size,
            "records_per_bucket": self.records_per_bucket,
            "run_salt": self.run_salt.hex(),
        }


@dataclass(frozen=True)
class Manifest:
    """``attestation.json``: what the attestation claims and how to check it."""

    attestation_id: str
    issuer_name: str
    issuer_url: str
    as_of: str
    assets: tuple[AssetLiability, ...]
    tree: TreeInfo
    initial_accumulator: int
    final_accumulator: int
    final_totals: tuple[int, ...]
    final_blind: int
    circuit_id: str
    constraints: int
    setup_kind: str
    setup_statement: str
    software_version: str
    files: Mapping[str, str]
    #: None for an attestation without per-user bundles.
    bundles: BundleInfo | None = None
    #: None when the reserve wallets carry no roles (or there are no reserves).
    segregation: Segregation | None = None
    cosigners: tuple[Cosigner, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of ``attestation.json``."""
        return {
            **_heading_json(FORMAT, self),
            "assets": [a.to_json() for a in self.assets],
            "tree": {
                "arity": self.tree.arity,
                "batch_depth": self.tree.batch_depth,
                "top_depth": self.tree.top_depth,
                "batch_size": self.tree.batch_size,
                "batches": self.tree.batches,
                "leaves": self.tree.leaves,
                "root": str(self.tree.root),
            },
            "accumulator": {
                "initial": str(self.initial_accumulator),
                "final": str(self.final_accumulator),
                "final_totals": [str(t) for t in self.final_totals],
                "final_blind": str(self.final_blind),
            },
            "circuit": {"id": self.circuit_id, "constraints": self.constraints},
            **_closing_json(self),
        }

    @property
    def decimals(self) -> dict[str, int]:
        """Return each asset's decimals by symbol."""
        return {a.symbol: a.decimals for a in self.assets}

    @classmethod
    def from_json(cls, obj: object) -> Manifest:
        """Return the manifest of a parsed ``attestation.json``."""
        doc = _Doc(obj, MANIFEST)
        if doc.str("format") != FORMAT:
            raise MalformedInput(f"{MANIFEST}: format must be {FORMAT!r}")
        tree, acc = doc.sub("tree"), doc.sub("accumulator")
        issuer, circuit, setup = doc.sub("issuer"), doc.sub("circuit"), doc.sub("setup")
        arity = tree.choice("arity", ARITIES)
        manifest = cls(
            attestation_id=doc.text("id", text_fields.attestation_id_problem),
            issuer_name=issuer.text("name", text_fields.issuer_name_problem),
            issuer_url=issuer.text("url", text_fields.https_url_problem),
            as_of=doc.text("as_of", text_fields.as_of_problem),
            assets=_assets(doc),
            tree=TreeInfo(
                arity=arity,
                batch_depth=_batch_depth(tree, arity),
                top_depth=tree.int("top_depth"),
                batches=tree.int("batches", MAX_BATCHES),
                root=tree.field("root"),
            ),
            initial_accumulator=acc.field("initial"),
            final_accumulator=acc.field("final"),
            final_totals=tuple(acc.units_list("final_totals")),
            final_blind=acc.field("final_blind"),
            circuit_id=circuit.text("id", text_fields.circuit_id_problem),
            constraints=circuit.int("constraints"),
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
        _check_circuit_id(manifest)
        return manifest


class _Published(Protocol):
    """What the opening and closing sections of either format's manifest are made of."""

    @property
    def attestation_id(self) -> str: ...

    @property
    def issuer_name(self) -> str: ...

    @property
    def issuer_url(self) -> str: ...

    @property
    def as_of(self) -> str: ...

    @property
    def setup_kind(self) -> str: ...

    @property
    def setup_statement(self) -> str: ...

    @property
    def software_version(self) -> str: ...

    @property
    def bundles(self) -> BundleInfo | None: ...

    @property
    def segregation(self) -> Segregation | None: ...

    @property
    def cosigners(self) -> tuple[Cosigner, ...]: ...

    @property
    def files(self) -> Mapping[str, str]: ...

    @property
    def decimals(self) -> dict[str, int]: ...


def _heading_json(format_: str, manifest: _Published) -> dict[str, Any]:
    """Return the keys that open ``attestation.json`` of either format: format, id,
    issuer, as_of."""
    return {
        "format": format_,
        "id": manifest.attestation_id,
        "issuer": {"name": manifest.issuer_name, "url": manifest.issuer_url},
        "as_of": manifest.as_of,
    }


def _closing_json(manifest: _Published) -> dict[str, Any]:
    """Return the keys that close ``attestation.json`` of either format: setup, software,
    files, and bundles, segregation and cosigners where the manifest has them."""
    return {
        "setup": {"kind": manifest.setup_kind, "statement": manifest.setup_statement},
        "software": {"name": "zkpor", "version": manifest.software_version},
        "files": dict(sorted(manifest.files.items())),
        **({"bundles": manifest.bundles.to_json()} if manifest.bundles else {}),
        **(
            {"segregation": manifest.segregation.to_json(manifest.decimals)}
            if manifest.segregation is not None
            else {}
        ),
        **({"cosigners": [c.to_json() for c in manifest.cosigners]} if manifest.cosigners else {}),
    }


def _optional_sections(doc: _Doc, decimals: Mapping[str, int]) -> dict[str, Any]:
    """Return the segregation and cosigners sections ``doc`` has, as the fields of either
    format's manifest (parsed last: the segregation against the assets' ``decimals``)."""
    sections: dict[str, Any] = {}
    if "segregation" in doc.obj:
        sections["segregation"] = _segregation(doc.sub("segregation"), decimals)
    if "cosigners" in doc.obj:
        sections["cosigners"] = _cosigners(doc)
    return sections


def _batch_depth(tree: _Doc, arity: int) -> int:
    """Return ``tree.batch_depth`` once zkpor/1 has a batch circuit of that depth."""
    depth = tree.int("batch_depth")
    if (problem := batch_depth_problem(arity, depth)) is not None:
        raise MalformedInput(f"{tree.where}.batch_depth {problem}")
    return depth


def _check_circuit_id(manifest: Manifest) -> None:
    """Raise unless ``circuit.id`` is the zkpor/1 id of the manifest's own shape: the
    number of assets, the tree's arity and its batch depth."""
    n_assets, tree = len(manifest.assets), manifest.tree
    expected = batch_circuit_id(n_assets, tree.arity, tree.batch_depth)
    if manifest.circuit_id != expected:
        raise MalformedInput(
            f"{MANIFEST}.circuit.id is {show(manifest.circuit_id)}, but the manifest's own "
            f"shape ({n_assets} assets, tree arity {tree.arity}, batch depth "
            f"{tree.batch_depth}) is the zkpor/1 circuit {expected}"
        )


def _assets(doc: _Doc) -> tuple[AssetLiability, ...]:
    """Return the assets, each symbol of the strict character set and listed once."""
    assets: list[AssetLiability] = []
    for a in doc.subs("assets"):
        symbol = a.text("symbol", text_fields.symbol_problem)
        if any(other.symbol == symbol for other in assets):
            raise MalformedInput(f"{a.where}.symbol: {symbol} is listed twice")
        assets.append(
            AssetLiability(
                symbol,
                a.int("decimals", MAX_DECIMALS),
                a.units("liabilities"),
                a._decimal("reserves", a.obj["reserves"], MAX_RESERVES)
                if "reserves" in a.obj
                else None,
            )
        )
    return tuple(assets)


def _segregation(doc: _Doc, decimals: Mapping[str, int]) -> Segregation:
    """Return ``segregation``: wrapped tokens of known origin assets, each listed once, and
    the protection-fund and corporate holdings, one per asset, in the assets' order."""
    wrapped: list[WrappedToken] = []
    tokens = doc.subs("wrapped")
    if len(tokens) > MAX_WRAPPED:
        raise MalformedInput(f"{doc.where}.wrapped lists more than {MAX_WRAPPED} tokens")
    for w in tokens:
        symbol = w.text("symbol", text_fields.symbol_problem)
        if any(other.symbol == symbol for other in wrapped):
            raise MalformedInput(f"{w.where}.symbol: {symbol} is listed twice")
        origin = w.str("origin")
        if origin not in decimals:
            raise MalformedInput(f"{w.where}.origin: {show(origin)} is not an asset here")
        chain = w.str("chain")
        if chain not in WRAPPED_CHAINS:
            raise MalformedInput(f"{w.where}.chain must be one of {', '.join(WRAPPED_CHAINS)}")
        contract = w.str("contract")
        if not (len(contract) == 42 and contract.startswith("0x") and _is_hex(contract[2:])):
            raise MalformedInput(f"{w.where}.contract must be 0x followed by 40 hex digits")
        wrapped.append(
            WrappedToken(
                symbol,
                origin,
                chain,
                contract,
                w.int("decimals", MAX_DECIMALS),
                w._decimal("supply", w._get("supply"), MAX_SUPPLY),
                w.int("block", (1 << 63) - 1),
                w._decimal("collateral", w._get("collateral"), MAX_RESERVES),
            )
        )
    return Segregation(
        tuple(wrapped),
        _holdings(doc, "protection_fund", decimals),
        _holdings(doc, "corporate", decimals),
    )


def _is_hex(text: str) -> bool:
    return text.isascii() and all(c in "0123456789abcdefABCDEF" for c in text)


def _holdings(doc: _Doc, key: str, decimals: Mapping[str, int]) -> tuple[Holding, ...]:
    """Return the holdings at ``key``: known assets, each once, in the manifest's order."""
    order = list(decimals)
    holdings: list[Holding] = []
    for h in doc.subs(key):
        asset = h.str("asset")
        if asset not in decimals:
            raise MalformedInput(f"{h.where}.asset: {show(asset)} is not an asset of the manifest")
        if holdings and order.index(asset) <= order.index(holdings[-1].asset):
            raise MalformedInput(
                f"{h.where}.asset: {asset} is out of order or listed twice (the manifest's "
                "asset order, each asset once)"
            )
        holdings.append(Holding(asset, h._decimal("balance", h._get("balance"), MAX_RESERVES)))
    return tuple(holdings)


def _cosigners(doc: _Doc) -> tuple[Cosigner, ...]:
    """Return the pinned co-signers: a known scheme, a well-formed key, each key once."""
    cosigners: list[Cosigner] = []
    items = doc.subs("cosigners")
    if not 1 <= len(items) <= MAX_COSIGNERS:
        raise MalformedInput(f"{doc.where}.cosigners must list 1 to {MAX_COSIGNERS} co-signers")
    for c in items:
        name = c.text("name", text_fields.issuer_name_problem)
        scheme = c.str("scheme")
        if scheme not in COSIGN_SCHEMES:
            raise MalformedInput(f"{c.where}.scheme must be one of {', '.join(COSIGN_SCHEMES)}")
        key = c.str("key")
        if (problem := cosigner_key_problem(scheme, key)) is not None:
            raise MalformedInput(f"{c.where}.key {problem}")
        if any(other.scheme == scheme and other.key == key for other in cosigners):
            raise MalformedInput(f"{c.where}.key is pinned twice")
        cosigners.append(Cosigner(name, scheme, key))
    return tuple(cosigners)


def cosigner_key_problem(scheme: str, key: str) -> str | None:
    """Return why ``key`` is not a co-signer key of ``scheme`` as zkpor/1 writes it (one
    spelling per key, so that "the same key" is "the same text"), or None."""
    if scheme == "ed25519":
        if len(key) != 64 or not _is_hex(key) or key != key.lower():
            return "must be an Ed25519 public key: 64 lowercase hex digits"
        return None
    if len(key) != 42 or not key.startswith("0x") or not _is_hex(key[2:]) or key != key.lower():
        return "must be an EVM address: 0x followed by 40 lowercase hex digits"
    return None


def backing_ratio(collateral: int, origin_decimals: int, supply: int, decimals: int) -> str | None:
    """Return the collateral (units of ``10^-origin_decimals``) over the supply (units of
    ``10^-decimals``) as ``coverage_ratio`` writes it, compared in whole tokens; None for
    a supply of 0."""
    return coverage_ratio(collateral * 10**decimals, supply * 10**origin_decimals)


def backed(collateral: int, origin_decimals: int, supply: int, decimals: int) -> bool:
    """Return whether the collateral covers the supply 1:1, compared exactly in tokens."""
    return bool(collateral * 10**decimals >= supply * 10**origin_decimals)


def _files(doc: _Doc) -> dict[str, str]:
    """Return the listed files: only names an attestation has, never a page or a path."""
    files = doc.str_map("files")
    for name in files:
        if problem := text_fields.file_name_problem(name):
            raise MalformedInput(f"{doc.where}.files: the name {name!r} {problem}")
    return files


def _bundle_info(doc: _Doc) -> BundleInfo:
    """Return the bundle layout, bounded so a hostile manifest cannot make a reader hang."""
    return BundleInfo(
        bucket_bits=doc.int("bucket_bits", 24),
        record_size=doc.int("record_size", 1 << 20),
        records_per_bucket=doc.int("records_per_bucket", 1 << 16),
        run_salt=_run_salt(doc),
    )


def _run_salt(doc: _Doc) -> bytes:
    """Return ``bundles.run_salt``: exactly 32 bytes in lowercase hex."""
    text = doc.str("run_salt")
    if len(text) != 2 * RUN_SALT_BYTES or text.strip("0123456789abcdef"):
        raise MalformedInput(
            f"{doc.where}.run_salt must be {RUN_SALT_BYTES} bytes in lowercase hex "
            f"({2 * RUN_SALT_BYTES} digits)"
        )
    return bytes.fromhex(text)


def coverage_ratio(reserves: int, liabilities: int) -> str | None:
    """Return reserves / liabilities with 4 decimals, rounded down so that coverage is
    never overstated (``"1.0000"`` is fully covered); None when there are no liabilities."""
    if liabilities == 0:
        return None
    whole, frac = divmod(reserves * 10_000 // liabilities, 10_000)
    return f"{whole}.{frac:04d}"


def format_units(units: int, decimals: int) -> str:
    """Return ``units`` of ``10^-decimals`` as a decimal string without trailing zeros."""
    whole, frac = divmod(units, 10**decimals)
    digits = f"{frac:0{decimals}d}".rstrip("0") if decimals else ""
    return f"{whole}.{digits}" if digits else str(whole)


class _Doc:
    """Typed, strict access to one JSON object, with errors that name file and key."""

    def __init__(self, obj: object, where: str, keys: Sequence[builtins.str] | None = None) -> None:
        """``keys``: the only keys the object may have (None: checked elsewhere)."""
        if not isinstance(obj, dict):
            raise MalformedInput(f"{where} must be a JSON object")
        if keys is not None and (extra := unknown_key(obj, keys)) is not None:
            raise MalformedInput(f"{where} has a field zkpor/1 does not define: {show(extra)}")
        self.obj: dict[str, object] = obj
        self.where = where

    def _get(self, key: str) -> object:
        if key not in self.obj:
            raise MalformedInput(f"{self.where}: missing key {key!r}")
        return self.obj[key]

    def _fail(self, key: str, expected: str) -> MalformedInput:
        return MalformedInput(f"{self.where}.{key} must be {expected}")

    def str(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def text(
        self, key: builtins.str, problem_of: Callable[[builtins.str], builtins.str | None]
    ) -> builtins.str:
        """Return the string at ``key`` once ``problem_of`` finds nothing wrong with it."""
        value = self.str(key)
        if (problem := problem_of(value)) is not None:
            raise MalformedInput(f"{self.where}.{key} {problem}, found {value[:80]!r}")
        return value

    def int(self, key: builtins.str, maximum: builtins.int | None = None) -> builtins.int:
        value = self._get(key)
        if type(value) is not int or value < 0:
            raise self._fail(key, "a non-negative integer")
        if maximum is not None and value > maximum:
            raise self._fail(key, f"at most {maximum}")
        return value

    def choice(self, key: builtins.str, allowed: Sequence[builtins.int]) -> builtins.int:
        value = self._get(key)
        if type(value) is not int or value not in allowed:
            raise self._fail(key, " or ".join(map(str, allowed)))
        return value

    def _decimal(self, key: builtins.str, value: object, bound: builtins.int) -> builtins.int:
        if not isinstance(value, str) or not value.isascii() or not value.isdigit():
            raise self._fail(key, "a decimal string")
        if len(value) > 80 or int(value) >= bound:
            raise self._fail(key, f"below {bound}")
        return int(value)

    def field(self, key: builtins.str) -> builtins.int:
        return self._decimal(key, self._get(key), R)

    def units(self, key: builtins.str) -> builtins.int:
        return self._decimal(key, self._get(key), 1 << 96)

    def units_list(self, key: builtins.str) -> list[builtins.int]:
        values = self._get(key)
        if not isinstance(values, list):
            raise self._fail(key, "a list")
        return [self._decimal(f"{key}[{i}]", v, 1 << 96) for i, v in enumerate(values)]

    def sub(self, key: builtins.str) -> _Doc:
        return _Doc(self._get(key), f"{self.where}.{key}")

    def subs(self, key: builtins.str) -> list[_Doc]:
        values = self._get(key)
        if not isinstance(values, list):
            raise self._fail(key, "a list")
        return [_Doc(v, f"{self.where}.{key}[{i}]") for i, v in enumerate(values)]

    def str_map(self, key: builtins.str) -> dict[builtins.str, builtins.str]:
        values = self._get(key)
        if not isinstance(values, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in values.items()
        ):
            raise self._fail(key, "an object of strings")
        return dict(values)


@dataclass(frozen=True)
class BatchEntry:
    """One entry of ``proofs.json``: a batch's public inputs and its proof (as JSON)."""

    batch: int
    public: tuple[int, ...]
    proof: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this entry."""
        return {"batch": self.batch, "public": [str(v) for v in self.public], "proof": self.proof}


#: The keys of one entry of ``proofs.json``, and of its ``proof`` (snarkjs's proof.json,
#: as ``verifier.groth16.Proof.to_json`` writes it).
ENTRY_KEYS = ("batch", "public", "proof")
PROOF_KEYS = ("pi_a", "pi_b", "pi_c", "protocol", "curve")
#: The keys of ``tree.json``.
TREE_KEYS = ("arity", "levels")


def parse_proofs(obj: object) -> list[BatchEntry]:
    """Return the entries of a parsed ``proofs.json``; public inputs are not range-checked
    here (the Groth16 verifier rejects those >= r with a precise reason). An entry, and
    its proof, may hold only the keys zkpor/1 writes."""
    if not isinstance(obj, list):
        raise MalformedInput(f"{PROOFS} must be a JSON list")
    entries = []
    for i, item in enumerate(obj):
        doc = _Doc(item, f"{PROOFS}[{i}]", ENTRY_KEYS)
        public = doc._get("public")
        if not isinstance(public, list) or not all(
            isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 80 for v in public
        ):
            raise MalformedInput(f"{PROOFS}[{i}].public must be a list of decimal strings")
        proof = _Doc(doc._get("proof"), f"{PROOFS}[{i}].proof", PROOF_KEYS).obj
        entries.append(BatchEntry(doc.int("batch"), tuple(int(v) for v in public), proof))
    return entries


def parse_tree(obj: object) -> tuple[int, list[list[int]]]:
    """Return (arity, levels) of a parsed ``tree.json``, which holds only those two keys."""
    doc = _Doc(obj, TREE, TREE_KEYS)
    levels = doc._get("levels")
    if not isinstance(levels, list) or not levels:
        raise MalformedInput(f"{TREE}.levels must be a non-empty list of lists")
    parsed = []
    for i, level in enumerate(levels):
        if not isinstance(level, list) or not level:
            raise MalformedInput(f"{TREE}.levels[{i}] must be a non-empty list")
        parsed.append([doc._decimal(f"levels[{i}][{j}]", v, R) for j, v in enumerate(level)])
    return doc.int("arity"), parsed


def tree_to_json(arity: int, levels: Sequence[Sequence[int]]) -> dict[str, Any]:
    """Return the JSON object of ``tree.json``."""
    return {"arity": arity, "levels": [[str(v) for v in level] for level in levels]}
