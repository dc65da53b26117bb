"""The site's pages for a zkpor/2 attestation: an exchange's book with equity and debt.

A zkpor/2 manifest (docs/protocol.md §16) publishes, per asset, the proven equity (what
the exchange owes its accounts) and debt (what the accounts owe it), the net liability
``equity - debt`` and the declared reserves, and the price registry every batch proof was
made against: the quote, the price source, each asset's price and its tier table of
collateral ratios. ``BookManifest`` is the view of those figures the pages need, read from
the manifest's JSON once ``zkpor verify`` has accepted it (``publisher.site.build``
checks the attestation first); ``render_book_pages`` fills the ``site/pages/book-*.md``
templates (and the Reserves, Reproduce and History templates zkpor/1 uses).

As for zkpor/1 (``publisher.site.pages``), every value taken from a file goes through
``publisher.site.escape`` for the context it lands in; only numbers this module formats
itself are written as is. Nothing here is shown as proven that the proofs do not show:
prices and the price source are the custodian's claim, named as such.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from importlib.resources.abc import Traversable
from string import Template
from types import SimpleNamespace

from publisher.site.chart import Coverage, coverage_bars, coverage_over_time, percent
from publisher.site.escape import md_code, md_link, md_text
from publisher.site.pages import (
    CosignatureStatus,
    Earlier,
    _role_heading,
    _role_order,
    _steps_html,
    _table,
    _under_backed,
    cosign_summary_lines,
    dev_setup_banner,
    download_note,
    heading_values,
    reproduce_values,
    segregation_summary,
    setup_statement_for,
    site_base,
    status_table,
    under_backed_banner,
    unknown_phase1_banner,
    wallet_table,
    wrapped_body,
)
from publisher.site.vendor import Component
from verifier.ceremony_format import Transcript
from verifier.errors import VerificationError
from verifier.manifest import MANIFEST, SETUP_INSECURE_DEV, Cosigner, Manifest
from verifier.manifest import format_units as units
from verifier.manifest2 import Manifest2, ceremony_name, proofs_name, tree_name, vk_name
from verifier.report import StepResult
from verifier.reserves import Wallet
from verifier.segregation import CUSTOMER
from verifier.strict_json import loads

FORMAT2 = "zkpor/2"
#: Rows of the batch table per shape on the Proofs page; beyond it, the proofs file is the list.
MAX_BATCH_ROWS = 512


def signed_units(value: int, decimals: int) -> str:
    """Return ``value`` units as tokens, with a leading ``-`` when negative."""
    return ("-" if value < 0 else "") + units(abs(value), decimals)


@dataclass(frozen=True)
class BookAsset:
    """One registry asset: its proven totals, its reserves, its price and table."""

    index: int
    symbol: str
    decimals: int
    equity: int
    debt: int
    reserves: int | None
    #: quote per whole token, a decimal string as the registry publishes it
    price: str
    #: index of its tier table in the registry
    table: int

    @property
    def net(self) -> int:
        return self.equity - self.debt

    @property
    def liability(self) -> int:
        """What the reserves must cover: the net liability, or 0 when the accounts owe more."""
        return max(self.net, 0)

    @property
    def liabilities(self) -> int:
        """The liability zkpor/1's pages show (its History page, for an earlier zkpor/2
        round on a zkpor/1 site): the net liability."""
        return self.liability

    @property
    def covered(self) -> bool:
        return self.reserves is None or self.reserves >= self.liability


@dataclass(frozen=True)
class TierTableView:
    """One tier table of the registry: boundaries in the quote (from 0), ratios in %."""

    bounds: tuple[str, ...]
    ratios: tuple[int, ...]


@dataclass(frozen=True)
class BookShape:
    """One shape of the attestation: accounts of up to ``slots`` held assets."""

    slots: int
    batch_depth: int
    batch_size: int
    batches: int
    leaves: int
    top_depth: int
    root: int
    circuit_id: str
    constraints: int

    @property
    def files(self) -> tuple[str, str, str]:
        """Return its verification key, proofs and tree files (flat names)."""
        k = self.slots
        return vk_name(k), proofs_name(k), tree_name(k)

    @property
    def transcript(self) -> str:
        return ceremony_name(self.slots)


@dataclass(frozen=True)
class BookManifest:
    """What the pages show of a zkpor/2 ``attestation.json`` (already verified)."""

    attestation_id: str
    issuer_name: str
    issuer_url: str
    as_of: str
    quote_symbol: str
    quote_decimals: int
    price_source: str
    tables: tuple[TierTableView, ...]
    assets: tuple[BookAsset, ...]
    arity: int
    shapes: tuple[BookShape, ...]
    setup_kind: str
    setup_statement: str
    software_version: str
    files: Mapping[str, str]
    cosigners: tuple[Cosigner, ...] = ()
    #: the parsed manifest this view shows
    source: Manifest2 | None = field(default=None, compare=False, repr=False)

    @property
    def format(self) -> str:
        return FORMAT2

    @property
    def batches(self) -> int:
        return sum(s.batches for s in self.shapes)

    @property
    def leaves(self) -> int:
        return sum(s.leaves for s in self.shapes)

    @property
    def decimals(self) -> dict[str, int]:
        return {a.symbol: a.decimals for a in self.assets}

    @property
    def reserves_view(self) -> Manifest | None:
        """Return the zkpor/1 view of the manifest whose liabilities are each asset's net
        (``Manifest2.reserves_view``): what zkpor/1's role and wrapped-token tables read."""
        return None if self.source is None else self.source.reserves_view()

    @property
    def wrapped(self) -> bool:
        """Return whether the manifest declares a wrapped token (its own page)."""
        view = self.reserves_view
        return view is not None and view.segregation is not None and bool(view.segregation.wrapped)

    @classmethod
    def of(cls, m: Manifest2) -> BookManifest:
        """Return the view of a parsed zkpor/2 manifest (``verifier.manifest2``)."""
        reg = m.registry
        q = reg.quote_decimals
        assets = tuple(
            BookAsset(
                index=index,
                symbol=a.symbol,
                decimals=a.decimals,
                equity=a.equity,
                debt=a.debt,
                reserves=a.reserves,
                price=units(entry.price, q),
                table=entry.table,
            )
            for index, (a, entry) in enumerate(zip(m.assets, reg.assets, strict=True))
        )
        shapes = tuple(
            BookShape(
                slots=s.slots,
                batch_depth=s.batch_depth,
                batch_size=s.batch_size,
                batches=s.batches,
                leaves=s.leaves,
                top_depth=s.top_depth,
                root=s.root,
                circuit_id=s.circuit_id,
                constraints=s.constraints,
            )
            for s in m.shapes
        )
        return cls(
            attestation_id=m.attestation_id,
            issuer_name=m.issuer_name,
            issuer_url=m.issuer_url,
            as_of=m.as_of,
            quote_symbol=reg.quote_symbol,
            quote_decimals=q,
            price_source=reg.price_source,
            tables=tuple(
                TierTableView(tuple(units(b, q) for b in t.bounds), tuple(t.ratios))
                for t in reg.tables
            ),
            assets=assets,
            arity=m.arity,
            shapes=shapes,
            setup_kind=m.setup_kind,
            setup_statement=m.setup_statement,
            software_version=m.software_version,
            files=dict(m.files),
            cosigners=m.cosigners,
            source=m,
        )

    @classmethod
    def from_json(cls, doc: object) -> BookManifest:
        """Return the view of a parsed zkpor/2 ``attestation.json`` (strictly parsed:
        ``verifier.manifest2.Manifest2.from_json``, which raises ``MalformedInput``)."""
        return cls.of(Manifest2.from_json(doc))


