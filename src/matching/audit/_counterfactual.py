"""Counterfactual invariance: the same resume under another name and sex keeps its score.

Each resume is rewritten with the name and the gendered words (pronouns, titles) of people of
another sex and race or ethnicity; the model must give every rewrite the same score. The
features never read names or pronouns (``matching.features.neutralise``), so a change means
that something else carries them: a name the parser did not recognise, a parse that moved
with the name, or a pronoun that survived.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from matching.errors import Errors, InputError

if TYPE_CHECKING:
    from matching.ranking import CandidateRanker

Sex = Literal["female", "male"]
Race = Literal["white", "black", "hispanic", "asian"]

#: Targets of the counterfactual test, on the 0–100 score scale.
MAX_MEAN_CHANGE = 0.5
MAX_CHANGE = 2.0


@dataclass(frozen=True)
class IdentityName:
    """A first and last name read as signalling one race or ethnicity and one sex."""

    name: str
    race: Race
    sex: Sex

    @property
    def group(self) -> str:
        """``"<race>_<sex>"``, the key of per-group results."""
        return f"{self.race}_{self.sex}"


def _cell(race: Race, sex: Sex, *names: str) -> tuple[IdentityName, ...]:
    return tuple(IdentityName(n, race, sex) for n in names)


# Sources. White and Black cells: first names and surnames from Bertrand & Mullainathan (2004),
# "Are Emily and Greg more employable than Lakisha and Jamal?", American Economic Review
# 94(4), Table A1 (first names) and their surname lists (white: Baker, Kelly, McCarthy, Murphy,
# Murray, O'Brien, Ryan, Sullivan, Walsh; Black: Jackson, Jones, Robinson, Washington,
# Williams). Hispanic and Asian cells follow later correspondence studies that pick first names
# with a high group share in Tzioumis (2018), "Demographic aspects of first names", Scientific
# Data 5:180025, and surnames with a high group share in the 2010 US Census surname file; for
# how reliably such names signal race and ethnicity see Gaddis (2017), Sociological Science 4
# ("How Black are Lakisha and Jamal?") and Race and Social Problems 9 (Hispanic names). A name
# signals perceived identity only roughly; the test asks the score not to move at all.
NAMES: tuple[IdentityName, ...] = (
    *_cell("white", "female", "Emily Walsh", "Anne Murphy", "Allison Baker"),
    *_cell("white", "male", "Greg Baker", "Brendan Sullivan", "Todd Murray"),
    *_cell("black", "female", "Lakisha Washington", "Tamika Jackson", "Aisha Robinson"),
    *_cell("black", "male", "Jamal Jones", "Tyrone Washington", "Darnell Robinson"),
    *_cell("hispanic", "female", "Maria Garcia", "Guadalupe Hernandez", "Ana Rodriguez"),
    *_cell("hispanic", "male", "Jose Hernandez", "Carlos Lopez", "Luis Rodriguez"),
    *_cell("asian", "female", "Mei Chen", "Linh Nguyen", "Priya Patel"),
    *_cell("asian", "male", "Wei Zhang", "Minh Tran", "Rahul Patel"),
)

# Gendered words and their form for each target sex. "her" is object or possessive and
# "his" possessive or standalone; ``_her_form`` and ``_his_form`` choose from the next word.
_FORMS: dict[str, dict[Sex, str]] = {
    "he": {"female": "she", "male": "he"},
    "she": {"female": "she", "male": "he"},
    "him": {"female": "her", "male": "him"},
    "himself": {"female": "herself", "male": "himself"},
    "herself": {"female": "herself", "male": "himself"},
    "hers": {"female": "hers", "male": "his"},
    "mr": {"female": "Ms", "male": "Mr"},
    "ms": {"female": "Ms", "male": "Mr"},
    "mrs": {"female": "Mrs", "male": "Mr"},
}
# Titles only before a capitalised name: "MS in Nursing" is a degree, "miss" a verb.
_GENDERED = (
    r"\b(?:he|she|him|himself|herself|hers|his|her"
    r"|(?-i:(?:Mrs|Mr|Ms|Miss)(?=\.?\s+[A-Z])))\b"
)
# Words after which "her" is an object ("told her that", "with her.") rather than a possessive.
_AFTER_OBJECT = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "than",
        "that",
        "the",
        "then",
        "to",
        "when",
        "where",
        "while",
        "who",
        "with",
    ]
)
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+|\S|$)")
_PRONOUN_WORDS = {
    "female": re.compile(r"\b(?:she|her|hers|herself)\b", re.I),
    "male": re.compile(r"\b(?:he|him|his|himself)\b", re.I),
}
_NAME_PART = re.compile(r"[^\W\d_][\w'’-]*")


def _match_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word.lower()


def _next_word(text: str, end: int) -> str:
    found = _NEXT_WORD.match(text, end)
    return found.group(1) if found else ""


def _her_form(text: str, end: int, to_sex: Sex) -> str:
    if to_sex == "female":
        return "her"
    following = _next_word(text, end)
    is_object = not following[:1].isalpha() or following.lower() in _AFTER_OBJECT
    return "him" if is_object else "his"


def _his_form(text: str, end: int, to_sex: Sex) -> str:
    if to_sex == "male":
        return "his"
    return "her" if _next_word(text, end)[:1].isalpha() else "hers"


def _name_map(old_name: str, new_name: str) -> dict[str, str]:
    """Lower-cased old name (full, then parts) → replacement; middle names are dropped."""
    old, new = old_name.split(), new_name.split()
    mapping = {" ".join(old).lower(): new_name}
    parts = [p for p in old if _NAME_PART.fullmatch(p) and len(p) > 1]
    if not parts:
        return mapping
    first, last = new[0], new[-1]
    for i, part in enumerate(parts):
        replacement = first if i == 0 else last if i == len(parts) - 1 else ""
        mapping.setdefault(part.lower(), replacement)
    return mapping


def swap_identity(text: str, *, old_name: str | None, new_name: str, to_sex: Sex) -> str:
    """``text`` with ``old_name`` replaced by ``new_name`` and gendered words set to ``to_sex``.

    Parameters
    ----------
    text
        A resume or biography.
    old_name
        The person's name as written in ``text`` (``None``: no name is replaced). The full
        name and each part are replaced wherever they stand as words and start with a
        capital letter (so "Young" the surname is replaced, "young" the adjective is not):
        the first part by the new first name, the last by the new surname; middle names
        are dropped.
    new_name
        The replacement, first name and surname.
    to_sex
        The sex the pronouns (he/she, him/her, his/her/hers, himself/herself) and titles
        (Mr/Ms/Mrs, "Miss" before a name) are set to. "her" becomes "him" or "his" from
        the word that follows it.

    Returns
    -------
    str
        The rewritten text; capitalisation of each replaced word is kept, every other word
        is untouched.
    """
    if not new_name.split():
        raise InputError(Errors.E510, detail="the new name is empty")
    names = _name_map(old_name, new_name) if old_name and old_name.split() else {}
    alternatives = [
        r"\b" + r"\s+".join(re.escape(w) for w in key.split()) + r"\b"
        for key in sorted(names, key=len, reverse=True)
    ]
    pattern = re.compile("|".join([*alternatives, _GENDERED]), re.I)

    def replace(match: re.Match[str]) -> str:
        found = match.group()
        key = " ".join(found.split()).lower()
        if key in names:
            if not found[:1].isupper():
                return found
            return _match_case(found, names[key]) if names[key] else ""
        if key == "her":
            return _match_case(found, _her_form(text, match.end(), to_sex))
        if key == "his":
            return _match_case(found, _his_form(text, match.end(), to_sex))
        if key == "miss":
            return "Mr" if to_sex == "male" else found
        return _match_case(found, _FORMS[key][to_sex])

    swapped = pattern.sub(replace, text)
    # A dropped middle name leaves a double space.
    return re.sub(r"(?<=\S)  +(?=\S)", " ", swapped) if names else swapped


def pronoun_sex(text: str) -> Sex | None:
    """The sex the text's pronouns refer to (the more frequent set), or ``None`` if none."""
    female = len(_PRONOUN_WORDS["female"].findall(text))
    male = len(_PRONOUN_WORDS["male"].findall(text))
    if female == male:
        return None
    return "female" if female > male else "male"


