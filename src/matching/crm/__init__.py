"""CRM write-back: scores, ranks and reasons into CRM contact records, through a durable outbox.

::

    from matching.crm import connectors_from_settings, deliver
    from matching.store import Outbox, Store

    store = Store.open()
    Outbox(store).link(candidate_id, "keap", "12345")   # the candidate's contact in Keap
    # scores recorded with write_back=("keap",) are queued in the same transaction
    deliver(Outbox(store), connectors_from_settings())  # `matching crm sync`
"""

from __future__ import annotations

from matching.crm._base import (
    FIELDS,
    Connector,
    CrmError,
    FieldMap,
    RateLimiter,
    retry_after,
    values_of,
)
from matching.crm._bullhorn import BullhornConnector, BullhornOAuth, bullhorn_fields
from matching.crm._config import configured_crms, connectors_from_settings, limiters_from_settings
from matching.crm._deliver import DeliveryReport, RetryPolicy, deliver, same_values
from matching.crm._hubspot import HubSpotConnector
from matching.crm._keap import KeapConnector, KeapOAuth
from matching.crm._tryton import TrytonConnector
from matching.crm._tryton_local import LocalTryton, running_tryton, tryton_installed
from matching.crm._webhook import WebhookConnector, sign, verify_signature

__all__ = [
    "FIELDS",
    "BullhornConnector",
    "BullhornOAuth",
    "Connector",
    "CrmError",
    "DeliveryReport",
    "FieldMap",
    "HubSpotConnector",
    "KeapConnector",
    "KeapOAuth",
    "LocalTryton",
    "RateLimiter",
    "RetryPolicy",
    "TrytonConnector",
    "WebhookConnector",
    "bullhorn_fields",
    "configured_crms",
    "connectors_from_settings",
    "deliver",
    "limiters_from_settings",
    "retry_after",
    "running_tryton",
    "same_values",
    "sign",
    "tryton_installed",
    "values_of",
    "verify_signature",
]
