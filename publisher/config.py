"""Read and validate ``zkpor.toml``, the public parameters of one attestation.

Everything here ends up in the published ``attestation.json`` or fixes the circuit, so
the file is read strictly: unknown sections and keys, wrong types and out-of-range
values are errors (a typo such as ``pad-to`` must not silently mean "no padding").
This module must never guess a value it was not given (only ``tree.pad_to`` has a
default) and never write anything.

Full example::

    [issuer]
    name = "Example Exchange"          # 1..200 printable characters, none of < > & " ' `
    url = "https://example.com"        # https:// and A-Z a-z 0-9 - . _ ~ / ? # = & % + , ; : @ ! $

    [attestation]
    id = "example-2026-11-21"          # [A-Za-z0-9._-]{1,64}, not only dots
    as_of = "2026-11-21T00:00:00Z"     # RFC 3339 in UTC (Z or +00:00), whole seconds;
                                       # stored as YYYY-MM-DDTHH:MM:SSZ. A TOML
                                       # offset date-time (unquoted) is accepted too.
    site_url = "https://example.github.io/por/"  # optional: where the site is published;
                                       # the verify links in codes.csv point there

    [tree]
    arity = 4          # 2, 4 or 8
    batch_depth = 3    # >= 1; a batch holds arity**batch_depth accounts (at most 2**18)
    pad_to = 1024      # optional, default 0: the tree holds at least this many leaves
                       # (hides the exact user count); 0..2**32

    [[assets]]
    symbol = "BTC"     # [A-Z0-9]{1,12}, unique
    decimals = 8       # 0..30: balances are integer counts of 10^-decimals units

    [[assets]]
    symbol = "ETH"
    decimals = 9       # not 18: a balance is below 2^64 units, and 2^64 wei is only
                       # 18.4 ETH; at 9 decimals the limit is 18.4 billion ETH. Amounts
                       # with more decimals are rounded up (and counted).

There must be 1..``verifier.protocol.MAX_ASSETS`` (28) ``[[assets]]`` entries; their
order is the order of the balances in every leaf.

Optional: wrapped tokens backed 1:1 by dedicated reserve wallets (role ``wrapped:ZBTC``
in ``reserves.csv``), and co-signers whose signatures the attestation must carry (at most
1024 and 64 entries)::

    [[wrapped]]
    symbol = "ZBTC"        # [A-Z0-9]{1,12}, unique among wrapped tokens
    origin = "BTC"         # the [[assets]] symbol its collateral is held in
    chain = "ethereum"     # where it is issued (zkpor reserves check reads totalSupply())
    contract = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"  # its ERC-20 (EIP-55 if mixed case)
    decimals = 8           # the token's decimals, 0..77
    supply = "12.5"        # the issued supply in whole tokens, exact
    block = 23850000       # the block at which the supply is stated

    [[cosigners]]
    name = "Example Audit LLP"   # as issuer.name
    scheme = "ed25519"           # or "eip191"
    key = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
                                 # Ed25519: 64 hex digits; eip191: the 0x address

Every error is an ``InputError`` naming the file, the line when it can be found, and the
field (``tree.arity``, ``assets[2].decimals``: entries count from 0). Lines are found by
a simple scan of the text for the table header and the ``key =`` line; a key written in
an inline table or a dotted key is not found, and the error then has no line.

The text fields are held to the character sets ``verifier.text_fields`` documents, the same
rules ``zkpor verify`` applies to the published manifest: they reach every page of the site.

zkpor/2 (``zkpor prove --registry``) reads the same file with ``load_config2``: the same
``[issuer]``, ``[attestation]`` and ``[[cosigners]]``; no ``[[assets]]`` or ``[[wrapped]]``
(the assets are the registry's); ``[tree]`` holds only ``arity``; and the optional
``[[shapes]]`` array lists the circuit shapes accounts are sorted into (an account goes
to the smallest shape with at least as many slots as it holds assets)::

    [tree]
    arity = 4

    [[shapes]]
    slots = 4          # 1..1024 held assets per account; strictly increasing
    batch_depth = 2    # >= 0: a batch proof covers arity**batch_depth accounts (1 allowed)

    [[shapes]]
    slots = 1024
    batch_depth = 0

Without ``[[shapes]]`` the default is ``DEFAULT_SHAPES``: 4, 16, 128 and 1024 slots in
batches of 16, 4, 1 and 1 accounts (at arity 2 the same sizes, at arity 8 the largest
power of 8 that is not larger: 8, 1, 1, 1).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publisher.errors import InputError
from verifier import text_fields
from verifier.manifest import (
    COSIGN_SCHEMES,
    MAX_BATCH_DEPTH,
    MAX_BATCH_SIZE,
    MAX_COSIGNERS,
    MAX_SUPPLY,
    MAX_WRAPPED,
    WRAPPED_CHAINS,
    Cosigner,
    WrappedToken,
    cosigner_key_problem,
)
from verifier.protocol import MAX_ASSETS
from verifier.reserves import check_evm_address

ARITIES = (2, 4, 8)
MAX_DECIMALS = 30
#: Totals are 96-bit limbs, sized for 2^32 accounts at the largest balance.
MAX_PAD_TO = 1 << 32
MAX_ISSUER_NAME = 200

_AS_OF_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)
_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TABLES = {
    "issuer": frozenset({"name", "url"}),
    "attestation": frozenset({"id", "as_of", "site_url"}),
    "tree": frozenset({"arity", "batch_depth", "pad_to"}),
}
_ASSET_KEYS = frozenset({"symbol", "decimals"})
_WRAPPED_KEYS = frozenset({"symbol", "origin", "chain", "contract", "decimals", "supply", "block"})
_COSIGNER_KEYS = frozenset({"name", "scheme", "key"})
#: The optional arrays of tables, besides ``[[assets]]``.
_ARRAYS = ("assets", "wrapped", "cosigners")


@dataclass(frozen=True)
class Asset:
    """One asset: its symbol and how many decimals one unit of a balance is."""

    symbol: str
    decimals: int


@dataclass(frozen=True)
class Config:
    """The validated contents of ``zkpor.toml``."""

    issuer_name: str
    issuer_url: str
    attestation_id: str
    as_of: str
    assets: tuple[Asset, ...]
    arity: int
    batch_depth: int
    pad_to: int
    #: Where the site will be published ("" if not said): codes.csv links point there.
    site_url: str = ""
    #: Wrapped tokens; their ``collateral`` is 0 here (the signed wallets add it up).
    wrapped: tuple[WrappedToken, ...] = ()
    cosigners: tuple[Cosigner, ...] = ()

    @property
    def batch_size(self) -> int:
        """Return ``B = arity**batch_depth``, the accounts one batch proof covers."""
        return int(self.arity**self.batch_depth)


class _Source:
    """The file's name and text, to point an error at the line of a key."""

    def __init__(self, path: Path, text: str) -> None:
        self.file = str(path)
        self.lines = text.splitlines()

    def line_of(self, table: str, index: int | None, key: str | None) -> int | None:
        """Return the line of ``key =`` in ``[table]`` (the ``index``-th ``[[table]]``).

        With ``key`` None, or when the key is not found, return the line of the table
        header; ``None`` if that is not found either (top-level keys have table "").
        """
        want = (table, index or 0)
        current = ("", 0)
        counts: dict[str, int] = {}
        header: int | None = None
        key_re = None if key is None else re.compile(rf"\s*(['\"]?){re.escape(key)}\1\s*=")
        for number, raw in enumerate(self.lines, start=1):
            name = _header_name(raw)
            if name is not None:
                counts[name] = counts.get(name, -1) + 1
                current = (name, counts[name] if raw.lstrip().startswith("[[") else 0)
                if current == want:
                    header = number
            elif current == want and key_re is not None and key_re.match(raw):
                return number
        return header

    def error(self, table: str, index: int | None, key: str | None, reason: str) -> InputError:
        """Return an ``InputError`` for the field ``table[index].key``, with its line."""
        name = table if index is None else f"{table}[{index}]"
        field = name if key is None else (f"{name}.{key}" if name else key)
        return InputError(self.file, self.line_of(table, index, key), field, reason)


