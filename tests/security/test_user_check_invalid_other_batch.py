"""Attack (issue 11, finding 6): the per-user check said the totals were proven without
checking the other batches' proofs.

The custodian publishes every batch honestly but the last, whose ``acc_out`` it replaces by
an accumulator opening 10% of the real totals (with a fresh blind), and publishes those 10%
as its liabilities. The last batch's proof is then false, but the chain links, the final
opening and every other batch (the user's own included) hold. ``zkpor verify-user`` used
to answer "accumulator chain OK ... the published liabilities". Now the report names the
batches whose proofs it verified, says the totals are NOT proven unless every batch proof
was verified in the run, and ``--all`` (like the page's default sample of every other batch
when there are few, and its Verify all) verifies them all and FAILs.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from publisher.crypto import NaclBackend
from tests.ceremony_fixtures import (  # noqa: F401
    ceremony,
    ceremony_attestation,
    ceremony_site,
)
from tests.security.user_check_support import (
    browser,  # noqa: F401
    check_on_page,
    copy_attestation,
    publish,
    verify_user,
)
from tests.site_fixtures import SmallAttestation, copy_site
from verifier.fetch import directory_reader
from verifier.field import R
from verifier.manifest import PROOFS, Manifest
from verifier.protocol import accumulator
from verifier.user import TOTALS_PROVEN, UserOptions
from verifier.user import verify_user as verify_user_lib

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.xdist_group("browser")

DEMO_PHASE1 = "--allow-unknown-phase1"


def forge_last_batch(folder: Path, manifest: Manifest) -> Manifest:
    """Make the last batch end at an accumulator of 10% of the totals; publish those."""
    totals = tuple(total // 10 for total in manifest.final_totals)
    blind = secrets.randbelow(R)
    acc = accumulator(totals, blind)
    proofs = json.loads((folder / PROOFS).read_text(encoding="utf-8"))
    proofs[-1]["public"][2] = str(acc)
    (folder / PROOFS).write_text(json.dumps(proofs, indent=1) + "\n", encoding="utf-8")
    forged = replace(
        manifest,
        assets=tuple(
            replace(asset, liabilities=total)
            for asset, total in zip(manifest.assets, totals, strict=True)
        ),
        final_totals=totals,
        final_blind=blind,
        final_accumulator=acc,
    )
    publish(folder, forged, [PROOFS])
    return forged


@pytest.fixture(scope="module")
def forged(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, str, int]:
    """The forged attestation, the code of a user outside the last batch, and their batch."""
    good = ceremony_attestation
    folder = copy_attestation(good.folder, tmp_path_factory.mktemp("forged") / "attestation")
    forge_last_batch(folder, good.manifest)
    last = good.manifest.tree.batches - 1
    for code in good.codes.values():
        report = verify_user_lib(
            directory_reader(folder), code, NaclBackend(), UserOptions(samples=0)
        )
        if report.bundle is not None and report.bundle.batch != last:
            return folder, code, report.bundle.batch
    raise AssertionError("every account is in the last batch")


def test_own_batch_only_passes_but_never_claims_the_totals(forged: tuple[Path, str, int]) -> None:
    folder, code, own = forged
    text, report = verify_user(folder, code, DEMO_PHASE1, "--samples", "0")
    # The user's own account is proven, and the check says exactly that much.
    assert text.exit_code == 0, text.output
    steps = {s["name"]: s for s in report["steps"]}
    others = ", ".join(str(b) for b in range(4) if b != own)
    assert steps["batch proofs"]["detail"] == (
        f"the Groth16 proof of your batch {own} is valid; batches {others} not checked in this run"
    )
    chain = steps["accumulator chain"]["detail"]
    assert "only 1 of 4 batch proofs were verified" in chain and "NOT proven" in chain
    assert not report["totals_proven"]
    assert TOTALS_PROVEN not in text.output
    assert "NOT fully checked in this run (use --all" in text.output


def test_all_verifies_every_batch_and_fails(forged: tuple[Path, str, int]) -> None:
    folder, code, _ = forged
    text, report = verify_user(folder, code, DEMO_PHASE1, "--all")
    assert text.exit_code == 1
    steps = {s["name"]: s for s in report["steps"]}
    assert steps["batch proofs"]["status"] == "FAIL"
    assert steps["batch proofs"]["detail"].startswith("batch 3 is not proven: ")
    assert "5. FAIL: batch proofs" in text.output
    assert not report["totals_proven"] and TOTALS_PROVEN not in text.output
    assert {"batch": 3, "status": "FAIL"} in report["proofs"]


def test_the_default_sample_of_every_other_batch_fails_too(forged: tuple[Path, str, int]) -> None:
    folder, code, _ = forged
    text, _ = verify_user(folder, code, DEMO_PHASE1)  # 3 samples of the 3 others
    assert text.exit_code == 1 and "5. FAIL: batch proofs" in text.output
    assert TOTALS_PROVEN not in text.output


def test_the_verify_page_fails_at_the_batch_proofs(
    forged: tuple[Path, str, int],
    ceremony_site: Path,  # noqa: F811
    browser: BrowserContext,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder, code, _ = forged
    site = copy_site(ceremony_site, tmp_path / "site")
    for path in folder.rglob("*"):
        if path.is_file():
            (site / "attestation" / path.relative_to(folder)).write_bytes(path.read_bytes())
    shown = check_on_page(browser, site, code, answer=True)
    assert shown.done == "failed"
    step = shown.step("batch proofs")
    assert step.status == "FAIL" and step.detail.startswith("batch 3 is not proven: ")
    assert shown.status[1] == "fail", shown.status
