"""``zkpor verify-user``: the account holder's check of their code, from the command line.

The same six steps the browser runs (``verifier.user``). Exit codes: 0 every step passed,
1 a step failed or was skipped, 2 the code is malformed or has a typo, or there is no
attestation to check. The code itself is never printed.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.text import Text

from publisher.cli_verify import (
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
from verifier.user import UserCheck, UserReport


def print_user(report: UserReport) -> None:
    """Print which attestation was checked, then the user's id and balances, if found."""
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
        return
    console.print(Text(printable(f"user {user['user_id']}")))
    width = max(len(balance["asset"]) for balance in user["balances"])
    for balance in user["balances"]:
        console.print(Text(printable(f"  {balance['asset']:<{width}}  {balance['amount']}")))


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
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    ) -> None:
        """Check that your account, with your balances, is inside the proven liabilities."""
        try:
            raw = parse_code(code)  # a typo is reported before anything is fetched
            read = open_attestation(target)
        except (InvalidCode, NoAttestation) as exc:
            err_console.print(Text(printable(f"error: {exc}")))
            raise typer.Exit(2) from exc
        report = UserCheck(read, raw, NaclBackend()).run()
        if as_json:
            typer.echo(json.dumps(report.to_json(), indent=1, ensure_ascii=False))
        else:
            print_user(report)
            print_report(report.results)
        if not report.passed:
            raise typer.Exit(1)
