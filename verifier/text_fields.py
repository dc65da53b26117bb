"""The character sets of the text fields a custodian publishes, and their checks.

Every one of these fields ends up on the static site (in HTML, Markdown, YAML, SVG and
page titles) and in messages of ``zkpor verify``. The adversary writes them, so they are
held to a strict, documented character set here, where ``attestation.json`` is parsed;
the site escapes them too, for the context it writes them in, as a second line.

=================  ==============================================================
field              accepted
=================  ==============================================================
attestation id     ``[A-Za-z0-9._-]{1,64}``, not only dots (it names files)
issuer name        1..200 printable characters, no leading or trailing space, none
                   of ``< > & " ' `` `` ` `` (no markup can be spelled with it)
issuer URL         ``https://host[:port][/path][?query][#fragment]``, at most 2000
                   characters of ``[A-Za-z0-9-._~/?#=&%+,;:@!$]`` (no quotes,
                   parentheses, brackets, backslash, space or ``<>``)
as-of time         ``YYYY-MM-DDTHH:MM:SSZ``, a real UTC date and time
asset symbol       ``[A-Z0-9]{1,12}``
circuit id         ``[A-Za-z0-9][A-Za-z0-9._-]{0,63}``
setup kind         ``[a-z0-9][a-z0-9-]{0,31}``
setup statement    1..10000 printable characters (contributor names are free text:
                   the site escapes it)
software version   ``[0-9A-Za-z][0-9A-Za-z.+-]{0,63}`` (room for setuptools-scm's
                   ``0.1.dev12+g1a2b3c4d5.d20261205``)
file name          ``bundles/SHA256SUMS``, ``ceremony/transcript.json`` or a plain
                   ``[a-z0-9][a-z0-9_-]{0,63}.json`` (so a listed file can never be an
                   HTML page or a script on the site)
=================  ==============================================================

Each check returns None when the value is accepted, else the rule it breaks, for the
caller to prefix with the file and field. Pure standard library (runs in Pyodide).
"""

from __future__ import annotations

import re
from datetime import datetime

MAX_ISSUER_NAME = 200
MAX_URL = 2000
MAX_STATEMENT = 10_000
#: Characters that start markup in HTML, attributes, Markdown code or JS strings.
MARKUP_CHARACTERS = "<>&\"'`"

ATTESTATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
SYMBOL = re.compile(r"[A-Z0-9]{1,12}")
CIRCUIT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SETUP_KIND = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
SOFTWARE_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,63}")
AS_OF = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
HTTPS_URL = re.compile(
    r"https://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?"
    r"(?:[/?#][A-Za-z0-9\-._~/?#=&%+,;:@!$]*)?"
)
FILE_NAME = re.compile(
    r"bundles/SHA256SUMS|ceremony/transcript\.json|[a-z0-9][a-z0-9_-]{0,63}\.json"
)


def _pattern(value: str, pattern: re.Pattern[str], shown: str) -> str | None:
    return None if pattern.fullmatch(value) else f"must match {shown}"


def attestation_id_problem(value: str) -> str | None:
    """Return why ``value`` is not an attestation id, or None."""
    if not ATTESTATION_ID.fullmatch(value) or not value.strip("."):
        return "must match [A-Za-z0-9._-]{1,64} (not only dots)"
    return None


def issuer_name_problem(value: str) -> str | None:
    """Return why ``value`` is not an issuer name, or None."""
    if not value or value != value.strip():
        return "must be non-empty, without leading or trailing whitespace"
    if len(value) > MAX_ISSUER_NAME:
        return f"is {len(value)} characters, at most {MAX_ISSUER_NAME}"
    # isprintable() refuses control, format (bidi overrides), line and paragraph
    # separators and every space but U+0020.
    if not value.isprintable():
        return "contains a control or invisible character"
    if bad := sorted(set(value) & set(MARKUP_CHARACTERS)):
        return f"must not contain {' '.join(bad)} (none of {' '.join(MARKUP_CHARACTERS)})"
    return None


def https_url_problem(value: str) -> str | None:
    """Return why ``value`` is not an https:// URL of the strict character set, or None."""
    if len(value) > MAX_URL:
        return f"is {len(value)} characters, at most {MAX_URL}"
    if not value.startswith("https://"):
        return "must be an https:// URL"
    if not HTTPS_URL.fullmatch(value):
        return (
            "must be https://host[:port][/path] of the characters A-Z a-z 0-9 - . _ ~ / ? # "
            "= & % + , ; : @ ! $ only"
        )
    return None


def as_of_problem(value: str) -> str | None:
    """Return why ``value`` is not a UTC time ``YYYY-MM-DDTHH:MM:SSZ``, or None."""
    if AS_OF.fullmatch(value):
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            return None
        except ValueError:
            pass
    return "must be a UTC date and time such as 2026-11-21T00:00:00Z"


def symbol_problem(value: str) -> str | None:
    """Return why ``value`` is not an asset symbol, or None."""
    return _pattern(value, SYMBOL, "[A-Z0-9]{1,12}")


def circuit_id_problem(value: str) -> str | None:
    """Return why ``value`` is not a circuit id, or None."""
    return _pattern(value, CIRCUIT_ID, "[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def setup_kind_problem(value: str) -> str | None:
    """Return why ``value`` is not a setup kind, or None."""
    return _pattern(value, SETUP_KIND, "[a-z0-9][a-z0-9-]{0,31}")


def software_version_problem(value: str) -> str | None:
    """Return why ``value`` is not a software version, or None."""
    return _pattern(value, SOFTWARE_VERSION, "[0-9A-Za-z][0-9A-Za-z.+-]{0,63}")


def statement_problem(value: str) -> str | None:
    """Return why ``value`` is not a setup statement, or None."""
    if not value or len(value) > MAX_STATEMENT or not value.isprintable():
        return f"must be 1 to {MAX_STATEMENT} printable characters"
    return None


def file_name_problem(value: str) -> str | None:
    """Return why ``value`` may not be listed as an attestation file, or None."""
    return _pattern(
        value, FILE_NAME, "bundles/SHA256SUMS, ceremony/transcript.json or [a-z0-9][a-z0-9_-]*.json"
    )