def _header_name(raw: str) -> str | None:
    """Return the table name if ``raw`` is a ``[table]`` or ``[[table]]`` header."""
    line = raw.strip()
    if not line.startswith("["):
        return None
    inner = line.lstrip("[").split("]", 1)[0]
    return "".join(inner.split())


class _Table:
    """One TOML table being validated, with the error location of each key."""

    def __init__(self, source: _Source, name: str, index: int | None, data: dict[str, Any]) -> None:
        self.source = source
        self.name = name
        self.index = index
        self.data = data

    def fail(self, key: str | None, reason: str) -> InputError:
        return self.source.error(self.name, self.index, key, reason)

    def check_keys(self, allowed: frozenset[str]) -> None:
        for key in self.data:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                raise self.fail(key, f"unknown key (expected: {expected})")

    def get(self, key: str) -> Any:
        if key not in self.data:
            raise self.fail(key, "missing key")
        return self.data[key]

    def string(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, found {_toml_type(value)}")
        return value

    def integer(self, key: str, default: int | None = None) -> int:
        if default is not None and key not in self.data:
            return default
        value = self.get(key)
        # bool is a subclass of int in Python, not in TOML.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"must be an integer, found {_toml_type(value)}")
        return value


def _toml_type(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    for kind, name in names.items():
        if isinstance(value, kind):
            return f"{name} ({value!r})" if kind in (bool, int, float, str) else name
    return type(value).__name__


def _parse(path: Path) -> tuple[_Source, dict[str, Any]]:
    """Read and parse the file; syntax and encoding errors become ``InputError``."""
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(file, None, None, f"cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(file, line, None, "invalid UTF-8") from None
    try:
        return _Source(path, text), tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11 keeps the position only in the message: "... (at line 3, column 7)".
        message = str(exc)
        found = _TOML_POSITION_RE.search(message)
        at_line = int(found.group(1)) if found else None
        reason = message[: found.start()] if found else message
        raise InputError(file, at_line, None, f"TOML syntax error: {reason}") from None


def _table(source: _Source, data: dict[str, Any], name: str) -> _Table:
    """Return the required ``[name]`` table, its keys checked."""
    if name not in data:
        raise source.error(name, None, None, f"missing section [{name}]")
    value = data[name]
    if not isinstance(value, dict):
        raise source.error("", None, name, f"must be a table [{name}], found {_toml_type(value)}")
    table = _Table(source, name, None, value)
    table.check_keys(_TABLES[name])
    return table


def _plain_text(table: _Table, key: str, limit: int) -> str:
    """Return a string that prints as written: trimmed, bounded, no control characters."""
    value = table.string(key)
    if not value or value != value.strip():
        raise table.fail(key, "must be non-empty, without leading or trailing whitespace")
    if len(value) > limit:
        raise table.fail(key, f"is {len(value)} characters, at most {limit}")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise table.fail(key, "contains a control or invisible character")
    return value


def _issuer(table: _Table) -> tuple[str, str]:
    name = _plain_text(table, "name", MAX_ISSUER_NAME)
    if problem := text_fields.issuer_name_problem(name):
        raise table.fail("name", f"{problem}, found {name!r}")
    return name, _https_url(table, "url")


def _https_url(table: _Table, key: str) -> str:
    url = _plain_text(table, key, text_fields.MAX_URL)
    parts = urlsplit(url)
    # The site links to it: a plain-http link could be rewritten on the way, and any other
    # scheme (javascript:) or character (quotes, brackets) could turn the link into markup.
    problem = text_fields.https_url_problem(url)
    if problem is None and not parts.hostname:
        problem = "must name a host"
    if problem:
        raise table.fail(key, f"{problem}, found {url!r}")
    return url


def _site_url(table: _Table) -> str:
    """Return the optional site URL, ending in "/" so relative links resolve under it."""
    if "site_url" not in table.data:
        return ""
    url = _https_url(table, "site_url")
    return url if url.endswith("/") else url + "/"


def _attestation_id(table: _Table) -> str:
    value = table.string("id")
    # Used in file and directory names: "." and ".." would name something else.
    if problem := text_fields.attestation_id_problem(value):
        raise table.fail("id", f"{value!r} {problem}")
    return value


def _as_of(table: _Table) -> str:
    value = table.get("as_of")
    if isinstance(value, datetime):
        # An unquoted TOML date-time; a local one (no offset) says nothing about UTC.
        if value.utcoffset() is None:
            raise table.fail("as_of", "must carry a UTC offset (end with Z)")
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    else:
        found = _toml_type(value)
        raise table.fail("as_of", f"must be an RFC 3339 date-time string, found {found}")
    return _normalize_as_of(table, text)


def _normalize_as_of(table: _Table, text: str) -> str:
    match = _AS_OF_RE.fullmatch(text)
    if match is None:
        raise table.fail(
            "as_of", f"{text!r} is not an RFC 3339 date-time such as 2026-11-21T00:00:00Z"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    if fraction and fraction.strip(".0"):
        raise table.fail("as_of", f"{text!r}: fractional seconds are not supported")
    if offset not in ("Z", "z", "+00:00", "-00:00"):
        raise table.fail("as_of", f"{text!r} must be in UTC (end with Z)")
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise table.fail("as_of", f"{text!r} is not a valid date-time: {exc}") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tree(table: _Table) -> tuple[int, int, int]:
    arity = table.integer("arity")
    if arity not in ARITIES:
        raise table.fail("arity", f"must be 2, 4 or 8, found {arity}")
    depth = table.integer("batch_depth")
    if depth < 1:
        raise table.fail("batch_depth", f"must be at least 1, found {depth}")
    # The depth first: arity**depth of a huge depth would exhaust memory (found by
    # tests/fuzz: a config with a 400-digit batch_depth took 24 GB).
    if depth > MAX_BATCH_DEPTH or arity**depth > MAX_BATCH_SIZE:
        raise table.fail(
            "batch_depth",
            f"a batch of {arity}**{depth} accounts is too large to prove (at most 2**18)",
        )
    pad_to = table.integer("pad_to", default=0)
    if not 0 <= pad_to <= MAX_PAD_TO:
        raise table.fail("pad_to", f"must be in 0..2**32, found {pad_to}")
    return arity, depth, pad_to


def _assets(source: _Source, data: dict[str, Any]) -> tuple[Asset, ...]:
    entries = data.get("assets")
    if entries is None:
        raise source.error("assets", None, None, "missing [[assets]]: at least one asset")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        # Written as a single [assets] table, it is found by its header; else by "assets =".
        where, key = ("assets", None) if isinstance(entries, dict) else ("", "assets")
        raise source.error(where, None, key, "must be an array of tables ([[assets]] entries)")
    if not entries:
        raise source.error("", None, "assets", "at least one asset is required")
    if len(entries) > MAX_ASSETS:
        raise source.error(
            "assets",
            MAX_ASSETS,
            None,
            f"{len(entries)} assets, zkpor/1 supports at most {MAX_ASSETS}",
        )
    assets: list[Asset] = []
    for index, entry in enumerate(entries):
        table = _Table(source, "assets", index, entry)
        assets.append(_asset(table, assets))
    return tuple(assets)


def _asset(table: _Table, earlier: list[Asset]) -> Asset:
    table.check_keys(_ASSET_KEYS)
    symbol = table.string("symbol")
    if text_fields.symbol_problem(symbol):
        raise table.fail("symbol", f"{symbol!r} must match [A-Z0-9]{{1,12}}")
    for other_index, other in enumerate(earlier):
        if other.symbol == symbol:
            raise table.fail("symbol", f"duplicate symbol {symbol!r} (also assets[{other_index}])")
    decimals = table.integer("decimals")
    if not 0 <= decimals <= MAX_DECIMALS:
        raise table.fail("decimals", f"must be in 0..{MAX_DECIMALS}, found {decimals}")
    return Asset(symbol=symbol, decimals=decimals)


def _array(source: _Source, data: dict[str, Any], name: str, limit: int) -> list[_Table]:
    """Return the tables of the optional ``[[name]]`` array, at most ``limit`` of them."""
    entries = data.get(name, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        where, key = (name, None) if isinstance(entries, dict) else ("", name)
        raise source.error(where, None, key, f"must be an array of tables ([[{name}]] entries)")
    if len(entries) > limit:
        raise source.error(name, limit, None, f"{len(entries)} entries, at most {limit}")
    return [_Table(source, name, index, entry) for index, entry in enumerate(entries)]


def _wrapped(
    source: _Source, data: dict[str, Any], assets: tuple[Asset, ...]
) -> tuple[WrappedToken, ...]:
    tokens: list[WrappedToken] = []
    for table in _array(source, data, "wrapped", MAX_WRAPPED):
        table.check_keys(_WRAPPED_KEYS)
        symbol = table.string("symbol")
        if text_fields.symbol_problem(symbol):
            raise table.fail("symbol", f"{symbol!r} must match [A-Z0-9]{{1,12}}")
        if any(t.symbol == symbol for t in tokens):
            raise table.fail("symbol", f"duplicate wrapped token {symbol!r}")
        origin = table.string("origin")
        if origin not in {a.symbol for a in assets}:
            known = ", ".join(a.symbol for a in assets)
            raise table.fail("origin", f"{origin!r} is not an [[assets]] symbol ({known})")
        chain = table.string("chain")
        if chain not in WRAPPED_CHAINS:
            raise table.fail(
                "chain", f"must be one of {', '.join(WRAPPED_CHAINS)}, found {chain!r}"
            )
        contract = table.string("contract")
        try:
            check_evm_address(contract)
        except ValueError as exc:
            raise table.fail("contract", str(exc)) from None
        decimals = table.integer("decimals")
        if not 0 <= decimals <= 77:
            raise table.fail("decimals", f"must be in 0..77, found {decimals}")
        block = table.integer("block")
        if not 0 <= block < 1 << 63:
            raise table.fail("block", f"must be a block height, found {block}")
        tokens.append(
            WrappedToken(
                symbol, origin, chain, contract, decimals, _supply(table, decimals), block, 0
            )
        )
    return tuple(tokens)


def _supply(table: _Table, decimals: int) -> int:
    """Return the issued supply in units: exact, since it is compared with the chain."""
    text = table.string("supply")
    whole, dot, fraction = text.partition(".")
    if not (text.isascii() and whole.isdigit() and (fraction.isdigit() or not dot)):
        raise table.fail("supply", f"must be a plain decimal number such as 12.5, found {text!r}")
    if len(fraction) > decimals and fraction[decimals:].strip("0"):
        raise table.fail("supply", f"has more than the token's {decimals} decimals: {text!r}")
    units = int(whole + fraction[:decimals].ljust(decimals, "0"))
    if units >= MAX_SUPPLY:
        raise table.fail("supply", "is too large (at most 2^256 - 1 units)")
    return units


def _cosigners(source: _Source, data: dict[str, Any]) -> tuple[Cosigner, ...]:
    pinned: list[Cosigner] = []
    for table in _array(source, data, "cosigners", MAX_COSIGNERS):
        table.check_keys(_COSIGNER_KEYS)
        name = _plain_text(table, "name", MAX_ISSUER_NAME)
        if problem := text_fields.issuer_name_problem(name):
            raise table.fail("name", f"{problem}, found {name!r}")
        scheme = table.string("scheme")
        if scheme not in COSIGN_SCHEMES:
            raise table.fail(
                "scheme", f"must be one of {', '.join(COSIGN_SCHEMES)}, found {scheme!r}"
            )
        written = table.string("key")
        if scheme == "eip191":
            try:
                check_evm_address(written)
            except ValueError as exc:
                raise table.fail("key", str(exc)) from None
        # One spelling per key (lowercase hex), as the manifest compares keys as text.
        key = written.lower()
        if problem := cosigner_key_problem(scheme, key):
            raise table.fail("key", problem)
        if any((c.scheme, c.key) == (scheme, key) for c in pinned):
            raise table.fail("key", "this key is pinned twice")
        pinned.append(Cosigner(name, scheme, key))
    return tuple(pinned)


def load_config(path: Path) -> Config:
    """Read ``zkpor.toml`` at ``path``; raise ``InputError`` on the first problem."""
    source, data = _parse(path)
    for key, value in data.items():
        if key not in _TABLES and key not in _ARRAYS:
            # A table is found by its [header], a plain key by its "key =" line.
            table, name = (key, None) if isinstance(value, dict) else ("", key)
            expected = ", ".join([*_TABLES, *_ARRAYS])
            raise source.error(table, None, name, f"unknown section (expected: {expected})")
    issuer_name, issuer_url = _issuer(_table(source, data, "issuer"))
    attestation = _table(source, data, "attestation")
    attestation_id, as_of = _attestation_id(attestation), _as_of(attestation)
    site_url = _site_url(attestation)
    arity, batch_depth, pad_to = _tree(_table(source, data, "tree"))
    assets = _assets(source, data)
    return Config(
        issuer_name=issuer_name,
        issuer_url=issuer_url,
        attestation_id=attestation_id,
        as_of=as_of,
        assets=assets,
        arity=arity,
        batch_depth=batch_depth,
        pad_to=pad_to,
        site_url=site_url,
        wrapped=_wrapped(source, data, assets),
        cosigners=_cosigners(source, data),
    )


# -- zkpor/2 ------------------------------------------------------------------------------

#: Slots of an account, at most (a registry holds at most 1,024 assets).
MAX_SLOTS = 1024
#: ``[[shapes]]`` entries, at most.
MAX_SHAPES = 16
#: Default zkpor/2 shapes: (slots, accounts per batch).
DEFAULT_SHAPES = ((4, 16), (16, 4), (128, 1), (1024, 1))
_TREE2_KEYS = frozenset({"arity"})
_SHAPE_KEYS = frozenset({"slots", "batch_depth"})
_SECTIONS2 = ("issuer", "attestation", "tree", "shapes", "cosigners")


@dataclass(frozen=True)
class Shape:
    """One zkpor/2 circuit shape: ``slots`` held assets per account, batches of
    ``arity**batch_depth`` accounts."""

    slots: int
    batch_depth: int


@dataclass(frozen=True)
class Config2:
    """The validated contents of ``zkpor.toml`` for a zkpor/2 attestation."""

    issuer_name: str
    issuer_url: str
    attestation_id: str
    as_of: str
    arity: int
    #: Strictly increasing slots.
    shapes: tuple[Shape, ...]
    site_url: str = ""
    cosigners: tuple[Cosigner, ...] = ()


def default_shapes(arity: int) -> tuple[Shape, ...]:
    """Return ``DEFAULT_SHAPES`` at ``arity``: each batch size rounded down to a power."""
    shapes = []
    for slots, size in DEFAULT_SHAPES:
        depth = 0
        while arity ** (depth + 1) <= size:
            depth += 1
        shapes.append(Shape(slots, depth))
    return tuple(shapes)


def _shapes(source: _Source, data: dict[str, Any], arity: int) -> tuple[Shape, ...]:
    if "shapes" not in data:
        return default_shapes(arity)
    tables = _array(source, data, "shapes", MAX_SHAPES)
    if not tables:
        raise source.error("", None, "shapes", "at least one shape is required")
    shapes: list[Shape] = []
    for table in tables:
        table.check_keys(_SHAPE_KEYS)
        slots = table.integer("slots")
        if not 1 <= slots <= MAX_SLOTS:
            raise table.fail("slots", f"must be in 1..{MAX_SLOTS}, found {slots}")
        if shapes and slots <= shapes[-1].slots:
            raise table.fail(
                "slots", f"must be larger than the previous shape's {shapes[-1].slots}"
            )
        depth = table.integer("batch_depth")
        if depth < 0:
            raise table.fail("batch_depth", f"must be at least 0, found {depth}")
        if depth > MAX_BATCH_DEPTH or arity**depth > MAX_BATCH_SIZE:
            raise table.fail(
                "batch_depth",
                f"a batch of {arity}**{depth} accounts is too large to prove (at most 2**18)",
            )
        shapes.append(Shape(slots, depth))
    return tuple(shapes)


def load_config2(path: Path) -> Config2:
    """Read ``zkpor.toml`` for zkpor/2 at ``path``; raise ``InputError`` on the first problem."""
    source, data = _parse(path)
    for key, value in data.items():
        if key not in _SECTIONS2:
            table, name = (key, None) if isinstance(value, dict) else ("", key)
            index = 0 if isinstance(value, list) else None
            if isinstance(value, list):
                table, name = key, None
            if key in ("assets", "wrapped"):
                reason = f"not used by zkpor/2 (its assets are the registry's): remove [[{key}]]"
            else:
                reason = f"unknown section (expected: {', '.join(_SECTIONS2)})"
            raise source.error(table, index, name, reason)
    issuer_name, issuer_url = _issuer(_table(source, data, "issuer"))
    attestation = _table(source, data, "attestation")
    attestation_id, as_of = _attestation_id(attestation), _as_of(attestation)
    site_url = _site_url(attestation)
    if "tree" not in data:
        raise source.error("tree", None, None, "missing section [tree]")
    if not isinstance(data["tree"], dict):
        found = _toml_type(data["tree"])
        raise source.error("", None, "tree", f"must be a table [tree], found {found}")
    tree = _Table(source, "tree", None, data["tree"])
    for key in tree.data:
        if key not in _TREE2_KEYS:
            reason = (
                "is per shape in zkpor/2 ([[shapes]])"
                if key == "batch_depth"
                else "unknown key (expected: arity)"
            )
            raise tree.fail(key, reason)
    arity = tree.integer("arity")
    if arity not in ARITIES:
        raise tree.fail("arity", f"must be 2, 4 or 8, found {arity}")
    return Config2(
        issuer_name=issuer_name,
        issuer_url=issuer_url,
        attestation_id=attestation_id,
        as_of=as_of,
        arity=arity,
        shapes=_shapes(source, data, arity),
        site_url=site_url,
        cosigners=_cosigners(source, data),
    )
