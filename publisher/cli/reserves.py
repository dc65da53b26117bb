"""``zkpor reserves``: the message a reserve wallet signs, test-key signatures for demos, and
``check``, which compares the declared EVM balances with a node (``publisher.reserves.rpc``).

``check`` exits 0 when at least one wallet or wrapped-token supply was compared and every
compared wallet holds at least its declared balance and every compared supply is the
declared one, 1 on a MISMATCH or ERROR (or when nothing could be compared), 2 when it
cannot start: no attestation, a bad option, a node that is down or on another chain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from publisher.cli.verify import NoAttestation, open_attestation, printable
from publisher.config import load_config
from publisher.errors import InputError
from publisher.files import write_atomic
from publisher.reserves.ingest import parse_reserve_amount
from publisher.reserves.rpc import (
    STATUSES,
    TIMEOUT,
    JsonRpc,
    NodeError,
    Report,
    SupplyResult,
    WalletResult,
    check_on_chain,
    parse_tokens,
    read_reserves,
)
from publisher.reserves.sign import DemoWallet, reserves_csv, sign_test_wallets
from verifier.errors import VerificationError
from verifier.reserves import CHAINS, check_address, check_as_of, reserve_message
from verifier.segregation import CUSTOMER, role_problem

reserves_app = typer.Typer(
    no_args_is_help=True,
    help="Reserve wallets: the signed message, test signatures, balances against a node.",
)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[Path, typer.Option("--config", help="zkpor.toml")]
STATUS_STYLE = {"OK": "bold green", "MISMATCH": "bold red", "ERROR": "bold red", "SKIP": "yellow"}


def parse_wallet_spec(
    spec: str, decimals: dict[str, int], wrapped: dict[str, str] | None = None
) -> DemoWallet:
    """Return the wallet of ``[ROLE@]CHAIN:ASSET:LABEL:BALANCE:AS_OF`` (AS_OF may contain
    ':'; the role, ``customer`` when omitted, may too: ``wrapped:ZBTC@bitcoin:...``)."""
    role, at, rest = spec.rpartition("@")
    role = role if at else CUSTOMER
    parts = rest.split(":", 4)
    if len(parts) != 5:
        raise ValueError(f"{spec!r}: expected [ROLE@]CHAIN:ASSET:KEY_LABEL:BALANCE:AS_OF")
    chain, asset, label, balance, as_of = parts
    if chain not in CHAINS:
        raise ValueError(f"{spec!r}: unknown chain (known: {', '.join(CHAINS)})")
    if asset not in decimals:
        raise ValueError(f"{spec!r}: unknown asset (configured: {', '.join(decimals)})")
    if (problem := role_problem(role, asset, wrapped or {})) is not None:
        raise ValueError(f"{spec!r}: {problem}")
    units, _ = parse_reserve_amount(balance, decimals[asset])
    return DemoWallet(chain, asset, label, units, check_as_of(as_of), role)


@reserves_app.command("sign")
def sign(
    config: ConfigOption,
    wallet: Annotated[
        list[str],
        typer.Option(
            "--wallet",
            help="[ROLE@]CHAIN:ASSET:KEY_LABEL:BALANCE:AS_OF, e.g. "
            "ethereum:ETH:cold:1500.5:23850000 or wrapped:ZBTC@bitcoin:BTC:vault:12.5:924000 "
            "(role customer when omitted; repeat for each wallet).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="reserves.csv to write.")],
) -> None:
    """Write reserves.csv signed by TEST keys derived from each label (demos only)."""
    try:
        cfg = load_config(config)
        decimals = {a.symbol: a.decimals for a in cfg.assets}
        wrapped = {token.symbol: token.origin for token in cfg.wrapped}
        wallets = [parse_wallet_spec(spec, decimals, wrapped) for spec in wallet]
    except (InputError, ValueError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    signed = sign_test_wallets(cfg.attestation_id, wallets)
    write_atomic(out, reserves_csv(signed, decimals))
    console.print(f"wrote {out}: {len(signed)} wallets signed with TEST keys (never real funds)")


@reserves_app.command("message")
def message(
    config: ConfigOption,
    chain: Annotated[str, typer.Option("--chain", help=", ".join(CHAINS))],
    asset: Annotated[str, typer.Option("--asset", help="Asset symbol.")],
    address: Annotated[str, typer.Option("--address", help="Wallet address.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Block height or UTC time.")],
    role: Annotated[
        str,
        typer.Option("--role", help="customer, protection-fund, corporate or wrapped:<TOKEN>."),
    ] = CUSTOMER,
) -> None:
    """Print the exact message a reserve wallet must sign for this attestation."""
    try:
        cfg = load_config(config)
        check_address(chain, address)
        wrapped = {token.symbol: token.origin for token in cfg.wrapped}
        if (problem := role_problem(role, asset, wrapped)) is not None:
            raise ValueError(problem)
        text = reserve_message(
            cfg.attestation_id, chain, asset, address, check_as_of(as_of), role=role
        )
    except (InputError, ValueError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    typer.echo(text.decode(), nl=False)


@reserves_app.command("check")
def check(
    target: Annotated[
        str,
        typer.Argument(
            metavar="ATTESTATION_DIR", help="Attestation directory (or the URL it is served at)."
        ),
    ],
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of an Ethereum node.")],
    token: Annotated[
        list[str] | None,
        typer.Option(
            "--token",
            help="ASSET=0xCONTRACT: the ERC-20 contract of an asset (repeatable); wallets of "
            "a token without one are skipped.",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for each answer.", min=0.1)
    ] = TIMEOUT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Compare each EVM wallet's declared balance with the node's at its stated block, and
    each wrapped token's declared supply and decimals with its contract's."""
    try:
        reserves = read_reserves(open_attestation(target))
        tokens = parse_tokens(token or [], reserves.decimals)
        report = check_on_chain(JsonRpc(rpc, timeout), reserves, tokens)
    except (NoAttestation, VerificationError, ValueError, NodeError) as exc:
        err_console.print(Text(printable(f"error: {exc}")))
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=1, ensure_ascii=False))
    else:
        print_report(report)
    if not report.passed:
        raise typer.Exit(1)


