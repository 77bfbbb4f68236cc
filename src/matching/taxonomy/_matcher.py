"""The spaCy component that finds skill mentions and links them to taxonomy concepts.

Add it to any English pipeline (a blank one is enough)::

    import spacy
    from matching.taxonomy import SkillMatcher  # registers "matching_skills"

    nlp = spacy.blank("en")
    nlp.add_pipe("matching_skills")
    doc = nlp("Skills: R, Python, SQL, Microsoft Excel")
    [(span.text, span.kb_id_) for span in doc.spans["skills"]]

or in a ``.cfg`` file::

    [components.skills]
    factory = "matching_skills"
    spans_key = "skills"
    context_window = 8

    [components.skills.vocabulary]
    @misc = "matching.skill_vocabulary.v1"
    path = null
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span, Token
from spacy.util import registry

from matching.taxonomy._vocabulary import SkillVocabulary, load_skill_vocabulary

SKILL_LABEL = "SKILL"
_AMBIGUOUS_MARK = "-ambiguous"
_GLUE = frozenset({"/", "-", "&"})
_SENTENCE_END = frozenset({".", "!", "?"})
_CONJUNCTIONS = frozenset({"and", "or", "&", "plus"})


def skill_vocabulary_v1(path: str | None = None) -> SkillVocabulary:
    """Return the skill vocabulary at ``path`` (``None``: the one shipped with the package).

    Registered as ``matching.skill_vocabulary.v1`` in spaCy's ``misc`` registry.
    """
    return load_skill_vocabulary(path)


registry.misc.register("matching.skill_vocabulary.v1", func=skill_vocabulary_v1)


class SkillMatcher:
    """Find skill mentions and write them to ``doc.spans[spans_key]``.

    Each span has the label ``"SKILL"`` and the concept id as ``kb_id_``. Overlapping
    mentions are resolved in favour of the longest ("Microsoft Excel" over "Excel"). A
    mention of an *ambiguous* form (an ordinary word such as "Excel" or "Go", or a single
    letter such as "R") is kept only when it is an item of a list (a separator such as
    "," "|" "/" "and" or a line break right before or after it) with another skill
    within ``context_window`` tokens in the same sentence ("R, SAS, Python"; a
    technology such as "Go" needs another technology), or when it is a capitalised word
    alone in lower-case prose ("reports built in Excel for"); never when it is glued by
    "/" or "-" to a short word ("A/R", "C-level").

    Parameters
    ----------
    nlp : spacy.language.Language
        The pipeline; its tokenizer tokenises the surface forms.
    vocabulary : SkillVocabulary
        Concepts and surface forms (``load_skill_vocabulary()``).
    name : str, default="matching_skills"
        The component's name in the pipeline.
    spans_key : str, default="skills"
        Where the spans go in ``doc.spans``.
    context_window : int, default=8
        How many tokens away another skill may be for an ambiguous mention to count; a
        negative value keeps every ambiguous mention.
    """

    def __init__(
        self,
        nlp: Language,
        vocabulary: SkillVocabulary,
        *,
        name: str = "matching_skills",
        spans_key: str = "skills",
        context_window: int = 8,
    ) -> None:
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.context_window = context_window
        self.vocabulary = vocabulary
        self._folded = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        # Four match keys, not one per concept: every key string would become a lexeme
        # (seconds for tens of thousands of concept ids). The concept is found afterwards
        # from the hashes of the matched tokens' LOWER or ORTH, which the PhraseMatcher
        # compared.
        self._concepts: dict[tuple[bool, tuple[int, ...]], str] = {}
        self._ambiguous_keys: set[int] = set()
        groups: dict[str, list[Doc]] = defaultdict(list)
        forms = [form for form in vocabulary.forms if not form.stop]
        for form, doc in zip(forms, _tokenize(nlp, [f.text for f in forms]), strict=True):
            entry = (form.case_sensitive, _hashes(doc, 0, len(doc), form.case_sensitive))
            if entry in self._concepts:
                continue
            self._concepts[entry] = form.concept_id
            key = ("exact" if form.case_sensitive else "folded") + (
                _AMBIGUOUS_MARK if form.ambiguous else ""
            )
            groups[key].append(doc)
        for key, docs in groups.items():
            matcher = self._exact if key.startswith("exact") else self._folded
            matcher.add(key, docs)
            if key.endswith(_AMBIGUOUS_MARK):
                self._ambiguous_keys.add(nlp.vocab.strings[key])

    def __call__(self, doc: Doc) -> Doc:
        """Write the skill spans of ``doc`` to ``doc.spans[spans_key]``; return ``doc``."""
        doc.spans[self.spans_key] = self.find(doc)
        return doc

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Process a stream of documents (``batch_size`` is accepted for spaCy)."""
        for doc in docs:
            yield self(doc)

    def find(self, doc: Doc) -> list[Span]:
        """Return the skill spans of ``doc`` in text order, without writing them."""
        found: list[tuple[int, int, str, bool]] = []
        for case_sensitive, matcher in ((False, self._folded), (True, self._exact)):
            if len(matcher) == 0:
                continue
            for match_id, start, end in matcher(doc):
                words = _hashes(doc, start, end, case_sensitive)
                concept_id = self._concepts[(case_sensitive, words)]
                found.append((start, end, concept_id, match_id in self._ambiguous_keys))
        # The longest mention wins, then the earliest (as spacy.util.filter_spans).
        found.sort(key=lambda item: (item[0] - item[1], item[0]))
        taken = bytearray(len(doc))
        kept: list[tuple[int, int, str, bool]] = []
        for start, end, concept_id, ambiguous in found:
            if not any(taken[start:end]):
                taken[start:end] = b"\x01" * (end - start)
                kept.append((start, end, concept_id, ambiguous))
        kept.sort()
        strings = doc.vocab.strings
        label = strings.add(SKILL_LABEL)
        spans = [
            Span(doc, start, end, label=label, kb_id=strings.add(cid))
            for start, end, cid, _ in kept
        ]
        if self.context_window < 0 or not any(item[3] for item in kept):
            return spans
        return [
            span
            for i, (span, item) in enumerate(zip(spans, kept, strict=True))
            if not item[3] or self._supported(spans, i)
        ]

    def _supported(self, spans: list[Span], i: int) -> bool:
        """Whether ambiguous span i is a name here (see the class docstring)."""
        span = spans[i]
        if _glued_to_short_word(span):
            return False
        if _lone_capitalised(span):
            return True
        if not _is_list_item(span):
            return False
        technology = self._kind(span.kb_id_) == "technology"
        for j in (*range(i - 1, -1, -1), *range(i + 1, len(spans))):
            other = spans[j]
            before = j < i
            gap = span.start - other.end if before else other.start - span.end
            if gap > self.context_window or not _same_passage(span, other):
                if before:
                    continue
                break
            if other.kb_id == span.kb_id:
                continue
            if not technology or self._kind(other.kb_id_) == "technology":
                return True
        return False

    def _kind(self, concept_id: str) -> str | None:
        """The kind of a concept ("technology", "skill" …), or ``None`` if unknown."""
        concept = self.vocabulary.get(concept_id)
        return concept.kind if concept is not None else None


