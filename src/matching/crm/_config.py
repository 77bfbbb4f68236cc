"""Connectors and rate limits from the settings (``MATCHING_CRM`` and each CRM's own)."""

from __future__ import annotations

from matching.crm._base import Connector, FieldMap, RateLimiter
from matching.errors import ConfigError, Errors
from matching.settings import Settings, get_settings

KNOWN = ("keap", "hubspot", "webhook", "bullhorn", "tryton")


def configured_crms(settings: Settings | None = None) -> tuple[str, ...]:
    """The CRMs scores are written back to (``MATCHING_CRM``, comma-separated; none by default).

    Raises ``ConfigError`` (E203) for a CRM without a connector.
    """
    settings = settings if settings is not None else get_settings()
    names = tuple(n.strip().lower() for n in (settings.crm or "").split(",") if n.strip())
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise ConfigError(
            Errors.E203, name="MATCHING_CRM", value=settings.crm, detail=f"unknown {unknown}"
        )
    return names


def connectors_from_settings(settings: Settings | None = None) -> dict[str, Connector]:
    """A connector per configured CRM, with its credentials and field map."""
    from matching.crm._bullhorn import BullhornConnector, BullhornOAuth, bullhorn_fields
    from matching.crm._hubspot import HubSpotConnector
    from matching.crm._keap import KeapConnector, KeapOAuth
    from matching.crm._tryton import TrytonConnector
    from matching.crm._webhook import WebhookConnector

    settings = settings if settings is not None else get_settings()
    fields = FieldMap.parse(settings.crm_fields)
    out: dict[str, Connector] = {}
    for name in configured_crms(settings):
        if name == "keap":
            oauth = None
            if settings.keap_token_file is not None:
                oauth = KeapOAuth(
                    settings.keap_token_file,
                    client_id=settings.keap_client_id or "",
                    client_secret=settings.keap_client_secret or "",
                )
            if oauth is None and not settings.keap_api_key:
                raise ConfigError(
                    Errors.E203,
                    name="MATCHING_KEAP_API_KEY",
                    value=None,
                    detail="Keap needs an API key or MATCHING_KEAP_TOKEN_FILE (OAuth2)",
                )
            out[name] = KeapConnector(
                base_url=settings.keap_base_url,
                api_key=None if oauth else settings.keap_api_key,
                oauth=oauth,
                fields=fields,
            )
        elif name == "hubspot":
            if not settings.hubspot_access_token:
                raise ConfigError(
                    Errors.E203,
                    name="MATCHING_HUBSPOT_ACCESS_TOKEN",
                    value=None,
                    detail="HubSpot needs a private app access token",
                )
            out[name] = HubSpotConnector(
                access_token=settings.hubspot_access_token,
                base_url=settings.hubspot_base_url,
                fields=fields,
                group_name=settings.hubspot_property_group,
            )
        elif name == "webhook":
            if not settings.webhook_url or not settings.webhook_secret:
                raise ConfigError(
                    Errors.E203,
                    name="MATCHING_WEBHOOK_URL",
                    value=settings.webhook_url,
                    detail="a webhook needs MATCHING_WEBHOOK_URL and MATCHING_WEBHOOK_SECRET",
                )
            out[name] = WebhookConnector(settings.webhook_url, secret=settings.webhook_secret)
        elif name == "bullhorn":
            token_file = settings.bullhorn_token_file
            needed = {
                "MATCHING_BULLHORN_USERNAME": settings.bullhorn_username,
                "MATCHING_BULLHORN_CLIENT_ID": settings.bullhorn_client_id,
                "MATCHING_BULLHORN_CLIENT_SECRET": settings.bullhorn_client_secret,
                "MATCHING_BULLHORN_TOKEN_FILE": token_file,
            }
            missing = [env for env, value in needed.items() if not value]
            if missing or token_file is None:
                raise ConfigError(
                    Errors.E203,
                    name=missing[0],
                    value=None,
                    detail=f"Bullhorn needs {', '.join(needed)} (missing: {', '.join(missing)})",
                )
            try:
                bullhorn_map = bullhorn_fields(settings.bullhorn_fields)
            except ValueError as exc:
                raise ConfigError(
                    Errors.E203,
                    name="MATCHING_BULLHORN_FIELDS",
                    value=settings.bullhorn_fields,
                    detail=str(exc),
                ) from exc
            login = BullhornOAuth(
                token_file,
                client_id=settings.bullhorn_client_id or "",
                client_secret=settings.bullhorn_client_secret or "",
                username=settings.bullhorn_username or "",
                code=settings.bullhorn_auth_code,
                redirect_uri=settings.bullhorn_redirect_uri,
                login_info_url=settings.bullhorn_login_info_url,
            )
            out[name] = BullhornConnector(oauth=login, fields=bullhorn_map)
        elif name == "tryton":
            out[name] = TrytonConnector(
                settings.tryton_url, database=settings.tryton_database, key=_tryton_key(settings)
            )
    return out


def _tryton_key(settings: Settings) -> str:
    """``MATCHING_TRYTON_KEY``, else the first line of ``MATCHING_TRYTON_KEY_FILE``."""
    if settings.tryton_key:
        return settings.tryton_key
    path = settings.tryton_key_file
    try:
        key = path.read_text(encoding="utf-8").strip() if path is not None else ""
    except OSError as exc:
        raise ConfigError(
            Errors.E203, name="MATCHING_TRYTON_KEY_FILE", value=str(path), detail=str(exc)
        ) from exc
    if not key:
        raise ConfigError(
            Errors.E203,
            name="MATCHING_TRYTON_KEY",
            value=None,
            detail="Tryton needs a user application key (MATCHING_TRYTON_KEY or _KEY_FILE)",
        )
    return key


def limiters_from_settings(settings: Settings | None = None) -> dict[str, RateLimiter]:
    """A rate limiter per configured CRM (``MATCHING_CRM_RATE`` calls per second)."""
    settings = settings if settings is not None else get_settings()
    return {name: RateLimiter(settings.crm_rate) for name in configured_crms(settings)}