@dataclass(frozen=True)
class ShapeBatches:
    """The published public inputs of one shape's batches: (batch, [root, c, s])."""

    slots: int
    entries: Sequence[tuple[int, Sequence[int]]]


@dataclass(frozen=True)
class BookSiteData:
    """What the pages of a zkpor/2 site are made from."""

    manifest: BookManifest
    batches: Sequence[ShapeBatches]
    results: Sequence[StepResult]
    wallets: Sequence[Wallet]
    #: the ceremony transcript of each shape, by slots (absent for a development setup)
    transcripts: Mapping[int, Transcript]
    history: Sequence[Earlier]
    version: str
    site_url: str | None
    vendored: Sequence[Component]
    pins: Mapping[str, str]
    user_steps: Sequence[str]
    attestation_steps: Sequence[str]
    samples: int
    download_bytes: int = 0
    cosignatures: Sequence[CosignatureStatus] = ()

    @property
    def dev_setup(self) -> bool:
        return self.manifest.setup_kind == SETUP_INSECURE_DEV


def is_book(manifest_bytes: bytes) -> bool:
    """Return whether ``manifest_bytes`` is a zkpor/2 manifest (by its ``format``); a
    manifest that does not parse is not, and is left for zkpor/1's reader to refuse."""
    try:
        doc = loads(manifest_bytes)
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT2


