"""The notebooks run top to bottom on the demo corpus, and are committed without outputs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import NotebookNode

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ("01-train-evaluate.ipynb", "02-fairness-audit.ipynb")
KERNEL = "matching-venv"


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_has_no_outputs(name: str) -> None:
    """Every code cell is stored with no outputs and no execution count."""
    document = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    code = [cell for cell in document["cells"] if cell["cell_type"] == "code"]
    assert code
    for cell in code:
        assert cell["outputs"] == [], cell["source"][:80]
        assert cell["execution_count"] is None, cell["source"][:80]


@pytest.fixture(scope="module")
def notebook_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh MATCHING_HOME with its own MLflow store, and the demo corpus as the data."""
    from matching.demo import write_demo_corpus

    home = tmp_path_factory.mktemp("notebook-home")
    corpus = write_demo_corpus(home / "corpus")
    _install_kernel(home / "jupyter")
    with pytest.MonkeyPatch.context() as patch:
        # Jupyter looks for kernelspecs here first: the kernel is this venv's interpreter.
        patch.setenv("JUPYTER_PATH", str(home / "jupyter"))
        patch.setenv("MATCHING_HOME", str(home / "var"))
        patch.setenv("MATCHING_DATA_DIR", str(corpus.folder))
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'var' / 'mlflow.db'}")
        for name in ("MATCHING_MLFLOW_TRACKING_URI", "MATCHING_DATABASE_URL", "MATCHING_MODEL_URI"):
            patch.delenv(name, raising=False)
        yield home


def _install_kernel(folder: Path) -> None:
    """A kernelspec for this interpreter (the project's venv) in ``folder/kernels``."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "matching (venv)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )


def _execute(name: str, home: Path) -> NotebookNode:
    """Run the notebook in a fresh kernel of this venv; raise on the first failing cell."""
    notebook: NotebookNode = nbformat.read(NOTEBOOKS / name, as_version=4)  # type: ignore[no-untyped-call]
    work = home / "work"
    work.mkdir(exist_ok=True)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=600,
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()
    # Kept for a person to open when a test fails.
    nbformat.write(notebook, home / name)  # type: ignore[no-untyped-call]
    return notebook


def _text(notebook: NotebookNode) -> str:
    """Everything the cells printed or displayed as text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def _images(notebook: NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


@pytest.mark.slow
def test_the_kernel_is_this_interpreter(notebook_home: Path) -> None:
    """The notebooks run in this venv's Python, whatever kernels the machine has installed."""
    from nbformat.v4 import new_code_cell, new_notebook

    cell = new_code_cell("import sys\nprint(sys.executable)")  # type: ignore[no-untyped-call]
    notebook = new_notebook(cells=[cell])  # type: ignore[no-untyped-call]
    NotebookClient(notebook, kernel_name=KERNEL, timeout=60).execute()
    assert notebook.cells[0].outputs[0]["text"].strip() == sys.executable


@pytest.mark.slow
def test_train_evaluate_notebook_runs_on_the_demo_corpus(notebook_home: Path) -> None:
    """01 trains, compares with the baselines, explains errors and registers v1 (challenger)."""
    notebook = _execute(NAMES[0], notebook_home)
    text = _text(notebook)
    assert "the synthetic demo corpus" in text
    assert "registered candidate-ranker v1 as @challenger" in text
    assert "FALSE POSITIVE" in text
    assert "FALSE NEGATIVE" in text
    assert _images(notebook) == 2
    assert (notebook_home / "var" / "mlflow.db").is_file()


@pytest.mark.slow
def test_fairness_audit_notebook_audits_and_compares_a_mitigation(notebook_home: Path) -> None:
    """02 audits the registered model and shows the mitigation's before/after tables and plots
    (trained by 01 in this module; the notebook trains one itself when run alone)."""
    notebook = _execute(NAMES[1], notebook_home)
    text = _text(notebook)
    assert "auditing models:/candidate-ranker/" in text
    assert "impact_ratio" in text
    assert "balanced_accuracy" in text
    assert _images(notebook) == 3
    assert list((notebook_home / "var" / "notebooks").glob("model_audit_v*.html"))
