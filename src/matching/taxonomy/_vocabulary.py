"""The skill vocabulary: concepts, their surface forms, and exact normalised lookup."""

from __future__ import annotations

import functools
import gzip
import json
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from matching.errors import ConfigError, Errors
from matching.taxonomy._text import NORMALISATION_VERSION, normalize_term, slugify

Taxonomy = Literal["esco", "onet"]
Kind = Literal["skill", "knowledge", "language", "technology"]

SKILLS_FORMAT = "matching.skills"
SKILLS_FORMAT_VERSION = 1
SKILLS_FILENAME = "skills.json.gz"
ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
ONET_TECH_PREFIX = "onet:tech:"

#: Bit flags of a stored surface form.
FLAG_CASE_SENSITIVE = 1
FLAG_AMBIGUOUS = 2
FLAG_STOP = 4

_KINDS: frozenset[str] = frozenset({"skill", "knowledge", "language", "technology"})
_TAXONOMIES: frozenset[str] = frozenset({"esco", "onet"})


def data_dir() -> Path:
    """The folder that holds the vocabulary files shipped with the package."""
    return Path(__file__).resolve().parent / "data"


@functools.lru_cache(maxsize=4)
def _shipped_file(filename: str) -> Path:
    return (data_dir() / filename).resolve()


def vocabulary_file(path: Path | str | None, filename: str) -> Path:
    """The resolved file to load: ``path``, ``filename`` inside the folder ``path``, or the
    file shipped with the package when ``path`` is None (cached: no look-ups on the hot path)."""
    if path is None:
        return _shipped_file(filename)
    resolved = Path(path)
    if resolved.is_dir():
        resolved = resolved / filename
    return resolved.resolve()


@dataclass(frozen=True, slots=True)
class Concept:
    """A skill concept of ESCO or O*NET.

    Attributes
    ----------
    id : str
        ESCO skill URI, or ``onet:tech:<slug>`` for an O*NET technology without an ESCO twin.
    label : str
        The preferred label (ESCO) or technology name (O*NET).
    taxonomy : {"esco", "onet"}
        Where the id comes from.
    kind : {"skill", "knowledge", "language", "technology"}
        ESCO skill type, "language" for ESCO language skills, "technology" for O*NET
        technologies, ESCO concepts linked to one, and the named tools and languages of
        ESCO's digital collection ("Haskell").
    hot : bool
        O*NET marks the technology as a "hot technology" (frequently in job postings).
    in_demand : bool
        O*NET marks the technology as in demand in the postings of some occupation.
    category : str or None
        The O*NET UNSPSC commodity title ("Spreadsheet software"), when known.
    """

    id: str
    label: str
    taxonomy: Taxonomy
    kind: Kind
    hot: bool = False
    in_demand: bool = False
    category: str | None = None


@dataclass(frozen=True, slots=True)
class SurfaceForm:
    """A way a concept is written in text.

    Attributes
    ----------
    text : str
        The form as it is matched ("Excel", "c++", "machine learning").
    concept_id : str
        The concept it denotes.
    case_sensitive : bool
        Match the exact case only ("R", "Go", "Excel"); otherwise case-insensitive.
    ambiguous : bool
        An ordinary word or a single letter: a mention only counts next to other skills.
    stop : bool
        On the stoplist: ``lookup`` finds it, but it is never matched in running text.
    """

    text: str
    concept_id: str
    case_sensitive: bool = False
    ambiguous: bool = False
    stop: bool = False