def read_book_manifest(manifest_bytes: bytes) -> Manifest2:
    """Return the zkpor/2 manifest, parsed strictly: written back, it must be the same
    JSON (``verifier.manifest2``); ``VerificationError`` otherwise."""
    try:
        doc = loads(manifest_bytes)
    except ValueError as exc:
        raise VerificationError(f"{MANIFEST} is not JSON: {exc}") from exc
    manifest = Manifest2.from_json(doc)
    if manifest.to_json() != doc:
        raise VerificationError(f"{MANIFEST} is not what its fields write back (zkpor/2)")
    return manifest


# --- figures ----------------------------------------------------------------------------


def _ratio(reserves: int | None, base: int) -> Fraction | None:
    return None if reserves is None or base <= 0 else Fraction(reserves, base)


def net_coverage(asset: BookAsset) -> Fraction | None:
    """Return reserves / net liability; None without reserves or a positive net."""
    return _ratio(asset.reserves, asset.net)


def gross_coverage(asset: BookAsset) -> Fraction | None:
    """Return reserves / equity; None without reserves or equity."""
    return _ratio(asset.reserves, asset.equity)


def coverages(manifest: BookManifest) -> list[Coverage]:
    return [Coverage(a.symbol, net_coverage(a)) for a in manifest.assets]


def _amount(value: int, asset: BookAsset) -> str:
    return f"{signed_units(value, asset.decimals)} {md_text(asset.symbol)}"


def net_status(asset: BookAsset) -> str:
    """Return the asset's verdict against its net liability: pass or fail, with the ratio."""
    if asset.reserves is None:
        return "not declared"
    ratio = net_coverage(asset)
    if asset.covered:
        shown = percent(ratio) if ratio is not None else "nothing to cover (net ≤ 0)"
        return f'<span class="zkpor-ok">PASS: {shown}</span>'
    short = units(asset.liability - asset.reserves, asset.decimals)
    return (
        f'<span class="zkpor-fail">FAIL: {percent(ratio) if ratio else "0.00%"}, '
        f"UNDER-COVERED, short by {short} {md_text(asset.symbol)}</span>"
    )


def book_asset_table(manifest: BookManifest) -> str:
    """Return per asset: equity, debt, net liability, reserves, coverage of the net
    (pass or fail) and of the gross equity (shown, not required)."""
    rows = []
    for a in manifest.assets:
        gross = gross_coverage(a)
        rows.append(
            [
                md_text(a.symbol),
                signed_units(a.equity, a.decimals),
                signed_units(a.debt, a.decimals),
                signed_units(a.net, a.decimals),
                "not declared" if a.reserves is None else units(a.reserves, a.decimals),
                net_status(a),
                "–" if gross is None else percent(gross),
            ]
        )
    return _table(
        [
            "Asset",
            "Equity",
            "Debt",
            "Net liability",
            "Reserves",
            "Coverage of net",
            "Coverage of gross",
        ],
        rows,
    )


def price_table(manifest: BookManifest) -> str:
    """Return each asset's price in the quote, its tier table and the price source."""
    quote = md_text(manifest.quote_symbol)
    rows = [
        [
            md_text(a.symbol),
            f"{md_text(a.price)} {quote}",
            f"[table {a.table + 1}](prices.md#table-{a.table + 1})",
            tier_summary(manifest.tables[a.table], quote),
        ]
        for a in manifest.assets
    ]
    return _table(["Asset", "Price per token", "Tier table", "Collateral ratios"], rows)


