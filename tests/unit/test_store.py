"""The store on a real SQLite file: candidates, deletion, requisitions, embeddings, scores, pool."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.errors import ConfigError, InputError
from matching.schemas import Profile, Reasons, Requisition
from matching.store import (
    WHOLE_INDEX,
    NewScore,
    Store,
    StoreEmbeddingCache,
    resolve_url,
)
from matching.store._models import (
    DocumentRow,
)
from tests.store_helpers import ALL_TABLES, row_counts

DIM = 4
MODEL = "test-model"


@dataclass(frozen=True)
class Piece:
    """A chunk as the encoder makes them (label, index, text)."""

    label: str
    index: int
    text: str


@dataclass(frozen=True)
class Embedded:
    """A document's embedding as the encoder returns it."""

    chunks: list[Piece]
    vectors: np.ndarray
    whole: np.ndarray


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embedded(*texts: str, seed: int = 0) -> Embedded:
    """Chunks labelled ``s0, s1 …`` with seeded random vectors; the whole is their mean."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(texts), DIM)).astype(np.float32)
    chunks = [Piece(f"s{i}", i, t) for i, t in enumerate(texts)]
    return Embedded(chunks, vectors, vectors.mean(axis=0).astype(np.float32))


def add(
    store: Store, external_id: str, *, chunks: tuple[str, ...] = ("a", "b"), seed: int = 0
) -> str:
    """Store a candidate with one document, a profile and embeddings; return the id."""
    write = store.add_candidate_document(
        text=f"{external_id} resume",
        profile=Profile(name=external_id.title()),
        sha256=sha(external_id + "".join(chunks)),
        media_type="text/plain",
        path=f"{external_id}.txt",
        external_id=external_id,
        parser_version="test",
        model_id=MODEL,
        embedding=embedded(*chunks, seed=seed),
    )
    return write.candidate_id


def counts(store: Store) -> dict[str, int]:
    """Rows in every table."""
    return row_counts(store)


@pytest.fixture
def requisition(store: Store) -> str:
    """A stored requisition's id."""
    return store.add_requisition("Data engineer, Python", Requisition(title="Data engineer")).id


# -- opening ----------------------------------------------------------------------------------


def test_open_creates_the_folder_and_the_tables(tmp_path: Path) -> None:
    """It creates a missing parent folder of the SQLite file and every table."""
    path = tmp_path / "nested" / "deeper" / "m.db"
    with Store.open(f"sqlite:///{path}") as opened:
        assert path.is_file()
        assert counts(opened) == {table.__tablename__: 0 for table in ALL_TABLES}


def test_default_url_is_a_sqlite_file_in_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a URL or MATCHING_DATABASE_URL, the store is <MATCHING_HOME>/matching.db."""
    monkeypatch.setenv("MATCHING_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MATCHING_DATABASE_URL", raising=False)
    url = resolve_url()
    assert url.get_backend_name() == "sqlite"
    assert url.database == str((tmp_path / "home" / "matching.db").resolve())


@pytest.mark.parametrize(
    ("configured", "driver"),
    [
        ("postgresql+psycopg://matcher:secret@db.example:5432/matching", "postgresql+psycopg"),
        ("postgresql://matcher:secret@db.example:5432/matching", "postgresql"),
        ("postgres://matcher:secret@db.example:5432/matching", "postgresql"),
    ],
)
def test_postgresql_url_is_taken_from_the_environment(
    configured: str, driver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MATCHING_DATABASE_URL names a PostgreSQL server; ``postgres://`` is read as postgresql."""
    monkeypatch.setenv("MATCHING_DATABASE_URL", configured)
    url = resolve_url()
    assert (url.drivername, url.host, url.port, url.database) == (
        driver,
        "db.example",
        5432,
        "matching",
    )
    assert "secret" not in url.render_as_string(hide_password=True)


def test_unreachable_database_is_a_config_error() -> None:
    """A server that cannot be reached (or a missing driver) raises E401, password hidden."""
    with pytest.raises(ConfigError) as caught:
        Store.open("postgresql://matcher:secret@127.0.0.1:1/matching")
    assert caught.value.code == "E401"
    assert "secret" not in str(caught.value)


