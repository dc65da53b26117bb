"""SVG charts drawn at build time: no JavaScript, no fonts or files from elsewhere.

Output is a pure function of the numbers given (fixed sizes, fixed number formatting), so
that two builds of one attestation are identical byte for byte. Text (asset symbols,
dates) is escaped for SVG text and attributes, quotes included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from publisher.site.escape import html_text as escape

WIDTH = 640
ROW = 34
LEFT = 90
RIGHT = 70
OK_COLOUR = "#2e7d32"
SHORT_COLOUR = "#c62828"


@dataclass(frozen=True)
class Coverage:
    """One asset's reserves / liabilities; ``ratio`` is None when nothing is owed."""

    symbol: str
    ratio: Fraction | None


def percent(ratio: Fraction) -> str:
    """Return ``ratio`` as a percentage rounded down to 0.01 (never overstated)."""
    hundredths = ratio.numerator * 10_000 // ratio.denominator
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def _svg(height: int, title: str, body: list[str]) -> str:
    # The chart goes into a Markdown page: Python-Markdown does not take <svg> for a block
    # and would apply Markdown (code spans, links) to its text. A <div markdown="0"> block
    # is passed through as it is.
    return "\n".join(
        [
            '<div class="zkpor-chart" markdown="0">',
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}" '
            'font-family="sans-serif" font-size="13">',
            f"<title>{escape(title)}</title>",
            *body,
            "</svg>",
            "</div>",
        ]
    )


def coverage_bars(rows: Sequence[Coverage]) -> str:
    """Return a horizontal bar per asset, its length the coverage ratio, with a line at
    100%: a bar that stops short of the line is an under-covered asset, drawn in red."""
    ratios = [row.ratio for row in rows if row.ratio is not None]
    scale_max = max([Fraction(3, 2), *ratios])
    plot = WIDTH - LEFT - RIGHT
    height = ROW * len(rows) + 40

    def x(ratio: Fraction) -> str:
        return f"{LEFT + float(ratio / scale_max) * plot:.1f}"

    body = []
    for i, row in enumerate(rows):
        y = 10 + i * ROW
        body.append(
            f'<text x="{LEFT - 8}" y="{y + 17}" text-anchor="end">{escape(row.symbol)}</text>'
        )
        if row.ratio is None:
            body.append(f'<text x="{LEFT + 4}" y="{y + 17}">no liabilities</text>')
            continue
        colour = OK_COLOUR if row.ratio >= 1 else SHORT_COLOUR
        body.append(
            f'<rect x="{LEFT}" y="{y}" width="{float(x(row.ratio)) - LEFT:.1f}" height="24" '
            f'fill="{colour}"/>'
        )
        body.append(
            f'<text x="{float(x(row.ratio)) + 4:.1f}" y="{y + 17}">{percent(row.ratio)}</text>'
        )
    line = x(Fraction(1))
    bottom = 10 + ROW * len(rows)
    body.append(
        f'<line x1="{line}" y1="4" x2="{line}" y2="{bottom}" stroke="#000" stroke-dasharray="4 3"/>'
    )
    body.append(f'<text x="{line}" y="{bottom + 18}" text-anchor="middle">100.00%</text>')
    return _svg(height, "Reserves as a share of liabilities, per asset", body)


def coverage_over_time(dates: Sequence[str], series: dict[str, list[Fraction | None]]) -> str:
    """Return one line per asset of its coverage ratio at each date (oldest first),
    with the 100% line; a missing ratio breaks the line."""
    height, top, bottom = 300, 20, 250
    values = [v for line in series.values() for v in line if v is not None]
    scale_max = max([Fraction(3, 2), *values])
    plot = WIDTH - LEFT - RIGHT
    step = plot / max(len(dates) - 1, 1)

    def y(ratio: Fraction) -> float:
        return bottom - float(ratio / scale_max) * (bottom - top)

    body = [
        f'<line x1="{LEFT}" y1="{y(Fraction(1)):.1f}" x2="{WIDTH - RIGHT}" '
        f'y2="{y(Fraction(1)):.1f}" stroke="#000" stroke-dasharray="4 3"/>',
        f'<text x="{LEFT - 8}" y="{y(Fraction(1)) + 4:.1f}" text-anchor="end">100.00%</text>',
    ]
    palette = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#558b2f", "#ad1457")
    for n, (symbol, line) in enumerate(sorted(series.items())):
        colour = palette[n % len(palette)]
        points = [(LEFT + i * step, y(v)) for i, v in enumerate(line) if v is not None]
        if len(points) > 1:
            coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            body.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        body.extend(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points
        )
        body.append(
            f'<text x="{WIDTH - RIGHT + 6}" y="{top + 16 * n + 4}" fill="{colour}">'
            f"{escape(symbol)}</text>"
        )
    for i, date in enumerate(dates):
        body.append(
            f'<text x="{LEFT + i * step:.1f}" y="{bottom + 20}" text-anchor="middle" '
            f'font-size="11">{escape(date[:10])}</text>'
        )
    return _svg(height, "Coverage ratio per asset over time", body)
