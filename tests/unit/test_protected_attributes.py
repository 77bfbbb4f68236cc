"""Protected attributes live apart: own table, own access path, joined only for the audit."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from matching.audit import audit_table
from matching.errors import InputError
from matching.schemas import Profile, Reasons, Requisition
from matching.store import NewScore, ProtectedAttributes, Store


def _candidate(store: Store, name: str) -> str:
    text = f"{name}\nSkills\nPython"
    return store.add_candidate_document(
        text=text,
        profile=Profile(name=name),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        media_type="text/plain",
        external_id=name,
        parser_version="test",
    ).candidate_id


@pytest.fixture
def scored(store: Store) -> tuple[str, list[str]]:
    """Three scored candidates for one requisition."""
    ids = [_candidate(store, n) for n in ("a", "b", "c")]
    requisition = store.add_requisition("Data engineer", Requisition(title="Data engineer")).id
    store.record_scores(
        requisition,
        [
            NewScore(
                candidate_id=cid, score=score, input_sha256="x" * 64, rank=rank, reasons=Reasons()
            )
            for rank, (cid, score) in enumerate(zip(ids, (90.0, 50.0, 10.0), strict=True), 1)
        ],
        model_name="m",
        model_version="1",
    )
    return requisition, ids


def test_audit_frame_joins_scores_and_attributes(store: Store, scored) -> None:  # type: ignore[no-untyped-def]
    """Each scored candidate gets its attributes; one who gave none stays unknown."""
    requisition, (a, b, c) = scored
    attributes = ProtectedAttributes(store)
    attributes.set(a, {"sex": "female"})
    attributes.set(b, {"sex": "male"})
    frame = attributes.audit_frame(requisition, ["sex"]).set_index("candidate_id")
    assert frame.loc[a, "sex"] == "female"
    assert frame.loc[b, "sex"] == "male"
    assert frame.loc[c, "sex"] is None or frame.loc[c, "sex"] != frame.loc[c, "sex"]
    report = audit_table(frame.reset_index(), score_column="score", attributes=["sex"])
    assert report.unknowns["sex"] == 1


def test_deleting_a_candidate_removes_their_attributes(store: Store, scored) -> None:  # type: ignore[no-untyped-def]
    """Deletion takes the protected attributes too, and says how many."""
    _, (a, _, _) = scored
    ProtectedAttributes(store).set(a, {"sex": "female", "race": "black"})
    assert store.delete_candidate(a).protected_attributes == 2


def test_attributes_of_an_unknown_candidate_are_refused(store: Store) -> None:
    """Writing attributes for a candidate that does not exist raises E403."""
    with pytest.raises(InputError, match="E403"):
        ProtectedAttributes(store).set("nobody", {"sex": "female"})


def test_profiles_and_the_pool_never_carry_attributes(store: Store, scored) -> None:  # type: ignore[no-untyped-def]
    """Nothing on the ranking side has a field for a protected attribute."""
    _, (a, _, _) = scored
    ProtectedAttributes(store).set(a, {"sex": "female"})
    stored = store.get_candidate(a)
    assert stored is not None
    fields = {f.name for f in dataclasses.fields(stored)}
    assert not fields & {"sex", "race", "gender", "protected_attributes"}
    pool = store.pool("no-model")
    assert not {f.name for f in dataclasses.fields(pool)} & {"sex", "protected_attributes"}