def _is_separator(token: Token) -> bool:
    """A list separator: punctuation other than a sentence end, a line break, "and"/"or"."""
    if token.is_space:
        return "\n" in token.text
    if token.is_punct:
        return token.text not in _SENTENCE_END
    return token.lower_ in _CONJUNCTIONS


def _is_list_item(span: Span) -> bool:
    """Whether a span is delimited like a list item.

    A separator or a line break must follow it (after a version number, if any: "Excel
    2010,"), or a separator precede it; a line start alone is not enough ("Go to the
    office" starts a sentence).
    """
    doc = span.doc
    end, last = span.end, span[-1]
    while end < len(doc) and not last.whitespace_.count("\n") and _is_version(doc[end]):
        end, last = end + 1, doc[end]
    if end == len(doc) or "\n" in last.whitespace_ or _is_separator(doc[end]):
        return True
    return span.start > 0 and _is_separator(doc[span.start - 1])


def _is_version(token: Token) -> bool:
    """A version or year after a name ("2010", "XP2", "v8")."""
    return token.like_num or (any(ch.isdigit() for ch in token.text) and len(token) <= 8)


def _same_passage(span: Span, other: Span) -> bool:
    """Whether no sentence end or blank line separates two spans."""
    doc = span.doc
    start, end = (other.end, span.start) if other.start < span.start else (span.end, other.start)
    for token in doc[start - 1 : end]:
        if token.i >= start and token.text in _SENTENCE_END:
            return False
        if token.whitespace_.count("\n") > 1 or (token.is_space and token.text.count("\n") > 1):
            return False
    return True


