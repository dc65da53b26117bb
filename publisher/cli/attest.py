"""``zkpor attest``: co-sign a published attestation (``publisher.attest.cosign``), with a
key file (``sign``) or with a key that stays in an HSM or a hardware wallet (``message``,
then ``add``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from publisher.attest.cosign import (
    CosignError,
    add_cosignature,
    generate_key,
    message_to_sign,
    read_key,
)
from publisher.attest.cosign import cosign as cosign_attestation
from verifier.cosign import SIGNATURES_INDEX, Cosignature
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
        _fail(exc)
    _wrote(attestation, written, signature)


@attest_app.command("message")
def message(
    attestation: Annotated[Path, typer.Argument(help="The attestation folder to co-sign.")],
    name: Annotated[str, typer.Option("--name", help="The co-signer's name, as shown.")],
    as_hex: Annotated[
        bool, typer.Option("--hex", help="Print the bytes as lowercase hex, then a newline.")
    ] = False,
) -> None:
    """Print exactly the bytes to sign, for a key in an HSM or a hardware wallet.

    Pipe them to the signer (nothing is added after the message's own final newline), or
    pass --hex to a signer that takes hex; then store the signature with `zkpor attest add`.
    """
    try:
        data = message_to_sign(attestation, name)
    except CosignError as exc:
        _fail(exc)
    # Raw bytes to stdout: a text console could re-encode them or add a newline.
    typer.echo(data.hex() + "\n" if as_hex else data, nl=False)


@attest_app.command("add")
def add(
    attestation: Annotated[Path, typer.Argument(help="The attestation folder co-signed.")],
    name: Annotated[str, typer.Option("--name", help="The name the message was made for.")],
    scheme: Annotated[
        str, typer.Option("--scheme", help=f"Signature scheme: {' or '.join(COSIGN_SCHEMES)}.")
    ],
    key: Annotated[
        str,
        typer.Option(
            "--key", help="Public key: Ed25519 as 64 hex digits, eip191 as the 0x address."
        ),
    ],
    signature: Annotated[
        str,
        typer.Option(
            "--signature",
            help="Ed25519: 128 hex digits; eip191: the personal_sign signature, 0x + 130 hex.",
        ),
    ],
) -> None:
    """Add a co-signature made outside zkpor over what `zkpor attest message` printed.

    The signature is checked first: nothing is written unless `zkpor verify` would accept
    it (a valid signature by this key, and a pinned key when the manifest pins any).
    """
    try:
        written, cosignature = add_cosignature(attestation, name, scheme, key, signature)
    except CosignError as exc:
        _fail(exc)
    _wrote(attestation, written, cosignature)


def _wrote(attestation: Path, written: str, signature: Cosignature) -> None:
    """Say which files were written, and who co-signs which manifest with which key."""
    console.print(
        f"wrote {attestation / written} and {attestation / SIGNATURES_INDEX}: "
        f"{signature.name} co-signs manifest sha256 {signature.manifest_sha256} with "
        f"{signature.scheme} key {signature.key}",
        markup=False,
    )


def _fail(exc: CosignError) -> NoReturn:
    """Print the one-line reason and exit 2."""
    err_console.print(f"error: {exc}", markup=False)
    raise typer.Exit(2) from exc


@attest_app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option("--out", help="Key file to create (mode 0600).")],
    scheme: SchemeOption = "ed25519",
) -> None:
    """Create a co-signing key and print its public key (to pin in zkpor.toml)."""
    try:
        key = generate_key(out, scheme)
    except CosignError as exc:
        _fail(exc)
    console.print(f"wrote {out}; public key ({scheme}): {key.public_key()}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``attest`` command group to ``app``."""
    app.add_typer(attest_app, name="attest")
