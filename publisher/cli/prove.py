"""``zkpor prove`` and ``zkpor demo``: the custodian's main job, from the command line."""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from publisher.attest.cosign import CosignError, cosign
from publisher.attest.executors import open_executor
from publisher.attest.ingest import Snapshot, read_liabilities
from publisher.attest.ingest2 import Snapshot2, read_liabilities2
from publisher.attest.pipeline import CODES, inputs_digest, prove_attestation
from publisher.attest.pipeline2 import (
    BookShape,
    ProvenBook,
    dev_book_keys,
    prove_book,
    shapes_for,
)
from publisher.attest.registry import load_registry, reserves_config
from publisher.ceremony.book import book_keys_for_prove
from publisher.ceremony.demo_ptau import DEMO_PTAU_WARNING, cached_path, demo_ptau
from publisher.ceremony.directory import keys_for_prove
from publisher.cli import site as cli_site
from publisher.cli.progress import counting_bar
from publisher.cli.verify import print_report
from publisher.config import Config, load_config, load_config2
from publisher.crypto import NaclBackend
from publisher.demo import (
    CEREMONY_DIR,
    DEMO_AUDITOR,
    DEMO_CONTRIBUTORS,
    DEMO_WRAPPED,
    KEYS_DIR,
    TWO_ROLES_LABEL,
    UNDER_BACKED,
    DemoCeremony,
    demo_auditor_key,
    demo_beacon_value,
    run_demo_ceremony,
    write_demo_inputs,
    write_demo_reserves,
)
from publisher.demo_book import BOOK_AS_OF, run_book_demo, summary_lines
from publisher.errors import InputError
from publisher.reserves.ingest import read_reserves
from publisher.snark.backend import BackendError
from publisher.snark.batch import default_cache_dir, dev_key_paths
from publisher.snark.circuit import CircuitShape
from publisher.snark.dev_setup import DEV_SETUP_WARNING
from publisher.snark.keys import Keys
from verifier.attestation import verify_attestation
from verifier.errors import ZkporError
from verifier.fetch import directory_reader
from verifier.manifest import SETUP_INSECURE_DEV, Manifest, backing_ratio, format_units
from verifier.report import StepResult
from verifier.reserves import Wallet, shortfalls
from verifier.segregation import wrapped_shortfalls

CORES = os.cpu_count() or 1
#: The formats ``zkpor demo --format`` makes: the book (default) and spot balances.
FORMAT_BOOK, FORMAT_SPOT = "zkpor/2", "zkpor/1"
T = TypeVar("T")
Log = Callable[[str], None]
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

Workers = Annotated[
    int, typer.Option("--workers", help="Local prover processes (default: all cores).")
]
Dask = Annotated[
    str | None, typer.Option("--dask", help="Prove on this Dask scheduler (tcp://host:port).")
]


def _dev_keys(shape: CircuitShape) -> Keys:
    """Return the development keys of ``shape`` (made once per shape, then cached)."""
    err_console.print(f"[bold yellow]WARNING[/]: {DEV_SETUP_WARNING}")
    with console.status(f"loading or making the proving key of {shape.circuit_id}"):
        pk_path, vk = dev_key_paths(shape, default_cache_dir())
    return Keys(pk_path, vk, SETUP_INSECURE_DEV, DEV_SETUP_WARNING)


def _read_reserves(reserves_path: Path | None, config: Config) -> list[Wallet] | None:
    """Return the wallets of ``reserves_path`` (None without one), every signature
    checked, saying how many and which balances were rounded down."""
    if reserves_path is None:
        return None
    with console.status(f"reading {reserves_path} and checking its signatures"):
        reserves, rounded_down = read_reserves(reserves_path, config)
    console.print(f"{len(reserves)} reserve wallets, every signature valid")
    for symbol, count in rounded_down.items():
        if count:
            console.print(f"  {symbol}: {count} reserve balances rounded down")
    return reserves


def _input_failed(
    exc: InputError, snapshot: Snapshot | Snapshot2 | None, created: bool, private: Path
) -> NoReturn:
    """Close the snapshot read so far, remove the private directory if this run made it
    and nothing is in it, print the error and exit 2: bad input leaves nothing behind."""
    if snapshot is not None:
        snapshot.close()
    if created and private.exists() and not any(private.iterdir()):
        private.rmdir()  # bad input leaves nothing behind
    err_console.print(f"error: {exc}", markup=False)
    raise typer.Exit(2) from exc


