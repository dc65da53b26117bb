"""Run the ``zkpor`` command line and SIGKILL it at a chosen file-system event.

Used by ``test_kill9_anywhere.py``::

    python -m tests.security.kill_at_event --root DIR --private P --out O --record EVENTS.jsonl
        [--kill CATEGORY:N|exit [--group]] -- prove --out O --private P ...

An audit hook (``sys.addaudithook``) sees every file-system change Python makes: ``open``
for writing, ``os.rename`` (also raised by ``os.replace``), ``os.mkdir``, ``os.remove``,
``os.rmdir``, ``shutil.rmtree``, ``os.chmod``, ``os.truncate``. Those on a path under
``--root`` are classified (``classify``: plan, checkpoint, codes, staging-bundles,
staging-manifest, staging-other, final-rename, other; scratch for anonymous files) and
appended to ``--record``, one JSON line each, flushed at once, so that the record survives
the kill.

``--kill CATEGORY:N`` SIGKILLs the process on the N-th event (1-based) of CATEGORY, before
the operation runs: no ``finally``, ``except`` or ``atexit`` gets a chance, as when the
machine dies. ``--kill exit`` SIGKILLs it at interpreter exit, after the command returned
(every file written, no exit status given yet). ``--group`` kills the whole process group
instead (the coordinator and its pool workers at once); without it only the coordinator
dies and its workers are left over, as after an operator's ``kill -9 PID``. The caller
starts this in a new session, so that the group is this command and its children only.

Only observable OS events are used, never the pipeline's function names: the kill points
stay meaningful however the pipeline is written. Events of forked pool workers are ignored
(they are children of the coordinator, and write no file of the run).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from verifier.manifest import MANIFEST

#: Audit events that change the file system, and the index of their path argument(s).
PATH_EVENTS = {
    "open": (0,),
    "os.rename": (0, 1),
    "os.mkdir": (0,),
    "os.remove": (0,),
    "os.rmdir": (0,),
    "shutil.rmtree": (0,),
    "os.chmod": (0,),
    "os.truncate": (0,),
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

CATEGORIES = (
    "plan",
    "scratch",
    "checkpoint",
    "codes",
    "staging-bundles",
    "staging-manifest",
    "staging-other",
    "final-rename",
    "other",
)


def _path(value: Any) -> str | None:
    """Return ``value`` as an absolute path, or None for a file descriptor or None."""
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    if not isinstance(value, str):
        return None
    return os.path.abspath(value)


def _writes(args: tuple[Any, ...]) -> bool:
    """Return whether the arguments of an ``open`` audit event open for writing."""
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & WRITE_FLAGS)


def _anonymous(args: tuple[Any, ...]) -> bool:
    """Return whether an ``open`` audit event makes an anonymous file (``O_TMPFILE``, as
    ``tempfile.TemporaryFile`` does on Linux: the OS deletes it even after a kill)."""
    tmpfile = getattr(os, "O_TMPFILE", 0)
    return bool(tmpfile) and isinstance(args[2], int) and args[2] & tmpfile == tmpfile


def classify(event: str, path: str, private: str, out: str, dst: str | None = None) -> str:
    """Return the category of a file-system event on ``path`` (``dst`` for a rename)."""
    if event == "os.rename" and dst == out:
        return "final-rename"
    target = Path(dst if dst is not None else path)
    staging_prefix = f".{Path(out).name}.partial"
    parent = Path(out).parent
    if target.is_relative_to(parent) and target != parent:
        first = target.relative_to(parent).parts[0]
        if first.startswith(staging_prefix):
            inner = target.relative_to(parent / first).parts
            if inner and inner[0] == "bundles":
                return "staging-bundles"
            if inner and MANIFEST in inner[-1]:
                return "staging-manifest"
            return "staging-other"
    if target.is_relative_to(private):
        inner = target.relative_to(private).parts
        if inner and inner[0] == "batches":
            return "checkpoint"
        if inner and "codes.csv" in inner[-1]:
            return "codes"
        return "plan"
    return "other"


def _group_members(pgid: int, but: int) -> list[int]:
    """Return the live processes of group ``pgid`` other than ``but``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # exited meanwhile
            continue
        state, _ppid, group = text[text.rindex(")") + 2 :].split()[:3]
        if int(group) == pgid and state not in "ZX" and int(stat.parent.name) != but:
            found.append(int(stat.parent.name))
    return found


class Recorder:
    """The audit hook: records the run's file-system events and kills on the chosen one."""

    def __init__(
        self, root: str, private: str, out: str, record: TextIO, kill: str | None, group: bool
    ) -> None:
        self.root = root.rstrip(os.sep) + os.sep
        self.private, self.out = private, out
        self.record = record
        self.kill, self.group = kill, group
        self.counts = dict.fromkeys(CATEGORIES, 0)
        self.pid = os.getpid()
        self.busy = False

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        where = PATH_EVENTS.get(event)
        if where is None or self.busy or os.getpid() != self.pid:
            return
        if event == "open" and not _writes(args):
            return
        paths = [_path(args[i]) for i in where]
        if not all(p is not None and (p + os.sep).startswith(self.root) for p in paths):
            return
        self.busy = True
        try:
            path, dst = paths[0], paths[1] if len(paths) > 1 else None
            assert path is not None
            category = classify(event, path, self.private, self.out, dst)
            if event == "open" and _anonymous(args):
                category = "scratch"
            self.counts[category] += 1
            n = self.counts[category]
            line = {"event": event, "category": category, "n": n, "path": path, "dst": dst}
            self.write(line, killing=self.kill == f"{category}:{n}")
        finally:
            self.busy = False

    def at_exit(self) -> None:
        """The ``--kill exit`` point: the command has returned, the process not exited."""
        if os.getpid() == self.pid and self.kill == "exit":
            self.write({"event": "exit", "category": "exit", "n": 1}, killing=True)

    def write(self, line: dict[str, Any], killing: bool) -> None:
        if killing:
            line["killed"] = True
            # Who else runs at the kill (pool workers): a test then knows they existed even
            # if, on a slow machine, they have already noticed the death when it looks.
            line["others"] = _group_members(os.getpgrp(), but=os.getpid())
        self.record.write(json.dumps(line) + "\n")
        self.record.flush()
        if killing:
            os.fsync(self.record.fileno())
            if self.group:
                os.killpg(os.getpgrp(), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> None:
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="kill_at_event")
    parser.add_argument("--root", required=True)
    parser.add_argument("--private", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--kill", help="CATEGORY:N, the N-th event of CATEGORY (1-based), or exit")
    parser.add_argument("--group", action="store_true", help="kill the whole process group")
    options = parser.parse_args(argv[:split])
    if options.kill and options.kill != "exit":
        category, _, n = options.kill.rpartition(":")
        if category not in CATEGORIES or not n.isdigit():
            parser.error(f"--kill {options.kill!r}: expected CATEGORY:N or exit")
    # Opened before the hook is installed, and written with write(): not an event itself.
    record = open(options.record, "a", encoding="utf-8")  # noqa: SIM115 (lives until exit)
    recorder = Recorder(
        os.path.abspath(options.root),
        os.path.abspath(options.private),
        os.path.abspath(options.out),
        record,
        options.kill,
        options.group,
    )
    from publisher.cli.main import app  # the `zkpor` console script (pyproject.toml)

    atexit.register(recorder.at_exit)
    sys.addaudithook(recorder)
    sys.argv = ["zkpor", *argv[split + 1 :]]
    app()


if __name__ == "__main__":
    main(sys.argv[1:])
