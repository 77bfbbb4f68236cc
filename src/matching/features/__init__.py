"""Embeddings (sentence-transformers, cached by content hash) and pair features.

::

    from matching.features import load_encoder, embed_documents

    encoder = load_encoder()                   # all-MiniLM-L6-v2 from the offline package
    [doc] = embed_documents(encoder, [(text, profile.sections)], names=[profile.name])
    doc.vectors.shape                          # one vector per section chunk

Documents are embedded by section chunks that fit the model's window, never truncated.
"""

from __future__ import annotations

from matching.features._bm25 import BM25, tokenize
from matching.features._chunks import SKIPPED_SECTIONS, Chunk, chunk_document, feature_text
from matching.features._encoder import (
    DEFAULT_MODEL,
    DocumentEmbedding,
    EmbeddingCache,
    Encoder,
    MemoryCache,
    embed_document,
    embed_documents,
    load_encoder,
    text_hash,
)
from matching.features._neutral import identity_names, neutralise, person_names
from matching.features._pairs import (
    EDUCATION_ORDER,
    FEATURE_NAMES,
    FEATURES,
    FeatureSpec,
    Featurizer,
    PreparedCandidate,
    PreparedRequisition,
    SkillMatch,
    countable,
    feature_index,
    keyword_text,
    location_match,
)

__all__ = [
    "BM25",
    "DEFAULT_MODEL",
    "EDUCATION_ORDER",
    "FEATURES",
    "FEATURE_NAMES",
    "SKIPPED_SECTIONS",
    "Chunk",
    "DocumentEmbedding",
    "EmbeddingCache",
    "Encoder",
    "FeatureSpec",
    "Featurizer",
    "MemoryCache",
    "PreparedCandidate",
    "PreparedRequisition",
    "SkillMatch",
    "chunk_document",
    "countable",
    "embed_document",
    "embed_documents",
    "feature_index",
    "feature_text",
    "identity_names",
    "keyword_text",
    "load_encoder",
    "location_match",
    "neutralise",
    "person_names",
    "text_hash",
    "tokenize",
]
