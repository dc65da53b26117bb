"""Read and validate ``registry.toml``, the zkpor/2 asset registry (issue 13).

``zkpor prove --registry registry.toml`` reads it (``publisher.attest.pipeline2``), with
``publisher.attest.ingest2`` for the long liabilities format; the manifest publishes
``Registry.to_json()`` verbatim as its ``registry`` section (docs/protocol.md §16).
Nothing here changes zkpor/1 or ``zkpor.toml``. It sits in
``publisher.attest``, the stage that reads the snapshot's inputs, which may import the
config and the circuit's native side (``tests/test_layout.py``).

The registry is its own file, so that the prices can be replaced for every snapshot
without touching ``zkpor.toml``. Full example::

    [quote]
    symbol = "USD"          # [A-Z0-9]{1,12}: the unit every price is stated in
    decimals = 8            # 0..30: prices and tier boundaries are exact to 10^-8 USD
    price_source = "https://prices.example.com/2026-11-21T00:00:00Z"
                            # shown to users: an https:// URL (verifier.text_fields rules)
                            # or a description ("Close of 2026-11-21 on Example Index")

    [[tier_tables]]         # optional shared tables, at most 64
    name = "major"          # [A-Za-z0-9][A-Za-z0-9._-]{0,31}, unique; only a reference
    tiers = [               # [[boundary, ratio %], ...]: 1..8 tiers
      [0, 100],             # the first 1,000,000 USD of a position count at 100%,
      [1000000, 95],        # the next 4,000,000 USD at 95%,
      [5000000, 80],        # anything beyond 5,000,000 USD at 80%
    ]

    [[assets]]              # 1..1024 entries; their order is the asset index
    symbol = "BTC"          # [A-Z0-9]{1,12}, unique
    decimals = 8            # 0..30: amounts are integer counts of 10^-8 BTC
    price = "97000.12"      # a plain decimal string: USD per whole BTC, exact (>= 0)
    table = "major"         # a [[tier_tables]] name ...

    [[assets]]
    symbol = "DOGE"
    decimals = 8
    price = "0.3171"
    tiers = [[0, 50], [100000, 0]]   # ... or a table of its own (one tier: a flat haircut)

Rules:

* **Tier tables** (docs/protocol.md §16): 1..8 tiers ``[boundary, ratio]``. A boundary
  is the position's value where the tier starts, in the quote: a TOML integer (whole
  quote units) or a plain decimal string exact to the quote's decimals, below ``2^64``
  units of ``10^-decimals`` quote. The first boundary is 0 and they strictly increase.
  A ratio is a whole percent, 0..100, and ratios never increase from tier to tier (the
  larger a position, the less of it counts). Inline tables and shared ones are interned
  by content: ``Registry.tables`` holds each distinct table once, in order of first use
  by an asset, and at most 64 of them (a cap on what the manifest publishes: the circuit
  itself takes each asset's table padded to T tiers, derived from its shared
  tables). A shared table that no asset uses is accepted and left out.
* **Prices** are strings (a TOML float would lose digits), at least 0. A price of 0 makes
  an asset worth nothing as collateral, and its debt worth nothing too:
  ``publisher.attest.ingest2`` therefore refuses any debt in such an asset.

Every error is an ``InputError`` naming the file, the line and the field
(``assets[2].price``, ``tier_tables[0].tiers[1]``: entries count from 0), as
``publisher.config`` does, with the same line finding (its helpers are reused). An error
in one tier of a multi-line ``tiers`` array points at that tier's line.

Values in the circuit
---------------------
The circuit multiplies an amount in units (``10^-d`` of the asset) by a price per unit,
and both sides of the collateral check (collateral from equity, value of the debt) use
the same price: it must be exact, since rounding it either way flatters one side. So
the registry picks a *value unit* ``10^-(q+s)`` of the quote (``q`` the quote's
decimals, ``Registry.value_decimals = q + s``), with ``s >= 0`` the smallest scale at
which every asset's price per unit, ``unit_price = price · 10^(q+s) / 10^d``, is an
integer. Every ``unit_price`` must be below ``2^64`` (the circuit's range); a registry
whose prices span too wide a range of units is refused, naming the asset.

Each asset's tier table in equity units (``account2.TierTable``, what the circuit's
per-account gadget takes) is ``TierTable.from_values(unit_price, tiers in value units)``:
a boundary ``B`` becomes ``L = floor(B · 10^(q+s) / unit_price) = floor(B · 10^d /
price)`` units, which does not depend on ``s``. Rounding down means the unit that
straddles a boundary counts entirely at the *later* tier's ratio, which is never higher
(ratios do not increase), so the tiered collateral of any position is never more than
the exact piecewise value of the same position, and falls short of it by at most one
unit's value per boundary, times the step down in ratio there
(``tests/attest/test_registry.py`` checks both against exact rational arithmetic).
Tiers that start at ``2^64`` units or beyond cannot be reached and are dropped, as are
tiers too narrow to hold a whole unit.

``Registry.digest()`` is the SHA-256 of ``Registry.canonical_json()``, for the manifest
(not published yet): the quote, the price source, the distinct tables and every asset's
symbol, decimals, price and table index, amounts as canonical decimal strings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.config import (
    MAX_DECIMALS,
    MAX_ISSUER_NAME,
    Asset,
    Config,
    Config2,
    _array,
    _https_url,
    _parse,
    _plain_text,
    _Source,
    _Table,
    _toml_type,
)
from publisher.errors import InputError
from publisher.snark.account2 import AMOUNT_LIMIT, MAX_REGISTRY, MAX_TIERS, PERCENT, TierTable
from verifier import text_fields
from verifier.book import price_scale
from verifier.manifest2 import Registry2, RegistryEntry, RegistryTable

#: Distinct tier tables a registry may publish (the circuit takes one padded per asset).
MAX_TABLES = 64
#: Assets in a registry: asset indexes are 10 bits in the circuit.
MAX_REGISTRY_ASSETS = MAX_REGISTRY
#: A tier boundary is below this many ``10^-decimals`` units of the quote.
BOUNDARY_LIMIT = AMOUNT_LIMIT
#: Digits of a decimal's whole part: keeps int() clear of huge strings (2^64 has 20).
MAX_WHOLE_DIGITS = 40

TABLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_SECTIONS = ("quote", "assets", "tier_tables")
_QUOTE_KEYS = frozenset({"symbol", "decimals", "price_source"})
_ASSET_KEYS = frozenset({"symbol", "decimals", "price", "tiers", "table"})
_TABLE_KEYS = frozenset({"name", "tiers"})


@dataclass(frozen=True)
class TierSpec:
    """A tier table as published: boundaries in ``10^-quote_decimals`` units, ratios in %.

    ``bounds[0]`` is 0; both tuples have one entry per tier.
    """

    bounds: tuple[int, ...]
    ratios: tuple[int, ...]


@dataclass(frozen=True)
class RegistryAsset:
    """One asset of the registry, its index being its position in ``Registry.assets``."""

    symbol: str
    decimals: int
    #: ``10^-quote_decimals`` units of the quote per whole asset, as written (exact).
    price: int
    #: Index of its tier table in ``Registry.tables``.
    table: int
    #: Value units (``10^-value_decimals`` quote) per unit (``10^-decimals`` asset).
    unit_price: int
    #: Its tiers in equity units, for the circuit (see the module docstring).
    tiers: TierTable


@dataclass(frozen=True)
class Registry:
    """The validated contents of ``registry.toml``."""

    quote_symbol: str
    quote_decimals: int
    price_source: str
    #: Values (``unit_price × units``) count ``10^-value_decimals`` of the quote.
    value_decimals: int
    tables: tuple[TierSpec, ...]
    assets: tuple[RegistryAsset, ...]

    def __len__(self) -> int:
        return len(self.assets)

    def index_of(self, symbol: str) -> int:
        """Return the index of the asset ``symbol``; ``KeyError`` if it is not listed."""
        for index, asset in enumerate(self.assets):
            if asset.symbol == symbol:
                return index
        raise KeyError(symbol)

    def symbol_indexes(self) -> dict[str, int]:
        """Return ``{symbol: index}`` of every asset."""
        return {asset.symbol: index for index, asset in enumerate(self.assets)}

    def value_tables(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Return each distinct table as ((boundary in value units, ratio), ...)."""
        scale = 10 ** (self.value_decimals - self.quote_decimals)
        return tuple(
            tuple((bound * scale, ratio) for bound, ratio in zip(t.bounds, t.ratios, strict=True))
            for t in self.tables
        )

    def published(self) -> Registry2:
        """Return the manifest's ``registry`` section, the verifier's object of it."""
        return Registry2(
            self.quote_symbol,
            self.quote_decimals,
            self.price_source,
            tuple(RegistryTable(t.bounds, t.ratios) for t in self.tables),
            tuple(RegistryEntry(a.symbol, a.decimals, a.price, a.table) for a in self.assets),
        )

    def to_json(self) -> dict[str, Any]:
        """Return what the digest covers, amounts as canonical decimal strings: the
        section as the verifier writes it back (``Registry2.to_json``)."""
        return self.published().to_json()

    def canonical_json(self) -> bytes:
        """Return ``to_json()`` as compact JSON with sorted keys, ASCII only."""
        return self.published().canonical_json()

    def digest(self) -> str:
        """Return the SHA-256 of ``canonical_json()``, in hex."""
        return hashlib.sha256(self.canonical_json()).hexdigest()


