"""Ingest resumes into the store: read, hash, parse, embed, store; unchanged files cost nothing."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import matching
from matching._formats import SUPPORTED_SUFFIXES
from matching.errors import Errors, InputError
from matching.schemas import DocumentInfo, Profile
from matching.settings import Settings, get_settings
from matching.store._store import Store

if TYPE_CHECKING:
    from matching.features import Encoder

# The document types `extract_text` reads, by file suffix (folders are searched for these).

Outcome = Literal["added", "updated", "unchanged", "reembedded", "failed"]
ProgressCallback = Callable[[int, int, Path, Outcome], None]


@dataclass(frozen=True)
class IngestFailure:
    """A file that could not be ingested: its path and the error's code, message and remedy."""

    path: str
    code: str
    message: str
    remedy: str


@dataclass(frozen=True)
class IngestReport:
    """What :func:`ingest_paths` did.

    Attributes
    ----------
    added : int
        New candidates.
    updated : int
        Known candidates (same external id) whose file changed: document, profile and
        embeddings replaced.
    unchanged : int
        Files whose bytes were already stored with embeddings for the encoder's model; no work.
    reembedded : int
        Unchanged files that had no vectors for the encoder's model: embedded again from the
        stored text, not parsed again.
    failed : list of IngestFailure
        Files that could not be read or parsed; the batch went on.
    candidate_ids : dict of str to str
        File path → candidate id for every file that was stored or found unchanged.
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    reembedded: int = 0
    failed: list[IngestFailure] = field(default_factory=list)
    candidate_ids: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Files seen."""
        return self.added + self.updated + self.unchanged + self.reembedded + len(self.failed)

    def to_dict(self) -> dict[str, object]:
        """The report as a JSON-ready mapping."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "reembedded": self.reembedded,
            "failed": [f.__dict__ for f in self.failed],
        }


def parser_version(profile: Profile) -> str:
    """What produced ``profile``: the package version and the extractor (trained or rules)."""
    return f"matching-{matching.__version__}+{profile.extractor}"


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named in ``paths``; folders are searched recursively for supported suffixes.

    Files named directly are kept whatever their suffix (the content decides their type).
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
        else:
            yield path


@dataclass
class _Parsed:
    """A file read and parsed, waiting to be embedded and stored."""

    path: Path
    external_id: str
    sha256: str
    text: str
    profile: Profile
    media_type: str


@dataclass
class _Stale:
    """An unchanged file without vectors for the encoder's model."""

    path: Path
    document_id: str
    candidate_id: str
    text: str
    profile: Profile


def _read(path: Path, settings: Settings) -> bytes:
    """The file's bytes, refusing unreadable and oversized files (E109, E102)."""
    label = str(path)
    try:
        size = path.stat().st_size
        if size > settings.max_file_bytes:
            raise InputError(Errors.E102, path=label, size=size, limit=settings.max_file_bytes)
        if not path.is_file():
            raise InputError(Errors.E109, path=label, detail="not a regular file")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(Errors.E109, path=label, detail=exc.strerror or str(exc)) from exc


def parse_document(path: Path | str, data: bytes, settings: Settings) -> tuple[str, Profile, str]:
    """Extract a resume's text once and parse it: ``(text, profile, media_type)``."""
    from matching.parsing import extract_text, parse_resume_text

    extracted = extract_text(data, filename=str(path), settings=settings)
    profile = parse_resume_text(extracted.text, settings=settings)
    # What parse_resume(path) records, without reading and extracting the file twice.
    profile = profile.model_copy(
        update={
            "warnings": [*extracted.warnings, *profile.warnings],
            "document": DocumentInfo(
                path=str(path),
                media_type=extracted.media_type,
                sha256=extracted.sha256,
                pages=extracted.pages,
                characters=len(extracted.text),
            ),
        }
    )
    return extracted.text, profile, extracted.media_type


@dataclass(frozen=True)
class IngestedDocument:
    """What :func:`ingest_document` did with one document.

    ``outcome`` is ``added``, ``updated`` (the candidate's document replaced), ``unchanged``
    (same bytes already stored and embedded) or ``reembedded``.
    """

    candidate_id: str
    external_id: str
    outcome: Outcome
    profile: Profile


def ingest_document(
    data: bytes,
    *,
    filename: str,
    store: Store,
    encoder: Encoder,
    external_id: str | None = None,
    settings: Settings | None = None,
) -> IngestedDocument:
    """Parse, embed and store one resume given as bytes (an upload).

    The candidate is found by ``external_id`` (a CRM or ATS id); without one, by the hash of
    the bytes, so sending the same file twice stores one candidate. Same bytes already
    embedded with the encoder's model cost nothing.

    Raises
    ------
    matching.errors.InputError
        As ``matching.parsing.extract_text`` (E100–E112) for a document that cannot be read.
    """
    from matching.features import embed_documents

    settings = settings if settings is not None else get_settings()
    if len(data) > settings.max_file_bytes:
        raise InputError(Errors.E102, path=filename, size=len(data), limit=settings.max_file_bytes)
    digest = hashlib.sha256(data).hexdigest()
    key = external_id or f"sha256:{digest[:32]}"
    known = store.find_candidate(key)
    document = known.document if known is not None else None
    if (
        known is not None
        and document is not None
        and document.sha256 == digest
        and document.profile is not None
    ):
        if store.has_embeddings("document", document.id, encoder.model_id):
            return IngestedDocument(known.id, key, "unchanged", document.profile)
        (embedding,) = embed_documents(
            encoder, [(document.text, document.profile.sections)], names=[document.profile.name]
        )
        store.put_embeddings(
            "document",
            document.id,
            encoder.model_id,
            embedding.chunks,
            embedding.vectors,
            whole=embedding.whole,
        )
        return IngestedDocument(known.id, key, "reembedded", document.profile)
    text, profile, media_type = parse_document(filename, data, settings)
    (embedding,) = embed_documents(encoder, [(text, profile.sections)], names=[profile.name])
    written = store.add_candidate_document(
        text=text,
        profile=profile,
        sha256=digest,
        media_type=media_type,
        path=filename,
        external_id=key,
        parser_version=parser_version(profile),
        model_id=encoder.model_id,
        embedding=embedding,
    )
    return IngestedDocument(written.candidate_id, key, written.outcome, profile)


