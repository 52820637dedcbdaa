"""Charts drawn on the server: matplotlib (Agg) to inline SVG; no JavaScript, nothing from a CDN.

A chart is data first (``Chart``: title, columns, rows) so the same object gives the SVG, the
table view and the CSV download.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                            "axes.spines.right": False})


@dataclass
class Chart:
    slug: str
    title: str
    columns: list[str]  # first column: the x labels
    rows: list[list] = field(default_factory=list)
    kind: str = "bar"  # bar | line
    unit: str = ""

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows([["" if v is None else v for v in row] for row in self.rows])
        return out.getvalue()

    def figure(self, width=6.4, height=2.6):
        fig, ax = plt.subplots(figsize=(width, height))
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

    def svg(self) -> str:
        fig = self.figure()
        out = io.StringIO()
        fig.savefig(out, format="svg")
        plt.close(fig)
        text = out.getvalue()
        return text[text.index("<svg"):]  # inline: drop the XML prolog and doctype

    def png(self, dpi=110) -> bytes:
        fig = self.figure()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=dpi)
        plt.close(fig)
        return out.getvalue()