@dataclass(frozen=True)
class CounterfactualResult:
    """How much scores moved when only the name and sex of a resume changed.

    Changes are absolute differences on the 0–100 score scale between each rewrite and the
    resume's reference text (see ``counterfactual_test``).
    """

    n_resumes: int
    n_variants: int
    mean_change: float
    max_change: float
    per_group: dict[str, dict[str, float]]
    max_mean_change: float = MAX_MEAN_CHANGE
    max_allowed_change: float = MAX_CHANGE
    worst: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether the mean and the largest change are both under their targets."""
        return self.mean_change < self.max_mean_change and self.max_change < self.max_allowed_change

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping, ``passed`` included."""
        return {**asdict(self), "passed": self.passed}


def counterfactual_test(
    model: CandidateRanker,
    pairs: Sequence[tuple[str, str, str | None]],
    *,
    names: Sequence[IdentityName] = NAMES,
    worst: int = 5,
) -> CounterfactualResult:
    """Score each resume under every name of ``names`` and report how far scores move.

    Parameters
    ----------
    model
        The scoring pipeline.
    pairs
        ``(job_text, resume_text, name)``; ``name`` is the person's name as written in the
        resume, or ``None`` to take the one the parser finds on the resume's first line.
    names
        The identities to swap in (default ``NAMES``: three per race or ethnicity × sex).
    worst
        How many of the largest changes to keep in the result, for inspection.

    Returns
    -------
    CounterfactualResult
        Mean and largest absolute change, overall and per target group (``"black_female"``
        ...), and ``passed`` against ``MAX_MEAN_CHANGE`` and ``MAX_CHANGE``.

    Notes
    -----
    A resume with a name is compared with itself: each variant replaces that name and sets
    pronouns and titles to the variant's sex. A resume without a detectable name (a
    biography, an anonymised CV) gets one inserted as its first line, where resumes carry
    it, so that the swap has something to swap: the reference is then the text with the
    first name in ``names`` of the sex its pronouns use (of ``names[0]`` when it has none),
    and the variants carry each other name. All variants of all resumes for one posting
    are scored in one ``score_texts`` call.
    """
    from matching.parsing import parse_resume_text

    if not pairs:
        raise InputError(Errors.E510, detail="no (job, resume, name) pairs were given")
    if len(names) < 2:
        raise InputError(Errors.E510, detail="at least two names are needed to swap")
    by_job: dict[str, list[tuple[int, str, list[tuple[IdentityName | None, str]]]]] = {}
    for index, (job, resume, name) in enumerate(pairs):
        found = name if name else _first_line_name(resume, parse_resume_text(resume).name)
        if found:
            reference = resume
            variants = [
                (n, swap_identity(resume, old_name=found, new_name=n.name, to_sex=n.sex))
                for n in names
            ]
        else:
            sex = pronoun_sex(resume)
            base = next((n for n in names if n.sex == sex), names[0])
            reference = f"{base.name}\n{resume}"
            variants = [
                (n, swap_identity(reference, old_name=base.name, new_name=n.name, to_sex=n.sex))
                for n in names
                if n is not base
            ]
        by_job.setdefault(job, []).append((index, reference, [(None, reference), *variants]))

    changes: list[tuple[float, int, IdentityName]] = []
    for job, items in by_job.items():
        batch = [
            (f"{index}:{k}", text) for index, _, texts in items for k, (_, text) in enumerate(texts)
        ]
        scores = {s.candidate_id: s.score for s in model.score_texts(job, batch, explain=0)}
        for index, _, texts in items:
            base_score = scores[f"{index}:0"]
            for k, (identity, _) in enumerate(texts[1:], start=1):
                if identity is not None:
                    changes.append((abs(scores[f"{index}:{k}"] - base_score), index, identity))

    per_group: dict[str, dict[str, float]] = {}
    for group in dict.fromkeys(n.group for n in names):
        values = [c for c, _, n in changes if n.group == group]
        if values:
            per_group[group] = {
                "mean_change": sum(values) / len(values),
                "max_change": max(values),
                "n": float(len(values)),
            }
    values = [c for c, _, _ in changes]
    largest = sorted(changes, key=lambda c: -c[0])[:worst]
    return CounterfactualResult(
        n_resumes=len(pairs),
        n_variants=len(values),
        mean_change=sum(values) / len(values) if values else 0.0,
        max_change=max(values, default=0.0),
        per_group=per_group,
        worst=[
            {"pair": index, "name": n.name, "group": n.group, "change": round(change, 4)}
            for change, index, n in largest
        ],
    )


def _first_line_name(text: str, parsed: str | None) -> str | None:
    """The parser's name when it stands on the resume's first line (else it is not a name)."""
    if not parsed or not parsed.split():
        return None
    first = next((line for line in text.splitlines() if line.strip()), "")
    return parsed if parsed.strip().lower() in first.lower() and len(parsed.split()) <= 4 else None