def run_prove(
    liabilities: Path,
    config_path: Path,
    out: Path,
    private: Path,
    workers: int,
    dask: str | None,
    code_secret: Path | None = None,
    reserves_path: Path | None = None,
    keys_for: Callable[[CircuitShape], Keys] = _dev_keys,
) -> Manifest:
    """Prove the snapshot into ``out`` with progress bars; exit 2 on bad input."""
    created = not private.exists()
    snapshot = None
    try:
        secret = _read_code_secret(code_secret)
        config = load_config(config_path)
        with console.status(f"reading {liabilities}"):
            # The accounts go to a private file in the private directory, not to memory.
            private.mkdir(parents=True, exist_ok=True, mode=0o700)
            snapshot = read_liabilities(liabilities, config, workdir=private)
        reserves = _read_reserves(reserves_path, config)
    except InputError as exc:
        _input_failed(exc, snapshot, created, private)
    with snapshot:
        return _prove(
            snapshot,
            liabilities,
            config_path,
            config,
            out,
            private,
            workers,
            dask,
            secret,
            reserves,
            keys_for,
        )


def _prove(
    snapshot: Snapshot,
    liabilities: Path,
    config_path: Path,
    config: Config,
    out: Path,
    private: Path,
    workers: int,
    dask: str | None,
    secret: bytes | None,
    reserves: list[Wallet] | None,
    keys_for: Callable[[CircuitShape], Keys],
) -> Manifest:
    console.print(f"{len(snapshot)} accounts, {len(config.assets)} assets")
    for symbol, count in snapshot.rounded.items():
        if count:
            console.print(f"  {symbol}: {count} amounts rounded up to {symbol}'s precision")
    digest = inputs_digest(liabilities, config_path)
    try:
        with (
            open_executor(workers, dask) as (executor, parallel),
            _BatchProgress(config.batch_size) as progress,
        ):
            return prove_attestation(
                snapshot,
                config,
                digest,
                out,
                private,
                keys_for,
                executor,
                in_flight=2 * parallel,
                progress=progress,
                code_secret=secret,
                reserves=reserves,
                stage=progress.stage,
            )
    # Every error of ours is a message for the operator, not a traceback.
    except (ZkporError, BackendError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc


_warned_dev_setup: list[bool] = []


def _dev_book_keys(shape: BookShape) -> Keys:
    """Return the development keys of a zkpor/2 shape (made once per circuit, then cached);
    warn once per run."""
    if not _warned_dev_setup:
        err_console.print(f"[bold yellow]WARNING[/]: {DEV_SETUP_WARNING}")
        _warned_dev_setup.append(True)
    with console.status(f"loading or making the proving key of {shape.circuit_id}"):
        return dev_book_keys(shape, default_cache_dir())


def _book_ceremony_keys(keys: Path) -> Callable[[BookShape], Keys]:
    """Return the zkpor/2 keys of each shape from ``keys/<circuit id>/``."""
    load = book_keys_for_prove(keys)

    def keys_for(shape: BookShape) -> Keys:
        with console.status(f"loading and checking the keys of {shape.circuit_id}"):
            return load(shape.circuit_id)

    return keys_for


def run_prove_book(
    liabilities: Path,
    registry_path: Path,
    config_path: Path,
    out: Path,
    private: Path,
    workers: int,
    code_secret: Path | None = None,
    reserves_path: Path | None = None,
    keys_for: Callable[[BookShape], Keys] = _dev_book_keys,
    dask: str | None = None,
) -> ProvenBook:
    """Prove a zkpor/2 book into ``out`` with progress bars; exit 2 on bad input (an
    under-collateralised account included), nothing written."""
    created = not private.exists()
    snapshot: Snapshot2 | None = None
    try:
        secret = _read_code_secret(code_secret)
        config = load_config2(config_path)
        registry = load_registry(registry_path)
        with console.status(f"reading {liabilities}"):
            private.mkdir(parents=True, exist_ok=True, mode=0o700)
            snapshot = read_liabilities2(liabilities, registry, workdir=private)
        with console.status("checking that every account's collateral covers its debt"):
            snapshot.check_collateral()
            shapes_for(snapshot, registry, config)  # every account fits a shape
        reserves = _read_reserves(reserves_path, reserves_config(config, registry))
    except InputError as exc:
        _input_failed(exc, snapshot, created, private)
    with snapshot:
        console.print(
            f"{len(snapshot)} accounts, {snapshot.rows} rows, {len(registry)} registry assets"
        )
        for kind, counts in (("up", snapshot.rounded_equity), ("down", snapshot.rounded_debt)):
            for symbol, count in counts.items():
                if count:
                    what = "equity" if kind == "up" else "debt"
                    console.print(f"  {symbol}: {count} {what} amounts rounded {kind}")
        try:
            with (
                open_executor(workers, dask) as (executor, parallel),
                _BatchProgress(1) as progress,
            ):
                return prove_book(
                    snapshot,
                    registry,
                    config,
                    out,
                    private,
                    keys_for,
                    executor,
                    in_flight=2 * parallel,
                    code_secret=secret,
                    reserves=reserves,
                    stage=progress.stage,
                    digest=inputs_digest(liabilities, registry_path, config_path),
                )
        except (ZkporError, BackendError) as exc:
            err_console.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from exc


def _read_code_secret(path: Path | None) -> bytes | None:
    """Return the custodian's code secret: at least 32 bytes, never printed."""
    if path is None:
        return None
    try:
        secret = path.read_bytes()
    except OSError as exc:
        reason = f"cannot read the code secret: {exc.strerror}"
        raise InputError(str(path), None, None, reason) from exc
    if len(secret) < 32:
        raise InputError(str(path), None, None, "a code secret needs at least 32 bytes")
    return secret


def _print_sample_codes(private: Path, count: int = 3) -> None:
    """Print a few codes of the demo's synthetic users, to try ``verify-user`` with."""
    with (private / CODES).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))[:count]
    console.print("sample verification codes (synthetic users; real codes stay private):")
    for row in rows:
        console.print(f"  {row['user_id']:<24} {row['code']}", markup=False)


