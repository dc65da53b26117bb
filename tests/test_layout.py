"""The layout tells the architecture: each stage of ``publisher`` imports only the stages
below it, nothing imports the CLI, and no module imports itself back through a cycle.

Every import counts, also those inside functions: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import REPO

BASE = {"publisher.errors", "publisher.files", "publisher.crypto"}
#: What each part of publisher may import from publisher (besides itself and BASE).
ALLOWED: dict[str, set[str]] = {
    "publisher.errors": set(),
    "publisher.files": set(),
    "publisher.crypto": set(),
    "publisher.config": set(),
    "publisher.snark": set(),
    "publisher.ceremony": {"publisher.snark"},
    "publisher.attest": {"publisher.config", "publisher.snark"},
    "publisher.reserves": {"publisher.config"},
    "publisher.site": set(),
    "publisher.demo": {
        "publisher.config",
        "publisher.snark",
        "publisher.ceremony",
        "publisher.attest",
        "publisher.reserves",
    },
    # zkpor demo: the synthetic zkpor/2 book, its reserves, ceremonies and run
    "publisher.demo_book": {
        "publisher.config",
        "publisher.snark",
        "publisher.ceremony",
        "publisher.attest",
        "publisher.reserves",
        "publisher.demo",
    },
    "publisher.cli": {
        "publisher.config",
        "publisher.snark",
        "publisher.ceremony",
        "publisher.attest",
        "publisher.reserves",
        "publisher.site",
        "publisher.demo",
        "publisher.demo_book",
    },
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Return the modules of ``modules`` that ``path`` imports, anywhere in the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found & modules


def _graph(package: str) -> dict[str, set[str]]:
    files = sorted((REPO / package).rglob("*.py"))
    modules = {_module_name(f) for f in files}
    return {_module_name(f): _imports(f, modules) for f in files}


def _part(module: str) -> str:
    """Return the entry of ALLOWED that ``module`` belongs to."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_every_publisher_module_belongs_to_a_known_part() -> None:
    unknown = {m for m in _graph("publisher") if m != "publisher" and _part(m) not in ALLOWED}
    assert not unknown, f"add these to ALLOWED in {__file__}: {sorted(unknown)}"


def test_no_stage_imports_a_stage_above_it() -> None:
    upward = []
    for module, imported in _graph("publisher").items():
        if module == "publisher":
            continue
        part = _part(module)
        for target in imported:
            target_part = _part(target)
            if target_part in {part, "publisher", *BASE, *ALLOWED[part]}:
                continue
            upward.append(f"{module} imports {target}")
    assert not upward, "\n".join(upward)


def test_there_is_no_import_cycle() -> None:
    graph = _graph("publisher") | _graph("verifier")
    done: set[str] = set()

    def visit(module: str, stack: list[str]) -> None:
        if module in stack:
            cycle = [*stack[stack.index(module) :], module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*stack, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
