"""Read the custodian's reserve wallets (``reserves.csv``), strictly, signatures included.

Format (UTF-8, a BOM tolerated, RFC 4180 as the stdlib ``csv`` reads it)::

    chain,asset,address,balance,as_of,signature,role
    ethereum,ETH,0x5aAe...,1500.25,21000000,0x4f1c...1b,customer
    bitcoin,BTC,1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,12.5,870000,H8k2...=,wrapped:ZBTC
    solana,SOL,7xKX...,40000,2026-11-21T00:00:00Z,5VEr...,protection-fund

* The header is exactly these seven columns, in this order. (The six-column file of
  earlier versions is refused with its reason: its signatures do not name a role.)
* ``chain``: ``ethereum``, ``bitcoin`` or ``solana``; ``asset``: a configured symbol.
* ``address``: well formed for its chain (see ``verifier.reserves`` for the covered
  Bitcoin address types); an EVM address in mixed case must carry its EIP-55 checksum.
* ``balance``: a plain decimal string as in ``liabilities.csv``. Digits beyond the asset's
  ``decimals`` are rounded DOWN (reserves are never overstated) and counted per asset.
* ``as_of``: the block height or UTC time (``YYYY-MM-DDTHH:MM:SSZ``) of the balance.
* ``signature``: over ``verifier.reserves.reserve_message`` for this attestation and the
  wallet's role; it is checked here, so a file that would fail ``zkpor verify`` is never
  published.
* ``role``: ``customer``, ``protection-fund``, ``corporate`` or ``wrapped:<TOKEN>`` for a
  ``[[wrapped]]`` token of ``zkpor.toml``, whose wallets hold its origin asset.
* A wallet (chain and ``verifier.reserves.canonical_address``: a Bitcoin address's
  scriptPubKey, so ``BC1Q...`` is ``bc1q...``; EVM bytes; Solana key) appears once: twice
  for one asset is a duplicate, for two assets it would let one asset stand in for
  another, in two roles it would back customers and a wrapped token at once. All are
  errors.
* A header-only file is an error.

Like ``publisher.attest.ingest`` this raises ``InputError(file, line, field, reason)`` at the
first problem and writes nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

from publisher.config import Config
from publisher.crypto import NaclBackend
from publisher.errors import InputError
from verifier.reserves import Wallet, check_address, check_as_of, check_ownership
from verifier.segregation import role_problem

COLUMNS = ("chain", "asset", "address", "balance", "as_of", "signature", "role")
#: A wallet holds less than 2^128 units: far more than any real balance.
WALLET_LIMIT = 1 << 128


def parse_reserve_amount(text: str, decimals: int) -> tuple[int, bool]:
    """Return ``(units, rounded)``: ``text`` scaled to ``10^-decimals``, rounded DOWN."""
    whole, dot, fraction = text.partition(".")
    if not (text.isascii() and whole.isdigit() and (fraction.isdigit() or not dot)):
        raise ValueError(
            "malformed amount: expected a plain decimal number such as 12.5 (ASCII digits, "
            "at most one '.', no sign, exponent, space or thousands separator)"
        )
    if len(whole.lstrip("0")) > 40:
        raise ValueError("amount too large")
    units = int(whole + fraction[:decimals].ljust(decimals, "0"))
    if units >= WALLET_LIMIT:
        raise ValueError("amount too large: a wallet holds less than 2^128 units")
    return units, bool(fraction[decimals:].strip("0"))


def read_reserves(path: Path, config: Config) -> tuple[list[Wallet], dict[str, int]]:
    """Return the wallets of ``reserves.csv`` and, per asset, how many balances were
    rounded down; raise ``InputError`` at the first problem (see the module docstring)."""
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(file, None, None, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise InputError(file, line, None, "invalid UTF-8: save the file as UTF-8") from None
    decimals = {asset.symbol: asset.decimals for asset in config.assets}
    rounded = dict.fromkeys(decimals, 0)
    rows = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(rows, None)
        if header is None or tuple(header) != COLUMNS:
            reason = f"the header must be {','.join(COLUMNS)}"
            if header is not None and tuple(header) == COLUMNS[:-1]:
                reason += (
                    " (the role column is new: every wallet now signs its role, see "
                    "docs/reserves.md; sign again with `zkpor reserves message --role`)"
                )
            raise InputError(file, 1, "header", reason)
        wallets: list[Wallet] = []
        seen: dict[tuple[str, bytes], tuple[int, Wallet]] = {}
        wrapped = {token.symbol: token.origin for token in config.wrapped}
        backend = NaclBackend()
        last = rows.line_num
        for row in rows:
            line, last = last + 1, rows.line_num
            if len(row) != len(COLUMNS):
                reason = f"expected {len(COLUMNS)} cells ({','.join(COLUMNS)}), found {len(row)}"
                raise InputError(file, line, None, reason)
            wallet = _wallet(file, line, row, decimals, rounded)
            if (problem := role_problem(wallet.role or "", wallet.asset, wrapped)) is not None:
                raise InputError(file, line, "role", problem)
            try:
                key = wallet.key()
            except ValueError as exc:
                raise InputError(file, line, "address", str(exc)) from exc
            if key in seen:
                raise InputError(file, line, "address", _counted_twice(wallet, *seen[key]))
            seen[key] = (line, wallet)
            try:
                check_ownership(config.attestation_id, wallet, backend)
            except ValueError as exc:
                raise InputError(file, line, "signature", str(exc)) from None
            wallets.append(wallet)
    except csv.Error as exc:
        raise InputError(file, rows.line_num, None, f"malformed CSV: {exc}") from None
    if not wallets:
        raise InputError(file, None, None, "no wallets: the file has a header but no rows")
    return wallets, rounded


def _counted_twice(wallet: Wallet, first: int, other: Wallet) -> str:
    """Return why ``wallet`` is refused: it is the wallet of line ``first`` again."""
    if other.role != wallet.role:
        return (
            f"the same wallet is declared as {other.role} on line {first}: a wallet has "
            "exactly one role (one wallet cannot back customers and a wrapped token at once)"
        )
    if other.asset != wallet.asset:
        return (
            f"the same wallet is counted for {other.asset} on line {first}: one wallet may "
            "back one asset only"
        )
    return f"duplicated wallet, first on line {first}"


def _wallet(
    file: str, line: int, row: list[str], decimals: dict[str, int], rounded: dict[str, int]
) -> Wallet:
    """Return the wallet of one row; raise ``InputError`` naming its first bad field."""
    chain, asset, address, balance, as_of, signature, role = row
    try:
        check_address(chain, "")
    except ValueError as exc:
        if "unknown chain" in str(exc):
            raise InputError(file, line, "chain", str(exc)) from None
    if asset not in decimals:
        known = ", ".join(decimals)
        raise InputError(file, line, "asset", f"unknown asset (configured assets: {known})")
    try:
        check_address(chain, address)
    except ValueError as exc:
        raise InputError(file, line, "address", str(exc)) from None
    try:
        units, was_rounded = parse_reserve_amount(balance, decimals[asset])
    except ValueError as exc:
        raise InputError(file, line, "balance", str(exc)) from None
    rounded[asset] += was_rounded
    try:
        check_as_of(as_of)
    except ValueError as exc:
        raise InputError(file, line, "as_of", str(exc)) from None
    if not signature:
        raise InputError(file, line, "signature", "missing signature")
    return Wallet(chain, asset, address, units, as_of, signature, role)
