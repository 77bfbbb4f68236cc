"""Job-title normalisation to O*NET and ESCO occupations."""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from matching.errors import ConfigError, Errors
from matching.schemas import Occupation
from matching.taxonomy import _rules as rules
from matching.taxonomy._text import clean_text, singularize, title_tokens
from matching.taxonomy._vocabulary import read_json_gz, vocabulary_file

OCCUPATIONS_FORMAT = "matching.occupations"
OCCUPATIONS_FORMAT_VERSION = 1
OCCUPATIONS_FILENAME = "occupations.json.gz"

#: Score factor of each query variant: as written, without seniority, main segment only,
#: "of" inverted.
_VARIANT_FACTORS = (1.0, 0.95, 0.9, 0.9)
#: Ceiling of a fallback (word-overlap) score, so it never ties an exact title.
_FALLBACK_FACTOR = 0.9
#: How much sharing a title between occupations lowers the score: 1 / (1 + a * ln(n)).
_AMBIGUITY_PENALTY = 0.25
#: Words ending at least this many known titles are title heads ("engineer", "clerk").
_MIN_HEAD_COUNT = 3
#: Lowest cosine for ``is_title`` to accept a line that is not a known title.
_TITLE_MIN_COSINE = 0.6


def normalize_title(text: str) -> str:
    """Return the lookup key of a job title.

    Lower-cases, splits on punctuation, expands abbreviations ("Sr." -> "senior", "Mgr" ->
    "manager") and singularises words ("Software Developers" -> "software developer").

    Parameters
    ----------
    text : str
        A job title as written.

    Returns
    -------
    str
        Space-separated normalised words ("" when no word is left).
    """
    words: list[str] = []
    for token in title_tokens(text):
        expansion = rules.TITLE_ABBREVIATIONS.get(token)
        words.extend(expansion.split() if expansion else [token])
    return " ".join(singularize(word) for word in words)


def _title_variants(title: str) -> list[list[str]]:
    """Word lists to try in turn (see ``_VARIANT_FACTORS``).

    As written; without seniority words; the main segment before a qualifier ("- Backend");
    and "A of B" turned into "B A" ("Director of Sales" -> "sales director").
    """
    text = clean_text(title)
    full = normalize_title(text).split()
    core = [word for word in full if word not in rules.TITLE_SENIORITY] or full
    cut = len(text)
    for separator in rules.TITLE_QUALIFIER_SEPARATORS:
        position = text.find(separator)
        if position > 0:
            cut = min(cut, position)
    main = [
        word for word in normalize_title(text[:cut]).split() if word not in rules.TITLE_SENIORITY
    ] or core
    inverted = main
    if "of" in main[1:-1]:
        position = main.index("of")
        inverted = main[position + 1 :] + main[:position]
    return [full, core, main, inverted]