def test_invalid_url_is_a_config_error() -> None:
    """A URL SQLAlchemy cannot parse raises E400."""
    with pytest.raises(ConfigError) as caught:
        Store.open("not a database url")
    assert caught.value.code == "E400"


def test_sqlite_enforces_foreign_keys_and_uses_wal(store: Store) -> None:
    """A document of an unknown candidate is refused; the journal is write-ahead."""
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    with Session(store.engine) as session:
        session.add(
            DocumentRow(candidate_id="nobody", sha256="0" * 64, media_type="text/plain", text="x")
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_deleting_a_candidate_row_cascades_in_the_database(store: Store, requisition: str) -> None:
    """The foreign keys cascade: a raw DELETE of a candidate removes documents, profiles, scores."""
    ada = add(store, "ada")
    store.record_scores(requisition, [NewScore(ada, 1.0, "h")], model_name="m", model_version="1")
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM candidates WHERE id = :id"), {"id": ada})
    rows = counts(store)
    assert (rows["documents"], rows["profiles"], rows["scores"]) == (0, 0, 0)


# -- candidates -------------------------------------------------------------------------------


def test_candidate_round_trip(store: Store) -> None:
    """A stored candidate comes back with their document, text and profile."""
    candidate_id = add(store, "ada")
    candidate = store.get_candidate(candidate_id)
    assert candidate is not None
    assert candidate.external_id == "ada"
    assert candidate.document is not None
    assert candidate.document.text == "ada resume"
    assert candidate.document.profile == Profile(name="Ada")
    assert candidate.document.parser_version == "test"
    assert candidate.created_at.tzinfo is not None
    assert store.find_candidate("ada") == candidate
    assert store.get_candidate("nobody") is None


def test_same_external_id_replaces_the_document(store: Store) -> None:
    """A new document under a known external id replaces the old one and its vectors."""
    first = add(store, "ada", chunks=("a", "b"))
    second = add(store, "ada", chunks=("c",))
    assert first == second
    rows = counts(store)
    assert (rows["candidates"], rows["documents"], rows["profiles"]) == (1, 1, 1)
    assert rows["embeddings"] == 2  # one chunk and the whole


def test_list_and_count_candidates(store: Store) -> None:
    """Candidates are listed in the order they were added, a page at a time."""
    for name in ("ada", "bo", "cy"):
        add(store, name)
    assert store.count_candidates() == 3
    assert [c.external_id for c in store.list_candidates(limit=2, offset=1)] == ["bo", "cy"]


def test_delete_removes_every_derived_row_and_counts_them(store: Store, requisition: str) -> None:
    """Deleting a candidate removes their document, profile, vectors, scores and cached vectors."""
    candidate_id = add(store, "ada", chunks=("a", "b"))
    other = add(store, "bo", chunks=("z",), seed=1)
    store.record_scores(
        requisition,
        [NewScore(candidate_id, 80.0, "i1"), NewScore(other, 20.0, "i2")],
        model_name="m",
        model_version="1",
    )
    cache = store.embedding_cache()
    vector = np.ones(DIM, dtype=np.float32)
    cache.put_many(MODEL, {sha("a"): vector, sha("b"): vector, sha("unrelated"): vector})
    before = counts(store)

    report = store.delete_candidate(candidate_id)

    assert (
        report.candidates,
        report.documents,
        report.profiles,
        report.embeddings,
        report.scores,
        report.cache_entries,
    ) == (1, 1, 1, 3, 1, 2)
    after = counts(store)
    assert before["embeddings"] - after["embeddings"] == 3
    assert after == {
        "candidates": 1,
        "documents": 1,
        "profiles": 1,
        "requisitions": 1,
        "embeddings": 2,
        "embedding_cache": 1,
        "scores": 1,
    }
    assert store.get_candidate(candidate_id) is None
    assert store.get_candidate(other) is not None


def test_delete_unknown_candidate_deletes_nothing(store: Store) -> None:
    """Deleting an unknown (or already deleted) id reports zero rows and raises nothing."""
    add(store, "ada")
    report = store.delete_candidate("nobody")
    assert report.total == 0
    assert store.count_candidates() == 1


# -- requisitions -----------------------------------------------------------------------------


def test_add_requisition_is_idempotent_by_text(store: Store) -> None:
    """Storing the same text twice returns the same requisition and stores one row."""
    first = store.add_requisition("Nurse, night shifts", Requisition(title="Nurse"))
    second = store.add_requisition("Nurse, night shifts", Requisition(title="Nurse"))
    assert first == second
    assert counts(store)["requisitions"] == 1
    assert store.get_requisition(first.id) == first
    assert first.requisition == Requisition(title="Nurse")


def test_new_text_under_known_external_id_replaces_the_requisition(store: Store) -> None:
    """An edited posting with the same external id updates the stored one in place."""
    first = store.add_requisition("Nurse", Requisition(title="Nurse"), external_id="job-1")
    second = store.add_requisition(
        "Senior nurse", Requisition(title="Senior nurse"), external_id="job-1"
    )
    assert second.id == first.id
    assert (second.title, second.text, second.sha256) == (
        "Senior nurse",
        "Senior nurse",
        sha("Senior nurse"),
    )
    assert counts(store)["requisitions"] == 1


# -- embeddings -------------------------------------------------------------------------------


def test_embeddings_round_trip_exactly(store: Store, requisition: str) -> None:
    """Vectors come back bit for bit as float32, the whole vector first as index -1."""
    item = embedded("x", "y", "z", seed=3)
    written = store.put_embeddings(
        "requisition", requisition, MODEL, item.chunks, item.vectors, whole=item.whole
    )
    chunks, vectors = store.get_embeddings("requisition", requisition, MODEL)
    assert written == 4
    assert chunks == [(WHOLE_INDEX, "whole"), (0, "s0"), (1, "s1"), (2, "s2")]
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors, np.vstack([item.whole, item.vectors]))
    assert store.get_embeddings("requisition", requisition, "other-model")[1].shape == (0, 0)


