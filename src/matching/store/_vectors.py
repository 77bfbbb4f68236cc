"""Vectors as bytes: float32, little-endian, row after row."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float32]
_DTYPE = np.dtype("<f4")
T = TypeVar("T")


def to_bytes(vector: NDArray[np.floating] | Sequence[float]) -> bytes:
    """One vector as float32 little-endian bytes."""
    return np.ascontiguousarray(vector, dtype=_DTYPE).tobytes()


def from_bytes(data: bytes, dim: int) -> Vector:
    """Vectors stored by :func:`to_bytes` (one or many, concatenated) as an ``(n, dim)`` array."""
    flat = np.frombuffer(data, dtype=_DTYPE)
    return flat.reshape(-1, dim).astype(np.float32)


def text_hash(text: str) -> str:
    """sha256 of a text's UTF-8 bytes (the encoder's cache key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunked(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size`` (keeps ``IN (...)`` lists under driver limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
