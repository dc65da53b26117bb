"""The ``zkpor`` command line: option declarations plus one library call each.

Library code raises; this module turns errors into a message and an exit code
(1: a check failed, 2: bad input).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from publisher.cli import attest as cli_attest
from publisher.cli import ceremony as cli_ceremony
from publisher.cli import doctor as cli_doctor
from publisher.cli import prove as cli_prove
from publisher.cli import reserves as cli_reserves
from publisher.cli import site as cli_site
from publisher.cli import verify as cli_verify
from publisher.cli import verify_user as cli_verify_user
from publisher.snark.batch import (
    default_cache_dir,
    dev_keys,
    prove_batch,
    random_batch,
    read_snarkjs_files,
    write_snarkjs_files,
)
from publisher.snark.circuit import CircuitShape, constraint_counts
from publisher.snark.dev_setup import DEV_SETUP_WARNING
from publisher.snark.prove import PhaseTimer
from verifier import __version__
from verifier.errors import VerificationError
from verifier.groth16 import verify

app = typer.Typer(no_args_is_help=True, help="zkpor: Proof of Reserves with Groth16 over BN254.")
circuit_app = typer.Typer(no_args_is_help=True, help="Inspect the zkpor/1 batch circuit.")
batch_app = typer.Typer(no_args_is_help=True, help="Prove and verify a single batch.")
app.add_typer(circuit_app, name="circuit")
app.add_typer(batch_app, name="batch")
cli_prove.register(app)
cli_verify.register(app)
cli_verify_user.register(app)
cli_ceremony.register(app)
cli_reserves.register(app)
cli_attest.register(app)
cli_site.register(app)
cli_doctor.register(app)

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"zkpor {__version__}", markup=False)
        console.print(f"backend: {cli_doctor.backend_line()}", markup=False)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the zkpor version (the code it names: see pyproject.toml) and the "
            "prover's backend, and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """zkpor: Proof of Reserves with Groth16 over BN254."""


Assets = Annotated[int, typer.Option("--assets", help="Number of assets A.")]
Arity = Annotated[int, typer.Option("--arity", help="Tree arity k (2, 4 or 8).")]
Depth = Annotated[int, typer.Option("--batch-depth", help="Batch depth d_b: k^d_b leaves.")]


def _shape(assets: int, arity: int, depth: int) -> CircuitShape:
    try:
        return CircuitShape(n_assets=assets, arity=arity, batch_depth=depth)
    except ValueError as exc:
        err_console.print(f"error: {exc}")
        raise typer.Exit(2) from exc


@circuit_app.command("info")
def circuit_info(assets: Assets = 4, arity: Arity = 4, batch_depth: Depth = 2) -> None:
    """Print the constraint count per batch and per user of one circuit shape."""
    shape = _shape(assets, arity, batch_depth)
    per_batch, per_user = constraint_counts(shape)
    console.print(f"circuit        {shape.circuit_id}")
    console.print(f"users/batch    {shape.batch_size}")
    console.print(f"constraints    {per_batch} per batch, {per_user:.1f} per user")


@batch_app.command("prove")
def batch_prove(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for vk.json, public.json, proof.json.")
    ],
    assets: Assets = 4,
    arity: Arity = 4,
    batch_depth: Depth = 2,
) -> None:
    """Prove one batch of random accounts (development setup; never for publication)."""
    shape = _shape(assets, arity, batch_depth)
    err_console.print(f"[bold yellow]WARNING[/]: {DEV_SETUP_WARNING}")
    with console.status(f"loading or making the proving key of {shape.circuit_id}"):
        pk, vk = dev_keys(shape, default_cache_dir())
    timer = PhaseTimer()
    start = time.perf_counter()
    with console.status(f"proving a batch of {shape.batch_size} accounts"):
        batch = prove_batch(shape, random_batch(shape), pk, timer)
    write_snarkjs_files(out, vk, batch)
    phases = ", ".join(f"{name} {secs:.2f}s" for name, secs in timer.seconds.items())
    console.print(f"proved in {time.perf_counter() - start:.2f}s ({phases})")
    console.print(f"wrote {out}/vk.json, public.json, proof.json")
    console.print(f"check it: zkpor batch verify {out}")


@batch_app.command("verify")
def batch_verify(
    folder: Annotated[Path, typer.Argument(help="Folder with vk.json, public.json, proof.json.")],
) -> None:
    """Verify a Groth16 proof in snarkjs files (the same check as snarkjs groth16 verify)."""
    try:
        vk, public, proof = read_snarkjs_files(folder)
    except (OSError, ValueError, VerificationError) as exc:
        err_console.print(f"FAIL: cannot read {folder}: {exc}")
        raise typer.Exit(2) from exc
    try:
        verify(vk, public, proof)
    except VerificationError as exc:
        console.print(f"FAIL: {exc}")
        raise typer.Exit(1) from exc
    console.print("OK: the proof is valid for these public inputs")