def reserves_config(config: Config2, registry: Registry) -> Config:
    """Return the zkpor/1 view of a zkpor/2 config that ``read_reserves`` takes: the
    registry's assets, no wrapped token (``zkpor prove --registry --reserves``, the demo)."""
    return Config(
        issuer_name=config.issuer_name,
        issuer_url=config.issuer_url,
        attestation_id=config.attestation_id,
        as_of=config.as_of,
        assets=tuple(Asset(a.symbol, a.decimals) for a in registry.assets),
        arity=config.arity,
        batch_depth=1,
        pad_to=0,
        site_url=config.site_url,
    )


def format_units(units: int, decimals: int) -> str:
    """Return ``units · 10^-decimals`` as the shortest plain decimal: "97000.12", "0", "5"."""
    digits = str(units).rjust(decimals + 1, "0")
    whole, fraction = digits[: len(digits) - decimals], digits[len(digits) - decimals :]
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def parse_decimal(text: str, decimals: int) -> int:
    """Return the plain decimal ``text`` in ``10^-decimals`` units, exactly.

    Raises ``ValueError`` with the reason for anything but ASCII digits with at most one
    ``.`` (digits on both sides), for nonzero digits beyond ``decimals`` and for a whole
    part of more than 40 digits.
    """
    whole, dot, fraction = text.partition(".")
    if not (text.isascii() and whole.isdigit() and (fraction.isdigit() or not dot)):
        raise ValueError(
            f"must be a plain decimal number such as 12.5 (ASCII digits, at most one '.', "
            f"no sign, exponent or space), found {text!r}"
        )
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        raise ValueError(f"has more than {MAX_WHOLE_DIGITS} digits before the point")
    if fraction[decimals:].strip("0"):
        raise ValueError(f"has more than {decimals} decimals: {text!r} (it must be exact)")
    return int((whole + fraction[:decimals].ljust(decimals, "0")).lstrip("0") or "0")