def tier_summary(table: TierTableView, quote: str) -> str:
    """Return a table's tiers on one line: ``100% to 1000000 USD, then 95%, ...``."""
    parts = []
    for i, ratio in enumerate(table.ratios):
        if i + 1 < len(table.bounds):
            parts.append(f"{ratio}% below {md_text(table.bounds[i + 1])} {quote}")
        else:
            parts.append(f"{ratio}% beyond")
    return "; ".join(parts) if len(parts) > 1 else f"{table.ratios[0]}% of any position"


def tier_table(table: TierTableView, quote: str) -> str:
    """Return a tier table: each tier's range of position value and its ratio."""
    rows = []
    for i, ratio in enumerate(table.ratios):
        low = md_text(table.bounds[i])
        high = md_text(table.bounds[i + 1]) if i + 1 < len(table.bounds) else "and beyond"
        last = i + 1 == len(table.bounds)
        rows.append(
            [str(i + 1), f"{low} {quote}", high if last else f"{high} {quote}", f"{ratio}%"]
        )
    return _table(["Tier", "From", "To (excluded)", "Counts as collateral"], rows)


def shape_table(manifest: BookManifest) -> str:
    """Return one row per shape: slots, batch size, batches, leaves, circuit."""
    rows = [
        [
            f"up to {s.slots}",
            str(s.batch_size),
            f"{s.batches:,}",
            f"{s.leaves:,}",
            str(s.top_depth),
            md_code(s.circuit_id),
            f"{s.constraints:,}",
        ]
        for s in manifest.shapes
    ]
    return _table(
        [
            "Held assets (slots)",
            "Accounts per batch",
            "Batches",
            "Leaves",
            "Top depth",
            "Circuit",
            "Constraints",
        ],
        rows,
    )


def book_banners(data: BookSiteData) -> str:
    """Return the warnings every page shows first: an insecure setup, an under-covered
    asset (reserves below its net liability)."""
    out = []
    if data.dev_setup:
        out.append(dev_setup_banner("figures"))
    if any(_unknown_phase1(t) for t in data.transcripts.values()):
        out.append(unknown_phase1_banner("figures"))
    view = data.manifest.reserves_view
    under_backed = [md_text(symbol) for symbol in (_under_backed(view) if view else [])]
    if under_backed:
        out.append(under_backed_banner(under_backed))
    short = [md_text(a.symbol) for a in data.manifest.assets if not a.covered]
    if short:
        out.append(
            '!!! failure "Under-covered: ' + ", ".join(short) + '"\n'
            "    The declared reserves of " + ", ".join(short) + " are below the net "
            "liability (equity minus debt).\n"
            "    See the table on the [Summary](index.md) and [Reserves](reserves.md) pages.\n"
        )
    return "\n".join(out)


def _unknown_phase1(transcript: Transcript) -> bool:
    from verifier.phase1 import known_phase1

    ptau = transcript.header.ptau
    return known_phase1(ptau.blake2b, ptau.power) is None


def book_setup_statement(data: BookSiteData) -> str:
    """Return who took part in each shape's trusted setup, and what must be trusted."""
    m = data.manifest
    if data.dev_setup or not data.transcripts:
        return setup_statement_for(data.dev_setup, None, m.setup_statement)
    parts = [
        f"Each shape's circuit has its own keys and its own ceremony transcript "
        f"({', '.join(f'`{s.transcript}`' for s in m.shapes)}); `zkpor verify` (step 8) and "
        "the Verify page check each one."
    ]
    for shape in m.shapes:
        transcript = data.transcripts.get(shape.slots)
        parts.append(f"### Shape of {shape.slots} slots ({md_code(shape.circuit_id)})")
        parts.append(
            setup_statement_for(
                False, transcript, m.setup_statement, shape.transcript, 8, shape.files[0]
            )
        )
    return "\n\n".join(parts)


