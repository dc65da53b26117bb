"""zkpor's build backend: setuptools' own, with its work folders outside the checkout.

setuptools builds a wheel by copying the packages into ``build/lib`` and zipping that
folder, and never empties it: a file deleted from the checkout (a page of the site's
templates, a module) stays in ``build/lib`` and goes on shipping in every later wheel,
which then no longer is the code its version names. Here every wheel build gets fresh
``build`` and ``*.egg-info`` folders in a temporary directory (distutils reads the extra
configuration file that ``DIST_EXTRA_CONFIG`` names), so a wheel holds exactly the
checkout's files and ``pip wheel .`` leaves nothing behind in the checkout. Every other
hook (editable installs, sdists) is setuptools' unchanged.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the hooks not redefined below)


@contextlib.contextmanager
def _work_folders_outside() -> Iterator[None]:
    with tempfile.TemporaryDirectory(prefix="zkpor-build-") as tmp:
        config = os.path.join(tmp, "setup.cfg")
        with open(config, "w", encoding="utf-8") as out:
            out.write(f"[build]\nbuild_base = {os.path.join(tmp, 'build')}\n")
            out.write(f"[egg_info]\negg_base = {tmp}\n")
        previous = os.environ.get("DIST_EXTRA_CONFIG")
        os.environ["DIST_EXTRA_CONFIG"] = config
        try:
            yield
        finally:
            if previous is None:
                del os.environ["DIST_EXTRA_CONFIG"]
            else:
                os.environ["DIST_EXTRA_CONFIG"] = previous


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    with _work_folders_outside():
        return _setuptools.get_requires_for_build_wheel(config_settings)  # type: ignore[no-any-return]


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: dict[str, Any] | None = None
) -> str:
    with _work_folders_outside():
        return _setuptools.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    with _work_folders_outside():
        return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
