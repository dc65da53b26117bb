"""``zkpor verify-user``: the account holder's check of their code, from the command line.

The same seven steps the browser runs (``verifier.user``). Step 5 verifies the user's own
batch proof and ``--samples`` random others, or with ``--all`` every batch proof (batched,
with progress): only then may the report say the published liabilities are proven. A
development setup always fails step 7; there is no flag to accept it here.

Exit codes: 0 every step passed, 1 a step failed or was skipped, 2 the code is malformed
or has a typo, or there is no attestation to check. The code itself is never printed.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.text import Text

from publisher.cli.verify import (
    NoAttestation,
    console,
    err_console,
    open_attestation,
    print_report,
    printable,
)
from publisher.crypto import NaclBackend
from verifier.codes import parse_code
from verifier.errors import InvalidCode
from verifier.user import SAMPLES, UserCheck, UserOptions, UserReport, any_user_steps
from verifier.user2 import UserCheck2, UserReport2, statement


def _print_whose(report: UserReport | UserReport2) -> dict[str, Any] | None:
    """Print which attestation was checked, then the user's id, asking them to confirm it;
    return the user's JSON (None, and no id, when the bundle was not opened)."""
    manifest, user = report.manifest, report.user_json()
    if manifest is not None:
        console.print(
            Text(
                printable(
                    f"attestation {manifest.attestation_id} by {manifest.issuer_name}, "
                    f"as of {manifest.as_of}"
                )
            )
        )
    if user is None:
        return None
    # A custodian could hand two people codes of one bundle (one account, counted once):
    # only its holder can tell the id is not theirs, so they are asked.
    console.print(Text(printable(f"account id: {user['user_id']}"), style="bold"))
    console.print(
        Text(
            "  Is this YOUR account id? If not, this code does not show your account: "
            "tell the custodian and the auditor.",
            style="bold yellow",
        )
    )
    return user


def print_user(report: UserReport) -> None:
    """Print which attestation was checked, then the user's id (to confirm) and balances."""
    user = _print_whose(report)
    if user is None:
        return
    width = max(len(balance["asset"]) for balance in user["balances"])
    for balance in user["balances"]:
        console.print(Text(printable(f"  {balance['asset']:<{width}}  {balance['amount']}")))


def print_user2(report: UserReport2) -> None:
    """Print which attestation was checked, then the account: id (to confirm), per asset
    held equity and debt, the collateral value of the equity and the value of the debt in
    the quote, the margin ratio; and, once every step passed, what that establishes."""
    user = _print_whose(report)
    if user is None:
        return
    quote = user["quote"]
    header = ("asset", "equity", "debt", f"collateral ({quote})", f"debt value ({quote})")
    rows = [
        (a["symbol"], a["equity_amount"], a["debt_amount"], a["collateral_value"], a["debt_value"])
        for a in user["assets"]
    ]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        cells = "  ".join(str(v).rjust(w) for v, w in zip(row, widths, strict=True))
        console.print(Text(printable(f"  {cells}")))
    console.print(
        Text(
            printable(
                f"  collateral value {user['collateral_value']} {quote}, debt value "
                f"{user['debt_value']} {quote}, margin ratio {user['margin_ratio']} "
                f"(prices: {user['price_source']})"
            )
        )
    )
    if (said := statement(report.passed, report.totals_proven)) is not None:
        console.print(Text(f"{said}.", style="bold green"))


def print_verdict(report: UserReport | UserReport2) -> None:
    """Print what the run established about the totals, in one line."""
    totals = "totals" if isinstance(report, UserReport2) else "liabilities"
    if report.totals_proven:
        console.print(Text(f"every batch proof was verified: the published {totals} are proven"))
    elif report.passed:
        console.print(
            Text(
                "your account is in the proven tree; the totals were NOT fully checked in "
                "this run (use --all to verify every batch proof)",
                style="yellow",
            )
        )


def register(app: typer.Typer) -> None:
    """Add ``verify-user`` to ``app``."""

    @app.command("verify-user")
    def verify_user_command(
        target: Annotated[
            str,
            typer.Argument(
                metavar="ATTESTATION_DIR_OR_URL",
                help="Attestation directory, or the http(s) URL it is served under.",
            ),
        ],
        code: Annotated[
            str,
            typer.Option("--code", help="Your verification code (dashes and case do not matter)."),
        ],
        check_all: Annotated[
            bool,
            typer.Option(
                "--all",
                help="Verify every batch proof (batched), not only yours and a random "
                "sample: needed to call the published liabilities proven.",
            ),
        ] = False,
        samples: Annotated[
            int,
            typer.Option(
                "--samples",
                min=0,
                help="Other batches, chosen at random, whose proofs are verified besides yours.",
            ),
        ] = SAMPLES,
        allow_unknown_phase1: Annotated[
            bool,
            typer.Option(
                "--allow-unknown-phase1",
                help="Accept a ceremony whose phase-1 file is not a pinned public one "
                "(demos): whoever made that file could forge proofs.",
            ),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    ) -> None:
        """Check that your account, with your balances, is inside the proven liabilities."""
        try:
            parse_code(code)  # a typo is reported before anything is fetched
            read = open_attestation(target)
        except (InvalidCode, NoAttestation) as exc:
            err_console.print(Text(printable(f"error: {exc}")))
            raise typer.Exit(2) from exc

        def on_proofs(done: int, total: int) -> None:
            err_console.print(f"batch proofs: {done} of {total} verified", highlight=False)

        options = UserOptions(
            samples=samples,
            check_all=check_all,
            allow_unknown_phase1=allow_unknown_phase1,
            on_proofs=on_proofs if check_all and not as_json else None,
        )
        check: UserCheck | UserCheck2 = any_user_steps(read, code, NaclBackend(), options)
        report = check.run()
        if as_json:
            typer.echo(json.dumps(report.to_json(), indent=1, ensure_ascii=False))
        elif isinstance(report, UserReport2):
            print_user2(report)
            print_report(report.results)
            print_verdict(report)
        else:
            print_user(report)
            print_report(report.results)
            print_verdict(report)
        if not report.passed:
            raise typer.Exit(1)
