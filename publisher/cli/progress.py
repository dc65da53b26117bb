"""Progress bars shared by the command modules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

Advance = Callable[[int, int], None]


@contextmanager
def counting_bar(title: str, console: Console) -> Iterator[Advance]:
    """Show a bar titled ``title`` while the body runs; yield ``advance(done, total)``.

    The library reports its own progress through ``advance``; the bar disappears when the
    body ends, so the caller prints one line of what was done.
    """
    with Progress(
        TextColumn(title),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("points", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
