"""Attack: a host serves false proofs for batches an account holder's check does not
sample, hoping the page still says the account is "counted in every asset's totals".

A zkpor/2 account holder's check verifies the account's own batch and a few random
others. That proves the account's net balance is non-negative (its batch's proof checks
its collateral) and that it is under the published root, but not the totals: an
unverified batch's total could offset any amount. So the full statement is made only by
a run that verified every batch proof; a sampled run says what it did prove and how to
prove the rest (``verifier.user2.statement``). The Verify page words it the same way
(``site/docs/assets/zkpor/verify.js``): this test pins the two texts together.
"""

from __future__ import annotations

from pathlib import Path

from publisher.crypto import NaclBackend
from tests.book_fixtures import (  # noqa: F401  (pytest fixtures)
    BookAttestation,
    book_attestation,
    book_ceremony,
)
from verifier.fetch import directory_reader
from verifier.user import UserOptions, verify_user
from verifier.user2 import STATEMENT, STATEMENT_SAMPLED, UserReport2, statement

VERIFY_JS = Path(__file__).parents[2] / "site" / "docs" / "assets" / "zkpor" / "verify.js"
MARGIN_ACCOUNT = "bob"


def _run(attestation: BookAttestation, **options: object) -> UserReport2:
    report = verify_user(
        directory_reader(attestation.folder),
        attestation.codes[MARGIN_ACCOUNT],
        NaclBackend(),
        UserOptions(allow_unknown_phase1=True, **options),  # type: ignore[arg-type]
    )
    assert isinstance(report, UserReport2)
    return report


def test_a_sampled_run_does_not_claim_the_totals(
    book_attestation: BookAttestation,  # noqa: F811
) -> None:
    assert sum(s.batches for s in book_attestation.manifest.shapes) > 1
    report = _run(book_attestation, samples=0)
    assert report.passed and not report.totals_proven
    assert report.to_json()["statement"] == STATEMENT_SAMPLED
    assert "counted in every asset's totals is proven only when" in STATEMENT_SAMPLED


def test_a_run_that_verified_every_batch_makes_the_full_statement(
    book_attestation: BookAttestation,  # noqa: F811
) -> None:
    report = _run(book_attestation, check_all=True)
    assert report.passed and report.totals_proven
    assert report.to_json()["statement"] == STATEMENT


def test_no_statement_unless_every_step_passed() -> None:
    assert statement(False, True) is None and statement(False, False) is None
    assert statement(True, True) == STATEMENT and statement(True, False) == STATEMENT_SAMPLED


def test_the_verify_page_words_both_statements_as_the_verifier_does() -> None:
    script = " ".join(VERIFY_JS.read_text(encoding="utf-8").split())
    joined = script.replace('" + "', "")
    for text in (STATEMENT, STATEMENT_SAMPLED):
        assert f'"{text[0].upper()}{text[1:]}."' in joined, text
