"""Fuzzed published files (issue 17, item 5): every file of an attestation, mutated as in
``tests.fuzz.mutations``, makes ``zkpor verify``'s checks or the account holder's check
(the same ``verifier`` code the browser runs, under CPython) FAIL with the step named:
never an exception, never a pass of both. The attestation is the protocol vectors' (a real
ceremony's keys, signed reserves, bundles), read from memory. ``zkpor verify`` cannot check
what only a code opens (a changed ``bundles.run_salt`` passes it), so the property is over
both checks together: one of them fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.crypto import NaclBackend
from tests.fuzz.mutations import apply, mutations
from verifier.attestation import STEP_NAMES, verify_attestation
from verifier.report import passed
from verifier.user import USER_STEP_NAMES, UserOptions, verify_user

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "protocol"
ATTESTATION = VECTORS / "attestation"
FILES = {
    path.relative_to(ATTESTATION).as_posix(): path.read_bytes()
    for path in sorted(ATTESTATION.rglob("*"))
    if path.is_file()
}
BACKEND = NaclBackend()
FUZZ = settings(max_examples=150, derandomize=True, deadline=None)


def reader(files: dict[str, bytes]) -> Any:
    def read(name: str) -> bytes:
        if name not in files:
            raise FileNotFoundError(name)
        return files[name]

    return read


def mutated(name: str, mutation: tuple[Any, ...]) -> dict[str, bytes]:
    files = dict(FILES)
    files[name] = apply(files[name], mutation)
    return files


def same_json(a: bytes, b: bytes) -> bool:
    """Whether two files hold the same JSON value (the manifest is compared by value: its
    sha256 is not published anywhere else, so whitespace changes mean nothing)."""
    try:
        return bool(json.loads(a) == json.loads(b))
    except (ValueError, RecursionError):
        return False


def a_user_code() -> str:
    expected = json.loads((VECTORS / "attestation_expected.json").read_text(encoding="utf-8"))
    return str(expected["users"][0]["code"])


def test_the_untouched_vectors_pass_both_checks() -> None:
    """The property below is only worth something if the untouched files pass."""
    assert passed(verify_attestation(reader(FILES), BACKEND, allow_unknown_phase1=True))
    options = UserOptions(samples=0, allow_unknown_phase1=True)
    assert verify_user(reader(FILES), a_user_code(), BACKEND, options).passed


@FUZZ
@given(name=st.sampled_from(sorted(FILES)), mutation=mutations())
def test_a_mutated_published_file_fails_a_check_with_the_step_named_and_never_crashes(
    name: str, mutation: tuple[Any, ...]
) -> None:
    files = mutated(name, mutation)
    if files[name] == FILES[name]:
        return  # the mutation changed nothing
    results = verify_attestation(reader(files), BACKEND, allow_unknown_phase1=True)
    assert [r.name for r in results] == list(STEP_NAMES)
    options = UserOptions(samples=0, check_all=True, allow_unknown_phase1=True)
    report = verify_user(reader(files), a_user_code(), BACKEND, options)
    assert [r.name for r in report.results] == list(USER_STEP_NAMES)
    if name == "attestation.json" and same_json(files[name], FILES[name]):
        return  # accepted with the same meaning (CRLF line ends, say)
    # What a reviewer cannot check (the bundles' run salt: only codes open them) the
    # account holder's check does: together, one of them fails, naming its step.
    failures = [r for r in [*results, *report.results] if r.status == "FAIL"]
    assert failures and all(r.detail for r in failures), (name, mutation)
    assert not (passed(results) and report.passed), (name, mutation)


@pytest.mark.parametrize("name", sorted(FILES))
def test_deep_nesting_in_any_file_is_a_failure_not_a_crash(name: str) -> None:
    files = mutated(name, ("nest",))
    assert not passed(verify_attestation(reader(files), BACKEND, allow_unknown_phase1=True))