def ingest_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    store: Store,
    encoder: Encoder,
    on_progress: ProgressCallback | None = None,
    external_id: Callable[[Path], str] | None = None,
    batch_size: int = 32,
    settings: Settings | None = None,
) -> IngestReport:
    """Parse, embed and store resumes; files already stored unchanged cost nothing.

    Each file's bytes are hashed before anything else: a file whose candidate (by external
    id) already has a document with those bytes, embedded with the encoder's model, is
    ``unchanged``. A changed file replaces its candidate's document, profile and embeddings.
    A file that cannot be read or parsed is reported in ``failed`` and the batch goes on.

    Parameters
    ----------
    paths : iterable of path
        Files and folders (searched recursively for ``SUPPORTED_SUFFIXES``).
    store : Store
        Where the candidates go.
    encoder : matching.features.Encoder
        The embedding model (``matching.features.load_encoder``).
    on_progress : callable, optional
        Called after each file as ``on_progress(done, total, path, outcome)``.
    external_id : callable, optional
        The candidate's external id for a file; the file name's stem by default.
    batch_size : int
        Files parsed and embedded together.
    settings : Settings, optional
        Read from the environment when omitted.

    Returns
    -------
    IngestReport
        Counts of added, updated, unchanged, re-embedded and failed files.
    """
    from matching.features import embed_documents

    settings = settings if settings is not None else get_settings()
    key_of = external_id or (lambda path: path.stem)
    files = list(expand_paths(paths))
    total = len(files)
    failed: list[IngestFailure] = []
    candidate_ids: dict[str, str] = {}
    counts: dict[Outcome, int] = {"added": 0, "updated": 0, "unchanged": 0, "reembedded": 0}
    done = 0
    seen: dict[str, Path] = {}

    def finish(path: Path, outcome: Outcome, candidate_id: str | None = None) -> None:
        nonlocal done
        done += 1
        if outcome != "failed":
            counts[outcome] += 1
        if candidate_id is not None:
            candidate_ids[str(path)] = candidate_id
        if on_progress is not None:
            on_progress(done, total, path, outcome)

    def fail(path: Path, error: InputError) -> None:
        failed.append(IngestFailure(str(path), error.code, error.message, error.remedy))
        finish(path, "failed")

    for start in range(0, total, batch_size):
        parsed: list[_Parsed] = []
        stale: list[_Stale] = []
        for path in files[start : start + batch_size]:
            key = key_of(path)
            if key in seen:
                fail(
                    path,
                    InputError(Errors.E402, path=path, other=seen[key], external_id=key),
                )
                continue
            seen[key] = path
            try:
                data = _read(path, settings)
                digest = hashlib.sha256(data).hexdigest()
                known = store.find_candidate(key)
                document = known.document if known is not None else None
                if known is not None and document is not None and document.sha256 == digest:
                    if store.has_embeddings("document", document.id, encoder.model_id):
                        finish(path, "unchanged", known.id)
                    elif document.profile is not None:
                        stale.append(
                            _Stale(path, document.id, known.id, document.text, document.profile)
                        )
                    else:
                        text, profile, media_type = parse_document(path, data, settings)
                        parsed.append(_Parsed(path, key, digest, text, profile, media_type))
                    continue
                text, profile, media_type = parse_document(path, data, settings)
            except InputError as error:
                fail(path, error)
                continue
            parsed.append(_Parsed(path, key, digest, text, profile, media_type))
        if not parsed and not stale:
            continue
        embeddings = embed_documents(
            encoder,
            [(p.text, p.profile.sections) for p in parsed]
            + [(s.text, s.profile.sections) for s in stale],
            names=[p.profile.name for p in parsed] + [s.profile.name for s in stale],
        )
        for item, embedding in zip(parsed, embeddings[: len(parsed)], strict=True):
            written = store.add_candidate_document(
                text=item.text,
                profile=item.profile,
                sha256=item.sha256,
                media_type=item.media_type,
                path=str(item.path),
                external_id=item.external_id,
                parser_version=parser_version(item.profile),
                model_id=encoder.model_id,
                embedding=embedding,
            )
            finish(item.path, written.outcome, written.candidate_id)
        for old, embedding in zip(stale, embeddings[len(parsed) :], strict=True):
            store.put_embeddings(
                "document",
                old.document_id,
                encoder.model_id,
                embedding.chunks,
                embedding.vectors,
                whole=embedding.whole,
            )
            finish(old.path, "reembedded", old.candidate_id)
    return IngestReport(
        added=counts["added"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        reembedded=counts["reembedded"],
        failed=failed,
        candidate_ids=candidate_ids,
    )
