"""ESCO and O*NET skill and occupation vocabularies, and the spaCy skill matcher.

Load the vocabularies shipped with the package (built by ``training/build_vocabulary.py``)::

    from matching.taxonomy import load_occupations, load_skill_vocabulary

    load_skill_vocabulary().lookup("C++")              # Concept(id="http://data.europa.eu/...")
    load_occupations().match("Sr. Software Engineer")  # Occupation(label="Software Developers")

The spaCy component ``"matching_skills"`` is registered when ``SkillMatcher`` is first
used from this package (``from matching.taxonomy import SkillMatcher``), or through the
package's spaCy entry points once installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matching.taxonomy._build import BuildReport, build_vocabulary
from matching.taxonomy._occupations import OccupationIndex, load_occupations, normalize_title
from matching.taxonomy._relations import SkillRelations, build_skill_relations, load_skill_relations
from matching.taxonomy._text import normalize_term
from matching.taxonomy._vocabulary import (
    Concept,
    SkillVocabulary,
    SurfaceForm,
    load_skill_vocabulary,
)

if TYPE_CHECKING:
    from matching.taxonomy._matcher import SkillMatcher, skill_vocabulary_v1

_LAZY = {"SkillMatcher", "skill_vocabulary_v1"}


def __getattr__(name: str) -> Any:
    # spaCy is imported only when the matcher is asked for: the loaders do not need it.
    if name in _LAZY:
        from matching.taxonomy import _matcher

        return getattr(_matcher, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BuildReport",
    "Concept",
    "OccupationIndex",
    "SkillMatcher",
    "SkillRelations",
    "SkillVocabulary",
    "SurfaceForm",
    "build_skill_relations",
    "build_vocabulary",
    "load_occupations",
    "load_skill_relations",
    "load_skill_vocabulary",
    "normalize_term",
    "normalize_title",
    "skill_vocabulary_v1",
]