# -- reading ------------------------------------------------------------------------------


def _element_line(source: _Source, key_line: int | None, element: int) -> int | None:
    """Return the line of element ``element`` of the array written ``key = [...]`` on
    ``key_line``: the line of its opening ``[`` (None if not found, e.g. an inline table).

    A small scanner: it skips strings and comments and counts brackets.
    """
    if key_line is None:
        return None
    depth, count = 0, -1
    for number in range(key_line, len(source.lines) + 1):
        text = source.lines[number - 1]
        i = text.find("=") + 1 if number == key_line else 0
        quote = ""
        while i < len(text):
            char = text[i]
            if quote:
                if char == "\\" and quote == '"':
                    i += 1
                elif char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char == "[":
                depth += 1
                if depth == 2:
                    count += 1
                    if count == element:
                        return number
            elif char == "]":
                depth -= 1
                if depth <= 0:
                    return None
            i += 1
    return None


def _symbol(table: _Table) -> str:
    symbol = table.string("symbol")
    if text_fields.symbol_problem(symbol):
        raise table.fail("symbol", f"{symbol!r} must match [A-Z0-9]{{1,12}}")
    return symbol


def _decimals(table: _Table) -> int:
    decimals = table.integer("decimals")
    if not 0 <= decimals <= MAX_DECIMALS:
        raise table.fail("decimals", f"must be in 0..{MAX_DECIMALS}, found {decimals}")
    return decimals


