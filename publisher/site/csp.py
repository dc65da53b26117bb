"""The Content-Security-Policy of every page of a zkpor site.

A static host such as GitHub Pages cannot send headers, so the policy is a
``<meta http-equiv="Content-Security-Policy">`` that the theme override
(``site/overrides/main.html``) puts in every page's ``<head>`` as a placeholder, before
any script. After MkDocs has written the pages, ``apply_csp`` replaces the placeholder by
the policy, which allows the scripts of the site's own origin and, by sha256, the inline
scripts that page holds, once each is found to be one of the theme's own small scripts
(anything else refuses the build). An injected inline script, event handler or
``javascript:`` URL does not run.

What the Verify page needs beyond ``'self'``, found in Chromium with Pyodide 314.0.7 (the
page does not become ready without each one): ``'wasm-unsafe-eval'`` (WebAssembly
compilation), ``blob:`` in ``worker-src`` (verify.js starts the worker from a blob of the
hash-checked worker.js) and ``blob:`` in ``script-src`` (a worker started from a blob
inherits this policy, and it imports each hash-checked module from a blob, since
``import()`` takes no integrity). ``blob:`` adds nothing for an injected script: making a
blob URL already takes running script. No ``'unsafe-inline'``, no ``'unsafe-eval'``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

PLACEHOLDER = "__ZKPOR_CSP__"

#: The fixed part; ``script-src`` gets the hashes of the page's inline scripts.
DIRECTIVES = (
    ("default-src", "'self'"),
    ("script-src", "'self' 'wasm-unsafe-eval' blob:"),
    ("worker-src", "'self' blob:"),
    ("connect-src", "'self'"),
    ("img-src", "'self' data:"),
    ("style-src", "'self'"),
    ("font-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'none'"),
)

_META = f'<meta http-equiv="Content-Security-Policy" content="{PLACEHOLDER}">'
# An inline script: a <script> element without src. Data blocks (type="application/json")
# are not executed and need no hash.
_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
_DATA_TYPE = re.compile(r"""\btype\s*=\s*["']?application/(?:ld\+)?json""", re.IGNORECASE)
_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)


class CspError(ValueError):
    """A page cannot be given the policy (no placeholder, or one too many)."""


def theme_scripts() -> list[re.Pattern[str]]:
    """Return a pattern of each inline script the Material theme writes: the text of its
    templates ``partials/javascripts/*.html``, where a Jinja expression (the page's base
    URL: ``..``, ``/``) is the only variable part."""
    spec = importlib.util.find_spec("material")
    if spec is None or spec.origin is None:
        raise CspError("the MkDocs Material theme is not installed")
    folder = Path(spec.origin).parent / "templates" / "partials" / "javascripts"
    out = []
    for template in sorted(folder.glob("*.html")):
        for match in _SCRIPT.finditer(template.read_text(encoding="utf-8")):
            parts = re.split(r"\{\{.*?\}\}", match.group("body"))
            # A base URL of these characters cannot leave the JS string literal it is in.
            out.append(re.compile(r"[A-Za-z0-9._~/-]{0,200}".join(map(re.escape, parts))))
    if not out:
        raise CspError(f"{folder}: no inline script found (a new Material version?)")
    return out


def inline_script_hashes(page: str, where: str) -> list[str]:
    """Return the CSP source expression (``'sha256-...'``) of each inline script in
    ``page``, in order of first appearance, without repeats. Only the theme's own inline
    scripts are hashed: any other one (an injection that got past the escaping) is an
    error, so that the policy never allows it."""
    allowed = theme_scripts()
    out: list[str] = []
    for match in _SCRIPT.finditer(page):
        attrs = match.group("attrs")
        if _SRC.search(attrs) or _DATA_TYPE.search(attrs):
            continue
        body = match.group("body")
        if not any(pattern.fullmatch(body) for pattern in allowed):
            raise CspError(f"{where}: an inline script that is not the theme's: {body[:60]!r}")
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        source = f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
        if source not in out:
            out.append(source)
    return out


def policy(script_hashes: list[str]) -> str:
    """Return the policy text for a page whose inline scripts have these hashes."""
    parts = []
    for name, value in DIRECTIVES:
        if name == "script-src" and script_hashes:
            value = f"{value} {' '.join(script_hashes)}"
        parts.append(f"{name} {value}")
    return "; ".join(parts)


def apply_csp(page: str, where: str) -> str:
    """Return ``page`` with its placeholder replaced by the policy for its scripts."""
    if page.count(_META) != 1:
        raise CspError(f"{where}: expected one Content-Security-Policy placeholder")
    if _SCRIPT.search(page.partition(_META)[0]):
        raise CspError(f"{where}: a script comes before the Content-Security-Policy")
    return page.replace(PLACEHOLDER, policy(inline_script_hashes(page, where)))


def apply_csp_to_site(site: Path) -> None:
    """Put the policy into every HTML page under ``site``."""
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        path.write_text(apply_csp(text, path.relative_to(site).as_posix()), encoding="utf-8")