class SkillVocabulary:
    """Skill concepts and their surface forms, with exact normalised lookup.

    Parameters
    ----------
    concepts : iterable of Concept
        The concepts; ids must be unique.
    forms : iterable of SurfaceForm
        Surface forms; each must name a concept in ``concepts``.
    metadata : mapping, optional
        Provenance (source versions, build date) kept for reports.

    Examples
    --------
    >>> vocabulary = load_skill_vocabulary()  # doctest: +SKIP
    >>> vocabulary.lookup("c++").label  # doctest: +SKIP
    'C++'
    """

    def __init__(
        self,
        concepts: list[Concept] | tuple[Concept, ...],
        forms: list[SurfaceForm] | tuple[SurfaceForm, ...],
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._concepts: dict[str, Concept] = {concept.id: concept for concept in concepts}
        self._forms: tuple[SurfaceForm, ...] = tuple(forms)
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._exact: dict[str, Concept] = {}
        self._folded: dict[str, Concept] = {}
        for form in self._forms:
            concept = self._concepts[form.concept_id]
            if form.case_sensitive:
                self._exact.setdefault(normalize_term(form.text, case_sensitive=True), concept)
            else:
                self._folded.setdefault(normalize_term(form.text), concept)

    @property
    def concepts(self) -> Mapping[str, Concept]:
        """The concepts by id."""
        return self._concepts

    @property
    def forms(self) -> tuple[SurfaceForm, ...]:
        """Every surface form, stoplisted ones included (see ``SurfaceForm.stop``)."""
        return self._forms

    def __len__(self) -> int:
        return len(self._concepts)

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self._concepts

    def __iter__(self) -> Iterator[Concept]:
        return iter(self._concepts.values())

    def __repr__(self) -> str:
        return f"SkillVocabulary({len(self._concepts)} concepts, {len(self._forms)} forms)"

    def get(self, concept_id: str) -> Concept | None:
        """Return the concept with id ``concept_id``, or ``None``."""
        return self._concepts.get(concept_id)

    def lookup(self, text: str) -> Concept | None:
        """Return the concept that ``text`` names, or ``None``.

        The text is normalised like the stored forms (Unicode, whitespace, edge punctuation;
        "C++", "C#", ".NET" and "Node.js" keep their symbols). Case-sensitive forms match
        their exact case first ("R", "Go"); all others match case-folded. Stoplisted forms
        are found here (the caller says the text is a skill) though never matched in text.

        Parameters
        ----------
        text : str
            A skill as written: a list item, a span found by a model, a requisition field.

        Returns
        -------
        Concept or None
        """
        exact = self._exact.get(normalize_term(text, case_sensitive=True))
        if exact is not None:
            return exact
        return self._folded.get(normalize_term(text))

    def forms_of(self, concept_id: str) -> list[SurfaceForm]:
        """Return the surface forms of one concept (empty if it has none or is unknown)."""
        return [form for form in self._forms if form.concept_id == concept_id]


def read_json_gz(path: Path, *, expected_format: str) -> dict[str, Any]:
    """Read a gzipped JSON vocabulary file; raise ``ConfigError`` (E202) if unusable."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            payload = json.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(Errors.E202, path=path, detail="file not found") from exc
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(Errors.E202, path=path, detail=f"corrupt file: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != expected_format:
        raise ConfigError(Errors.E202, path=path, detail=f"not a {expected_format} file")
    if payload.get("normalisation") != NORMALISATION_VERSION:
        raise ConfigError(
            Errors.E202,
            path=path,
            detail=(
                f"built with normalisation version {payload.get('normalisation')}, "
                f"this code uses {NORMALISATION_VERSION}"
            ),
        )
    return cast(dict[str, Any], payload)


def _expand_id(stored: str, label: str, taxonomy: str) -> str:
    """Restore a concept id stored compactly (ESCO: URI suffix; O*NET: "" when derived)."""
    if taxonomy == "esco":
        return stored if "://" in stored else ESCO_SKILL_PREFIX + stored
    return stored or ONET_TECH_PREFIX + slugify(label)


def compact_id(concept_id: str, label: str, taxonomy: str) -> str:
    """The stored form of a concept id (inverse of ``_expand_id``)."""
    if taxonomy == "esco" and concept_id.startswith(ESCO_SKILL_PREFIX):
        return concept_id[len(ESCO_SKILL_PREFIX) :]
    if taxonomy == "onet" and concept_id == ONET_TECH_PREFIX + slugify(label):
        return ""
    return concept_id


def skills_from_payload(payload: Mapping[str, Any], *, path: Path) -> SkillVocabulary:
    """Build a ``SkillVocabulary`` from the decoded file; raise E202 on malformed rows.

    Each concept row is ``[id, label, taxonomy, kind, bits, category, forms]``: ``bits`` 1
    is hot, 2 in demand; ``category`` indexes ``categories`` (-1: none); a form is its text,
    or ``[text, flags]`` when it has flags (``FLAG_*``).
    """
    try:
        categories: list[str] = list(payload["categories"])
        concepts: list[Concept] = []
        forms: list[SurfaceForm] = []
        for row in payload["concepts"]:
            stored_id, label, taxonomy, kind, bits, category, own_forms = row
            if taxonomy not in _TAXONOMIES or kind not in _KINDS:
                raise ValueError(f"bad taxonomy or kind in {row!r}")
            concept = Concept(
                id=_expand_id(str(stored_id), str(label), taxonomy),
                label=str(label),
                taxonomy=taxonomy,
                kind=kind,
                hot=bool(bits & 1),
                in_demand=bool(bits & 2),
                category=categories[category] if category >= 0 else None,
            )
            concepts.append(concept)
            for item in own_forms:
                text, flags = (item, 0) if isinstance(item, str) else item
                forms.append(
                    SurfaceForm(
                        text=str(text),
                        concept_id=concept.id,
                        case_sensitive=bool(flags & FLAG_CASE_SENSITIVE),
                        ambiguous=bool(flags & FLAG_AMBIGUOUS),
                        stop=bool(flags & FLAG_STOP),
                    )
                )
        metadata = dict(payload.get("metadata", {}))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ConfigError(Errors.E202, path=path, detail=f"malformed content: {exc}") from exc
    return SkillVocabulary(concepts, forms, metadata=metadata)


@functools.lru_cache(maxsize=4)
def _load_skill_vocabulary(path: Path) -> SkillVocabulary:
    payload = read_json_gz(path, expected_format=SKILLS_FORMAT)
    return skills_from_payload(payload, path=path)


def load_skill_vocabulary(path: Path | str | None = None) -> SkillVocabulary:
    """Load the skill vocabulary (cached per process and path).

    Parameters
    ----------
    path : Path, str or None, default=None
        A ``skills.json.gz`` file written by ``build_vocabulary``, or a folder holding one.
        ``None`` loads the vocabulary shipped with the package.

    Returns
    -------
    SkillVocabulary

    Raises
    ------
    matching.errors.ConfigError
        E202 when the file is missing, corrupt, or built for another version.
    """
    return _load_skill_vocabulary(vocabulary_file(path, SKILLS_FILENAME))


__all__ = [
    "Concept",
    "Kind",
    "SkillVocabulary",
    "SurfaceForm",
    "Taxonomy",
    "load_skill_vocabulary",
]