def test_put_embeddings_refuses_mismatched_shapes(store: Store, requisition: str) -> None:
    """Two chunks with three vectors is a caller's error."""
    item = embedded("x", "y")
    with pytest.raises(ValueError, match="shape"):
        store.put_embeddings(
            "requisition", requisition, MODEL, item.chunks, np.zeros((3, DIM), np.float32)
        )


def test_put_embeddings_refuses_unknown_owner(store: Store) -> None:
    """Vectors of a document that is not stored are refused with E403."""
    item = embedded("x")
    with pytest.raises(InputError) as caught:
        store.put_embeddings("document", "nobody", MODEL, item.chunks, item.vectors)
    assert caught.value.code == "E403"


# -- the embedding cache ----------------------------------------------------------------------


def test_cache_round_trip(store: Store) -> None:
    """put_many then get_many returns the same vectors; unknown hashes are absent."""
    cache = StoreEmbeddingCache(store)
    rng = np.random.default_rng(7)
    items = {sha("one"): rng.standard_normal(DIM).astype(np.float32), sha("two"): np.zeros(DIM)}
    cache.put_many(MODEL, items)
    found = cache.get_many(MODEL, [sha("one"), sha("two"), sha("three")])
    assert set(found) == {sha("one"), sha("two")}
    np.testing.assert_array_equal(found[sha("one")], items[sha("one")])
    assert found[sha("two")].dtype == np.float32
    assert len(cache) == 2


def test_cache_is_per_model_and_keeps_the_first_vector(store: Store) -> None:
    """Another model does not see the vector; putting a known key again changes nothing."""
    cache = store.embedding_cache()
    cache.put_many(MODEL, {sha("one"): np.ones(DIM, np.float32)})
    cache.put_many(MODEL, {sha("one"): np.zeros(DIM, np.float32)})
    assert cache.get_many("other-model", [sha("one")]) == {}
    np.testing.assert_array_equal(cache.get_many(MODEL, [sha("one")])[sha("one")], np.ones(DIM))


# -- scores -----------------------------------------------------------------------------------


