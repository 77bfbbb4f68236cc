"""Shared by the CRM tests: a store with candidates linked to contacts and their scores queued."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from matching.schemas import Profile, Requisition
from matching.store import NewScore, Outbox, Store


def queue_linked_scores(path: Path, crm: str, contacts: Sequence[str]) -> tuple[Store, Outbox]:
    """A SQLite store at ``path``: one candidate per contact, each scored (60, 61, …) and its
    write queued for ``crm``."""
    store = Store.open(f"sqlite:///{path}")
    outbox = Outbox(store)
    requisition = store.add_requisition("Nurse", Requisition(title="Nurse")).id
    for i, contact in enumerate(contacts):
        candidate = store.add_candidate_document(
            text=f"p{i} resume",
            profile=Profile(name=f"p{i}"),
            sha256=hashlib.sha256(f"p{i}".encode()).hexdigest(),
            media_type="text/plain",
            external_id=f"p{i}",
            parser_version="test",
        ).candidate_id
        outbox.link(candidate, crm, contact)
        store.record_scores(
            requisition,
            [NewScore(candidate, 60.0 + i, "h", rank=i + 1, reasons={"summary": "3 of 4"})],
            model_name="m",
            model_version="2",
            write_back=(crm,),
        )
    return store, outbox
