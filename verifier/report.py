"""A tiny runner that turns a list of named checks into a report.

The CLI (``zkpor verify``) and the browser run the same steps and show the same report:
one line per step with its number, name, ``OK``/``FAIL``/``SKIP`` and a short detail.

A step is a function that returns a one-line success detail, raises a
``VerificationError`` (the step FAILs with its message) or raises ``StepSkipped`` (it
could not run, e.g. because a file it needs failed to parse earlier). Any other
exception is a bug in zkpor, not a verdict on the attestation: it propagates, so that
it is seen and fixed instead of being shown as if the attestation were at fault.
Steps must therefore turn every problem of their input into a ``VerificationError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from verifier.errors import StepSkipped, VerificationError

Status: TypeAlias = Literal["OK", "FAIL", "SKIP"]
Step: TypeAlias = tuple[str, Callable[[], str]]


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step; ``detail`` is the success detail or the reason."""

    number: int
    name: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, object]:
        """Return this result as a JSON object."""
        return {
            "number": self.number,
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
        }


def run_step(number: int, name: str, check: Callable[[], str]) -> StepResult:
    """Return the result of running ``check`` as step ``number``."""
    try:
        return StepResult(number, name, "OK", check())
    except StepSkipped as skipped:
        return StepResult(number, name, "SKIP", str(skipped))
    except VerificationError as failure:
        return StepResult(number, name, "FAIL", str(failure))


def run_steps(steps: Sequence[Step]) -> list[StepResult]:
    """Return the results of the ``(name, check)`` steps, run in order and numbered from 1.

    Every step runs, whatever the earlier ones gave: a step that needs what an earlier
    one failed to produce raises ``StepSkipped`` itself.
    """
    return [run_step(number, name, check) for number, (name, check) in enumerate(steps, 1)]


def passed(results: Sequence[StepResult]) -> bool:
    """Return whether there was at least one step and every step is OK."""
    return bool(results) and all(result.status == "OK" for result in results)


def to_json(results: Sequence[StepResult]) -> list[dict[str, object]]:
    """Return the results as a list of JSON objects, in step order."""
    return [result.to_json() for result in results]