def test_scores_come_back_best_first(store: Store, requisition: str) -> None:
    """Scores are listed by rank, then by score; reasons round-trip as JSON."""
    ada, bo = add(store, "ada"), add(store, "bo")
    reasons = Reasons(matched_skills=["python"], missing_skills=["spark"])
    store.record_scores(
        requisition,
        [NewScore(ada, 40.0, "h1", rank=2), NewScore(bo, 90.5, "h2", rank=1, reasons=reasons)],
        model_name="lgbm",
        model_version="3",
    )
    scores = store.scores_for(requisition)
    assert [(s.candidate_id, s.score, s.rank) for s in scores] == [(bo, 90.5, 1), (ada, 40.0, 2)]
    assert Reasons.model_validate(scores[0].reasons) == reasons


def test_rescoring_with_the_same_model_replaces(store: Store, requisition: str) -> None:
    """Scoring a candidate again with the same model version keeps only the new score."""
    ada = add(store, "ada")
    for value in (10.0, 70.0):
        store.record_scores(
            requisition, [NewScore(ada, value, "h")], model_name="lgbm", model_version="3"
        )
    store.record_scores(
        requisition, [NewScore(ada, 5.0, "h")], model_name="lgbm", model_version="4"
    )
    assert [s.score for s in store.scores_for(requisition, model_version="3")] == [70.0]
    assert counts(store)["scores"] == 2


@pytest.mark.parametrize("value", [-0.1, 100.5, float("nan")])
def test_scores_outside_0_to_100_are_refused(store: Store, requisition: str, value: float) -> None:
    """A score below 0, above 100 or NaN is refused before anything is written."""
    ada = add(store, "ada")
    with pytest.raises(ValueError, match="0, 100"):
        store.record_scores(
            requisition, [NewScore(ada, value, "h")], model_name="m", model_version="1"
        )
    assert counts(store)["scores"] == 0


def test_scores_of_unknown_candidates_are_refused(store: Store, requisition: str) -> None:
    """Scores naming a candidate that is not stored raise E403 and write nothing."""
    ada = add(store, "ada")
    with pytest.raises(InputError) as caught:
        store.record_scores(
            requisition,
            [NewScore(ada, 50.0, "h"), NewScore("nobody", 50.0, "h")],
            model_name="m",
            model_version="1",
        )
    assert caught.value.code == "E403"
    assert counts(store)["scores"] == 0


# -- the pool ---------------------------------------------------------------------------------


def test_pool_shapes_and_order(store: Store) -> None:
    """The pool stacks whole vectors (n, dim) and chunk vectors, candidate after candidate."""
    ids = {
        name: add(store, name, chunks=chunks, seed=i)
        for i, (name, chunks) in enumerate([("ada", ("a", "b")), ("bo", ("c", "d", "e"))])
    }
    pool = store.pool(MODEL)
    order = sorted(ids.values())
    assert pool.candidate_ids == order
    assert len(pool) == 2
    assert pool.whole.shape == (2, DIM)
    assert pool.whole.dtype == np.float32
    assert pool.chunk_vectors.shape == (5, DIM)
    sizes = [2 if cid == ids["ada"] else 3 for cid in order]
    assert pool.chunk_offsets.tolist() == [0, sizes[0], 5]
    assert pool.chunk_owner.tolist() == [0] * sizes[0] + [1] * sizes[1]
    row = order.index(ids["bo"])
    labels, vectors = pool.chunks_of(row)
    expected = embedded("c", "d", "e", seed=1)
    assert labels == ["s0", "s1", "s2"]
    np.testing.assert_array_equal(vectors, expected.vectors)
    np.testing.assert_array_equal(pool.whole[row], expected.whole)
    assert pool.profiles[row] == Profile(name="Bo")
    assert pool.texts[row] == "bo resume"
    assert pool.missing == []


def test_pool_lists_candidates_without_vectors_as_missing(store: Store) -> None:
    """A candidate with no vectors for the model is left out and named in ``missing``."""
    add(store, "ada")
    bare = store.add_candidate_document(
        text="no vectors",
        profile=Profile(),
        sha256="0" * 64,
        media_type="text/plain",
        external_id="bo",
        parser_version="test",
    )
    pool = store.pool(MODEL)
    assert len(pool) == 1
    assert pool.missing == [bare.candidate_id]
    other = store.pool("other-model")
    assert (len(other), other.whole.shape, other.dimension) == (0, (0, 0), 0)


