"""The model audit as one self-contained HTML page (tables and base64 plots)."""

from __future__ import annotations

import html
import math

from matching.audit._model_audit import ModelAuditResult
from matching.audit._report import _CSS, _number, _png
from matching.ranking._plots import new_figure


def _gap_figure(result: ModelAuditResult) -> str:
    gaps = {name: group.gap for name, group in result.professions.items() if group.gap is not None}
    if not gaps:
        return "<p class='muted'>No profession has bios of both genders.</p>"
    items = sorted(gaps.items(), key=lambda kv: kv[1])
    fig = new_figure(7, 0.28 * len(items) + 1.2)
    ax = fig.add_subplot()
    ax.barh([k for k, _ in items], [v for _, v in items], color="#3b6ea5")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("mean score, women − men (0–100 scale)")
    ax.set_title("gender gap in scores within each profession")
    return _png(fig, "gender gap per profession")


def _swap_figure(result: ModelAuditResult) -> str:
    groups = result.counterfactual.per_group
    names = list(groups)
    fig = new_figure(7, 3.2)
    ax = fig.add_subplot()
    ax.bar(names, [groups[n]["max_change"] for n in names], color="#3b6ea5", label="max")
    ax.bar(names, [groups[n]["mean_change"] for n in names], color="#e0a030", label="mean")
    ax.axhline(result.counterfactual.max_allowed_change, color="#a00", linestyle="--")
    ax.set_ylabel("|score change| (0–100)")
    ax.set_title("score change under name swaps (dashed: largest allowed)")
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend()
    return _png(fig, "score change under name and pronoun swaps")


def _verdict(passed: bool) -> str:
    return "<span class='pass'>passed</span>" if passed else "<span class='fail'>failed</span>"


def render_model_audit_html(result: ModelAuditResult, *, title: str = "Model audit") -> str:
    """The audit of a model as HTML a reviewer can read (no scripts, no network)."""
    cf, proxy, within = result.counterfactual, result.proxy, result.proxy_within_profession
    ratio = result.min_impact_ratio
    means = ", ".join(f"{html.escape(g)} {_number(v, 2)}" for g, v in result.overall.mean.items())
    summary = f"""
<table>
<tr><th>check</th><th>result</th><th>target</th></tr>
<tr><td>scoring-rate impact ratio by gender</td><td>{_number(ratio)}</td><td>≥ 0.8</td></tr>
<tr><td>mean score by gender</td><td>{means}</td><td>—</td></tr>
<tr><td>gap within professions (women − men)</td><td>{_number(result.within_profession_gap, 2)}</td>
<td>—</td></tr>
<tr><td>name and pronoun swaps ({cf.n_variants} variants of {cf.n_resumes} bios)</td>
<td>mean {_number(cf.mean_change)}, max {_number(cf.max_change, 2)} — {_verdict(cf.passed)}</td>
<td>mean &lt; {cf.max_mean_change}, max &lt; {cf.max_allowed_change}</td></tr>
<tr><td>proxy probe: features → gender (AUC)</td>
<td>{_number(proxy.auc)} ± {_number(proxy.auc_std)}; within profession {_number(within.auc)}</td>
<td>near 0.5</td></tr>
</table>"""
    rows = "".join(
        f"<tr><td>{html.escape(key)}</td><td>{_number(row.get('ndkl'))}</td>"
        f"<td>{_number(row.get('exposure_ratio'))}</td>"
        f"<td>{_number(row.get('skew_Female'))}</td><td>{_number(row.get('skew_Male'))}</td></tr>"
        for key, row in result.shortlists.items()
    )
    shortlists = (
        "<table><tr><th>k</th><th>NDKL</th><th>exposure ratio</th><th>skew women</th>"
        f"<th>skew men</th></tr>{rows}</table>"
        if rows
        else ""
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    ok = not math.isnan(ratio) and cf.passed
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>An assessment of a scoring model on {result.n_bios} real biographies (bias_in_bios),
one short posting per profession. Overall: the swap test {_verdict(cf.passed)}; impact ratio
{_number(ratio)}{"" if ok else " (see the table)"}.</p>
<h2>Summary</h2>{summary}
<h2>Scores by gender within professions</h2>{_gap_figure(result)}
<h2>Name and pronoun swaps</h2>{_swap_figure(result)}
<h2>Shortlists (every posting ranks all bios)</h2>{shortlists}
<h2>Method and limits</h2><ul>{notes}
<li>This report assesses one model on one sample; it does not show that the model is fair
for other populations or postings.</li></ul>
</body></html>
"""
