"""The publisher's errors: every bad input file is reported through ``InputError``; a run
that cannot go on through ``PipelineError``."""

from __future__ import annotations

from verifier.errors import ZkporError


class InputError(ZkporError):
    """An input file is wrong: says which file, line and field, and why.

    The message is ``"{file}:{line}: {field}: {reason}"``, leaving out the parts that
    are unknown (``line`` and ``field`` may be ``None``).
    """

    def __init__(self, file: str, line: int | None, field: str | None, reason: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        location = file if line is None else f"{file}:{line}"
        parts = [location] if field is None else [location, field]
        super().__init__(": ".join([*parts, reason]))


class PipelineError(ZkporError):
    """The run cannot go on (inputs do not fit the tree, a private dir from other inputs)."""