def _pool_queries(path: Path, size: int) -> int:
    """SQL statements one ``pool()`` call runs on a store of ``size`` candidates."""
    with Store.open(f"sqlite:///{path}") as sized:
        for i in range(size):
            add(sized, f"c{i}", seed=i)
        seen: list[str] = []
        event.listen(sized.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
        assert len(sized.pool(MODEL)) == size
        return len(seen)


def test_pool_runs_the_same_queries_for_any_size(tmp_path: Path) -> None:
    """Loading the pool costs a fixed number of queries, not one per candidate."""
    assert _pool_queries(tmp_path / "one.db", 1) == _pool_queries(tmp_path / "many.db", 12)


# -- partial pools, the change log and the decision log ---------------------------------------


def test_a_partial_pool_equals_those_rows_of_the_whole(store: Store) -> None:
    """pool(candidate_ids=...) returns exactly the named candidates' rows; unknown ids drop."""
    ids = [add(store, name, seed=i) for i, name in enumerate(["ada", "bo", "cy"])]
    whole = store.pool(MODEL)
    part = store.pool(MODEL, candidate_ids=[ids[2], ids[0], "unknown"])
    assert part.candidate_ids == sorted([ids[0], ids[2]])
    for row, candidate_id in enumerate(part.candidate_ids):
        full_row = whole.candidate_ids.index(candidate_id)
        np.testing.assert_array_equal(part.whole[row], whole.whole[full_row])
        assert part.chunks_of(row)[0] == whole.chunks_of(full_row)[0]
        assert part.profiles[row] == whole.profiles[full_row]


def test_the_change_log_names_each_changed_candidate(store: Store) -> None:
    """Adding, replacing and deleting each log the candidate; nothing new means an empty set."""
    start = store.changes(0).seq
    ada = add(store, "ada")
    bo = add(store, "bo")
    after_adds = store.changes(start)
    assert after_adds.candidate_ids == {ada, bo}
    add(store, "ada", chunks=("x",))  # replaced under the same external id
    store.delete_candidate(bo)
    later = store.changes(after_adds.seq)
    assert later.candidate_ids == {ada, bo}
    assert store.changes(later.seq).candidate_ids == frozenset()


def test_requisitions_log_only_real_changes(store: Store) -> None:
    """A new requisition, or new text under its external id, is a change; the same text not."""
    seq = store.latest_change()
    first = store.add_requisition("Nurse", Requisition(title="Nurse"), external_id="ats-1")
    store.add_requisition("Nurse", Requisition(title="Nurse"))
    assert store.changes(seq).requisition_ids == {first.id}
    seq = store.latest_change()
    store.add_requisition("Nurse, nights", Requisition(title="Nurse"), external_id="ats-1")
    changes = store.changes(seq)
    assert (changes.requisition_ids, changes.candidate_ids) == ({first.id}, frozenset())


def test_unknown_deletions_log_nothing(store: Store) -> None:
    """Deleting an unknown id changes no pool."""
    seq = store.changes(0).seq
    store.delete_candidate("nobody")
    assert store.changes(seq).candidate_ids == frozenset()


def test_decisions_round_trip_and_unlink_on_deletion(store: Store, requisition: str) -> None:
    """A decision keeps its fields; deleting the candidate clears only the link to them."""
    from matching.store import Decision

    ada = add(store, "ada")
    decision = Decision(
        request_id="r1",
        endpoint="score",
        caller="crm",
        requisition_id=requisition,
        requisition_sha256="a" * 64,
        candidate_id=ada,
        candidate_sha256="b" * 64,
        model_name="m",
        model_version="2",
        score=71.5,
        rank=1,
        knocked_out=False,
    )
    assert store.log_decisions([decision]) == 1
    (stored,) = store.decisions(request_id="r1")
    assert stored.created_at is not None
    assert stored == Decision(**{**decision.__dict__, "created_at": stored.created_at})
    report = store.delete_candidate(ada)
    assert report.decisions_unlinked == 1
    (kept,) = store.decisions(request_id="r1")
    assert kept.candidate_id is None
    assert kept.candidate_sha256 == "b" * 64
