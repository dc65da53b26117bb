"""``zkpor reserves``: the message a reserve wallet signs, and test-key signatures for demos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from publisher.config import load_config
from publisher.files import write_atomic
from publisher.ingest import InputError
from publisher.reserves_ingest import parse_reserve_amount
from publisher.reserves_sign import DemoWallet, reserves_csv, sign_test_wallets
from verifier.reserves import CHAINS, check_address, check_as_of, reserve_message

reserves_app = typer.Typer(
    no_args_is_help=True, help="Reserve wallets: the signed message, test signatures."
)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[Path, typer.Option("--config", help="zkpor.toml")]


def parse_wallet_spec(spec: str, decimals: dict[str, int]) -> DemoWallet:
    """Return the wallet of ``CHAIN:ASSET:LABEL:BALANCE:AS_OF`` (AS_OF may contain ':')."""
    parts = spec.split(":", 4)
    if len(parts) != 5:
        raise ValueError(f"{spec!r}: expected CHAIN:ASSET:KEY_LABEL:BALANCE:AS_OF")
    chain, asset, label, balance, as_of = parts
    if chain not in CHAINS:
        raise ValueError(f"{spec!r}: unknown chain (known: {', '.join(CHAINS)})")
    if asset not in decimals:
        raise ValueError(f"{spec!r}: unknown asset (configured: {', '.join(decimals)})")
    units, _ = parse_reserve_amount(balance, decimals[asset])
    return DemoWallet(chain, asset, label, units, check_as_of(as_of))


@reserves_app.command("sign")
def sign(
    config: ConfigOption,
    wallet: Annotated[
        list[str],
        typer.Option(
            "--wallet",
            help="CHAIN:ASSET:KEY_LABEL:BALANCE:AS_OF, e.g. ethereum:ETH:cold:1500.5:23850000 "
            "(repeat for each wallet).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="reserves.csv to write.")],
) -> None:
    """Write reserves.csv signed by TEST keys derived from each label (demos only)."""
    try:
        cfg = load_config(config)
        decimals = {a.symbol: a.decimals for a in cfg.assets}
        wallets = [parse_wallet_spec(spec, decimals) for spec in wallet]
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
) -> None:
    """Print the exact message a reserve wallet must sign for this attestation."""
    try:
        cfg = load_config(config)
        check_address(chain, address)
        text = reserve_message(cfg.attestation_id, chain, asset, address, check_as_of(as_of))
    except (InputError, ValueError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    typer.echo(text.decode(), nl=False)


def register(app: typer.Typer) -> None:
    """Add the ``reserves`` command group to ``app``."""
    app.add_typer(reserves_app, name="reserves")
