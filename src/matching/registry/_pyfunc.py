"""The MLflow pyfunc that wraps the whole pipeline: documents → parse → features → rank."""

from __future__ import annotations

import json
import math
from collections.abc import Hashable
from dataclasses import dataclass
from importlib.metadata import requires, version
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc.model import PythonModel
from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import matching
from matching.errors import Errors, InputError, MatchingError
from matching.features import text_hash
from matching.ranking import CandidateRanker

ARTIFACT_KEY = "candidate_ranker"
INPUT_COLUMNS = ("job_id", "job_text", "candidate_id", "resume_text", "resume_path")
OUTPUT_COLUMNS = ("job_id", "candidate_id", "score", "rank", "reasons", "model_version")
# Declared dependencies of `matching` that scoring never imports (CLI, service, audit, store).
_NOT_FOR_SCORING = frozenset(
    {
        "bentoml",
        "fairlearn",
        "matplotlib",
        "opentelemetry-api",
        "opentelemetry-sdk",
        "rich",
        "sqlalchemy",
        "typer",
    }
)
# Imported by scoring but reached only through other packages' requirements.
_ALSO_FOR_SCORING = ("mlflow", "cloudpickle", "joblib")


class CandidateRankerModel(PythonModel):
    """Scores resumes against job postings; one output row per input row.

    Input columns: ``job_text`` (required); ``resume_text`` or ``resume_path`` (one per row;
    the path is read with ``matching.parsing.extract_text``); optional ``job_id`` and
    ``candidate_id`` (default: the row's 0-based position). Rows are grouped by ``job_id``,
    else by ``job_text``.

    Output columns: ``job_id`` (given, else ``job-`` and 12 hex digits of the posting's hash),
    ``candidate_id``, ``score`` (0–100), ``rank`` (1 = best within the job), ``reasons`` (JSON:
    ``{"reasons": ..., "knockouts": [...]}``) and ``model_version``. A row that cannot be read
    gets score and rank NaN and ``{"error": {"code", "message", "remedy"}}`` as reasons; the rest
    of the batch is scored.

    Parameter ``explain`` (default 5): how many feature contributions each reason lists.
    """

    def __init__(self) -> None:
        self._ranker: CandidateRanker | None = None
        self._version = ""

    @property
    def ranker(self) -> CandidateRanker:
        """The loaded ``CandidateRanker`` (available after ``load_context``)."""
        if self._ranker is None:
            raise MatchingError(Errors.E300, what="scoring model (load it with MLflow first)")
        return self._ranker

    def load_context(self, context: Any) -> None:
        """Load the ranker from its artefact and its embedding model (once, at load)."""
        self._ranker = CandidateRanker.load(context.artifacts[ARTIFACT_KEY])
        config = context.model_config or {}
        self._version = str(config.get("model_version") or "")
        self._ranker.featurizer()

    # `pd.DataFrame` (not `Any`) tells MLflow to take the schema from the signature only.
    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Score every row of ``model_input`` (see the class docstring for the columns)."""
        explain = int((params or {}).get("explain", 5))
        return score_frame(self.ranker, model_input, explain=explain, model_version=self._version)


@dataclass
class _Row:
    position: int
    job_id: str
    candidate_id: str
    job_text: str
    resume_text: str | None = None
    error: MatchingError | None = None


def _text(value: Any) -> str:
    """A cell as text; missing values (None, NaN, NA) are empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def _read_rows(frame: pd.DataFrame) -> list[_Row]:
    from matching.parsing import extract_text

    missing = [name for name in ("job_text",) if name not in frame.columns]
    if "resume_text" not in frame.columns and "resume_path" not in frame.columns:
        missing.append("resume_text or resume_path")
    if missing:
        raise InputError(Errors.E306, detail=", ".join(missing))
    rows = []
    for position, record in enumerate(frame.to_dict(orient="records")):
        cell = {name: _text(record.get(name)) for name in INPUT_COLUMNS}
        job_text = cell["job_text"]
        row = _Row(
            position=position,
            job_id=cell["job_id"] or f"job-{text_hash(job_text)[:12]}",
            candidate_id=cell["candidate_id"] or str(position),
            job_text=job_text,
        )
        if not job_text.strip():
            row.error = InputError(Errors.E307, row=position, detail="`job_text` is empty")
        elif cell["resume_text"].strip():
            row.resume_text = cell["resume_text"]
        elif cell["resume_path"].strip():
            try:
                row.resume_text = extract_text(cell["resume_path"]).text
            except MatchingError as exc:
                row.error = exc
        else:
            row.error = InputError(
                Errors.E307, row=position, detail="there is no resume text and no resume path"
            )
        rows.append(row)
    return rows


