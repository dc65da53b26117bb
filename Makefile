# The two set-up commands of the README. Each installs what it needs itself.
PYTHON ?= python3
NPM_DIR := tests/js
# apt-get needs root: use sudo when not already root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install install-test lint wheel

install:
	$(PYTHON) -m pip install --quiet -e .

# The wheel a user installs, in dist/ (its version comes from git: pyproject.toml). The
# build leaves no build/ folder behind (.ci/build_backend.py); tests/site/test_installed_wheel.py
# installs such a wheel in a fresh venv and runs the demo with it.
wheel:
	$(PYTHON) -m pip wheel --quiet --no-deps -w dist .

# The browser tests drive Debian's chromium with Playwright (never `playwright install`).
# The native kernels need gcc and the Python headers: installed here if missing (Debian), and
# the tests need them built (tests/snark/test_native.py compares them with the Python path).
HAVE_HEADERS := $(PYTHON) -c "import os, sys, sysconfig; \
	sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"
install-test:
	command -v gcc >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends gcc; }
	$(HAVE_HEADERS) || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends python3-dev; }
	$(PYTHON) -m pip install --quiet -e '.[test]'
	$(PYTHON) -c "import publisher.snark._native" || \
		{ echo "error: the native kernels did not build (see pip's output above)"; exit 1; }
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

# Main job on the built-in demo snapshot.
demo: install
	rm -rf demo
	zkpor demo --out demo

lint: install-test
	ruff check verifier publisher tests bench
	mypy verifier publisher

# Everything the tests need, then the tests.
test: install-test lint
	$(PYTHON) -m pytest -n 2 --dist loadgroup