class OccupationIndex:
    """Normalises free-text job titles to O*NET and ESCO occupations.

    ``match`` first looks the title up exactly (after normalisation) among the occupations'
    titles and alternative titles, then without seniority words, then without a trailing
    qualifier ("- Backend", ", ICU"); failing that, it takes the most similar known title by
    TF-IDF-weighted word overlap (cosine), if similar enough.

    Parameters
    ----------
    occupations : list of (id, label, taxonomy)
        The occupations.
    titles : list of (key, occupation indices, official, ambiguity)
        Normalised titles; ``occupation indices`` best first; ``official`` is 1 for an
        official title or preferred label; ``ambiguity`` is how many occupations of the
        first one's taxonomy share the title (1 for an official title).
    not_titles : collection of str, optional
        Normalised phrases that end like a title but name a skill or a field ("customer
        service", "project management"); ``is_title`` rejects them.
    metadata : mapping, optional
        Provenance kept for reports.
    """

    def __init__(
        self,
        occupations: list[tuple[str, str, str]],
        titles: list[tuple[str, list[int], int, int]],
        *,
        not_titles: Collection[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._not_titles = frozenset(not_titles)
        self._occupations = [
            (concept_id, label, cast(Literal["esco", "onet"], taxonomy))
            for concept_id, label, taxonomy in occupations
        ]
        count = len(titles)
        self._exact: dict[str, int] = {}
        first = np.empty(count, dtype=np.int64)
        ambiguity = np.empty(count, dtype=np.float64)
        official = np.empty(count, dtype=np.float64)
        word_ids: dict[str, int] = {}
        columns: list[int] = []
        lengths: list[int] = []
        heads: Counter[str] = Counter()
        official_heads: set[str] = set()
        for entry, (key, indices, is_official, shared) in enumerate(titles):
            self._exact[key] = entry
            first[entry], ambiguity[entry], official[entry] = indices[0], shared, is_official
            words = set(key.split())
            columns.extend(word_ids.setdefault(word, len(word_ids)) for word in words)
            lengths.append(len(words))
            head = key.rsplit(" ", 1)[-1]
            heads[head] += 1
            if is_official:
                official_heads.add(head)
        self._first = first
        self._factor = 1.0 / (1.0 + _AMBIGUITY_PENALTY * np.log(np.maximum(ambiguity, 1.0)))
        # Ties in the fallback go to official titles, then to unambiguous ones.
        self._bonus = 1e-6 * official + 1e-7 / np.maximum(ambiguity, 1.0)
        # Title heads: last words of official titles, or of many alternative titles.
        self._heads = frozenset(
            {word for word, n in heads.items() if n >= _MIN_HEAD_COUNT} | official_heads
        )
        self._word_ids = word_ids
        rows = np.repeat(np.arange(count, dtype=np.int64), lengths)
        cols = np.asarray(columns, dtype=np.int64)
        frequency = np.bincount(cols, minlength=len(word_ids))
        self._idf = np.log((1.0 + count) / (1.0 + frequency)) + 1.0
        self._unknown_idf = float(np.log(1.0 + count) + 1.0)
        weights = self._idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=count))
        weights = weights / norms[rows]
        order = np.argsort(cols, kind="stable")
        self._posting_entries = rows[order]
        self._posting_weights = weights[order]
        self._posting_start = np.concatenate(([0], np.cumsum(frequency)))

    def __len__(self) -> int:
        return len(self._occupations)

    def __repr__(self) -> str:
        return f"OccupationIndex({len(self._occupations)} occupations, {len(self._first)} titles)"

    def _occupation(self, entry: int, score: float) -> Occupation:
        concept_id, label, taxonomy = self._occupations[int(self._first[entry])]
        return Occupation(
            label=label,
            concept_id=concept_id,
            taxonomy=taxonomy,
            score=round(min(1.0, max(0.0, score)), 4),
        )

    def _similar(self, words: list[str]) -> tuple[int, float]:
        """The most similar title by TF-IDF cosine: ``(entry, cosine)``; ``(-1, 0)`` if none."""
        scores: npt.NDArray[np.float64] | None = None
        norm = 0.0
        for word in set(words):
            word_id = self._word_ids.get(word)
            if word_id is None:
                norm += self._unknown_idf**2
                continue
            weight = float(self._idf[word_id])
            norm += weight * weight
            start, end = self._posting_start[word_id], self._posting_start[word_id + 1]
            if scores is None:
                scores = self._bonus.copy()
            scores[self._posting_entries[start:end]] += weight * self._posting_weights[start:end]
        if scores is None:
            return -1, 0.0
        best = int(np.argmax(scores))
        cosine = float(scores[best] - self._bonus[best]) / math.sqrt(norm)
        return (best, cosine) if cosine > 0 else (-1, 0.0)

    def match(self, title: str, *, min_score: float = 0.5) -> Occupation | None:
        """Return the occupation that a job title most likely names, or ``None``.

        Parameters
        ----------
        title : str
            A job title as written ("Sr. Software Engineer II - Backend").
        min_score : float, default=0.5
            Lowest score returned. An exact title scores 1.0 (0.95 without seniority words,
            0.9 without a trailing qualifier), less when several occupations share it
            ("Engineer"); a similar title scores 0.9 times the TF-IDF cosine similarity and
            is only sought when the title ends in a word that ends known titles.

        Returns
        -------
        matching.schemas.Occupation or None
        """
        variants = _title_variants(title)
        for words, factor in zip(variants, _VARIANT_FACTORS, strict=True):
            entry = self._exact.get(" ".join(words))
            if entry is not None:
                score = factor * float(self._factor[entry])
                return self._occupation(entry, score) if score >= min_score else None
        best_entry, best_score = -1, 0.0
        for words in variants[1:]:
            if not words or words[-1] not in self._heads:
                continue  # "Skills", "Detail-oriented": not a job title at all
            entry, cosine = self._similar(words)
            if entry >= 0 and cosine * _FALLBACK_FACTOR > best_score:
                best_entry, best_score = entry, cosine * _FALLBACK_FACTOR
        if best_entry < 0 or best_score < min_score:
            return None
        return self._occupation(best_entry, best_score)

    def is_title(self, text: str) -> bool:
        """Return whether a short line looks like a job title ("Senior Accountant").

        Used by rules-only resume parsing to spot position titles. True when the line is
        short, is not a sentence, a label, a section heading or a skill ("Customer
        Service"), and either is a known title (after normalisation) or ends in a word that
        ends many known titles ("... Accountant", "... Engineer") and resembles a known
        title (cosine similarity at least 0.6).

        Parameters
        ----------
        text : str
            One line of text.

        Returns
        -------
        bool
        """
        line = clean_text(text)
        if not line or len(line) > 80 or len(line.split()) > 8:
            return False
        if line[-1] in ".:;!?" and not line.endswith(("Sr.", "Jr.")):
            return False
        if sum(ch.isdigit() for ch in line) > 2 or "@" in line or "http" in line.casefold():
            return False
        variants = _title_variants(line)
        if not variants[0] or " ".join(variants[0]) in rules.NOT_TITLES:
            return False
        if " ".join(variants[1]) in self._not_titles:
            return False
        if any(" ".join(words) in self._exact for words in variants):
            return True
        main = variants[3]
        if main[-1] not in self._heads:
            return False
        entry, cosine = self._similar(main)
        return entry >= 0 and cosine >= _TITLE_MIN_COSINE


