"""Document formats the parsers read: a constant that light modules can import."""

from __future__ import annotations

# File suffixes the parsers read (folders are searched for these).
SUPPORTED_SUFFIXES = frozenset({".pdf", ".docx", ".txt", ".text", ".md", ".html", ".htm"})

__all__ = ["SUPPORTED_SUFFIXES"]
