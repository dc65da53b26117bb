"""Where the tests find their data, wherever the test module sits."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
VECTORS = TESTS / "vectors"
