"""`matching audit` end to end: a CSV in, report.json and report.html out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from matching.cli import app

runner = CliRunner()


def _write_input(path: Path) -> Path:
    frame = pd.DataFrame(
        {
            "job_id": ["j1"] * 6 + ["j2"] * 6,
            "score": [90, 80, 70, 60, 50, 40, 95, 85, 75, 65, 55, 45],
            "shortlisted": [1, 1, 1, 0, 0, 0] * 2,
            "sex": ["f", "m", "f", "m", "f", ""] * 2,
            "race": ["x", "x", "y", "y", "x", "y"] * 2,
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_audit_command_writes_json_and_html(tmp_path: Path) -> None:
    """Exit status 0, both files written, the summary and the finding printed."""
    source = _write_input(tmp_path / "in.csv")
    result = runner.invoke(
        app,
        [
            "audit",
            "--input",
            str(source),
            "--score-column",
            "score",
            "--selected-column",
            "shortlisted",
            "--attribute",
            "sex",
            "--attribute",
            "race",
            "--group-column",
            "job_id",
            "--out",
            str(tmp_path / "report"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["source"] == "in.csv (12 rows)"
    assert data["unknowns"] == {"sex": 2, "race": 0}
    assert [o["outcome"] for o in data["outcomes"]] == ["score", "selection"]
    assert {r["k"] for r in data["ranking"]} == {5, 10, 20}
    assert "min_impact_ratio" in data
    assert "passed" in data
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<img src="data:image/png;base64,' in page
    assert "report.json" in result.output
    assert "report.html" in result.output
    assert "impact ratio" in result.output


def test_audit_command_reports_a_missing_column_with_its_code(tmp_path: Path) -> None:
    """A missing attribute column ends with the E501 error, not a traceback."""
    source = _write_input(tmp_path / "in.csv")
    result = runner.invoke(
        app,
        [
            "audit",
            "--input",
            str(source),
            "--selected-column",
            "shortlisted",
            "--attribute",
            "age",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code != 0
    assert getattr(result.exception, "code", None) == "E501"
