"""The audit report as JSON and as one self-contained HTML page (plots as base64 PNG)."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from matching.audit._audit import AttributeResult, AuditReport, OutcomeResult
from matching.ranking._plots import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}th,td{border:1px solid #bbb;
padding:0.25rem 0.6rem;text-align:right}th{background:#eef}td:first-child,th:first-child
{text-align:left}.flag{color:#a00;font-weight:bold}.muted{color:#777}
.pass{color:#060;font-weight:bold}.fail{color:#a00;font-weight:bold}img{max-width:100%}
"""


def _png(fig: Figure, alt: str) -> str:
    """An ``<img>`` tag holding the figure as a base64 PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def score_distribution_figure(samples: dict[str, list[float]], *, attribute: str) -> Figure:
    """Histograms (density) of scores per category of one attribute."""
    fig = new_figure(7, 3.5)
    ax = fig.add_subplot()
    values = [v for part in samples.values() for v in part]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    bins = [float(b) for b in np.linspace(low, high if high > low else low + 1, 31)]
    for category, part in samples.items():
        ax.hist(part, bins=bins, density=True, histtype="step", linewidth=1.6, label=category)
    ax.set_xlabel("score")
    ax.set_ylabel("density")
    ax.set_title(f"scores by {attribute}")
    ax.legend()
    return fig


def impact_ratio_figure(outcome: OutcomeResult, *, threshold: float) -> Figure:
    """Horizontal bars of every category's impact ratio with the threshold line."""
    rows = [(a.attribute, c) for a in outcome.attributes for c in a.categories]
    fig = new_figure(7, 0.3 * len(rows) + 1.4)
    ax = fig.add_subplot()
    names = [f"{attribute}: {c.category}" for attribute, c in rows][::-1]
    ratios = [c.impact_ratio or 0.0 for _, c in rows][::-1]
    colours = [
        "#bbbbbb" if c.excludable else "#b03a2e" if c.flagged else "#3b6ea5" for _, c in rows
    ][::-1]
    ax.barh(names, ratios, color=colours)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
    ax.set_xlim(0, max(1.05, max(ratios, default=1.0) * 1.05))
    ax.set_xlabel(f"impact ratio ({outcome.rate_name}; dashed line: {threshold:g})")
    ax.set_title(f"impact ratios: {outcome.column}")
    return fig


def _number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def _attribute_table(attribute: AttributeResult, rate_name: str) -> str:
    head = (
        f"<tr><th>{html.escape(attribute.attribute)}</th><th>count</th><th>{rate_name}</th>"
        "<th>95 % CI</th><th>impact ratio</th><th>flag</th><th>test</th><th>p-value</th>"
        "<th>excludable</th></tr>"
    )
    rows = []
    for c in attribute.categories:
        flag = '<span class="flag">below threshold</span>' if c.flagged else ""
        test = "reference" if c.is_reference else (c.test or "–").replace("_", " ")
        rows.append(
            f"<tr><td>{html.escape(c.category)}</td><td>{c.count}</td><td>{_percent(c.rate)}</td>"
            f"<td>{_percent(c.ci_low)} – {_percent(c.ci_high)}</td>"
            f"<td>{_number(c.impact_ratio)}</td><td>{flag}</td><td>{test}</td>"
            f"<td>{_number(c.p_value, 4)}</td><td>{'yes' if c.excludable else ''}</td></tr>"
        )
    rows.append(
        f'<tr class="muted"><td>unknown</td><td>{attribute.unknown}</td>'
        '<td colspan="7">not included in rates</td></tr>'
    )
    return f"<table>{head}{''.join(rows)}</table>"


def render_html(report: AuditReport) -> str:
    """The report as one HTML page with no external resources and no scripts."""
    e = html.escape
    if report.passed is None:
        verdict = '<span class="muted">impact ratios could not be computed</span>'
    elif report.passed:
        verdict = '<span class="pass">no impact ratio below the threshold</span>'
    else:
        verdict = '<span class="fail">at least one impact ratio below the threshold</span>'
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Bias audit report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Bias audit report</h1>",
        "<h2>Summary</h2><table>",
        f"<tr><th>audit date</th><td>{e(report.audit_date)}</td></tr>",
        f"<tr><th>data source</th><td>{e(report.source or 'table')}</td></tr>",
        f"<tr><th>rows</th><td>{report.rows}</td></tr>",
        f"<tr><th>attributes</th><td>{e(', '.join(report.attributes))}</td></tr>",
    ]
    for name, count in report.unknowns.items():
        parts.append(f"<tr><th>unknown {e(name)}</th><td>{count}</td></tr>")
    parts += [
        f"<tr><th>threshold</th><td>{report.threshold:g}</td></tr>",
        f"<tr><th>minimum impact ratio</th><td>{_number(report.min_impact_ratio)}</td></tr>",
        f"<tr><th>result</th><td>{verdict}</td></tr></table>",
    ]
    for outcome in report.outcomes:
        title = f"{outcome.rate_name.capitalize()}: column {e(outcome.column)}"
        parts.append(f"<h2>{title}</h2>")
        detail = f"{outcome.rows} people with a value, {outcome.missing} without"
        if outcome.median is not None:
            detail += f"; median score {outcome.median:g} (scores equal to it do not count)"
        parts.append(
            f"<p>{detail}; overall {outcome.rate_name} {_percent(outcome.overall_rate)}.</p>"
        )
        for attribute in outcome.attributes:
            parts.append(_attribute_table(attribute, outcome.rate_name))
        fig = impact_ratio_figure(outcome, threshold=report.threshold)
        parts.append(_png(fig, f"impact ratios for {outcome.column}"))
    if report.score_samples:
        parts.append("<h2>Score distributions</h2>")
        for name, samples in report.score_samples.items():
            fig = score_distribution_figure(samples, attribute=name)
            parts.append(_png(fig, f"scores by {name}"))
    if report.ranking:
        parts.append(f"<h2>Ranking metrics (groups: {e(report.group_column or '')})</h2>")
        parts.append(
            "<table><tr><th>attribute</th><th>k</th><th>groups</th><th>NDKL</th>"
            "<th>category</th><th>skew@k</th><th>groups absent from top k</th>"
            "<th>exposure ratio</th></tr>"
        )
        for result in report.ranking:
            for c in result.categories:
                parts.append(
                    f"<tr><td>{e(result.attribute)}</td><td>{result.k}</td>"
                    f"<td>{c.groups}</td><td>{_number(result.mean_ndkl)}</td>"
                    f"<td>{e(c.category)}</td><td>{_number(c.mean_skew)}</td>"
                    f"<td>{c.groups_absent}</td><td>{_number(c.mean_exposure_ratio)}</td></tr>"
                )
        parts.append("</table>")
    parts.append("<h2>Method and limits</h2><ul>")
    parts += [f"<li>{e(note)}</li>" for note in report.notes]
    parts.append("</ul></body></html>")
    return "\n".join(parts)


def write_report(report: AuditReport, out: Path | str) -> tuple[Path, Path]:
    """Write ``OUT.json`` and ``OUT.html`` (any suffix of ``out`` is replaced).

    Returns
    -------
    tuple of Path
        ``(json_path, html_path)``.
    """
    stem = Path(out)
    if stem.suffix.lower() in {".json", ".html"}:
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    json_path = stem.parent / f"{stem.name}.json"
    html_path = stem.parent / f"{stem.name}.html"
    json_path.write_text(
        json.dumps(report.to_dict(), indent=2, allow_nan=False, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path
