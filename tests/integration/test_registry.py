"""MLflow registry: log, register, load the pyfunc, promote (real SQLite store and server)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from matching.errors import MatchingError
from matching.ranking import CandidateRanker
from tests.tiny_ranking import JOBS, RESUMES

pytestmark = [
    # MLflow 3.17's SQL tracking store uses `noload`, which SQLAlchemy 2.1 deprecates.
    pytest.mark.filterwarnings(
        "ignore:The ``noload`` loader strategy is deprecated:sqlalchemy.exc.SADeprecationWarning"
    ),
    # MLflow 3.17 writes the input example with `columns == range(...)`, deprecated in pandas 3.
    pytest.mark.filterwarnings(
        "ignore:Operation with range is deprecated:pandas.errors.Pandas4Warning"
    ),
    # mlflow.types.responses infers a schema from `Any` hints of its own models at import.
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

METRICS = {"ndcg@10": 0.8, "map": 0.7}


def _isolate(patch: pytest.MonkeyPatch, home: Path) -> None:
    patch.setenv("MATCHING_HOME", str(home))
    for name in (
        "MLFLOW_TRACKING_URI",
        "MATCHING_MLFLOW_TRACKING_URI",
        "MATCHING_REGISTERED_MODEL",
    ):
        patch.delenv(name, raising=False)


@dataclass(frozen=True)
class Store:
    uri: str
    home: Path
    info: Any  # RegisteredModelInfo of the logged tiny model


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, tiny_ranker: CandidateRanker
) -> Iterator[Store]:
    """A SQLite MLflow store with the tiny model logged, registered and aliased `challenger`."""
    import mlflow
    from matplotlib.figure import Figure

    from matching.registry import configure_tracking, log_candidate_ranker

    root = tmp_path_factory.mktemp("mlflow")
    previous = mlflow.get_tracking_uri()
    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, root / "home")
        uri = configure_tracking(f"sqlite:///{root}/db/mlflow.db")
        figure = Figure()
        figure.add_subplot().plot([0, 1], [0, 1])
        info = log_candidate_ranker(
            tiny_ranker,
            params={"ranker": "lightgbm", "n_estimators": 20},
            metrics=METRICS,
            tables={"per_job": pd.DataFrame({"job": ["data", "nurse"], "ndcg@10": [0.9, 0.7]})},
            figures={"calibration": figure},
            data_fingerprints={"train": "sha256:abc123"},
            run_name="tiny",
        )
        yield Store(uri=uri, home=root / "home", info=info)
    mlflow.set_tracking_uri(previous)


@pytest.fixture
def registry(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The module's store, selected again (other tests point MLflow elsewhere)."""
    from matching.registry import configure_tracking

    _isolate(monkeypatch, store.home)
    configure_tracking(store.uri)
    return store


@pytest.fixture(scope="module")
def scoring_model(store: Store) -> Any:
    """The challenger loaded as a pyfunc through the registry alias."""
    from matching.registry import configure_tracking, load_scoring_model

    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, store.home)
        configure_tracking(store.uri)
        return load_scoring_model("models:/candidate-ranker@challenger")


def _batch() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "job_id": ["data", "data", "data", "nurse", "nurse"],
            "job_text": [JOBS["data"]] * 3 + [JOBS["nurse"]] * 2,
            "candidate_id": ["ada", "chris", "dana", "ben", "chris"],
            "resume_text": [RESUMES[c] for c in ("ada", "chris", "dana", "ben", "chris")],
        }
    )


# -- tracking ----------------------------------------------------------------------------