def batch_table(shape: BookShape, batches: ShapeBatches) -> str:
    """Return one row per batch of a shape (up to ``MAX_BATCH_ROWS``): root, c, s."""
    entries = list(batches.entries)
    rows = [
        [str(batch)] + [f"`{value:#066x}`"[:14] + "…`" for value in public]
        for batch, public in entries[:MAX_BATCH_ROWS]
    ]
    more = len(entries) - MAX_BATCH_ROWS
    proofs = shape.files[1]
    tail = (
        f"\n\n…and {more} more batches: see [`{proofs}`](../attestation/{proofs})."
        if more > 0
        else ""
    )
    return _table(["Batch", "root", "mask commitment c", "masked total s"], rows) + tail


def _count(n: int, noun: str) -> str:
    """Return ``1 batch``, ``4 batches``, ``16 accounts``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}{'es' if noun.endswith('h') else 's'}"


def proofs_body(data: BookSiteData) -> str:
    """Return the Proofs page's per-shape sections: circuit, keys, proofs, batches."""
    m = data.manifest
    by_slots = {b.slots: b for b in data.batches}
    sections = []
    for shape in m.shapes:
        vk, proofs, tree = shape.files
        facts = _table(
            ["", ""],
            [
                ["circuit", md_code(shape.circuit_id)],
                ["constraints per batch proof", f"{shape.constraints:,}"],
                [
                    "tree",
                    f"arity {m.arity}, {_count(shape.batch_size, 'account')} per batch, "
                    f"{_count(shape.batches, 'batch')}, top depth {shape.top_depth}",
                ],
                ["root", f"`{shape.root:#066x}`"],
                [
                    "verification key",
                    f"[`{vk}`](../attestation/{vk}), sha256 {md_code(m.files.get(vk, '?'))}",
                ],
                [
                    "proofs",
                    f"[`{proofs}`](../attestation/{proofs}), sha256 "
                    f"{md_code(m.files.get(proofs, '?'))}",
                ],
                [
                    "tree file",
                    f"[`{tree}`](../attestation/{tree}), sha256 {md_code(m.files.get(tree, '?'))}",
                ],
            ],
        )
        sections.append(
            "\n\n".join(
                [
                    f"## Accounts of up to {shape.slots} held assets",
                    facts,
                    batch_table(shape, by_slots.get(shape.slots, ShapeBatches(shape.slots, ()))),
                ]
            )
        )
    return "\n\n".join(sections)


def prices_body(manifest: BookManifest) -> str:
    """Return the "Prices and collateral" page: the quote, the source, each asset's price
    and table, and every tier table with its boundaries and ratios."""
    quote = md_text(manifest.quote_symbol)
    tables = []
    for number, table in enumerate(manifest.tables, 1):
        used = [md_text(a.symbol) for a in manifest.assets if a.table == number - 1]
        tables.append(
            f"### Table {number}\n\nUsed by {', '.join(used) or 'no asset'}.\n\n"
            + tier_table(table, quote)
        )
    return "\n\n".join(
        [
            f"Prices are in **{quote}** (exact to {manifest.quote_decimals} decimals). "
            f"Price source, as the custodian states it: **{price_source(manifest)}**.",
            "The prices are the custodian's claim, not something the proofs can show: check "
            "them against the source for the as-of time. Every batch proof was made against "
            "exactly these prices and tables (they are public inputs of each proof): an "
            "account's collateral is the sum, over the assets it holds, of its equity's "
            "value counted tier by tier at each tier's ratio, and it must cover the value "
            "of its debts at the same prices.",
            "## Prices",
            price_table(manifest),
            "## Tier tables",
            "A position's value (equity × price) is split at the boundaries: the part of it "
            "in each tier counts at that tier's ratio. Boundaries are in the quote.",
            *tables,
        ]
    )


def price_source(manifest: BookManifest) -> str:
    """Return the price source: a link when it is an https:// URL, else literal text."""
    source = manifest.price_source
    if source.startswith("https://"):
        return md_link(source, source)
    return md_text(source)