def _price_source(table: _Table) -> str:
    value = table.string("price_source")
    if value.startswith("https://"):
        return _https_url(table, "price_source")
    if value.lower().startswith(("http:", "https:")):
        raise table.fail("price_source", f"a URL must be https://host/..., found {value!r}")
    text = _plain_text(table, "price_source", MAX_ISSUER_NAME)
    if problem := text_fields.issuer_name_problem(text):
        raise table.fail("price_source", f"{problem}, found {text!r}")
    return text


def _quote(source: _Source, data: dict[str, Any]) -> tuple[str, int, str]:
    if "quote" not in data:
        raise source.error("quote", None, None, "missing section [quote]")
    value = data["quote"]
    if not isinstance(value, dict):
        raise source.error("", None, "quote", f"must be a table [quote], found {_toml_type(value)}")
    table = _Table(source, "quote", None, value)
    table.check_keys(_QUOTE_KEYS)
    return _symbol(table), _decimals(table), _price_source(table)


def _tiers(table: _Table, quote_decimals: int) -> TierSpec:
    """Return the validated ``tiers`` array of ``table``."""
    value = table.get("tiers")
    if not isinstance(value, list):
        raise table.fail(
            "tiers", f"must be an array of [boundary, ratio], found {_toml_type(value)}"
        )
    if not 1 <= len(value) <= MAX_TIERS:
        raise table.fail("tiers", f"must have 1..{MAX_TIERS} tiers, found {len(value)}")
    key_line = table.source.line_of(table.name, table.index, "tiers")
    base = f"{table.name}[{table.index}].tiers"

    def fail(k: int, reason: str) -> InputError:
        line = _element_line(table.source, key_line, k) or key_line
        return InputError(table.source.file, line, f"{base}[{k}]", reason)

    bounds: list[int] = []
    ratios: list[int] = []
    for k, tier in enumerate(value):
        if not isinstance(tier, list) or len(tier) != 2:
            raise fail(k, f"must be [boundary, ratio], found {_toml_type(tier)}")
        boundary, ratio = tier
        try:
            bound = _boundary(boundary, quote_decimals)
        except ValueError as exc:
            raise fail(k, str(exc)) from None
        if not isinstance(ratio, int) or isinstance(ratio, bool):
            raise fail(k, f"the ratio must be an integer percent, found {_toml_type(ratio)}")
        if not 0 <= ratio <= PERCENT:
            raise fail(k, f"the ratio must be in 0..100 (percent), found {ratio}")
        if k == 0 and bound != 0:
            raise fail(k, "the first tier must start at boundary 0")
        if k and bound <= bounds[-1]:
            raise fail(k, "boundaries must strictly increase")
        if k and ratio > ratios[-1]:
            raise fail(k, f"ratios must not increase ({ratio}% after {ratios[-1]}%)")
        bounds.append(bound)
        ratios.append(ratio)
    return TierSpec(tuple(bounds), tuple(ratios))