def test_configure_tracking_keeps_artifacts_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It creates the SQLite folder and an experiment whose artefacts live under home."""
    import mlflow

    from matching.registry import DEFAULT_EXPERIMENT, configure_tracking

    _isolate(monkeypatch, tmp_path / "home")
    monkeypatch.chdir(tmp_path)
    uri = configure_tracking(f"sqlite:///{tmp_path}/nested/folder/mlflow.db")
    experiment = mlflow.get_experiment_by_name(DEFAULT_EXPERIMENT)
    assert experiment is not None
    assert (tmp_path / "nested" / "folder" / "mlflow.db").is_file()
    assert experiment.artifact_location == (
        (tmp_path / "home" / "mlartifacts" / DEFAULT_EXPERIMENT).resolve().as_uri()
    )
    assert mlflow.get_tracking_uri() == uri
    assert not (tmp_path / "mlruns").exists()


def test_configure_tracking_defaults_to_sqlite_in_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a URI it uses <MATCHING_HOME>/mlflow.db."""
    from matching.registry import configure_tracking

    _isolate(monkeypatch, tmp_path / "home")
    uri = configure_tracking()
    assert uri == f"sqlite:///{(tmp_path / 'home' / 'mlflow.db').resolve()}"


def test_unreachable_server_raises_e303_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tracking server that does not answer fails in seconds with E303; timeouts restored."""
    from matching.registry import configure_tracking

    _isolate(monkeypatch, tmp_path / "home")
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_TIMEOUT", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "7")
    start = time.perf_counter()
    with pytest.raises(MatchingError) as caught:
        configure_tracking(f"http://127.0.0.1:{_free_port()}")
    assert caught.value.code == "E303"
    assert time.perf_counter() - start < 15
    assert "MLFLOW_HTTP_REQUEST_TIMEOUT" not in os.environ
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "7"


# -- logging -----------------------------------------------------------------------------


def test_log_registers_challenger_with_evidence(registry: Store) -> None:
    """The run holds params, metrics, data tags, table and figure; the version its eval tags."""
    from mlflow import MlflowClient

    client = MlflowClient()
    info = registry.info
    assert (info.name, info.version, info.alias) == ("candidate-ranker", "1", "challenger")
    version = client.get_model_version_by_alias("candidate-ranker", "challenger")
    assert str(version.version) == "1"
    assert float(version.tags["eval.ndcg_at_10"]) == pytest.approx(0.8)
    assert version.tags["data.train"] == "sha256:abc123"
    run = client.get_run(info.run_id)
    assert run.data.metrics["ndcg_at_10"] == pytest.approx(0.8)
    assert run.data.params["ranker"] == "lightgbm"
    assert run.data.tags["data.train"] == "sha256:abc123"
    artifacts = {
        a.path
        for folder in ("tables", "figures")
        for a in client.list_artifacts(info.run_id, folder)
    }
    assert artifacts == {"tables/per_job.csv", "figures/calibration.png"}


def test_logged_model_pins_installed_versions(registry: Store) -> None:
    """requirements.txt pins the installed scoring packages and leaves out service-only ones."""
    from importlib.metadata import version

    import mlflow

    path = mlflow.pyfunc.get_model_dependencies(registry.info.model_uri)
    lines = Path(path).read_text(encoding="utf-8").split()
    assert f"scikit-learn=={version('scikit-learn')}" in lines
    assert f"mlflow=={version('mlflow')}" in lines
    assert any(line.startswith("torch==") and "+" not in line for line in lines)
    assert not any(line.startswith(("bentoml", "fairlearn", "matching")) for line in lines)


# -- the pyfunc --------------------------------------------------------------------------


def test_predict_scores_ranks_and_explains(scoring_model: Any) -> None:
    """Every row gets a 0–100 score, a rank 1..n within its job, JSON reasons and the version."""
    out = scoring_model.predict(_batch())
    assert list(out.columns) == [
        "job_id",
        "candidate_id",
        "score",
        "rank",
        "reasons",
        "model_version",
    ]
    assert out["candidate_id"].tolist() == ["ada", "chris", "dana", "ben", "chris"]
    assert out["score"].between(0, 100).all()
    for _, part in out.groupby("job_id"):
        assert sorted(part["rank"].tolist()) == list(range(1, len(part) + 1))
    reasons = json.loads(out["reasons"].iloc[0])
    assert set(reasons) == {"reasons", "knockouts"}
    assert "summary" in reasons["reasons"]
    assert set(out["model_version"]) == {"1"}


def test_predict_ranks_the_fitting_resume_first(scoring_model: Any) -> None:
    """Minimum functionality: the data engineer tops the data job, the nurse the nursing job."""
    out = scoring_model.predict(_batch())
    best = out[out["rank"] == 1].set_index("job_id")["candidate_id"]
    assert best.to_dict() == {"data": "ada", "nurse": "ben"}


def test_predict_defaults_ids_and_groups_by_text(scoring_model: Any) -> None:
    """Without job_id and candidate_id, rows group by posting text and ids are row numbers."""
    frame = pd.DataFrame(
        {
            "job_text": [JOBS["data"], JOBS["nurse"], JOBS["data"]],
            "resume_text": [RESUMES["ada"], RESUMES["ben"], RESUMES["dana"]],
        }
    )
    out = scoring_model.predict(frame)
    assert out["candidate_id"].tolist() == ["0", "1", "2"]
    assert out["job_id"].iloc[0] == out["job_id"].iloc[2] != out["job_id"].iloc[1]
    assert out["rank"].tolist() == [1, 1, 2]


@pytest.mark.parametrize(
    ("resume_path", "code"),
    [("missing.pdf", "E109"), ("empty.txt", "E101"), ("", "E307")],
)
def test_bad_row_gets_nan_and_coded_error(
    scoring_model: Any, tmp_path: Path, resume_path: str, code: str
) -> None:
    """A row that cannot be read gets NaN score and rank and its error; the rest is scored."""
    (tmp_path / "empty.txt").write_bytes(b"")
    frame = pd.DataFrame(
        {
            "job_id": ["data"] * 3,
            "job_text": [JOBS["data"]] * 3,
            "candidate_id": ["ada", "bad", "dana"],
            "resume_text": [RESUMES["ada"], "", RESUMES["dana"]],
            "resume_path": ["", str(tmp_path / resume_path) if resume_path else "", ""],
        }
    )
    out = scoring_model.predict(frame).set_index("candidate_id")
    assert math.isnan(out.loc["bad", "score"])
    assert pd.isna(out.loc["bad", "rank"])
    error = json.loads(out.loc["bad", "reasons"])["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "remedy"}
    assert sorted(out.loc[["ada", "dana"], "rank"].tolist()) == [1, 2]


def test_predict_reads_resume_files(scoring_model: Any, tmp_path: Path) -> None:
    """A resume given by path is extracted and scored like its text."""
    path = tmp_path / "ada.txt"
    path.write_text(RESUMES["ada"], encoding="utf-8")
    by_text = scoring_model.predict(_batch().iloc[:1])
    by_path = scoring_model.predict(
        pd.DataFrame(
            {
                "job_id": ["data"],
                "job_text": [JOBS["data"]],
                "candidate_id": ["ada"],
                "resume_path": [str(path)],
            }
        )
    )
    assert by_path["score"].iloc[0] == pytest.approx(by_text["score"].iloc[0])


def test_missing_columns_raise_e306(scoring_model: Any) -> None:
    """A table without any resume column is refused with E306."""
    from matching.registry import score_frame

    with pytest.raises(MatchingError) as caught:
        score_frame(scoring_model.unwrap_python_model().ranker, pd.DataFrame({"job_text": ["x"]}))
    assert caught.value.code == "E306"


# -- loading -----------------------------------------------------------------------------


def test_load_candidate_ranker_unwraps_the_pipeline(registry: Store) -> None:
    """The service gets the CandidateRanker itself, with where it came from."""
    from matching.registry import load_candidate_ranker

    ranker = load_candidate_ranker("models:/candidate-ranker@challenger")
    assert isinstance(ranker, CandidateRanker)
    assert ranker.metadata["registry"]["version"] == "1"
    [best, *_] = ranker.score_texts(JOBS["nurse"], [("ben", RESUMES["ben"]), ("a", RESUMES["ada"])])
    assert best.candidate_id == "ben"


@pytest.mark.parametrize("uri", [None, "models:/candidate-ranker@nope", "models:/no-such-model/1"])
def test_missing_model_raises_e302(registry: Store, uri: str | None) -> None:
    """No champion yet (the default), an unknown alias or model: E302 with a remedy."""
    from matching.registry import load_scoring_model

    with pytest.raises(MatchingError) as caught:
        load_scoring_model(uri)
    assert caught.value.code == "E302"
    assert caught.value.remedy


# -- promotion ---------------------------------------------------------------------------


def _challenger(name: str, *, ndcg: float | None) -> str:
    """Register the logged model again under ``name`` as `challenger` with an eval tag."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    base = client.get_model_version("candidate-ranker", "1")
    with contextlib.suppress(MlflowException):  # registered by an earlier call
        client.create_registered_model(name)
    tags = {} if ndcg is None else {"eval.ndcg_at_10": repr(ndcg)}
    version = client.create_model_version(name, base.source, run_id=base.run_id, tags=tags)
    client.set_registered_model_alias(name, "challenger", version.version)
    return str(version.version)