def book_reserves_body(data: BookSiteData) -> str:
    """Return the Reserves page: per-asset coverage of the net liability, every wallet."""
    if not data.wallets:
        return (
            "This attestation declares no reserves: it proves the book (equity and debt) "
            "only. Coverage cannot be judged from it."
        )
    return "\n\n".join(
        [
            "Each asset's reserves must cover its **net liability** (equity owed to the "
            "accounts minus the debt they owe); coverage of the gross equity is shown too, "
            "but not required.",
            book_asset_table(data.manifest),
            coverage_bars(coverages(data.manifest)),
            "## Wallets\n\nEach wallet signed the message zkpor fixes for this attestation "
            "(it names the attestation id, the wallet's role, the chain, the asset, the "
            "address and the as-of time), so a signature cannot be moved to another role, "
            "and a wallet has one role only. The Verify page re-checks every signature in "
            "your browser (*verify all*, step 7 **reserves**).",
            *wallet_groups(data),
        ]
    )


def wallet_groups(data: BookSiteData) -> list[str]:
    """Return the wallets by role, as zkpor/1's Reserves page groups them."""
    view = data.manifest.reserves_view
    if view is None:
        return [wallet_table(data.manifest, data.wallets)]  # type: ignore[arg-type]
    groups = []
    for role in _role_order(view, data.wallets):
        heading, said = _role_heading(role)
        wallets = [w for w in data.wallets if (w.role or CUSTOMER) == role]
        groups.append(f"### {heading}\n\n{said}\n\n{wallet_table(view, wallets)}")
    return groups


def book_segregation(manifest: BookManifest) -> str:
    """Return the Summary's funds not counted as coverage and the wrapped tokens' backing
    (zkpor/1's section), when the manifest declares wallet roles."""
    view = manifest.reserves_view
    if view is None or view.segregation is None:
        return ""
    return segregation_summary(view)


# --- history ----------------------------------------------------------------------------


def _history_ratio(manifest: Manifest | BookManifest, symbol: str) -> Fraction | None:
    if isinstance(manifest, BookManifest):
        found = [a for a in manifest.assets if a.symbol == symbol]
        return net_coverage(found[0]) if found else None
    for asset in manifest.assets:
        if asset.symbol == symbol:
            return (
                None
                if asset.reserves is None or asset.liabilities == 0
                else Fraction(asset.reserves, asset.liabilities)
            )
    return None


def history_rows(
    timeline: Sequence[Earlier], here: BookManifest
) -> tuple[list[list[str]], list[list[str]], list[str]]:
    """Return the History page's rows of zkpor/1 rounds and of zkpor/2 rounds, by the
    columns of their own format, and the symbols."""
    symbols = sorted({a.symbol for e in timeline for a in e.manifest.assets})
    one, two = [], []
    for earlier in timeline:
        m: Manifest | BookManifest = earlier.manifest
        source = "this site" if m is here else md_text(earlier.source)
        head = [md_text(m.as_of), md_code(m.attestation_id)]
        if isinstance(m, BookManifest):
            cells = []
            for symbol in symbols:
                found = [a for a in m.assets if a.symbol == symbol]
                if not found:
                    cells.append("–")
                    continue
                a = found[0]
                net, gross = net_coverage(a), gross_coverage(a)
                cells.append(
                    f"net {signed_units(a.net, a.decimals)}; "
                    f"{'–' if net is None else percent(net)} of net, "
                    f"{'–' if gross is None else percent(gross)} of gross"
                )
            two.append([*head, *cells, source])
        else:
            ratios = [_history_ratio(m, s) for s in symbols]
            one.append([*head, *["–" if r is None else percent(r) for r in ratios], source])
    return one, two, symbols


