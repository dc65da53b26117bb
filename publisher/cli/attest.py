"""``zkpor attest``: co-sign a published attestation (``publisher.attest.cosign``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from publisher.attest.cosign import CosignError, generate_key, read_key
from publisher.attest.cosign import cosign as cosign_attestation
from verifier.cosign import SIGNATURES_INDEX
from verifier.manifest import COSIGN_SCHEMES

attest_app = typer.Typer(
    no_args_is_help=True,
    help="Co-sign a published attestation: an auditor's signature over its manifest.",
)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

SchemeOption = Annotated[
    str, typer.Option("--scheme", help=f"Signature scheme: {' or '.join(COSIGN_SCHEMES)}.")
]


@attest_app.command("sign")
def sign(
    attestation: Annotated[Path, typer.Argument(help="The attestation folder to co-sign.")],
    key: Annotated[Path, typer.Option("--key", help="Key file: 64 hex digits, one line.")],
    name: Annotated[str, typer.Option("--name", help="The co-signer's name, as shown.")],
    scheme: SchemeOption = "ed25519",
) -> None:
    """Sign the attestation's manifest digest and list the signature in signatures/.

    Run `zkpor verify` on the attestation first: a co-signature vouches for what you checked.
    """
    try:
        written, signature = cosign_attestation(attestation, read_key(key, scheme), name)
    except CosignError as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    console.print(
        f"wrote {attestation / written} and {attestation / SIGNATURES_INDEX}: "
        f"{signature.name} co-signs manifest sha256 {signature.manifest_sha256} with "
        f"{signature.scheme} key {signature.key}",
        markup=False,
    )


@attest_app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option("--out", help="Key file to create (mode 0600).")],
    scheme: SchemeOption = "ed25519",
) -> None:
    """Create a co-signing key and print its public key (to pin in zkpor.toml)."""
    try:
        key = generate_key(out, scheme)
    except CosignError as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    console.print(f"wrote {out}; public key ({scheme}): {key.public_key()}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``attest`` command group to ``app``."""
    app.add_typer(attest_app, name="attest")
