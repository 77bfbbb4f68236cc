"""Near matches between skill concepts: ESCO skill-to-skill relations and O*NET categories.

A requisition asking for one concept is partly answered by a related one (ESCO links
"use spreadsheets software" to "Microsoft Excel"; O*NET puts PostgreSQL and MySQL in one
technology category). ``relations.json.gz`` holds the ESCO pairs; categories come from the
skill vocabulary itself.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from matching.errors import ConfigError, Errors
from matching.taxonomy._vocabulary import (
    ESCO_SKILL_PREFIX,
    SkillVocabulary,
    load_skill_vocabulary,
    vocabulary_file,
)

RELATIONS_FILENAME = "relations.json.gz"
# A category with more members than this says little about any one of them.
MAX_CATEGORY_SIZE = 60


class SkillRelations:
    """Which concepts count as a near match for a concept (symmetric, never itself)."""

    def __init__(self, near: Mapping[str, frozenset[str]]) -> None:
        self._near = dict(near)

    def near(self, concept_id: str) -> frozenset[str]:
        """Concepts related to ``concept_id`` (empty when none are known)."""
        return self._near.get(concept_id, frozenset())

    def __len__(self) -> int:
        return len(self._near)


def _short(uri: str) -> str:
    return uri.removeprefix(ESCO_SKILL_PREFIX)


def build_skill_relations(data_dir: Path | str, out_dir: Path | str) -> int:
    """Write ``relations.json.gz`` from ESCO's ``skillSkillRelations_en.csv``; return the pairs."""
    source = Path(data_dir) / "esco" / "skillSkillRelations_en.csv"
    if not source.is_file():
        raise ConfigError(Errors.E200, path=source)
    pairs: set[tuple[str, str]] = set()
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            a, b = _short(row["originalSkillUri"]), _short(row["relatedSkillUri"])
            if a != b:
                pairs.add((min(a, b), max(a, b)))
    payload = {"format": "matching.relations", "version": 1, "esco": sorted(pairs)}
    path = Path(out_dir) / RELATIONS_FILENAME
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(payload, handle, separators=(",", ":"))
    return len(pairs)


@lru_cache(maxsize=4)
def _load(path: Path, vocabulary: SkillVocabulary) -> SkillRelations:
    near: dict[str, set[str]] = defaultdict(set)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            payload = json.load(handle)
        pairs = payload["esco"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(Errors.E202, path=path, detail=str(exc)) from exc
    for a, b in pairs:
        a, b = ESCO_SKILL_PREFIX + a, ESCO_SKILL_PREFIX + b
        near[a].add(b)
        near[b].add(a)
    members: dict[str, list[str]] = defaultdict(list)
    for concept in vocabulary:
        if concept.category:
            members[concept.category].append(concept.id)
    for ids in members.values():
        if 1 < len(ids) <= MAX_CATEGORY_SIZE:
            for concept_id in ids:
                near[concept_id].update(i for i in ids if i != concept_id)
    return SkillRelations({k: frozenset(v) for k, v in near.items()})


def load_skill_relations(path: Path | str | None = None) -> SkillRelations:
    """Load the near-match relations shipped with the package (cached per process)."""
    return _load(vocabulary_file(path, RELATIONS_FILENAME), load_skill_vocabulary())