def _boundary(value: object, decimals: int) -> int:
    """Return a boundary in ``10^-decimals`` quote units: an integer (whole units) or a
    decimal string. Raises ``ValueError`` with the reason."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"the boundary must not be negative, found {value}")
        units = value * 10**decimals if value < BOUNDARY_LIMIT else BOUNDARY_LIMIT
    elif isinstance(value, str):
        try:
            units = parse_decimal(value, decimals)
        except ValueError as exc:
            raise ValueError(f"the boundary {exc}") from None
    else:
        raise ValueError(
            f"the boundary must be an integer or a decimal string, found {_toml_type(value)}"
        )
    if units >= BOUNDARY_LIMIT:
        raise ValueError(f"the boundary must be below 2^64 units of 10^-{decimals} of the quote")
    return units


def _shared_tables(
    source: _Source, data: dict[str, Any], quote_decimals: int
) -> dict[str, tuple[int, TierSpec]]:
    """Return ``{name: (entry index, table)}`` of the ``[[tier_tables]]``."""
    named: dict[str, tuple[int, TierSpec]] = {}
    for table in _array(source, data, "tier_tables", MAX_TABLES):
        table.check_keys(_TABLE_KEYS)
        name = table.string("name")
        if not TABLE_NAME.fullmatch(name):
            raise table.fail("name", f"{name!r} must match [A-Za-z0-9][A-Za-z0-9._-]{{0,31}}")
        if name in named:
            first = named[name][0]
            line = source.line_of("tier_tables", first, "name")
            raise table.fail(
                "name", f"duplicate table name {name!r} (also tier_tables[{first}], line {line})"
            )
        named[name] = (table.index or 0, _tiers(table, quote_decimals))
    return named


@dataclass(frozen=True)
class _Written:
    """One ``[[assets]]`` entry as read, before the value scale is known."""

    table: _Table
    symbol: str
    decimals: int
    price: int
    spec: TierSpec


def _assets(
    source: _Source,
    data: dict[str, Any],
    quote_decimals: int,
    named: dict[str, tuple[int, TierSpec]],
) -> list[_Written]:
    if "assets" not in data:
        raise source.error("assets", None, None, "missing [[assets]]: at least one asset")
    tables = _array(source, data, "assets", MAX_REGISTRY_ASSETS)
    if not tables:
        raise source.error("", None, "assets", "at least one asset is required")
    written: list[_Written] = []
    seen: dict[str, int] = {}
    for table in tables:
        table.check_keys(_ASSET_KEYS)
        symbol = _symbol(table)
        if symbol in seen:
            first = seen[symbol]
            line = source.line_of("assets", first, "symbol")
            raise table.fail(
                "symbol", f"duplicate symbol {symbol!r} (also assets[{first}], line {line})"
            )
        seen[symbol] = table.index or 0
        decimals = _decimals(table)
        text = table.get("price")
        if not isinstance(text, str):
            raise table.fail(
                "price",
                f'must be a decimal string such as "97000.12" (a TOML number may lose '
                f"digits), found {_toml_type(text)}",
            )
        try:
            price = parse_decimal(text, quote_decimals)
        except ValueError as exc:
            raise table.fail("price", f"{exc} (in 10^-{quote_decimals} of the quote)") from None
        written.append(
            _Written(table, symbol, decimals, price, _asset_table(table, quote_decimals, named))
        )
    return written


def _asset_table(
    table: _Table, quote_decimals: int, named: dict[str, tuple[int, TierSpec]]
) -> TierSpec:
    """Return the asset's tier table: inline ``tiers`` or a shared ``table`` by name."""
    has_tiers, has_table = "tiers" in table.data, "table" in table.data
    if has_tiers and has_table:
        raise table.fail("table", "give either tiers or table, not both")
    if has_tiers:
        return _tiers(table, quote_decimals)
    if not has_table:
        raise table.fail(None, "missing key: tiers (a table of its own) or table (a shared one)")
    name = table.string("table")
    if name not in named:
        known = ", ".join(named) or "none"
        raise table.fail("table", f"no [[tier_tables]] entry is named {name!r} (found: {known})")
    return named[name][1]