ESCO_OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"
ONET_SOC_PREFIX = "onet:soc:"


def compact_occupation_id(concept_id: str) -> str:
    """The stored form of an occupation id: ESCO URI suffix or O*NET-SOC code."""
    for prefix in (ESCO_OCCUPATION_PREFIX, ONET_SOC_PREFIX):
        if concept_id.startswith(prefix):
            return concept_id[len(prefix) :]
    return concept_id


def occupations_from_payload(payload: Mapping[str, Any], *, path: Path) -> OccupationIndex:
    """Build an ``OccupationIndex`` from the decoded file; raise E202 on malformed rows.

    Each occupation row is ``[id, label, taxonomy, titles]``; a title is its normalised
    key when the occupation is its only one and it is not official, else ``[key, official,
    [other occupation indices]]``. The titles listed under an occupation are those whose
    best occupation it is.
    """
    try:
        occupations: list[tuple[str, str, str]] = []
        grouped: list[list[Any]] = []
        for stored_id, label, taxonomy, titles in payload["occupations"]:
            if taxonomy == "esco":
                prefix = "" if "://" in stored_id else ESCO_OCCUPATION_PREFIX
            elif taxonomy == "onet":
                prefix = "" if stored_id.startswith(ONET_SOC_PREFIX) else ONET_SOC_PREFIX
            else:
                raise ValueError(f"unknown taxonomy {taxonomy!r}")
            occupations.append((prefix + str(stored_id), str(label), str(taxonomy)))
            grouped.append(list(titles))
        rows: list[tuple[str, list[int], int, int]] = []
        for index, titles in enumerate(grouped):
            taxonomy = occupations[index][2]
            for item in titles:
                if isinstance(item, str):
                    rows.append((item, [index], 0, 1))
                    continue
                key, official, others = item
                indices = [index, *(int(i) for i in others)]
                ambiguity = 1 if official else sum(occupations[i][2] == taxonomy for i in indices)
                rows.append((str(key), indices, int(official), ambiguity))
        if any(not key for key, _, _, _ in rows):
            raise ValueError("an empty title")
        not_titles = [str(phrase) for phrase in payload.get("not_titles", [])]
        metadata = dict(payload.get("metadata", {}))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ConfigError(Errors.E202, path=path, detail=f"malformed content: {exc}") from exc
    return OccupationIndex(occupations, rows, not_titles=not_titles, metadata=metadata)


@functools.lru_cache(maxsize=4)
def _load_occupations(path: Path) -> OccupationIndex:
    payload = read_json_gz(path, expected_format=OCCUPATIONS_FORMAT)
    return occupations_from_payload(payload, path=path)


def load_occupations(path: Path | str | None = None) -> OccupationIndex:
    """Load the occupation index (cached per process and path).

    Parameters
    ----------
    path : Path, str or None, default=None
        An ``occupations.json.gz`` file written by ``build_vocabulary``, or a folder holding
        one. ``None`` loads the index shipped with the package.

    Returns
    -------
    OccupationIndex

    Raises
    ------
    matching.errors.ConfigError
        E202 when the file is missing, corrupt, or built for another version.
    """
    return _load_occupations(vocabulary_file(path, OCCUPATIONS_FILENAME))


__all__ = ["OccupationIndex", "load_occupations", "normalize_title"]
