"""Server-rendered SVG charts: no JavaScript, no CDN, readable offline and by screen readers.

Colours come from CSS classes (.series-N) because the CSP forbids inline styles.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDE = 1000  # the full-width card: one SVG unit is about one CSS pixel
NARROW = 480  # a half-width card
PHONE = 360  # a phone's card: its 13-unit labels stay about 12 CSS pixels (the wide chart's were 4)
# As many colours as the workspace has streams (crm.workspace.queue.STREAMS, 15) and one more, in
# web.css (.series-0 to .series-15): two streams never share a colour in a chart or its legend.
SERIES_COLOURS = 16


def _svg(width: int, height: int, title: str, body: list[str], css: str = "") -> Markup:
    return Markup(
        f'<svg class="chart{" " + css if css else ""}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def series_class(index: int) -> str:
    return f"series-{index % SERIES_COLOURS}"


def series_order(series: dict[str, list[int]]) -> list[str]:
    """Biggest series first: they get the first colours and the bottom of each column."""
    return sorted(series, key=lambda key: (-sum(series[key]), key))


def legend(series: dict[str, list[int]], names: dict[str, str] | None = None) -> Markup:
    items = "".join(
        f'<li><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect class="{series_class(index)}" '
        f'width="10" height="10"/></svg>{escape((names or {}).get(key, key))}</li>'
        for index, key in enumerate(series_order(series)))
    return Markup(f'<ul class="chart-legend">{items}</ul>')


def _nice_max(value: int) -> int:
    if value <= 5:
        return max(value, 1)
    step = 10 ** (len(str(value)) - 1)
    return ((value + step - 1) // step) * step


def stacked_columns(title: str, labels: Sequence[str], series: dict[str, list[int]],
                    names: dict[str, str] | None = None, colon: str = ":", width: int = WIDE,
                    css: str = "", order: Sequence[str] | None = None) -> Markup:
    """One column per label, stacked by series (new leads per week by stream). `colon` is the page
    language's (crm.web.common.colon: French puts a no-break space before it). `order`: the series'
    order for their colours, the legend's, when the chart shows only some of the labels (a phone's)."""
    height, top, bottom, left = (280, 14, 30, 40) if width >= NARROW else (240, 14, 30, 30)
    plot_h = height - top - bottom
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = _nice_max(max(totals, default=0))
    slot = (width - left - 10) / max(len(labels), 1)
    bar = slot * 0.7
    body = [f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}"/>',
            f'<text class="tick" x="{left - 6}" y="{top + 4}" text-anchor="end">{peak}</text>',
            f'<text class="tick" x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>']
    order = list(order) if order is not None else series_order(series)
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for index, key in enumerate(order):
            value = series[key][i]
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            name = escape((names or {}).get(key, key))
            body.append(f'<rect class="{series_class(index)}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                        f'height="{h:.1f}"><title>{escape(label)} · {name}{colon} {value}</title></rect>')
        body.append(f'<text class="tick" x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                    f'{escape(label)}</text>')
    return _svg(width, height, title, body, css)


def horizontal_bars(title: str, rows: Sequence[tuple[str, int]], css: str = "series-0",
                    colon: str = ":", width: int = NARROW, shown: str = "") -> Markup:
    """Labelled horizontal bars (top nationalities, the funnel). `shown` is the class that says where the
    chart is shown (wide-only, phone-only) when a page draws one for each."""
    row_h, left = 26, 160 if width >= NARROW else 150
    height = max(row_h * len(rows) + 10, 40)
    peak = max((value for _, value in rows), default=0) or 1
    body = []
    for i, (label, value) in enumerate(rows):
        y = 5 + i * row_h
        w = (width - left - 50) * value / peak
        body.append(f'<text class="label" x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
                    f'<rect class="{css}" x="{left}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}">'
                    f'<title>{escape(label)}{colon} {value}</title></rect>'
                    f'<text class="value" x="{left + w + 6:.1f}" y="{y + 16}">{value}</text>')
    if not rows:
        body.append(f'<text class="label" x="{width / 2}" y="24" text-anchor="middle">—</text>')
    return _svg(width, height, title, body, shown)
