"""``zkpor verify``: the reviewer's full check of an attestation, a folder or a URL.

Exit codes: 0 every step passed, 1 a step failed or was skipped, 2 there is no
attestation to check (no such folder, no attestation.json, server unreachable).
Text that comes from the attestation is never read as rich markup.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from publisher.ceremony.directory import PTAU_STEP_NAME, check_key_with_ptau
from publisher.crypto import NaclBackend
from publisher.snark.pairing import FAST_OPS
from verifier.attestation import AttestationFiles, attestation_steps
from verifier.attestation2 import read_figures, read_manifest2
from verifier.ceremony import TRANSCRIPT, parse_transcript
from verifier.download import DownloadError, DownloadFailed, retrying
from verifier.errors import StepSkipped, VerificationError
from verifier.fetch import directory_reader, http_reader
from verifier.manifest import MANIFEST, VK
from verifier.manifest2 import is_zkpor2, remember_manifest
from verifier.report import Step, StepResult, passed, run_steps, to_json

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

STATUS_STYLE = {"OK": "bold green", "FAIL": "bold red", "SKIP": "bold yellow"}


class NoAttestation(Exception):
    """There is nothing to verify at the given place."""


def _is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def _cached(read: Callable[[str], bytes]) -> Callable[[str], bytes]:
    """Return ``read`` remembering each file, so the manifest probed here is not re-fetched."""
    seen: dict[str, bytes] = {}

    def cached(name: str) -> bytes:
        if name not in seen:
            seen[name] = read(name)
        return seen[name]

    return cached


def _note_retry(name: str, error: DownloadError) -> None:
    err_console.print(
        Text(printable(f"note: {name} did not download ({error.reason}): trying once more"))
    )


def open_attestation(target: str) -> Callable[[str], bytes]:
    """Return a reader of the attestation at ``target`` once it has an attestation.json.

    Over http(s), a file whose download failed in a way that may pass (no answer, a reset,
    a body cut short, HTTP 5xx or 429) is asked for once more (``verifier.download``); if
    it fails again, the steps that need it fail, naming it and why."""
    if not _is_url(target):
        folder = Path(target)
        if not folder.exists():
            raise NoAttestation(f"{target} does not exist")
        if not folder.is_dir():
            raise NoAttestation(f"{target} is not a directory")
        if not (folder / MANIFEST).is_file():
            raise NoAttestation(f"{target} has no {MANIFEST}: is it an attestation directory?")
        return directory_reader(folder)
    read = _cached(retrying(http_reader(target), on_retry=_note_retry))
    try:
        read(MANIFEST)
    except FileNotFoundError as exc:
        raise NoAttestation(f"{target} has no {MANIFEST} ({exc})") from exc
    except DownloadFailed as exc:
        raise NoAttestation(str(exc)) from exc
    except OSError as exc:
        raise NoAttestation(f"cannot fetch {MANIFEST} from {target}: {exc}") from exc
    return read


def printable(text: str) -> str:
    """Return ``text`` with control characters escaped, so a file cannot drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def print_report(results: Sequence[StepResult], out: Console = console) -> None:
    """Print one line per step and a summary; nothing from the files is read as markup."""
    for step in results:
        out.print(
            Text.assemble(
                f"{step.number}. ",
                (step.status, STATUS_STYLE[step.status]),
                printable(f": {step.name} — {step.detail}"),
            )
        )
    failed = sum(step.status == "FAIL" for step in results)
    skipped = sum(step.status == "SKIP" for step in results)
    if passed(results):
        out.print(Text(f"PASSED: all {len(results)} checks passed", style="bold green"))
    else:
        summary = f"FAILED: {failed} of {len(results)} checks failed, {skipped} skipped"
        out.print(Text(summary, style="bold red"))


def print_figures(figures: dict[str, Any], out: Console = console) -> None:
    """Print a zkpor/2 attestation's published figures per asset (what the steps checked):
    price, equity, debt, net, reserves and both coverage ratios, and the price source."""
    out.print(
        Text(
            printable(
                f"published figures (prices in {figures['quote']}, "
                f"source: {figures['price_source']}):"
            )
        )
    )
    header = ("asset", "price", "equity", "debt", "net", "reserves", "net cover", "gross cover")
    rows = [
        (
            a["symbol"],
            a["price"],
            a["equity_amount"],
            a["debt_amount"],
            a["net_amount"],
            a["reserves_amount"] or "-",
            a["ratio_net"] or "-",
            a["ratio_gross"] or "-",
        )
        for a in figures["assets"]
    ]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        out.print(
            Text(
                printable(
                    "  " + "  ".join(str(v).rjust(w) for v, w in zip(row, widths, strict=True))
                )
            )
        )
    out.print(
        Text(
            "  net cover = reserves / net (equity - debt), required when net > 0; "
            "gross cover = reserves / equity, shown only"
        )
    )


