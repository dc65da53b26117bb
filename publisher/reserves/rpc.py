"""Compare the declared EVM reserve balances of an attestation with a node, over JSON-RPC.

``zkpor verify`` proves that the custodian controls each reserve wallet (a signature per
wallet) but takes the declared balances on trust. ``zkpor reserves check`` asks an
Ethereum node what each EVM wallet held at its stated block:

* The native asset of the chain (``ethereum``: ETH, 18 decimals on chain) is read with
  ``eth_getBalance(address, block)``, the block hex-encoded as JSON-RPC wants it.
* Any other asset on an EVM chain is an ERC-20 token. ``reserves.json`` names no token
  contract: zkpor/1 signs (chain, asset, address, as of) only, and a contract column would
  change the files every verifier reads. Whoever checks names the contract instead,
  ``--token USDT=0xdAC17F958D2ee523a2206206994597C13D831ec7``; it is public, and better
  chosen by the checker than taken from the custodian's file. Then ``eth_call`` of
  ``decimals()`` and ``balanceOf(address)`` on it at the stated block. Without ``--token``
  the wallet is SKIP, saying so.
* A wallet whose as-of point is a UTC time (no block) is SKIP; wallets of chains without
  an EVM node (bitcoin, solana) are SKIP "not checked (no EVM RPC)".

Every wallet is checked this way whatever its role (``verifier.segregation``): customer
wallets, the collateral wallets of a wrapped token (``wrapped:<TOKEN>``), the protection
fund and corporate wallets all state a balance at a block, and the results name the role.

The rule is ``declared <= on chain``: a wallet that holds more than declared still backs
the declared reserves, one that holds less does not (MISMATCH, with the shortfall).
Amounts are compared exactly at the finer of the two precisions: declared balances are in
units of the asset's configured decimals (ETH at 9 in the demo, so 1 unit = 10^9 wei).
A wallet the node cannot answer for (a block it has not reached, past state a pruned node
no longer has, no contract at the token address) is ERROR.

Each wrapped token of the manifest's ``segregation.wrapped`` states its issued supply at a
block; the collateral is measured against that supply, so it must be the chain's. Its
contract (named by the manifest: the token is the custodian's own, and whoever holds it can
see that the address is the one they hold) is asked ``decimals()`` and ``totalSupply()``
with ``eth_call`` at that block. The rule is ``declared == on chain``, in both directions:

* more on chain than declared: tokens were issued that the attestation does not show, so
  the token's liabilities are under-stated and its 1:1 backing is not proven (MISMATCH);
* less on chain than declared: the declared supply is false too, if harmlessly so for the
  backing (MISMATCH, saying which);
* ``decimals()`` other than the declared decimals: the declared supply is in other units
  (MISMATCH);
* a node error, a revert, no code at the contract at that block: ERROR;
* a token on a chain without an EVM node: SKIP.

The check passes only when at least one wallet or supply was compared and none is
MISMATCH or ERROR.

Before any wallet or token the node's chain id must be the chain's (1 for ``ethereum``):
balances and supplies on a test network prove nothing about mainnet reserves. The RPC URL
may carry an API key in its path or query, so messages name only its scheme, host and port.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verifier.attestation import AttestationFiles, file_problem, read_manifest
from verifier.errors import MalformedInput
from verifier.manifest import RESERVES, WrappedToken, format_units
from verifier.reserves import Wallet, check_evm_address, parse_reserves
from verifier.segregation import CUSTOMER
from verifier.strict_json import show

#: EVM chains zkpor/1 knows: chain -> (chain id, native asset symbol, native decimals).
EVM_CHAINS: dict[str, tuple[int, str, int]] = {"ethereum": (1, "ETH", 18)}
TIMEOUT = 10.0
MAX_REPLY_BYTES = 1 << 20
#: ERC-20 function selectors: the first 4 bytes of keccak256 of each signature.
BALANCE_OF, DECIMALS, TOTAL_SUPPLY = "0x70a08231", "0x313ce567", "0x18160ddd"
STATUSES = ("OK", "MISMATCH", "ERROR", "SKIP")
_QUANTITY = re.compile(r"0x[0-9a-fA-F]{1,64}")
_WORD = re.compile(r"0x[0-9a-fA-F]{64}")


class NodeError(Exception):
    """The node cannot be used at all: unreachable, not JSON-RPC, or on another chain."""


class RpcError(Exception):
    """The node answered one call with a JSON-RPC error."""


class JsonRpc:
    """A minimal JSON-RPC 2.0 client over HTTP(S) POST (stdlib ``urllib``)."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NodeError("--rpc must be an http:// or https:// URL of an Ethereum node")
        self.url, self.timeout, self._id = url, timeout, 0
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        port = f":{parts.port}" if parts.port else ""
        #: What messages show of the URL: never its path, query or user (API keys live there).
        self.origin = f"{parts.scheme}://{host}{port}"

    def call(self, method: str, params: Sequence[object]) -> object:
        """Return the ``result`` of ``method``; raise ``RpcError`` for a JSON-RPC error
        reply and ``NodeError`` when there is no usable reply at all."""
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params})
        request = urllib.request.Request(
            self.url,
            data=body.encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        where = f"the node at {self.origin}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(MAX_REPLY_BYTES + 1)
        except urllib.error.HTTPError as exc:  # some nodes send JSON-RPC errors with 4xx/5xx
            raw = exc.read(MAX_REPLY_BYTES + 1)
            if not raw.lstrip().startswith(b"{"):
                raise NodeError(f"{where} answered {method} with HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:  # TimeoutError is an OSError
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                reason = f"no answer to {method} within {self.timeout:g} s"
            raise NodeError(f"cannot reach {where}: {reason}") from None
        return self._result(method, raw, where)

    def _result(self, method: str, raw: bytes, where: str) -> object:
        """Return the result of a JSON-RPC reply, checked to be one (see ``call``)."""
        if len(raw) > MAX_REPLY_BYTES:
            raise NodeError(f"{where} sent more than {MAX_REPLY_BYTES} bytes for {method}")
        try:
            reply = json.loads(raw)
        except ValueError:
            raise NodeError(
                f"{where} did not answer {method} with JSON: not a JSON-RPC node?"
            ) from None
        if not isinstance(reply, dict) or reply.get("id") != self._id:
            raise NodeError(f"{where} did not answer {method} as JSON-RPC 2.0")
        error = reply.get("error")
        if error is not None:
            message = str(error.get("message") if isinstance(error, dict) else error)
            text = "".join(c if c.isprintable() else "?" for c in message[:200])
            raise RpcError(f"the node refused {method}: {text}")
        if "result" not in reply:
            raise NodeError(f"{where} answered {method} without a result")
        return reply["result"]


def quantity(value: object, what: str) -> int:
    """Return the integer of a JSON-RPC quantity (``0x`` + hex digits)."""
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise RpcError(f"the node's {what} is not a hex quantity: {show(value)}")
    return int(value, 16)


@dataclass(frozen=True)
class WalletResult:
    """The outcome for one wallet: OK, MISMATCH, SKIP or ERROR, with amounts as decimal
    strings in whole tokens (``on_chain`` None when the node was not asked or failed)."""

    wallet: Wallet
    status: str
    declared: str
    on_chain: str | None
    detail: str

    @property
    def role(self) -> str:
        """Return the wallet's role; wallets of attestations made before roles are
        customer wallets (``verifier.segregation``)."""
        return self.wallet.role or CUSTOMER

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON object (``--json``); ``role`` is null for the
        wallets of attestations made before roles."""
        w = self.wallet
        return {
            "status": self.status,
            "chain": w.chain,
            "asset": w.asset,
            "address": w.address,
            "role": w.role,
            "as_of": w.as_of,
            "declared": self.declared,
            "on_chain": self.on_chain,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class SupplyResult:
    """The outcome for one wrapped token's declared supply: OK, MISMATCH, SKIP or ERROR.
    ``declared`` is the supply in whole tokens at the declared decimals, ``on_chain``
    ``totalSupply()`` in whole tokens at the decimals the contract reports (both None when
    the node was not asked or failed)."""

    token: WrappedToken
    status: str
    declared: str
    on_chain: str | None
    on_chain_decimals: int | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON object (``--json``)."""
        t = self.token
        return {
            "status": self.status,
            "symbol": t.symbol,
            "origin": t.origin,
            "chain": t.chain,
            "contract": t.contract,
            "block": t.block,
            "decimals": t.decimals,
            "on_chain_decimals": self.on_chain_decimals,
            "declared": self.declared,
            "on_chain": self.on_chain,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Report:
    """The outcome of a check: one result per wallet and per wrapped token, in the
    attestation's order."""

    wallets: list[WalletResult]
    supplies: list[SupplyResult]

    def statuses(self) -> list[str]:
        """Return the status of every result, wallets first."""
        return [r.status for r in self.wallets] + [r.status for r in self.supplies]

    @property
    def passed(self) -> bool:
        """Whether something was compared and nothing is MISMATCH or ERROR."""
        statuses = set(self.statuses())
        return "OK" in statuses and not statuses & {"MISMATCH", "ERROR"}

    def to_json(self) -> dict[str, Any]:
        """Return the report as a JSON object (``--json``)."""
        return {
            "passed": self.passed,
            "wallets": [r.to_json() for r in self.wallets],
            "wrapped": [r.to_json() for r in self.supplies],
        }


def parse_tokens(specs: Sequence[str], decimals: Mapping[str, int]) -> dict[str, str]:
    """Return asset -> contract of the ``--token ASSET=0xCONTRACT`` options; raise
    ValueError for a malformed one, an unknown or native asset, or an asset given twice."""
    natives = {native for _, native, _ in EVM_CHAINS.values()}
    tokens: dict[str, str] = {}
    for spec in specs:
        asset, sep, contract = spec.partition("=")
        where = f"--token {spec}"
        if not sep:
            raise ValueError(f"{where}: expected ASSET=0xCONTRACT")
        if asset not in decimals:
            raise ValueError(f"{where}: {show(asset)} is not an asset of the attestation")
        if asset in natives:
            raise ValueError(f"{where}: {asset} is a chain's native asset, not a token")
        if asset in tokens:
            raise ValueError(f"{where}: a second contract for {asset}")
        try:
            check_evm_address(contract)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        tokens[asset] = contract
    return tokens


@dataclass(frozen=True)
class Reserves:
    """What an attestation declares that a node can check: its wallets, the decimals per
    asset, and its wrapped tokens (none in attestations made before roles)."""

    wallets: list[Wallet]
    decimals: dict[str, int]
    wrapped: tuple[WrappedToken, ...]


def read_reserves(read: Callable[[str], bytes]) -> Reserves:
    """Return the wallets of the attestation's ``reserves.json``, the decimals per asset
    and the manifest's wrapped tokens, once the manifest lists ``reserves.json`` with a
    matching sha256; raise ``MalformedInput``."""
    files = AttestationFiles(read)
    manifest, _ = read_manifest(files)
    if RESERVES not in manifest.files:
        raise MalformedInput(f"this attestation declares no reserves ({RESERVES} is not listed)")
    if problem := file_problem(files, RESERVES, manifest.files[RESERVES]):
        raise MalformedInput(problem)
    decimals = {a.symbol: a.decimals for a in manifest.assets}
    attestation_id, wallets = parse_reserves(files.json(RESERVES), decimals)
    if attestation_id != manifest.attestation_id:
        raise MalformedInput(f"{RESERVES} is for another attestation ({show(attestation_id)})")
    wrapped = () if manifest.segregation is None else manifest.segregation.wrapped
    return Reserves(wallets, decimals, wrapped)


def check_chain_id(rpc: JsonRpc, chains: Sequence[str]) -> None:
    """Raise ``NodeError`` unless the node is on every one of the EVM ``chains``."""
    try:
        chain_id = quantity(rpc.call("eth_chainId", []), "chain id")
    except RpcError as exc:
        raise NodeError(f"the node at {rpc.origin} gives no chain id: {exc}") from None
    for chain in sorted(set(chains)):
        expected = EVM_CHAINS[chain][0]
        if chain_id != expected:
            raise NodeError(
                f"the node at {rpc.origin} is on chain id {chain_id}, not {chain} "
                f"({expected}): its balances and supplies say nothing about this attestation"
            )


def skip_reason(wallet: Wallet, tokens: Mapping[str, str]) -> str | None:
    """Return why ``wallet`` cannot be asked of an EVM node, or None if it can."""
    if wallet.chain not in EVM_CHAINS:
        return "not checked (no EVM RPC)"
    if wallet.asset != EVM_CHAINS[wallet.chain][1] and wallet.asset not in tokens:
        return (
            f"ERC-20 {wallet.asset}: {RESERVES} names no token contract; pass "
            f"--token {wallet.asset}=0xCONTRACT to check it"
        )
    if not wallet.as_of.isdigit():
        return "as of a UTC time, not a block height: no block to ask at"
    return None


def supply_skip_reason(token: WrappedToken) -> str | None:
    """Return why the supply of ``token`` cannot be asked of an EVM node, or None."""
    if token.chain not in EVM_CHAINS:
        return "not checked (no EVM RPC)"
    return None


class _Checker:
    """Compares wallets and supplies with one node, whose head block is read once."""

    def __init__(self, rpc: JsonRpc, decimals: Mapping[str, int], tokens: Mapping[str, str]):
        self.rpc, self.decimals, self.tokens = rpc, decimals, tokens
        try:
            self.head = quantity(rpc.call("eth_blockNumber", []), "block number")
        except RpcError as exc:
            raise NodeError(f"the node at {rpc.origin} gives no block number: {exc}") from None

    def unreached(self, block: int) -> str | None:
        """Return why the node cannot answer for ``block`` yet, or None if it can try."""
        if block <= self.head:
            return None
        return (
            f"the node is at block {self.head}, before the stated block {block} "
            "(still syncing, or a wrong block height?)"
        )

    def check(self, wallet: Wallet) -> WalletResult:
        """Return the outcome for one wallet that ``skip_reason`` lets through."""
        declared = format_units(wallet.balance, self.decimals[wallet.asset])
        _, native, native_decimals = EVM_CHAINS[wallet.chain]
        block = int(wallet.as_of)
        if (late := self.unreached(block)) is not None:
            return WalletResult(wallet, "ERROR", declared, None, late)
        try:
            if wallet.asset == native:
                held, held_decimals = self._native(wallet.address, block), native_decimals
            else:
                held, held_decimals = self._token(self.tokens[wallet.asset], wallet, block)
        except RpcError as exc:
            return WalletResult(wallet, "ERROR", declared, None, f"at block {block}: {exc}")
        on_chain = format_units(held, held_decimals)
        short = -difference(held, held_decimals, wallet.balance, self.decimals[wallet.asset])
        if short > 0:
            scale = max(held_decimals, self.decimals[wallet.asset])
            detail = f"at block {block}: short by {format_units(short, scale)} {wallet.asset}"
            return WalletResult(wallet, "MISMATCH", declared, on_chain, detail)
        return WalletResult(wallet, "OK", declared, on_chain, f"at block {block}")

    def supply(self, token: WrappedToken) -> SupplyResult:
        """Return the outcome for one wrapped token that ``supply_skip_reason`` lets
        through: ``decimals()`` and ``totalSupply()`` at its block against the declared."""
        declared = format_units(token.supply, token.decimals)
        block = token.block
        if (late := self.unreached(block)) is not None:
            return SupplyResult(token, "ERROR", declared, None, None, late)
        try:
            decimals = self._decimals(token.contract, block)
            total = self._call_uint(token.contract, TOTAL_SUPPLY, block, "totalSupply()")
        except RpcError as exc:
            return SupplyResult(token, "ERROR", declared, None, None, f"at block {block}: {exc}")
        on_chain = format_units(total, decimals)
        problems = supply_problems(token, total, decimals)
        if problems:
            detail = f"at block {block}: " + "; ".join(problems)
            return SupplyResult(token, "MISMATCH", declared, on_chain, decimals, detail)
        detail = f"at block {block}: totalSupply() and decimals() ({decimals}) as declared"
        return SupplyResult(token, "OK", declared, on_chain, decimals, detail)

    def _native(self, address: str, block: int) -> int:
        """Return the native balance (wei) of ``address`` at ``block``."""
        return quantity(self.rpc.call("eth_getBalance", [address, hex(block)]), "balance")

    def _token(self, contract: str, wallet: Wallet, block: int) -> tuple[int, int]:
        """Return (balance, on-chain decimals) of ``wallet`` in ERC-20 ``contract``."""
        holder = wallet.address[2:].lower().rjust(64, "0")
        balance = self._call_uint(contract, BALANCE_OF + holder, block, "balanceOf")
        return balance, self._decimals(contract, block)

    def _decimals(self, contract: str, block: int) -> int:
        """Return ``decimals()`` of ERC-20 ``contract`` at ``block``, checked to be a uint8."""
        decimals = self._call_uint(contract, DECIMALS, block, "decimals()")
        if decimals > 255:
            raise RpcError(f"decimals() of {contract} is {decimals}, not a uint8")
        return decimals

    def _call_uint(self, contract: str, data: str, block: int, what: str) -> int:
        """Return the uint256 that ``eth_call`` of ``data`` on ``contract`` returns."""
        reply = self.rpc.call("eth_call", [{"to": contract, "data": data}, hex(block)])
        if reply == "0x":
            # A call to an address without code succeeds with no data; so does a contract
            # that does not return anything. Tell the two apart: they need different fixes.
            code = self.rpc.call("eth_getCode", [contract, hex(block)])
            if code == "0x":
                raise RpcError(f"no contract at {contract} (no code at this block)")
            raise RpcError(f"{what} of {contract} returned nothing: not an ERC-20?")
        if not isinstance(reply, str) or not _WORD.fullmatch(reply):
            raise RpcError(f"{what} of {contract} did not return one uint256: {show(reply)}")
        return int(reply, 16)


def difference(left: int, left_decimals: int, right: int, right_decimals: int) -> int:
    """Return ``left - right``, amounts in units of 10^-decimals each, exactly, in units of
    the finer of the two precisions."""
    scale = max(left_decimals, right_decimals)
    # int(): both exponents are >= 0, but mypy types int ** int as Any.
    return int(left * 10 ** (scale - left_decimals) - right * 10 ** (scale - right_decimals))


def supply_problems(token: WrappedToken, total: int, decimals: int) -> list[str]:
    """Return what is wrong with the declared supply of ``token`` against the chain's
    ``totalSupply()`` (``total`` units of 10^-``decimals``), as plain sentences."""
    problems = []
    if decimals != token.decimals:
        problems.append(
            f"decimals() is {decimals}, not the declared {token.decimals}: the declared "
            "supply is in other units than the token's"
        )
    more = difference(total, decimals, token.supply, token.decimals)
    if more:
        scale = max(decimals, token.decimals)
        by = f"{format_units(abs(more), scale)} {token.symbol}"
        on_chain = format_units(total, decimals)
        declared = format_units(token.supply, token.decimals)
        if more > 0:
            problems.append(
                f"totalSupply() is {on_chain}, {by} more than the declared {declared}: "
                "the attestation under-states the token's liabilities (its collateral is "
                "measured against the smaller declared supply)"
            )
        else:
            problems.append(
                f"totalSupply() is {on_chain}, {by} less than the declared {declared}: "
                "the declared supply is false, if not to the holders' harm (fewer tokens "
                "were issued than it states)"
            )
    return problems


def check_on_chain(rpc: JsonRpc, reserves: Reserves, tokens: Mapping[str, str]) -> Report:
    """Return one result per wallet and per wrapped token, in order. The node is asked
    only if something can be checked; raise ``NodeError`` if it is unusable (unreachable,
    another chain)."""
    reasons = [skip_reason(w, tokens) for w in reserves.wallets]
    supply_reasons = [supply_skip_reason(t) for t in reserves.wrapped]
    chains = [w.chain for w, r in zip(reserves.wallets, reasons, strict=True) if r is None]
    chains += [t.chain for t, r in zip(reserves.wrapped, supply_reasons, strict=True) if r is None]
    checker = None
    if chains:
        check_chain_id(rpc, chains)
        checker = _Checker(rpc, reserves.decimals, tokens)
    wallets = []
    for wallet, reason in zip(reserves.wallets, reasons, strict=True):
        if reason is None and checker is not None:
            wallets.append(checker.check(wallet))
        else:
            declared = format_units(wallet.balance, reserves.decimals[wallet.asset])
            wallets.append(WalletResult(wallet, "SKIP", declared, None, reason or ""))
    supplies = []
    for token, reason in zip(reserves.wrapped, supply_reasons, strict=True):
        if reason is None and checker is not None:
            supplies.append(checker.supply(token))
        else:
            declared = format_units(token.supply, token.decimals)
            supplies.append(SupplyResult(token, "SKIP", declared, None, None, reason or ""))
    return Report(wallets, supplies)