class _BatchProgress(Progress):
    """A progress bar of proven batches, with the proving rate of this run in accounts/s.

    The rate counts only batches proven now: resumed ones and the key setup before the
    first batch would make it lie.
    """

    def __init__(self, batch_size: int) -> None:
        super().__init__(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.batch_size = batch_size
        self.task: TaskID | None = None
        self.stages: dict[str, TaskID] = {}
        self.first_done = 0
        self.started = 0.0

    def stage(self, name: str, done: int, total: int) -> None:
        """Show a stage around the proving (``publisher.attest.pipeline.StageProgress``)."""
        if name not in self.stages:
            self.stages[name] = self.add_task(name, total=total, completed=done, rate="")
        self.update(self.stages[name], completed=done, total=total)

    def __call__(self, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.add_task("proving batches", total=total, completed=done, rate="")
            self.first_done, self.started = done, time.monotonic()
            return
        elapsed = time.monotonic() - self.started
        rate = (done - self.first_done) * self.batch_size / elapsed if elapsed else 0.0
        self.update(self.task, completed=done, rate=f"{rate:.1f} accounts/s")


def register(app: typer.Typer) -> None:
    """Add ``prove`` and ``demo`` to ``app``."""

    @app.command("prove")
    def prove(
        liabilities: Annotated[
            Path,
            typer.Option(
                "--liabilities",
                help="liabilities.csv (with --registry: the long format account,asset,equity,debt)",
            ),
        ],
        config: Annotated[Path, typer.Option("--config", help="zkpor.toml")],
        out: Annotated[Path, typer.Option("--out", help="Attestation directory to create.")],
        private: Annotated[
            Path,
            typer.Option("--private", help="Private directory (salts, blinds): never publish."),
        ],
        workers: Workers = CORES,
        dask: Dask = None,
        code_secret: Annotated[
            Path | None,
            typer.Option(
                "--code-secret",
                help="File with a secret (>= 32 bytes): derive each user's code from it.",
            ),
        ] = None,
        reserves: Annotated[
            Path | None,
            typer.Option("--reserves", help="reserves.csv: signed reserve wallets."),
        ] = None,
        ceremony: Annotated[
            Path | None,
            typer.Option("--ceremony", help="Keys of `zkpor ceremony finalize --out DIR`."),
        ] = None,
        insecure_dev_setup: Annotated[
            bool,
            typer.Option(
                "--insecure-dev-setup",
                help="Use a single-party development setup instead (it proves nothing).",
            ),
        ] = False,
        registry: Annotated[
            Path | None,
            typer.Option(
                "--registry",
                help="registry.toml: prove a zkpor/2 book (equity and debt per account and "
                "asset, collateral checked at the registry's prices and tiers).",
            ),
        ] = None,
        keys: Annotated[
            Path | None,
            typer.Option(
                "--keys",
                help="zkpor/2: folder of finalized ceremonies, one per circuit "
                "(KEYS/<circuit id>/ as `zkpor ceremony finalize` writes).",
            ),
        ] = None,
    ) -> None:
        """Prove a liabilities snapshot into a public attestation directory (zkpor/1), or
        with --registry a book of equity and debt (zkpor/2)."""
        if registry is not None:
            _prove_book_command(
                liabilities,
                registry,
                config,
                out,
                private,
                workers,
                dask,
                code_secret,
                reserves,
                ceremony,
                keys,
                insecure_dev_setup,
            )
            return
        if keys is not None:
            err_console.print("error: --keys is for a zkpor/2 book (--registry); use --ceremony")
            raise typer.Exit(2)
        if (ceremony is None) == (not insecure_dev_setup):
            err_console.print(
                "error: give the keys of a ceremony (--ceremony DIR) or, for tests and demos "
                "only, --insecure-dev-setup"
            )
            raise typer.Exit(2)
        keys_for = _dev_keys if ceremony is None else keys_for_prove(ceremony)
        manifest = run_prove(
            liabilities, config, out, private, workers, dask, code_secret, reserves, keys_for
        )
        problems = shortfalls(manifest.assets) + wrapped_shortfalls(manifest)
        for problem in problems if reserves is not None else []:
            err_console.print(f"[bold yellow]WARNING[/]: {problem}", markup=True)
        console.print(f"wrote {out} (root {manifest.tree.root:#x})")
        console.print(f"codes for your users: {private / CODES} (keep private)")
        console.print(f"check it: zkpor verify {out}")

    @app.command("demo")
    def demo(
        out: Annotated[
            Path,
            typer.Option(
                "--out", help="Folder for input/, ceremony/, keys/, attestation/, private/."
            ),
        ],
        users: Annotated[int, typer.Option("--users", help="Synthetic accounts.")] = 1000,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")] = 1,
        workers: Workers = CORES,
        under_covered: Annotated[
            bool,
            typer.Option(
                "--under-covered",
                help="zkpor/1: declare too little of one asset (ETH), so the reserves check fails.",
            ),
        ] = False,
        segregation_failures: Annotated[
            bool,
            typer.Option(
                "--segregation-failures",
                help="zkpor/1: back the wrapped token ZBTC at 97% and declare a wallet in "
                "two roles: prove refuses the wallet, and the reserves check fails for the "
                "token.",
            ),
        ] = False,
        insecure_dev_setup: Annotated[
            bool,
            typer.Option(
                "--insecure-dev-setup",
                help="Skip the local ceremony: a single-party development setup (quicker; "
                "the setup step then passes only because the demo allows it).",
            ),
        ] = False,
        attestation_format: Annotated[
            str,
            typer.Option(
                "--format",
                help="zkpor/2 (default): an exchange's book of equity and debt in 120 "
                "assets; zkpor/1: spot balances of 4 assets with segregated reserves.",
            ),
        ] = FORMAT_BOOK,
        under_collateralised: Annotated[
            bool,
            typer.Option(
                "--under-collateralised",
                help="zkpor/2: first show prove refusing a book with one account whose "
                "debt exceeds its collateral (naming its line), then prove the good book.",
            ),
        ] = False,
    ) -> None:
        """Run the whole job on a synthetic exchange: inputs (a book of equity and debt with
        prices and tiered collateral; with --format zkpor/1 spot balances, a wrapped token
        with its own collateral wallet, a protection fund, a corporate wallet), signed
        reserves, a local setup ceremony, proofs, attestation, an auditor's co-signature,
        check, site."""
        _check_demo_flags(
            attestation_format, under_covered, segregation_failures, under_collateralised
        )
        if attestation_format == FORMAT_BOOK:
            _book_demo(out, users, seed, workers, insecure_dev_setup, under_collateralised)
            return
        attestation = out / "attestation"
        for taken in (attestation, out / CEREMONY_DIR, out / KEYS_DIR, out / "site"):
            if taken.exists():
                err_console.print(f"error: {taken} already exists; choose another --out")
                raise typer.Exit(2)
        liabilities, config = write_demo_inputs(out / "input", users, seed, segregated=True)
        reserves = write_demo_reserves(
            out / "input",
            liabilities,
            config,
            under_covered,
            under_backed=segregation_failures,
            two_roles=segregation_failures,
        )
        console.print(f"wrote a synthetic snapshot of {users} accounts to {out / 'input'}")
        private = out / "private"
        if segregation_failures:
            reserves = _refuse_two_roles(
                liabilities, config, reserves, attestation, private, under_covered
            )
        ceremony = None if insecure_dev_setup else _demo_ceremony(out, config, seed)
        keys_for = _dev_keys if ceremony is None else keys_for_prove(ceremony.keys)
        manifest = run_prove(
            liabilities, config, attestation, private, workers, None, None, reserves, keys_for
        )
        _cosign_as_demo_auditor(attestation)
        console.print("verifying the attestation as a reviewer would:")
        results = verify_attestation(
            directory_reader(attestation),
            NaclBackend(),
            allow_dev_setup=insecure_dev_setup,
            # the demo's phase 1 is its own single-party file (offline): accepted, and
            # step 9 says so; a real attestation needs a pinned public one
            allow_unknown_phase1=True,
        )
        print_report(results)
        if not _only_intended_failures(results, manifest, under_covered, segregation_failures):
            raise typer.Exit(1)
        if under_covered:
            console.print("(--under-covered: the reserves step fails on purpose)")
        if segregation_failures:
            console.print(
                "(--segregation-failures: the reserves step fails on purpose, for the "
                "under-backed wrapped token)"
            )
        _print_segregation(manifest)
        _print_sample_codes(private)
        site = cli_site.build(
            attestation,
            out / "site",
            [],
            None,
            allow_insecure_dev_setup=ceremony is None,
            force=False,
            allow_unknown_phase1=ceremony is not None,
        )
        console.print(
            f"built the site in {site}: run `zkpor site serve {site}`, open "
            "http://127.0.0.1:8000/verify/ and paste a code above"
        )
        _print_demo_next_steps(out, ceremony)


def _check_demo_flags(
    attestation_format: str,
    under_covered: bool,
    segregation_failures: bool,
    under_collateralised: bool,
) -> None:
    """Exit 2 unless the demo's flags fit its format."""
    problem = None
    spot_only = [
        flag
        for flag, given in (
            ("--under-covered", under_covered),
            ("--segregation-failures", segregation_failures),
        )
        if given
    ]
    if attestation_format not in (FORMAT_BOOK, FORMAT_SPOT):
        problem = f"--format must be {FORMAT_BOOK} (the default) or {FORMAT_SPOT}"
    elif attestation_format == FORMAT_BOOK and spot_only:
        problem = (
            f"{' and '.join(spot_only)} {'is' if len(spot_only) == 1 else 'are'} for the "
            f"zkpor/1 demo: add --format {FORMAT_SPOT} (the zkpor/2 book's failure variant "
            "is --under-collateralised)"
        )
    elif attestation_format == FORMAT_SPOT and under_collateralised:
        problem = (
            "--under-collateralised is the zkpor/2 book's failure variant (zkpor/1 has no "
            "debts): drop --format zkpor/1"
        )
    if problem:
        err_console.print(f"error: {problem}", markup=False)
        raise typer.Exit(2)


class _LazyProgress:
    """The prover's progress bars, shown from the first stage on (not during the
    ceremonies, whose stages have their own spinner), stopped by ``stop``."""

    def __init__(self) -> None:
        self.progress: _BatchProgress | None = None

    def stage(self, name: str, done: int, total: int) -> None:
        if self.progress is None:
            self.progress = _BatchProgress(1)
            self.progress.start()
        self.progress.stage(name, done, total)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _say(message: str) -> None:
    console.print(message, markup=False)


def _book_demo(
    out: Path,
    users: int,
    seed: int,
    workers: int,
    insecure_dev_setup: bool,
    under_collateralised: bool,
) -> None:
    """``zkpor demo`` (zkpor/2): the synthetic book through ``run_book_demo``, its report,
    sample codes and site; exit 1 unless every step of verify passed (and, with
    ``under_collateralised``, prove refused the failure variant first)."""
    for taken in (out / "attestation", out / CEREMONY_DIR, out / KEYS_DIR, out / "site"):
        if taken.exists():
            err_console.print(f"error: {taken} already exists; choose another --out")
            raise typer.Exit(2)
    if insecure_dev_setup:
        err_console.print(f"[bold yellow]WARNING[/]: {DEV_SETUP_WARNING}")
    else:
        console.print(
            f"setup: a local ceremony per circuit shape in {out / CEREMONY_DIR} (init, "
            f"{len(DEMO_CONTRIBUTORS)} contributions ({', '.join(DEMO_CONTRIBUTORS)}), "
            "beacon, verify, finalize), the shapes in parallel, one per core",
            markup=False,
        )
        err_console.print(f"[bold yellow]NOTE[/]: phase 1 is the demo's own: {DEMO_PTAU_WARNING}")
        value = demo_beacon_value(BOOK_AS_OF, seed)
        console.print(
            f'  the beacon value is sha256("zkpor demo beacon|{BOOK_AS_OF}|{seed}") = '
            f"{value.hex()}: public, but predictable (a real ceremony takes a future block hash)",
            markup=False,
        )
    progress = _LazyProgress()
    try:
        try:
            demo = run_book_demo(
                out,
                users,
                seed,
                insecure_dev_setup,
                under_collateralised=under_collateralised,
                workers=workers,
                phase1=_demo_phase1,
                run=_run_stage,
                stage=progress.stage,
                log=_say,
            )
        finally:
            progress.stop()
    except ValueError as exc:  # a failure variant of a book without margin accounts
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    except (ZkporError, BackendError, OSError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from exc
    print_report(list(demo.results))
    console.print("what it took:")
    for line in summary_lines(demo):
        console.print(line, markup=False)
    if not demo.passed:
        raise typer.Exit(1)
    if demo.refusal is not None:
        console.print(
            f"(--under-collateralised: zkpor prove refused the failure variant, as it must: "
            f"{demo.refusal})",
            markup=False,
        )
    _print_sample_codes(demo.private)
    site = cli_site.build(
        demo.attestation,
        out / "site",
        [],
        None,
        allow_insecure_dev_setup=insecure_dev_setup,
        force=False,
        allow_unknown_phase1=not insecure_dev_setup,
    )
    console.print(
        f"built the site in {site}: run `zkpor site serve {site}`, open "
        "http://127.0.0.1:8000/verify/ and paste a code above",
        markup=False,
    )
    flag = "--allow-insecure-dev-setup" if insecure_dev_setup else "--allow-unknown-phase1"
    why = (
        "a development setup proves nothing"
        if insecure_dev_setup
        else "the demo's phase 1 is its own, not a public one"
    )
    check_user = (
        "   # one account's inclusion (step 7 fails: a development setup proves nothing)"
        if insecure_dev_setup
        else " --allow-unknown-phase1   # one account's inclusion, equity, debt and margin"
    )
    lines = [
        "",
        "next:",
        f"  zkpor verify {demo.attestation} {flag}   # every proof again ({why})",
        f"  zkpor verify-user {demo.attestation} --code <code>{check_user}",
        f"  ls {demo.private}                 # secrets: never publish this folder",
    ]
    console.print("\n".join(lines), markup=False)


def _prove_book_command(
    liabilities: Path,
    registry: Path,
    config: Path,
    out: Path,
    private: Path,
    workers: int,
    dask: str | None,
    code_secret: Path | None,
    reserves: Path | None,
    ceremony: Path | None,
    keys: Path | None,
    insecure_dev_setup: bool,
) -> None:
    """``zkpor prove --registry``: the zkpor/2 book; exit 2 on a bad combination."""
    problem = None
    if ceremony is not None:
        problem = "with --registry, give --keys DIR (one finalized ceremony per circuit)"
    elif (keys is None) == (not insecure_dev_setup):
        problem = (
            "give the keys of the ceremonies (--keys DIR, DIR/<circuit id>/ per shape) or, "
            "for tests and demos only, --insecure-dev-setup"
        )
    if problem:
        err_console.print(f"error: {problem}")
        raise typer.Exit(2)
    keys_for = _dev_book_keys if keys is None else _book_ceremony_keys(keys)
    proven = run_prove_book(
        liabilities, registry, config, out, private, workers, code_secret, reserves, keys_for, dask
    )
    for problem in proven.shortfalls:
        err_console.print(f"[bold yellow]WARNING[/]: {problem}", markup=True)
    shapes = ", ".join(
        f"{s.slots} slots: {s.batches} batches of {s.batch_size}" for s in proven.manifest.shapes
    )
    console.print(f"wrote {out} (zkpor/2; {shapes})")
    console.print(f"codes for your users: {private / CODES} (keep private)")
    console.print(f"check it: zkpor verify {out}")


def _refuse_two_roles(
    liabilities: Path,
    config: Path,
    reserves: Path,
    attestation: Path,
    private: Path,
    under_covered: bool,
) -> Path:
    """Show ``zkpor prove`` refusing the reserves.csv whose last row declares a customer
    wallet again as wrapped-token collateral; keep that file as reserves-two-roles.csv and
    return the reserves.csv written without the row. Exit 1 if prove accepts it."""
    kept = reserves.with_name("reserves-two-roles.csv")
    reserves.replace(kept)
    token, backing = DEMO_WRAPPED.symbol, f"{UNDER_BACKED / 10:g}%"
    console.print(
        f"segregation failure 1 of 2: {kept.name}'s last row declares customer wallet "
        f"{TWO_ROLES_LABEL} again, as {token} collateral (it would hide that {token} is "
        f"backed at only {backing}); prove refuses it:",
        markup=False,
    )
    try:
        run_prove(liabilities, config, attestation, private, 1, None, None, kept)
    except typer.Exit as refused:
        console.print(f"  (zkpor prove exits {refused.exit_code}: nothing is published)")
    else:
        err_console.print("error: prove accepted a wallet declared in two roles")
        raise typer.Exit(1)
    console.print(
        f"segregation failure 2 of 2: without that row, {token} is backed at only {backing}: "
        "proving it anyway, so that verify and the site show the shortfall",
        markup=False,
    )
    return write_demo_reserves(
        reserves.parent, liabilities, config, under_covered, under_backed=True
    )


def _cosign_as_demo_auditor(attestation: Path) -> None:
    """Co-sign the attestation as the demo's pinned auditor (a TEST key); exit 1 on failure."""
    try:
        written, signature = cosign(attestation, demo_auditor_key(), DEMO_AUDITOR)
    except CosignError as exc:
        err_console.print(f"error: co-signing failed: {exc}", markup=False)
        raise typer.Exit(1) from exc
    console.print(
        f"co-signed as {signature.name}: {attestation / written} (ed25519 key "
        f"{signature.key}, derived from a label: a TEST key, never for real use)",
        markup=False,
    )


def _only_intended_failures(
    results: list[StepResult], manifest: Manifest, under_covered: bool, under_backed: bool
) -> bool:
    """Return whether every step passed, or only the reserves step failed, for exactly the
    shortfalls the variant asked for: under-covered ETH, an under-backed ZBTC, or both."""
    failed = [r for r in results if r.status != "OK"]
    if not failed:
        return True
    covered, backed = shortfalls(manifest.assets), wrapped_shortfalls(manifest)
    return (
        [r.name for r in failed] == ["reserves"]
        and (bool(covered), bool(backed)) == (under_covered, under_backed)
        and failed[0].detail == "; ".join(covered + backed)
    )


def _print_segregation(manifest: Manifest) -> None:
    """Print the reserves outside customer coverage, and the co-signers the manifest pins."""
    segregation = manifest.segregation
    if segregation is None:
        return
    decimals = manifest.decimals
    lines = ["reserves kept apart from customer coverage (never counted toward it):"]
    for w in segregation.wrapped:
        ratio = backing_ratio(w.collateral, decimals[w.origin], w.supply, w.decimals)
        lines.append(
            f"  wrapped token {w.symbol} ({w.chain} {w.contract}): "
            f"{format_units(w.supply, w.decimals)} {w.symbol} issued at block {w.block}, "
            f"backed by {format_units(w.collateral, decimals[w.origin])} {w.origin} in "
            f"its own wrapped:{w.symbol} wallet (ratio {ratio}; required 1:1)"
        )
    for title, holdings in (
        ("protection fund", segregation.protection_fund),
        ("corporate wallet", segregation.corporate),
    ):
        held = ", ".join(
            f"{format_units(h.balance, decimals[h.asset])} {h.asset}" for h in holdings
        )
        lines.append(f"  {title}: {held or 'none'} (shown, not counted as coverage)")
    for c in manifest.cosigners:
        lines.append(
            f"co-signer pinned in zkpor.toml: {c.name} ({c.scheme} key {c.key}); "
            "verify step 10 requires its signature"
        )
    console.print("\n".join(lines), markup=False)


def _demo_ceremony(out: Path, config_path: Path, seed: int) -> DemoCeremony:
    """Run the demo's local ceremony with a line of progress per stage; exit 1 on failure."""
    config = load_config(config_path)
    shape = CircuitShape(len(config.assets), config.arity, config.batch_depth)
    console.print(
        f"setup ceremony for {shape.circuit_id} in {out / CEREMONY_DIR}: phase 1, init, "
        f"{len(DEMO_CONTRIBUTORS)} contributions ({', '.join(DEMO_CONTRIBUTORS)}), "
        "beacon, verify, finalize"
    )
    err_console.print(f"[bold yellow]NOTE[/]: phase 1 is the demo's own: {DEMO_PTAU_WARNING}")
    value = demo_beacon_value(config.as_of, seed)
    console.print(
        f'  the beacon value is sha256("zkpor demo beacon|{config.as_of}|{seed}") = '
        f"{value.hex()}: public, but predictable (a real ceremony takes a future block hash)",
        markup=False,
    )
    try:
        return run_demo_ceremony(
            out, shape, value, _demo_phase1, _run_stage, default_cache_dir() / "ceremony"
        )
    except (ZkporError, OSError) as exc:
        err_console.print(f"error: the ceremony failed: {exc}", markup=False)
        raise typer.Exit(1) from exc


def _run_stage(title: str, work: Callable[[Log], T]) -> T:
    """Run one ceremony stage under a spinner showing its progress; print its time."""
    start = time.monotonic()
    with console.status(f"ceremony: {escape(title)}") as status:
        result = work(
            lambda message: status.update(f"ceremony: {escape(title)}: {escape(message)}")
        )
    console.print(f"  done: {title} ({time.monotonic() - start:.1f} s)", markup=False)
    return result


def _demo_phase1(power: int) -> Path:
    """Return the cached demo phase-1 file of ``power``, made with a progress bar if new."""
    path = cached_path(power)
    if path.exists():
        console.print(
            f"  phase 1: reusing {path} (power {power}, single party, demo only)", markup=False
        )
        return path
    start = time.monotonic()
    title = f"ceremony: phase 1 of power {power} (single party, demo only)"
    with counting_bar(title, console) as advance:
        demo_ptau(power, progress=advance)
    console.print(
        f"  done: phase 1 of power {power} (single party, demo only), cached as {path} "
        f"({time.monotonic() - start:.1f} s)",
        markup=False,
    )
    return path


def _print_demo_next_steps(out: Path, ceremony: DemoCeremony | None) -> None:
    """Print what to try next on the demo's output."""
    attestation = out / "attestation"
    lines = ["", "next:"]
    if ceremony is None:
        lines.append(
            f"  zkpor verify {attestation} --allow-insecure-dev-setup   # check every proof again"
        )
    else:
        lines += [
            f"  zkpor verify {attestation} --allow-unknown-phase1 --ptau {ceremony.ptau}"
            "   # check every proof, the transcript, and IC from phase 1 (the demo's phase 1 "
            "is its own, not a public one: without the flag step 9 fails)",
            f"  zkpor ceremony verify {ceremony.root} --ptau {ceremony.ptau}"
            "   # re-check the ceremony (as snarkjs zkey verify does)",
            f"  npx snarkjs zkey verify {ceremony.keys / 'circuit.r1cs'} {ceremony.ptau} "
            f"{ceremony.keys / 'final.zkey'}   # the same, with snarkjs",
        ]
    check_user = (
        "   # one user's inclusion (step 7 fails: a development setup proves nothing)"
        if ceremony is None
        else " --allow-unknown-phase1   # one user's inclusion"
    )
    lines += [
        f"  zkpor verify-user {attestation} --code <code>{check_user}",
        f"  ls {out / 'private'}                 # secrets: never publish this folder",
    ]
    console.print("\n".join(lines), markup=False)
