"""The Verify page's browser tests share one attestation, site, server and chromium per
module: the session's ceremony attestation (``tests.ceremony_fixtures``: 10 accounts in 4
batches, signed reserves, a published ceremony transcript), its site, served on
127.0.0.1, and Debian's chromium on a fresh profile. A module that defines a fixture of
the same name (``test_site_build``'s ``site``) uses its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.ceremony_fixtures import (  # noqa: F401  (pytest fixtures)
    ceremony,
    ceremony_attestation,
    ceremony_site,
)
from tests.site_fixtures import (
    RecordingServer,
    SmallAttestation,
    chromium,
    serving,
)

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext


@pytest.fixture(scope="module")
def small(ceremony_attestation: SmallAttestation) -> SmallAttestation:  # noqa: F811
    return ceremony_attestation


@pytest.fixture(scope="module")
def site(ceremony_site: Path) -> Path:  # noqa: F811
    """The shared site: tests that tamper with it work on a copy."""
    return ceremony_site


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[RecordingServer]:
    with serving(site) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context