def _scale(written: list[_Written]) -> int:
    """Return the smallest ``s >= 0`` at which ``price · 10^s / 10^d`` is an integer for
    every asset (``verifier.book.price_scale``: the verifier derives the same)."""
    return price_scale([(asset.price, asset.decimals) for asset in written])


def _build(quote: tuple[str, int, str], written: list[_Written]) -> Registry:
    symbol, quote_decimals, price_source = quote
    scale = _scale(written)
    # The asset that forces the scale, named when a price does not fit.
    finest = next(
        (
            a.symbol
            for a in written
            if a.price and a.decimals - (len(str(a.price)) - len(str(a.price).rstrip("0"))) == scale
        ),
        None,
    )
    value_decimals = quote_decimals + scale
    specs: list[TierSpec] = []
    assets: list[RegistryAsset] = []
    for asset in written:
        unit_price, rest = divmod(asset.price * 10**scale, 10**asset.decimals)
        assert not rest, "the scale makes every unit price an integer"
        if unit_price >= AMOUNT_LIMIT:
            why = (
                f" (the value unit 10^-{value_decimals} {symbol} is set by {finest}'s price)"
                if scale and finest != asset.symbol
                else ""
            )
            raise asset.table.fail(
                "price",
                f"one unit (10^-{asset.decimals} {asset.symbol}) is worth {unit_price} value "
                f"units, which does not fit 64 bits{why}: use fewer decimals for "
                f"{asset.symbol} or a price with fewer decimal places",
            )
        if asset.spec not in specs:
            if len(specs) == MAX_TABLES:
                raise asset.table.fail(
                    "tiers" if "tiers" in asset.table.data else "table",
                    f"more than {MAX_TABLES} distinct tier tables (the circuit shares at most "
                    f"{MAX_TABLES}): reuse a [[tier_tables]] entry",
                )
            specs.append(asset.spec)
        value_tiers = [
            (bound * 10**scale, ratio)
            for bound, ratio in zip(asset.spec.bounds, asset.spec.ratios, strict=True)
        ]
        assets.append(
            RegistryAsset(
                symbol=asset.symbol,
                decimals=asset.decimals,
                price=asset.price,
                table=specs.index(asset.spec),
                unit_price=unit_price,
                tiers=TierTable.from_values(unit_price, value_tiers),
            )
        )
    return Registry(
        quote_symbol=symbol,
        quote_decimals=quote_decimals,
        price_source=price_source,
        value_decimals=value_decimals,
        tables=tuple(specs),
        assets=tuple(assets),
    )


def load_registry(path: Path) -> Registry:
    """Read ``registry.toml`` at ``path``; raise ``InputError`` on the first problem."""
    source, data = _parse(path)
    for key, value in data.items():
        if key not in _SECTIONS:
            table, name = (key, None) if isinstance(value, dict) else ("", key)
            expected = ", ".join(_SECTIONS)
            raise source.error(table, None, name, f"unknown section (expected: {expected})")
    quote = _quote(source, data)
    named = _shared_tables(source, data, quote[1])
    return _build(quote, _assets(source, data, quote[1], named))


__all__ = [
    "MAX_TABLES",
    "Registry",
    "RegistryAsset",
    "TierSpec",
    "format_units",
    "load_registry",
    "parse_decimal",
    "reserves_config",
]