def book_history_body(data: BookSiteData) -> str:
    """Return the History page of a zkpor/2 site: earlier rounds of either format, each
    by its own columns, and coverage over time (zkpor/1: of the liabilities; zkpor/2: of
    the net liability)."""
    here = data.manifest
    timeline = sorted([*data.history, Earlier(here, "this site")], key=lambda e: e.manifest.as_of)  # type: ignore[arg-type]
    if len(timeline) == 1:
        return "This is the first attestation published here."
    one, two, symbols = history_rows(timeline, here)
    series = {s: [_history_ratio(e.manifest, s) for e in timeline] for s in symbols}
    parts = [
        "Coverage of each attestation published here, oldest first: for a zkpor/2 "
        "attestation (a book with equity and debt), reserves over the net liability; for "
        "a zkpor/1 attestation, reserves over the liabilities. Earlier attestations are "
        "listed as their manifests state; check them with `zkpor verify` on their own "
        "sites.",
        coverage_over_time([e.manifest.as_of for e in timeline], series),
    ]
    if two:
        parts += [
            "### Books (zkpor/2): net liability and coverage",
            _table(["As of", "Attestation", *map(md_text, symbols), "Source"], two),
        ]
    if one:
        parts += [
            "### Liabilities only (zkpor/1): coverage",
            _table(["As of", "Attestation", *map(md_text, symbols), "Source"], one),
        ]
    return "\n\n".join(parts)


# --- the Verify page --------------------------------------------------------------------

BOOK_USER_STEP_HELP = {
    "bundle": "your code opens your encrypted bundle: your id, salt, the equity and debt "
    "of every asset you hold, and the position of your leaf.",
    "leaf": "your leaf is recomputed from your id, salt and entries (sorted by asset, each "
    "amount in range, no more than your shape's slots).",
    "path to batch root": "your leaf hashes up, with the sibling hashes in your bundle, to "
    "the root of one batch.",
    "batch root in the published tree": "that batch root hashes up to the published root "
    "of your shape's tree.",
    "batch proofs": "the zero-knowledge proof of your batch is valid: every account in it "
    "is collateralised at the published prices and tiers, and its entries went into the "
    "batch's masked total; so are the proofs of a few other batches your browser picks at "
    "random.",
    "totals": "the batches' masked totals add up to the published equity and debt of every "
    "asset (a random linear combination). That proves the totals only if every batch proof "
    "was verified: the step says whether it was (Verify all does it).",
    "trusted setup": "the keys of every shape come from its published ceremony transcript, "
    "which checks out; a single-party development setup fails.",
}
BOOK_ATTESTATION_STEP_HELP = {
    "manifest and file hashes": "attestation.json is well formed, its registry and derived "
    "fields check out, and every file has the sha256 it lists.",
    "verification keys": "each shape's key is a valid Groth16 key with the number of public "
    "inputs the registry implies.",
    "batch proofs": "every batch proof of every shape is valid for its root, its mask "
    "commitment, its masked total, the challenges and the registry.",
    "totals": "the masked totals of all batches open to the published equity and debt of "
    "every asset (the challenges recomputed).",
    "trees": "each shape's batch roots hash up to its published root.",
    "bundle files": "every bundle file is present, of equal size, with its listed hash.",
    "reserves": "every reserve wallet's signature is valid for this attestation; each "
    "asset's reserves cover its net liability (equity minus debt).",
    "trusted setup": "each shape's keys come from its published ceremony transcript, which "
    "checks out.",
    "co-signatures": "every co-signature is a valid signature of this very manifest, and every "
    "co-signer the custodian pinned has signed.",
}
BOOK_STEP_WORDS = {
    "batch proofs": "zero-knowledge proofs that every account in a batch is collateralised "
    "and counted in the batch's masked total",
    "totals": "the published equity and debt of every asset, opened from the batches' "
    "masked totals",
    "verification keys": "the public keys the batch proofs of each shape are checked with",
    "trees": "the trees of all accounts, one per shape, hashed up to published roots",
    "leaf": "your account's entry (every asset you hold) in the tree of its shape",
    "batch root in the published tree": "your batch's place in the published tree of its shape",
    "reserves": "the custodian's signed wallets, against each asset's net liability",
    "trusted setup": "the ceremonies in which each shape's proving keys were made, so that "
    "no one could forge proofs",
}


def _help(names: Sequence[str], helps: Mapping[str, str]) -> list[str]:
    return [f"{n}. **{name}**: {helps.get(name, '')}" for n, name in enumerate(names, 1)]


def book_steps_html(names: Sequence[str]) -> str:
    """Return the step list items, the zkpor/2 words where they differ from zkpor/1's."""
    return _steps_html(names, words=BOOK_STEP_WORDS)


