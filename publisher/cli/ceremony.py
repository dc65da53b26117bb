"""``zkpor ceremony``: the multi-party Groth16 setup, one command per step.

Commands are option declarations plus one library call (``publisher.ceremony.directory``); errors
become a message and an exit code (1: a check failed, 2: bad input). A contribution's
secret is never an output of the library, so nothing here can print or write it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from publisher.ceremony.demo_ptau import DEMO_PTAU_WARNING, DemoPtauError, write_demo_ptau
from publisher.ceremony.directory import (
    PARAMS,
    R1CS_FILE,
    CeremonyDir,
    CeremonyInputError,
    add_zkey,
    beacon,
    book_circuit,
    check_before_contributing,
    check_published,
    contribute,
    finalize,
    init_ceremony,
    verify_ceremony,
)
from publisher.ceremony.ptau import PtauError, file_digests
from publisher.cli.progress import counting_bar
from publisher.snark.circuit import CircuitShape, build_batch_circuit
from verifier.ceremony import Contribution, contribution_hash, describe
from verifier.errors import VerificationError, ZkporError
from verifier.groth16 import VerifyingKey

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

Directory = Annotated[Path, typer.Argument(help="The ceremony directory.")]
Ptau = Annotated[
    Path,
    typer.Option("--ptau", help="The Powers of Tau file (snarkjs, prepared for phase 2)."),
]
Name = Annotated[str, typer.Option("--name", help="Your name as it will appear in the transcript.")]


@contextmanager
def _step(action: str, check: bool) -> Iterator[Callable[[str], None]]:
    """Show a spinner with the library's progress; turn its errors into exit codes."""
    try:
        with console.status(action) as status:
            yield lambda message: status.update(f"{action}: {message}")
    except (VerificationError, PtauError) as exc:
        err_console.print(f"{'FAIL' if check else 'error'}: {exc}", markup=False)
        raise typer.Exit(1 if check else 2) from exc
    except (ZkporError, OSError, ValueError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc


def _print_record(record: Contribution, root: Path) -> None:
    index = CeremonyDir(root).latest_index()
    console.print(
        f"contribution #{index}, {record.label}: contribution hash "
        f"{contribution_hash(record).hex()}",
        markup=False,
    )
    console.print(
        "keep that hash: it identifies your contribution in the published transcript "
        "(names are not covered by any hash)",
        markup=False,
    )
    console.print(
        f"pass on {root / PARAMS / f'{index:04d}.zkey'} (with ceremony.json and "
        f"{R1CS_FILE}) to the next contributor",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add the ``ceremony`` sub-app to ``app``."""
    ceremony_app = typer.Typer(
        no_args_is_help=True,
        help="Multi-party Groth16 setup in snarkjs's zkey format: init, contribute, add "
        "(a snarkjs contribution), beacon, verify, finalize "
        "(and demo-ptau: a single-party phase-1 file, for demos only).",
    )
    app.add_typer(ceremony_app, name="ceremony")

    @ceremony_app.command("init")
    def init(
        directory: Directory,
        ptau: Ptau,
        assets: Annotated[int | None, typer.Option("--assets", help="Number of assets A.")] = None,
        arity: Annotated[int | None, typer.Option("--arity", help="Tree arity k.")] = None,
        batch_depth: Annotated[
            int | None, typer.Option("--batch-depth", help="Batch depth d_b.")
        ] = None,
        circuit: Annotated[
            str | None,
            typer.Option(
                "--circuit",
                help="zkpor/2: the batch circuit id instead (zkpor2-a<A>-t<T>-s<K>-k<k>-d<d>, "
                "as the manifest's shapes name them).",
            ),
        ] = None,
    ) -> None:
        """Start a ceremony for one circuit shape from a checked phase-1 file (zkpor/1:
        --assets, --arity, --batch-depth; zkpor/2: --circuit)."""
        with _step("init", check=False) as log:
            if circuit is not None and (assets, arity, batch_depth) == (None, None, None):
                cs = book_circuit(circuit)
                if cs is None:
                    raise CeremonyInputError(f"{circuit} is not a zkpor/2 circuit id")
                header = init_ceremony(directory, ptau, cs, circuit, None, log)
            elif (
                circuit is None
                and assets is not None
                and arity is not None
                and batch_depth is not None
            ):
                shape = CircuitShape(assets, arity, batch_depth)
                header = init_ceremony(
                    directory, ptau, build_batch_circuit(shape), shape.circuit_id, shape, log
                )
            else:
                raise CeremonyInputError(
                    "give --assets, --arity and --batch-depth (zkpor/1), or --circuit "
                    "(a zkpor/2 circuit id)"
                )
        console.print(f"ceremony for {header.circuit.circuit_id} in {directory}", markup=False)
        console.print(f"phase 1: {ptau.name} sha256 {header.ptau.sha256}", markup=False)
        console.print(f"circuit hash (snarkjs) {header.cs_hash.hex()}", markup=False)

    @ceremony_app.command("contribute")
    def contribute_cmd(
        directory: Directory,
        name: Name,
        ptau: Annotated[
            Path,
            typer.Option(
                "--ptau",
                help="The public phase-1 file: the header (IC included), the transcript "
                "and the latest params are checked against it before you contribute.",
            ),
        ],
        entropy: Annotated[
            str | None,
            typer.Option("--entropy", help="Extra text mixed into the OS randomness."),
        ] = None,
        entropy_prompt: Annotated[
            bool,
            typer.Option("--entropy-prompt", help="Type the extra text unseen instead."),
        ] = False,
    ) -> None:
        """Check the ceremony so far, then add your contribution: a fresh secret from the
        OS, used once, never written."""
        text = entropy or ""
        if entropy_prompt:
            text += typer.prompt("entropy (not shown)", hide_input=True, default="")
        with _step("verifying the ceremony so far", check=True) as log:
            check_before_contributing(directory, ptau, log=log)
        with _step("contribute", check=False) as log:
            record = contribute(directory, name, text.encode(), log)
        _print_record(record, directory)

    @ceremony_app.command("beacon")
    def beacon_cmd(
        directory: Directory,
        name: Name,
        value: Annotated[
            str,
            typer.Option("--value", help="The public random value, in hex (e.g. a block hash)."),
        ],
        iterations_exp: Annotated[
            int, typer.Option("--iterations-exp", help="Hash the value 2^N times.")
        ] = 20,
    ) -> None:
        """Add the final, public contribution derived from a random beacon value."""
        with _step("beacon", check=False) as log:
            try:
                raw = bytes.fromhex(value)
            except ValueError as exc:
                raise CeremonyInputError(f"--value must be hex: {exc}") from exc
            record = beacon(directory, name, raw, iterations_exp, log)
        _print_record(record, directory)

    @ceremony_app.command("add")
    def add_cmd(
        directory: Directory,
        zkey: Annotated[
            Path,
            typer.Argument(help="A zkey made from the latest one by snarkjs zkey contribute."),
        ],
    ) -> None:
        """Accept a contribution made with snarkjs (zkey contribute or beacon)."""
        with _step("add", check=True) as log:
            record = add_zkey(directory, zkey, log)
        _print_record(record, directory)

    @ceremony_app.command("verify")
    def verify_cmd(directory: Directory, ptau: Ptau) -> None:
        """Check the header, every contribution and the latest zkey in full (what
        snarkjs zkey verify checks, and that the header is the circuit's)."""
        with _step("verify", check=True) as log:
            transcript = verify_ceremony(directory, ptau, log=log)
        console.print(f"OK: {describe(transcript)}", markup=False)
        for k, record in enumerate(transcript.contributions, 1):
            console.print(f"  #{k} {record.label}: {contribution_hash(record).hex()}", markup=False)

    @ceremony_app.command("finalize")
    def finalize_cmd(
        directory: Directory,
        ptau: Ptau,
        out: Annotated[
            Path,
            typer.Option(
                "--out",
                help="Folder for final.zkey, proving_key.pk, vk.json, transcript.json, "
                "circuit.r1cs.",
            ),
        ],
    ) -> None:
        """Verify the ceremony, then write the final keys and the transcript to publish."""
        with _step("finalize", check=True) as log:
            transcript = finalize(directory, ptau, out, log=log)
        console.print(f"OK: {describe(transcript)}", markup=False)
        console.print(
            f"wrote {out}/final.zkey, proving_key.pk, vk.json, transcript.json, circuit.r1cs",
            markup=False,
        )

    @ceremony_app.command("check-vk")
    def check_vk_cmd(
        transcript: Annotated[
            Path, typer.Option("--transcript", help="A published ceremony/transcript.json.")
        ],
        vk: Annotated[Path, typer.Option("--vk", help="The vk.json published with it.")],
        ptau: Ptau,
    ) -> None:
        """Check a published transcript and vk.json in full, with the public phase-1 file."""
        with _step("check-vk", check=True) as log:
            key = VerifyingKey.from_json(json.loads(vk.read_text()))
            checked = check_published(transcript.read_bytes(), key, ptau, log=log)
        console.print(f"OK: vk.json is the output of {describe(checked)}", markup=False)

    @ceremony_app.command("demo-ptau")
    def demo_ptau_cmd(
        power: Annotated[
            int, typer.Option("--power", help="Domains up to 2^POWER (the circuit's size).")
        ],
        out: Annotated[Path, typer.Option("--out", help="The .ptau file to write.")],
    ) -> None:
        """Write a single-party phase-1 file (snarkjs format) for demos: NOT for production."""
        err_console.print(f"[bold yellow]WARNING[/]: {DEMO_PTAU_WARNING}")
        try:
            with counting_bar("writing phase 1", console) as advance:
                write_demo_ptau(out, power, progress=advance)
            sha, blake = file_digests(out)
        except (DemoPtauError, OSError) as exc:
            err_console.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from exc
        console.print(f"wrote {out} (power {power}, single party: demos only)", markup=False)
        console.print(f"sha256 {sha}", markup=False)
        console.print(f"blake2b {blake}", markup=False)