def _lone_capitalised(span: Span) -> bool:
    """Whether a capitalised word stands alone inside lower-case prose ("used in Excel to").

    Inside a sentence a lone capital marks a name; a capital after another capitalised
    word is a title or heading ("Executive Chef", "Go Live").
    """
    if len(span) != 1 or len(span.text) < 3 or span.start == 0:
        return False
    doc = span.doc
    before = doc[span.start - 1]
    if not (before.is_alpha and before.is_lower):
        return False
    if span.end < len(doc):
        after = doc[span.end]
        if after.is_alpha and not after.is_lower:
            return False
    return True


def _glued_to_short_word(span: Span) -> bool:
    """Whether a one-token span is part of a code such as "A/R", "P/R" or "C-level"."""
    if len(span) != 1:
        return False
    doc, start, end = span.doc, span.start, span.end
    if start >= 1 and not doc[start - 1].whitespace_ and doc[start - 1].text in _GLUE:
        if doc[start - 1].text == "-":
            return True
        if start >= 2 and not doc[start - 2].whitespace_ and len(doc[start - 2]) <= 2:
            return True
    if end < len(doc) and not span[-1].whitespace_ and doc[end].text in _GLUE:
        if doc[end].text == "-":
            return True
        if end + 1 < len(doc) and not doc[end].whitespace_ and len(doc[end + 1]) <= 2:
            return True
    return False


def _hashes(doc: Doc, start: int, end: int, case_sensitive: bool) -> tuple[int, ...]:
    """The ORTH (case-sensitive) or LOWER hashes of tokens ``start:end``, as matched."""
    if case_sensitive:
        return tuple(doc[i].orth for i in range(start, end))
    return tuple(doc[i].lower for i in range(start, end))


def _tokenize(nlp: Language, texts: list[str]) -> list[Doc]:
    """Tokenise the surface forms fast and without filling the tokenizer's cache.

    Forms made of plain words (letters only, no tokenizer special case) are split on
    spaces, which is what the tokenizer would do, at a fraction of the cost; the others go
    through ``tokenizer.pipe``. The tokenizer caches at most ``max_cache_size`` chunks and
    stops caching when full: tens of thousands of one-off forms would fill it and leave
    every later document to be tokenised uncached, so caching is off meanwhile.
    """
    tokenizer = nlp.tokenizer
    if not isinstance(tokenizer, Tokenizer):
        return [nlp.make_doc(text) for text in texts]
    special = tokenizer.rules or {}
    docs: list[Doc | None] = []
    slow: list[tuple[int, str]] = []
    for text in texts:
        words = text.split(" ")
        if all(word.isalpha() and word not in special for word in words):
            docs.append(Doc(nlp.vocab, words=words))
        else:
            slow.append((len(docs), text))
            docs.append(None)
    size = tokenizer.max_cache_size
    tokenizer.max_cache_size = 0
    try:
        batch = tokenizer.pipe([text for _, text in slow], batch_size=1000)
        for (index, _), doc in zip(slow, batch, strict=True):
            docs[index] = doc
    finally:
        tokenizer.max_cache_size = size
    return [doc for doc in docs if doc is not None]


@Language.factory(
    "matching_skills",
    default_config={
        "spans_key": "skills",
        "vocabulary": {"@misc": "matching.skill_vocabulary.v1", "path": None},
        "context_window": 8,
    },
)
def make_skill_matcher(
    nlp: Language,
    name: str,
    spans_key: str,
    vocabulary: SkillVocabulary,
    context_window: int,
) -> SkillMatcher:
    """Create the ``matching_skills`` component (see ``SkillMatcher``)."""
    return SkillMatcher(
        nlp, vocabulary, name=name, spans_key=spans_key, context_window=context_window
    )


__all__ = ["SKILL_LABEL", "SkillMatcher", "make_skill_matcher", "skill_vocabulary_v1"]
