"""The training's pictures as HTML: loss and accuracy curves per epoch (SVG), accuracy per class
and the confusion matrix (tables). Plain markup styled by `mlexp.css`; no script."""
from __future__ import annotations

import html
import math


def _polyline(values: list, epochs: int, width: int, height: int, top: float) -> str:
    """SVG points of the finite values, epoch i at x = i of `epochs`, 0..top bottom to top."""
    n = max(epochs - 1, 1)
    return " ".join(f"{4 + (width - 8) * i / n:.1f},{4 + (height - 8) * (1 - min(v, top) / top):.1f}"
                    for i, v in enumerate(values) if math.isfinite(v))


def _number(value: float, metric: str) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{100 * value:.1f}%" if metric == "accuracy" else f"{max(value, 0.0) + 0.0:.3f}"  # never "-0.000"


def chart(history: dict, metric: str, epochs: int, width: int = 260, height: int = 120) -> str:
    """An SVG of `metric` ("loss" or "accuracy") per epoch, training and held out, on `epochs` epochs."""
    series = [(history.get(key, []), css, name) for key, css, name in (
        (metric, "mlexp-curve-train", "training"), (f"held_out_{metric}", "mlexp-curve-held", "held out"))]
    values = [v for line, _, _ in series for v in line if math.isfinite(v)]
    top = 1.0 if metric == "accuracy" else max(values + [1e-6]) * 1.05
    lines = "".join(f'<polyline class="{css}" points="{_polyline(line, epochs, width, height, top)}"/>'
                    for line, css, _ in series)
    legend = " ".join(f'<span class="{css}">{name} {_number(line[-1] if line else math.nan, metric)}</span>'
                      for line, css, name in series)
    return (f'<div class="mlexp-chart"><div class="mlexp-chart-legend"><b>{metric}</b> {legend}</div>'
            f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
            f'<rect x="0" y="0" width="{width}" height="{height}" class="mlexp-chart-frame"/>{lines}</svg></div>')


def curves(history: dict, epochs: int) -> str:
    """Loss and accuracy side by side."""
    return f'<div class="mlexp-charts">{chart(history, "loss", epochs)}{chart(history, "accuracy", epochs)}</div>'


def per_class(report: dict) -> str:
    """Held-out accuracy of each class, and overall."""
    confusion = report["confusion"]
    rows = "".join(f"<tr><td>{html.escape(label)}</td><td>{100 * acc:.1f}%</td><td>{sum(confusion[i])}</td></tr>"
                   for i, (label, acc) in enumerate(report["per_class"].items()))
    total = f'<tr class="total"><td>all</td><td>{100 * report["accuracy"]:.1f}%</td><td>{report["n"]}</td></tr>'
    return (f'<table class="mlexp-table"><tr><th>class</th><th>held-out accuracy</th><th>samples</th></tr>'
            f"{rows}{total}</table>")


def confusion_matrix(labels, confusion) -> str:
    """Rows: the true class; columns: the class the model said; the diagonal is right."""
    head = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th>"
        + "".join(f'<td class="{"right" if i == j else "wrong" if n else ""}">{n}</td>' for j, n in enumerate(row))
        + "</tr>" for i, (label, row) in enumerate(zip(labels, confusion)))
    return (f'<table class="mlexp-table mlexp-confusion"><caption>true class (rows) taken for (columns)</caption>'
            f"<tr><th></th>{head}</tr>{rows}</table>")
