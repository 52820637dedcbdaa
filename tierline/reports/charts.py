"""Charts drawn on the server: inline SVG for pages, matplotlib (Agg) PNG for the PDF; no JavaScript,
nothing from a CDN.

A chart is data first (``Chart``: title, columns, rows) so the same object gives the SVG, the
table view and the CSV download.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from html import escape

from tierline.core.spreadsheet import csv_text


def _figure_class():
    """matplotlib on first use (it takes a second to import): only the PDF needs it. The Figure
    class straight, not pyplot, whose global state is not safe in the worker's thread."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    return Figure


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.2g}"


@dataclass
class Chart:
    slug: str
    title: str
    columns: list[str]  # first column: the x labels
    rows: list[list] = field(default_factory=list)
    kind: str = "bar"  # bar | line
    unit: str = ""

    def csv(self) -> str:
        return csv_text(self.columns, self.rows)

    def figure(self, width=6.4, height=2.6):
        fig = _figure_class()(figsize=(width, height))
        ax = fig.subplots()
        labels = [str(r[0]) for r in self.rows]
        series = self.columns[1:]
        xs = range(len(labels))
        if self.kind == "line":
            for i, name in enumerate(series):
                ax.plot(list(xs), [r[i + 1] if r[i + 1] is not None else float("nan") for r in self.rows],
                        marker="o", markersize=3, label=name)
        else:
            n = max(len(series), 1)
            w = 0.8 / n
            for i, name in enumerate(series):
                ax.bar([x - 0.4 + w * (i + 0.5) for x in xs], [r[i + 1] or 0 for r in self.rows], width=w,
                       label=name)
        ax.set_xticks(list(xs))
        step = max(1, len(labels) // 12)
        ax.set_xticklabels([lab if i % step == 0 else "" for i, lab in enumerate(labels)], rotation=30,
                           ha="right")
        if self.unit:
            ax.set_ylabel(self.unit)
        if len(series) > 1:
            ax.legend(frameon=False, fontsize=8)
        ax.set_title(self.title, fontsize=10, loc="left")
        fig.tight_layout()
        return fig

    def svg(self, width=640, height=260) -> str:
        """Inline SVG drawn directly: matplotlib takes 0.3–0.8 s a chart, too slow for a page of
        four that must answer in well under a second (bench/reports.py); the PDF keeps using it."""
        left, right, top, bottom = 56, 12, 26 + 14 * (len(self.columns) > 2), 56
        plot_w, plot_h = width - left - right, height - top - bottom
        series = self.columns[1:]
        values = [v for r in self.rows for v in r[1:] if isinstance(v, int | float)]
        lo, hi = min(values + [0]), max(values + [0])
        hi = hi if hi > lo else lo + 1
        step = _nice_step((hi - lo) / 4)
        lo, hi = step * math.floor(lo / step), step * math.ceil(hi / step)

        def y(v):
            return top + plot_h * (hi - v) / (hi - lo)

        out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
               f'role="img" aria-label="{escape(self.title)}" font-family="sans-serif" font-size="10">',
               f'<text x="{left}" y="15" font-size="12" font-weight="bold">{escape(self.title)}</text>']
        tick = lo
        while tick <= hi + step / 2:
            out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                       f'stroke="#ddd"/><text x="{left - 4}" y="{y(tick) + 3:.1f}" text-anchor="end">'
                       f'{_fmt(tick)}</text>')
            tick += step
        n = max(len(self.rows), 1)
        slot = plot_w / n
        every = max(1, n // 12)
        for i, row in enumerate(self.rows):
            if i % every == 0:
                x = left + slot * (i + 0.5)
                out.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="end" '
                           f'transform="rotate(-30 {x:.1f} {top + plot_h + 14})">{escape(str(row[0]))}</text>')
        for k, name in enumerate(series):
            colour = PALETTE[k % len(PALETTE)]
            if self.kind == "line":
                points = [(left + slot * (i + 0.5), y(r[k + 1])) for i, r in enumerate(self.rows)
                          if isinstance(r[k + 1], int | float)]
                if points:
                    out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                               + " ".join(f"{a:.1f},{b:.1f}" for a, b in points) + '"/>')
                    out.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{colour}"/>' for a, b in points)
            else:
                w = slot * 0.8 / max(len(series), 1)
                for i, r in enumerate(self.rows):
                    v = r[k + 1] if isinstance(r[k + 1], int | float) else 0
                    x = left + slot * i + slot * 0.1 + w * k
                    top_y, base = min(y(v), y(0)), max(y(v), y(0))
                    out.append(f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{w:.1f}" height="{base - top_y:.1f}" '
                               f'fill="{colour}"><title>{escape(str(r[0]))} {escape(name)}: {v}</title></rect>')
            if len(series) > 1:
                lx = left + 110 * k
                out.append(f'<rect x="{lx}" y="22" width="10" height="8" fill="{colour}"/>'
                           f'<text x="{lx + 14}" y="30">{escape(name)}</text>')
        out.append("</svg>")
        return "".join(out)

    def png(self, dpi=110) -> bytes:
        fig = self.figure()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=dpi)
        return out.getvalue()


def report_charts(result: dict, grain: str) -> list[Chart]:
    trend = Chart("trend", f"Escalations created per {grain}", [grain, "created"],
                  [[k, v] for k, v in result["trend"].items()])
    sla = Chart("sla", "SLA compliance per target (%)", ["target", "compliance %"],
                [[t.replace("_", " "), None if s["compliance_pct"] is None else round(s["compliance_pct"], 1)]
                 for t, s in result["sla"].items()])
    return [trend, sla]