def render_book_pages(
    data: BookSiteData, templates: Traversable, verify_js_sri: str, verify_js_path: str
) -> dict[str, str]:
    """Return the Markdown of every page of a zkpor/2 site, by file name."""
    m = data.manifest
    base = site_base(data.site_url)
    common = {
        "banners": book_banners(data),
        **heading_values(m, data.version),
        "batches": str(m.batches),
        "arity": str(m.arity),
        "quote": md_text(m.quote_symbol),
        "price_source": price_source(m),
    }
    cosign = cosign_summary_lines(m, data.cosignatures)  # type: ignore[arg-type]
    pages: dict[str, tuple[str, dict[str, str]]] = {
        "index.md": (
            "book-index.md",
            {
                "accounts": f"{m.leaves:,} leaves (accounts and padding) in {m.batches} "
                f"proven batches, in {len(m.shapes)} "
                f"shape{'s' if len(m.shapes) != 1 else ''}.",
                "asset_table": book_asset_table(m),
                "chart": coverage_bars(coverages(m))
                if any(a.reserves is not None for a in m.assets)
                else "*No reserves are declared: this attestation proves the book only.*",
                "price_table": price_table(m),
                "shape_table": shape_table(m),
                "segregation": book_segregation(m),
                "status_table": status_table(data.results),
                "cosignatures": cosign,
            },
        ),
        "prices.md": ("book-prices.md", {"prices_body": prices_body(m)}),
        "verify.md": (
            "book-verify.md",
            {
                "user_steps": book_steps_html(data.user_steps),
                "attestation_steps": book_steps_html(data.attestation_steps),
                "samples": str(data.samples),
                "step_count": str(len(data.attestation_steps)),
                "verify_js_sri": verify_js_sri,
                "verify_js_src": "../" + verify_js_path,
                "download_note": html.escape(download_note(data.download_bytes)),
                "step_help": "\n".join(
                    [
                        *_help(data.user_steps, BOOK_USER_STEP_HELP),
                        "",
                        "The whole attestation:",
                        "",
                        *_help(data.attestation_steps, BOOK_ATTESTATION_STEP_HELP),
                    ]
                ),
            },
        ),
        "reserves.md": ("reserves.md", {"reserves_body": book_reserves_body(data)}),
        "proofs.md": (
            "book-proofs.md",
            {"setup": book_setup_statement(data), "shapes_body": proofs_body(data)},
        ),
        "methodology.md": (
            "book-methodology.md",
            {
                "trust": book_setup_statement(data),
                "asset_list": ", ".join(
                    f"{md_text(a.symbol)} ({a.decimals} decimals)" for a in m.assets
                ),
                "shape_list": ", ".join(
                    f"{s.slots} slots ({s.batch_size} per batch)" for s in m.shapes
                ),
            },
        ),
        "reproduce.md": ("reproduce.md", reproduce_values(data, base)),
        "history.md": ("history.md", {"history_body": book_history_body(data)}),
    }
    view = m.reserves_view
    if m.wrapped and view is not None:
        wrapped = SimpleNamespace(manifest=view, wallets=data.wallets)
        pages["wrapped.md"] = ("wrapped.md", {"wrapped_body": wrapped_body(wrapped)})  # type: ignore[arg-type]
    out = {}
    for name, (source, values) in pages.items():
        template = Template(templates.joinpath(source).read_text(encoding="utf-8"))
        out[name] = template.substitute({**common, **values})
    return out


def book_nav(manifest: BookManifest) -> list[dict[str, str]]:
    """Return the navigation of a zkpor/2 site: Wrapped tokens only when it declares one."""
    nav = list(BOOK_NAV)
    if manifest.wrapped:
        nav.insert(4, {"Wrapped tokens": "wrapped.md"})
    return nav


#: The pages of a zkpor/2 site, in the order of the navigation.
BOOK_NAV = [
    {"Summary": "index.md"},
    {"Verify": "verify.md"},
    {"Reserves": "reserves.md"},
    {"Prices and collateral": "prices.md"},
    {"Proofs": "proofs.md"},
    {"Methodology": "methodology.md"},
    {"Reproduce": "reproduce.md"},
    {"History": "history.md"},
]