def _alias(name: str, alias: str) -> str | None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return str(MlflowClient().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def _tags(name: str, version: str) -> dict[str, str]:
    from mlflow import MlflowClient

    return dict(MlflowClient().get_model_version(name, version).tags)


def test_promote_without_challenger_raises_e304(registry: Store) -> None:
    """Nothing carries the challenger alias: E304."""
    from matching.registry import promote

    with pytest.raises(MatchingError) as caught:
        promote("never-registered")
    assert caught.value.code == "E304"


def test_promote_refuses_without_audit(registry: Store) -> None:
    """No recorded fairness audit: refused, and the reason says what to do."""
    from matching.registry import promote

    version = _challenger("no-audit", ndcg=0.8)
    decision = promote("no-audit")
    assert not decision.promoted
    assert any(
        f"no fairness audit is recorded for version {version}" in r and "--override-reason" in r
        for r in decision.reasons
    )
    assert _alias("no-audit", "champion") is None
    assert "promotion.refused_at" in _tags("no-audit", version)


def test_promote_with_override_logs_the_reason(registry: Store) -> None:
    """An override reason lets a version through the fairness gate and is kept as tags."""
    from matching.registry import promote

    version = _challenger("overridden", ndcg=0.8)
    decision = promote("overridden", override_reason="audit data not yet available", actor="ana")
    assert decision.promoted
    assert decision.overridden
    assert _alias("overridden", "champion") == version
    tags = _tags("overridden", version)
    assert tags["promotion.override_reason"] == "audit data not yet available"
    assert tags["promotion.override_by"] == "ana"
    assert "promotion.override_at" in tags


def test_blank_override_is_no_override(registry: Store) -> None:
    """Whitespace is not a reason."""
    from matching.registry import promote

    _challenger("blank-override", ndcg=0.8)
    assert not promote("blank-override", override_reason="  ").promoted


@pytest.mark.parametrize(
    ("passed", "ratio", "promoted"),
    [(True, 0.9, True), (True, 0.7, False), (False, 0.9, False)],
)
def test_promote_follows_the_recorded_audit(
    registry: Store, tmp_path: Path, passed: bool, ratio: float, promoted: bool
) -> None:
    """A passed audit at or above the threshold promotes; a failed or low one refuses."""
    from matching.registry import promote, record_audit

    name = f"audited-{passed}-{ratio}"
    version = _challenger(name, ndcg=0.8)
    report = tmp_path / "audit.json"
    report.write_text("{}", encoding="utf-8")
    record_audit(version, passed=passed, min_impact_ratio=ratio, report_path=report, name=name)
    decision = promote(name)
    assert decision.promoted is promoted
    assert (_alias(name, "champion") == version) is promoted
    tags = _tags(name, version)
    assert tags["audit.report"].endswith("/audit/audit.json")
    assert ("promotion.promoted_at" in tags) is promoted


def test_worse_challenger_is_refused_even_with_override(registry: Store) -> None:
    """A challenger below the champion's metric stays out; an override does not help."""
    from matching.registry import promote, record_audit

    first = _challenger("contest", ndcg=0.8)
    record_audit(first, passed=True, min_impact_ratio=0.9, name="contest")
    assert promote("contest").promoted
    second = _challenger("contest", ndcg=0.7)
    record_audit(second, passed=True, min_impact_ratio=0.9, name="contest")
    decision = promote("contest", override_reason="please")
    assert not decision.promoted
    assert (decision.challenger_metric, decision.champion_metric) == (0.7, 0.8)
    assert any("below 0.8000" in r for r in decision.reasons)
    assert _alias("contest", "champion") == first


def test_promotion_keeps_the_previous_champion(registry: Store) -> None:
    """An equal-or-better challenger becomes champion; the old one stays reachable."""
    from matching.registry import PREVIOUS_CHAMPION, promote, record_audit

    first = _challenger("succession", ndcg=0.8)
    record_audit(first, passed=True, min_impact_ratio=0.9, name="succession")
    promote("succession")
    second = _challenger("succession", ndcg=0.8)
    record_audit(second, passed=True, min_impact_ratio=0.9, name="succession")
    decision = promote("succession")
    assert decision.promoted
    assert decision.champion_version == first
    assert _alias("succession", "champion") == second
    assert _alias("succession", PREVIOUS_CHAMPION) == first


def test_challenger_without_metric_is_refused(registry: Store) -> None:
    """A version with no evaluation tag cannot be compared, so it is not promoted."""
    from matching.registry import promote

    _challenger("unevaluated", ndcg=None)
    decision = promote("unevaluated", override_reason="fairness is fine")
    assert not decision.promoted
    assert any("eval.ndcg_at_10" in r for r in decision.reasons)


def test_custom_gate_is_consulted(registry: Store) -> None:
    """Any object with check(client, version) -> GateResult can stand in for the audit gate."""
    from matching.registry import GateResult, promote

    class Always:
        def check(self, client: Any, version: Any) -> GateResult:
            return GateResult(True, [f"checked version {version.version}"])

    version = _challenger("custom-gate", ndcg=0.5)
    decision = promote("custom-gate", gate=Always())
    assert decision.promoted
    assert f"checked version {version}" in decision.reasons


# -- a real tracking server ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """`mlflow server` on a free local port, in its own process group (killed at the end)."""
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    env.pop("MLFLOW_TRACKING_URI", None)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("mlflow")),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{tmp_path}/server.db",
            "--artifacts-destination",
            str(tmp_path / "server-artifacts"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"mlflow server exited: {(tmp_path / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mlflow server not ready: {(tmp_path / 'server.log').read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
        log.close()


@pytest.mark.server
def test_round_trip_over_http(
    mlflow_server: str,
    tiny_ranker: CandidateRanker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Log, register and load the pyfunc through a real tracking server (proxied artefacts)."""
    from matching.registry import configure_tracking, load_scoring_model, log_candidate_ranker

    _isolate(monkeypatch, tmp_path / "home")
    assert configure_tracking(mlflow_server) == mlflow_server
    info = log_candidate_ranker(
        tiny_ranker, params={"ranker": "lightgbm"}, metrics=METRICS, data_fingerprints={}
    )
    assert info.version == "1"
    out = load_scoring_model("models:/candidate-ranker@challenger").predict(_batch())
    assert out["score"].between(0, 100).all()
    assert set(out["model_version"]) == {"1"}
    assert not (tmp_path / "home" / "mlartifacts").exists()


# -- the model carries its code ------------------------------------------------------------


@pytest.mark.slow
def test_model_imports_matching_from_its_own_code(registry: Store, tmp_path: Path) -> None:
    """A fresh interpreter that loads the model imports `matching` from the model's code/."""
    import mlflow

    local = mlflow.artifacts.download_artifacts(registry.info.model_uri, dst_path=str(tmp_path))
    script = (
        "import sys, mlflow.pyfunc\n"
        f"model = mlflow.pyfunc.load_model({local!r})\n"
        "import matching\n"
        "print(matching.__file__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MLFLOW_TRACKING_URI": registry.uri},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert Path(done.stdout.strip().splitlines()[-1]).is_relative_to(Path(local) / "code")
