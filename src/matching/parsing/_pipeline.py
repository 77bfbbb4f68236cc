"""Building the spaCy pipelines from their ``.cfg`` files, once per process."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, registry

# Registers the project's factories (matching_sections, _contacts, _fields, _skills).
from matching.parsing import _contacts, _fields, _sections  # noqa: F401
from matching.parsing._skilltagger import SkillTagger, load_skill_tagger
from matching.settings import configure_offline
from matching.taxonomy import _matcher  # noqa: F401

Extractor = Literal["trained", "rules"]
# spaCy's tokenizer slows ~20x once its cache (10,000 entries) fills on long resumes.
_TOKENIZER_CACHE = 1_000_000


# 'C++,Python' and 'C#/.NET' are one token to the default English rules, hiding both names.
_EXTRA_INFIXES = (r"(?<=[+#]),(?=[\w.])", r"(?<=[+#])/(?=[\w.])")


def make_tokenizer() -> Callable[[Language], Tokenizer]:
    """The language's default tokenizer, also splitting after '+' and '#' in lists."""
    default = registry.tokenizers.get("spacy.Tokenizer.v1")()

    def create(nlp: Language) -> Tokenizer:
        tokenizer: Tokenizer = default(nlp)
        infixes = [*(nlp.Defaults.infixes or ()), *_EXTRA_INFIXES]
        tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
        tokenizer.max_cache_size = _TOKENIZER_CACHE
        return tokenizer

    return create


registry.tokenizers.register("matching.tokenizer.v1", func=make_tokenizer)


def _from_config(name: str, overrides: dict[str, object] | None = None) -> Language:
    config_path = resources.files("matching.parsing").joinpath(name)
    config = spacy.util.load_config_from_str(
        config_path.read_text(encoding="utf-8"), overrides=overrides or {}
    )
    nlp: Language = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    return nlp


@lru_cache(maxsize=4)
def resume_pipeline(field_model: Path, base_model: str) -> tuple[Language, Extractor]:
    """The resume pipeline and which extractor it uses (``trained`` if ``field_model`` exists).

    Parameters
    ----------
    field_model
        Folder of the trained field extractor (``make train-parser`` builds it).
    base_model
        spaCy package whose NER stands in for the trained extractor when it is absent.
    """
    configure_offline()
    trained = (field_model / "meta.json").is_file()
    nlp = _from_config(
        "resume.cfg",
        {
            "components.matching_fields.model": str(field_model) if trained else base_model,
            "components.matching_fields.rules_labels": not trained,
        },
    )
    return nlp, "trained" if trained else "rules"


@lru_cache(maxsize=2)
def skill_tagger(path: Path) -> SkillTagger | None:
    """The trained skill tagger at ``path``, or None when it has not been built."""
    configure_offline()
    return load_skill_tagger(path)


@lru_cache(maxsize=2)
def requisition_pipeline() -> Language:
    """The requisition pipeline (sections and taxonomy skills)."""
    configure_offline()
    return _from_config("requisition.cfg")
