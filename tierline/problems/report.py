"""The recurring-issues report: groups, counts per period, a server-side SVG chart and CSV.

Chart: matplotlib's Agg/SVG backend with text drawn as paths, so the SVG carries no text from
escalations that a browser could interpret; it is served as an image, never inlined.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tierline.core import spreadsheet  # noqa: E402
from tierline.problems import queries, recurring  # noqa: E402

CHART_GROUPS = 8


@dataclass(frozen=True)
class Params:
    tenant_id: int
    since: dt.datetime
    until: dt.datetime
    period: str = "week"
    threshold: float = 0.7
    min_size: int = 2


@dataclass(frozen=True)
class Report:
    params: Params
    items: int
    groups: list[recurring.Group]
    axis: list[dt.date]
    series: list[list[int]]


def build(params: Params) -> Report:
    items = queries.report_items(params.tenant_id, params.since, params.until)
    groups = recurring.group(items, threshold=params.threshold, min_size=params.min_size, period=params.period)
    axis, series = recurring.timeline(groups, params.period)
    return Report(params, len(items), groups, axis, series)


def csv_text(report: Report, references: dict[int, str]) -> str:
    header = ["group", "root_cause", "type", "label", "count", "first_seen", "last_seen",
              *[p.isoformat() for p in report.axis], "escalations"]
    return spreadsheet.csv_text(header, ([n, g.root_cause, g.type, g.label, g.size, g.first_seen, g.last_seen,
                              *counts, " ".join(references.get(i, str(i)) for i in g.ids)]
                             for n, (g, counts) in enumerate(zip(report.groups, report.series, strict=True), start=1)))


def chart_svg(report: Report) -> bytes:
    fig = Figure(figsize=(9, 3.6), dpi=96)
    ax = fig.add_subplot()
    shown = list(zip(report.groups, report.series, strict=True))[:CHART_GROUPS]
    if not shown:
        ax.text(0.5, 0.5, "No recurring issues in this period", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        x = list(range(len(report.axis)))
        bottom = [0] * len(x)
        colors = plt.get_cmap("tab10").colors
        for n, (g, counts) in enumerate(shown):
            label = f"{n + 1}. {g.label[:40]}" if g.label else f"{n + 1}."
            ax.bar(x, counts, bottom=bottom, color=colors[n % len(colors)], label=label, width=0.8)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        step = max(1, len(x) // 12)
        ax.set_xticks(x[::step], [p.strftime("%d %b %y") for p in report.axis][::step], fontsize=7)
        ax.set_ylabel("escalations per " + report.params.period, fontsize=8)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "tierline"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()
