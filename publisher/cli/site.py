"""``zkpor site build | serve | reproduce``: the static site of one attestation.

Exit codes: 0 done (reproduce: no file differs), 1 reproduce found differences,
2 the site cannot be built or reproduced from what was given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from publisher.site.build import BuildOptions, build_site
from publisher.site.reproduce import reproduce
from publisher.site.serve import make_server
from verifier.errors import ZkporError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
site_app = typer.Typer(no_args_is_help=True, help="Build, preview and reproduce the static site.")


def build(
    attestation: Path,
    out: Path,
    history: list[str],
    site_url: str | None,
    allow_insecure_dev_setup: bool,
    force: bool,
    allow_unknown_phase1: bool = False,
) -> Path:
    """Build the site with progress on the console; exit 2 with the reason if it fails."""
    options = BuildOptions(
        allow_insecure_dev_setup=allow_insecure_dev_setup,
        site_url=site_url,
        allow_unknown_phase1=allow_unknown_phase1,
    )
    try:
        with console.status("building the site") as status:
            return build_site(
                attestation,
                out,
                options,
                history,
                replace=force,
                log=lambda text: status.update(text),
                console=console,
            )
    except ZkporError as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc


@site_app.command("build")
def build_command(
    attestation: Annotated[
        Path, typer.Argument(help="The attestation folder (zkpor prove --out).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the site to.")],
    history: Annotated[
        list[str],
        typer.Option(
            "--history",
            help="An earlier attestation (manifest, attestation or site folder, or URL); repeat.",
        ),
    ] = [],  # noqa: B006 - typer reads the default, it is never mutated
    site_url: Annotated[
        str | None, typer.Option("--site-url", help="Where the site will be published.")
    ] = None,
    allow_insecure_dev_setup: Annotated[
        bool,
        typer.Option(
            "--allow-insecure-dev-setup",
            help="Build a site for a development-setup attestation, with a warning on every page.",
        ),
    ] = False,
    allow_unknown_phase1: Annotated[
        bool,
        typer.Option(
            "--allow-unknown-phase1",
            help="Build a site for a ceremony on a phase-1 file that is not a pinned public "
            "one (demos), with a warning on every page.",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
) -> None:
    """Build the static site of an attestation: pages, verifier, pinned files, SHA256SUMS."""
    site = build(
        attestation, out, history, site_url, allow_insecure_dev_setup, force, allow_unknown_phase1
    )
    console.print(f"wrote {site}")
    console.print(f"preview it: zkpor site serve {site}")


@site_app.command("serve")
def serve_command(
    site: Annotated[Path, typer.Argument(help="A built site folder.")],
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8000,
) -> None:
    """Serve a built site on http://127.0.0.1:PORT/ for a local preview."""
    if not (site / "index.html").is_file():
        err_console.print(f"error: {site} is not a built site (no index.html)")
        raise typer.Exit(2)
    server = make_server(site, port, quiet=False)
    console.print(f"serving {site} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@site_app.command("reproduce")
def reproduce_command(
    site: Annotated[str, typer.Argument(help="A built site: a folder or its http(s) URL.")],
) -> None:
    """Rebuild a site from its own attestation and list every file that differs."""
    try:
        with console.status("rebuilding the site") as status:
            differences = reproduce(site, log=lambda text: status.update(text), console=console)
    except ZkporError as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    for difference in differences:
        console.print(f"DIFFERS: {difference.path} ({difference.problem})", markup=False)
    if differences:
        console.print(f"{len(differences)} files differ: the site is not reproduced")
        raise typer.Exit(1)
    console.print("OK: every file of the site is reproduced byte for byte")


def register(app: typer.Typer) -> None:
    """Add ``zkpor site`` to the main application."""
    app.add_typer(site_app, name="site")