def wallet_line(r: WalletResult) -> str:
    """Return the text of one wallet's line, after its status."""
    w = r.wallet
    held = "" if r.on_chain is None else f", on chain {r.on_chain}"
    return f"{w.chain} {w.asset} {w.address} ({r.role}): declared {r.declared}{held} — {r.detail}"


def supply_line(r: SupplyResult) -> str:
    """Return the text of one wrapped token's line, after its status."""
    t = r.token
    held = "" if r.on_chain is None else f", totalSupply() {r.on_chain}"
    return (
        f"wrapped {t.symbol} {t.chain} {t.contract}: declared supply {r.declared}{held} "
        f"— {r.detail}"
    )


def counts(statuses: list[str]) -> str:
    """Return ``1 OK, 2 SKIP``: how many results have each status, in a fixed order."""
    return ", ".join(f"{statuses.count(s)} {s}" for s in STATUSES if s in statuses)


def print_report(report: Report) -> None:
    """Print one line per wallet, one per wrapped token and a summary; nothing from the
    files is read as markup."""
    lines = [(r.status, wallet_line(r)) for r in report.wallets]
    lines += [(r.status, supply_line(r)) for r in report.supplies]
    for status, line in lines:
        console.print(Text.assemble((status.ljust(9), STATUS_STYLE[status]), printable(line)))
    parts = [counts([r.status for r in report.wallets])] if report.wallets else []
    if report.supplies:
        parts.append(f"wrapped token supplies: {counts([r.status for r in report.supplies])}")
    summary = "; ".join(parts)
    compared = {"OK", "MISMATCH", "ERROR"} & set(report.statuses())
    if report.passed:
        what = []
        if any(r.status == "OK" for r in report.wallets):
            what.append("every checked wallet holds its declared balance")
        if any(r.status == "OK" for r in report.supplies):
            what.append("every checked wrapped token has its declared supply")
        console.print(Text(f"PASSED: {' and '.join(what)} ({summary})", style="bold green"))
    elif not compared:
        console.print(Text(f"FAILED: nothing could be checked ({summary})", style="bold red"))
    else:
        console.print(Text(f"FAILED: {summary}", style="bold red"))


def register(app: typer.Typer) -> None:
    """Add the ``reserves`` command group to ``app``."""
    app.add_typer(reserves_app, name="reserves")
