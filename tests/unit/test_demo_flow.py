"""The demo's step handling: a failing step is named, with what to do, and nothing is left."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from matching.cli import app
from matching.demo import STEPS, DemoError, run_demo
from matching.demo._flow import DemoOutcome, _step
from matching.errors import ConfigError, Errors


def test_a_missing_data_folder_stops_the_demo_at_its_first_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--data real` without the shared data: step 'data', its code and remedy, exit 1."""
    monkeypatch.setenv("MATCHING_HOME", str(tmp_path))
    monkeypatch.setenv("MATCHING_DATA_DIR", str(tmp_path / "absent"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    result = CliRunner().invoke(app, ["demo", "--data", "real"])
    assert result.exit_code == 1
    assert "The demo stopped at step 'data'" in result.output
    assert "E200" in result.output
    assert "What to do:" in result.output


def test_an_unknown_data_choice_is_refused(tmp_path: Path) -> None:
    """--data takes auto, real or demo."""
    result = CliRunner().invoke(app, ["demo", "--data", "mine"])
    assert result.exit_code == 2
    with pytest.raises(ValueError, match="auto, real or demo"):
        run_demo(Console(), Progress, data="mine")


def test_a_step_turns_any_failure_into_a_named_demo_error() -> None:
    """A MatchingError keeps its code and remedy; anything else gets the step's remedy."""
    console = Console(record=True)
    outcome = DemoOutcome(seconds={})
    with pytest.raises(DemoError) as coded, _step(console, outcome, "train", "generic remedy"):
        raise ConfigError(Errors.E200, path="/nowhere")
    assert coded.value.step == "train"
    assert coded.value.message.startswith("E200")
    assert coded.value.remedy != "generic remedy"
    with pytest.raises(DemoError) as other, _step(console, outcome, "serve", "read the log"):
        raise RuntimeError("the service exited")
    assert (other.value.step, other.value.remedy) == ("serve", "read the log")
    assert "RuntimeError: the service exited" in other.value.message
    assert set(outcome.seconds or {}) == {"train", "serve"}
    assert f"2/{len(STEPS)} train" in console.export_text()