def ptau_steps2(read: Callable[[str], bytes], ptau: Path) -> list[Step]:
    """Return one ``--ptau`` step per shape of a zkpor/2 attestation: the shape's key
    (``vk-s{K}.json``) is the one ``ptau`` gives for the circuit its transcript
    (``ceremony-s{K}.json``) names. The manifest is read as the steps read it."""
    try:
        manifest, _ = read_manifest2(AttestationFiles(read))
    except VerificationError as exc:
        reason = f"the manifest could not be read: {exc}"

        def fail() -> str:
            raise VerificationError(reason)

        return [(PTAU_STEP_NAME, fail)]
    steps: list[Step] = []
    for shape in manifest.shapes:
        names = {TRANSCRIPT: shape.ceremony, VK: shape.vk}

        def check(shape_read: Callable[[str], bytes], names: dict[str, str] = names) -> str:
            started = parse_transcript(shape_read(TRANSCRIPT)).header.ptau.sha256
            if started != _sha256_of(ptau):
                raise StepSkipped(
                    f"{names[TRANSCRIPT]} started from another phase-1 file (sha256 "
                    f"{started[:16]}…) than {ptau.name}: run again with --ptau set to that file"
                )
            detail = check_key_with_ptau(shape_read, ptau)
            for old, new in names.items():
                detail = detail.replace(old, new)
            return detail

        shape_read = partial(_renamed_read, read, names)
        steps.append((f"{PTAU_STEP_NAME} (K = {shape.slots})", partial(check, shape_read)))
    return steps


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _renamed_read(read: Callable[[str], bytes], names: dict[str, str], name: str) -> bytes:
    return read(names.get(name, name))


def register(app: typer.Typer) -> None:
    """Add ``verify`` to ``app``."""

    @app.command("verify")
    def verify(
        target: Annotated[
            str,
            typer.Argument(
                metavar="ATTESTATION_DIR_OR_URL",
                help="Attestation directory, or the http(s) URL it is served under.",
            ),
        ],
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        allow_dev_setup: Annotated[
            bool,
            typer.Option(
                "--allow-insecure-dev-setup",
                help="Let a single-party development setup pass (demos only: it proves nothing).",
            ),
        ] = False,
        allow_unknown_phase1: Annotated[
            bool,
            typer.Option(
                "--allow-unknown-phase1",
                help="Let a ceremony on a phase-1 file that is not a pinned public one pass "
                "(demos only: whoever made that file may forge proofs).",
            ),
        ] = False,
        ptau: Annotated[
            Path | None,
            typer.Option(
                "--ptau",
                help="The public phase-1 file: also recompute vk.json's IC, alpha and beta "
                "from it for the ceremony's circuit (step 10).",
            ),
        ] = None,
    ) -> None:
        """Check every proof, hash and total of an attestation, as a reviewer would."""
        try:
            read = open_attestation(target)
        except NoAttestation as exc:
            err_console.print(Text(printable(f"error: {exc}")))
            raise typer.Exit(2) from exc
        read = remember_manifest(read)  # the format probe and the steps read one manifest
        steps = attestation_steps(
            read,
            NaclBackend(),
            allow_dev_setup,
            allow_unknown_phase1=allow_unknown_phase1,
            ops=FAST_OPS,
        )
        if ptau is not None and is_zkpor2(read):
            steps += ptau_steps2(read, ptau)
        elif ptau is not None:
            steps.append((PTAU_STEP_NAME, partial(check_key_with_ptau, read, ptau)))
        results = run_steps(steps)
        figures = read_figures(read) if is_zkpor2(read) else None
        if as_json:
            report: dict[str, Any] = {"passed": passed(results), "steps": to_json(results)}
            if figures is not None:
                report["figures"] = figures
            typer.echo(json.dumps(report, indent=1, ensure_ascii=False))
        else:
            print_report(results)
            if figures is not None:
                print_figures(figures)
        if not passed(results):
            raise typer.Exit(1)
