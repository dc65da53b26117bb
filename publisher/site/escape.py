"""Escaping for every context the site writes a custodian's value in.

The values come from the attestation and the earlier manifests, which the adversary
writes. ``zkpor verify`` already holds them to strict character sets
(``verifier.text_fields``), so for an attestation that verifies these functions change
nothing; they are the second line, for a value that slips past the first.

Markdown is the tricky context: Python-Markdown passes raw HTML through, turns
``[text](url)`` into links and ``{: attr=value}`` (attr_list) into attributes, so a value
is HTML-escaped *and* has every Markdown punctuation character backslash-escaped.
"""

from __future__ import annotations

import html

from verifier.text_fields import https_url_problem

#: Python-Markdown's backslash-escapable characters, with ``|`` (tables); ``<>&"'`` are
#: HTML-escaped instead.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|")


def html_text(value: str) -> str:
    """Return ``value`` safe as HTML text or a quoted attribute value."""
    return html.escape(value, quote=True)


def md_text(value: str) -> str:
    """Return ``value`` as literal text in Markdown (a paragraph, table cell or heading):
    one line, no markup, no link, no attribute list, no raw HTML."""
    out = []
    for char in " ".join(value.splitlines()):
        if char in "<>&\"'":
            out.append(html.escape(char, quote=True))
        elif char in _MARKDOWN_SPECIAL:
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


def md_code(value: str) -> str:
    """Return ``value`` as a Markdown code span, whatever backticks it holds."""
    value = " ".join(value.splitlines())
    longest = run = 0
    for char in value:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    # A space on each side lets a value start or end with a backtick.
    return f"{fence} {value} {fence}" if longest else f"{fence}{value}{fence}"


def md_link(text: str, url: str) -> str:
    """Return a Markdown link to ``url`` if it is an https:// URL of the strict character
    set, else the text followed by the address as code (never a live link)."""
    if https_url_problem(url) is None:
        return f"[{md_text(text)}](<{url}>)"
    return f"{md_text(text)} ({md_code(url)})"
