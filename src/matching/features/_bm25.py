"""Okapi BM25 with corpus statistics learned once and kept with the model."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from matching.errors import Errors, MatchingError

_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[.\-][a-z0-9+#]+)*")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without English stop words (``c++`` and ``c#`` survive)."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in ENGLISH_STOP_WORDS]


@dataclass
class BM25:
    """Okapi BM25 (``k1``, ``b``); ``fit`` learns document frequencies and the mean length."""

    k1: float = 1.2
    b: float = 0.75
    idf_: dict[str, float] = field(default_factory=dict)
    avgdl_: float = 0.0
    n_docs_: int = 0

    def fit(self, documents: Iterable[Sequence[str]]) -> BM25:
        """Learn statistics from tokenised ``documents``."""
        df: Counter[str] = Counter()
        total = 0
        n = 0
        for tokens in documents:
            df.update(set(tokens))
            total += len(tokens)
            n += 1
        if n == 0:
            raise MatchingError(Errors.E301, detail="BM25 needs at least one document")
        self.n_docs_ = n
        self.avgdl_ = total / n
        self.idf_ = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        return self

    def _idf(self, term: str) -> float:
        # A term never seen in the corpus is as rare as a term seen once.
        return self.idf_.get(term, math.log(1 + (self.n_docs_ - 0.5) / 1.5))

    def score(self, query: Sequence[str], document: Sequence[str]) -> float:
        """BM25 of ``document`` for ``query`` (unique query terms)."""
        return self.score_counts(query, Counter(document), len(document))

    def score_counts(self, query: Sequence[str], counts: Mapping[str, int], length: int) -> float:
        """BM25 of a document given as term counts and its length in tokens."""
        if not self.n_docs_:
            raise MatchingError(Errors.E300, what="BM25 scorer")
        norm = self.k1 * (1 - self.b + self.b * length / max(self.avgdl_, 1e-9))
        total = 0.0
        for term in set(query):
            tf = counts.get(term, 0)
            if tf:
                total += self._idf(term) * tf * (self.k1 + 1) / (tf + norm)
        return total

    def max_score(self, query: Sequence[str]) -> float:
        """The most a document can score for ``query`` (every term, saturated)."""
        return sum(self._idf(t) * (self.k1 + 1) for t in set(query))