def score_frame(
    ranker: CandidateRanker, frame: pd.DataFrame, *, explain: int = 5, model_version: str = ""
) -> pd.DataFrame:
    """Score a table of (job, resume) rows with ``ranker``; the pyfunc's ``predict``."""
    rows = _read_rows(frame)
    groups: dict[Hashable, list[_Row]] = {}
    for row in rows:
        if row.error is None:
            groups.setdefault(row.job_id, []).append(row)
    results: dict[int, dict[str, Any]] = {}
    for members in groups.values():
        # A key unique per row that sorts like the candidate id ("\0" sorts first), so ties
        # break exactly as they would for the ids alone and duplicate ids stay apart.
        keys = {f"{row.candidate_id}\0{row.position:09d}": row for row in members}
        scored = ranker.score_texts(
            members[0].job_text,
            [(key, row.resume_text or "") for key, row in keys.items()],
            explain=explain,
            model_version=model_version or None,
        )
        for item in scored:
            results[keys[item.candidate_id].position] = {
                "score": item.score,
                "rank": item.rank,
                "reasons": json.dumps(
                    {
                        "reasons": item.reasons.model_dump(mode="json"),
                        "knockouts": [k.model_dump(mode="json") for k in item.knockouts],
                    }
                ),
            }
    failed = {"score": math.nan, "rank": pd.NA}
    out = pd.DataFrame(
        {
            "job_id": [row.job_id for row in rows],
            "candidate_id": [row.candidate_id for row in rows],
            "score": pd.array(
                [results.get(row.position, failed)["score"] for row in rows], dtype="float64"
            ),
            "rank": pd.array(
                [results.get(row.position, failed)["rank"] for row in rows], dtype="Int64"
            ),
            "reasons": [
                results[row.position]["reasons"]
                if row.position in results
                else json.dumps({"error": _error(row).to_dict()})
                for row in rows
            ],
            "model_version": [model_version] * len(rows),
        },
        columns=list(OUTPUT_COLUMNS),
    )
    return out


def _error(row: _Row) -> MatchingError:
    return row.error or InputError(Errors.E307, row=row.position, detail="it was not scored")


def model_signature() -> ModelSignature:
    """The pyfunc's input, output and parameter schema (optional columns marked so)."""
    inputs = Schema(
        [
            ColSpec("string", "job_id", required=False),
            ColSpec("string", "job_text"),
            ColSpec("string", "candidate_id", required=False),
            ColSpec("string", "resume_text", required=False),
            ColSpec("string", "resume_path", required=False),
        ]
    )
    outputs = Schema(
        [
            ColSpec("string", "job_id"),
            ColSpec("string", "candidate_id"),
            ColSpec("double", "score", required=False),
            ColSpec("long", "rank", required=False),
            ColSpec("string", "reasons"),
            ColSpec("string", "model_version"),
        ]
    )
    return ModelSignature(
        inputs=inputs, outputs=outputs, params=ParamSchema([ParamSpec("explain", "long", 5)])
    )


def input_example(max_chars: int = 600) -> pd.DataFrame:
    """Two short rows built from the packaged examples (a posting and two resumes)."""
    from matching.parsing import extract_text

    examples = Path(matching.__file__).parent / "examples"
    job = (examples / "jobs" / "data_engineer.txt").read_text(encoding="utf-8")
    resumes = [
        (examples / "resumes" / "ada_moreau.txt").read_text(encoding="utf-8"),
        extract_text(examples / "resumes" / "li_wei.html").text,
    ]
    return pd.DataFrame(
        {
            "job_id": ["data-engineer", "data-engineer"],
            "job_text": [job[:max_chars]] * 2,
            "candidate_id": ["ada-moreau", "li-wei"],
            "resume_text": [text[:max_chars] for text in resumes],
        }
    )


def pip_requirements() -> list[str]:
    """Exact pins (``name==version``) of the installed packages scoring needs.

    Local version labels are dropped (``torch==2.13.0``, not ``2.13.0+cpu``) so that the
    serving environment may pick its own build (CPU or CUDA) of the same release.
    """
    names: list[str] = list(_ALSO_FOR_SCORING)
    for line in requires("matching") or []:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        if canonicalize_name(requirement.name) not in _NOT_FOR_SCORING:
            names.append(requirement.name)
    pins: dict[str, str] = {}
    for name in names:
        key = canonicalize_name(name)
        pins.setdefault(key, f"{key}=={Version(version(name)).public}")
    return sorted(pins.values())
