"""CRM write-back: scores, ranks and reasons into CRM contact records, through a durable outbox.

::

    from matching.crm import RankerScorer, connectors_from_settings, deliver, rescore
    from matching.store import Inbox, Outbox, Store

    store = Store.open()
    Outbox(store).link(candidate_id, "keap", "12345")   # the candidate's contact in Keap
    # scores recorded with write_back=("keap",) are queued in the same transaction
    deliver(Outbox(store), connectors_from_settings())  # `matching crm sync`

    # The service's webhooks (InboundHooks) queue CRM events in the store's inbox;
    # `matching crm rescore` re-scores the contacts they name:
    load = lambda: RankerScorer.load(store)            # the registered model, loaded when needed
    rescore(Inbox(store), Outbox(store), store, load, write_back=("keap",))
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
from matching.crm._inbound import (
    HookReply,
    HookRequest,
    InboundHooks,
    hubspot_signature,
    own_properties,
    value_hash,
    verify_hubspot,
)
from matching.crm._keap import KeapConnector, KeapOAuth
from matching.crm._rescore import RankerScorer, RescoreReport, Scorer, own_write, rescore
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
    "HookReply",
    "HookRequest",
    "HubSpotConnector",
    "InboundHooks",
    "KeapConnector",
    "KeapOAuth",
    "LocalTryton",
    "RankerScorer",
    "RateLimiter",
    "RescoreReport",
    "RetryPolicy",
    "Scorer",
    "TrytonConnector",
    "WebhookConnector",
    "bullhorn_fields",
    "configured_crms",
    "connectors_from_settings",
    "deliver",
    "hubspot_signature",
    "limiters_from_settings",
    "own_properties",
    "own_write",
    "rescore",
    "retry_after",
    "running_tryton",
    "same_values",
    "sign",
    "tryton_installed",
    "value_hash",
    "values_of",
    "verify_hubspot",
    "verify_signature",
]
