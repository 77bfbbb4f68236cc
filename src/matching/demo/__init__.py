"""The demo (``make demo``, :func:`run_demo`) and its synthetic, licence-clean corpus in the
shared data folder's layouts.

::

    from matching.demo import write_demo_corpus

    corpus = write_demo_corpus(Path("var/demo/corpus"))   # idempotent, seconds
    print(corpus.describe())
    train_and_register(config, data_dir=corpus.folder)    # every reader works unchanged

Every text is generated (see ``matching.demo._content``); the corpus shows the flow working
and says nothing about quality on real resumes.
"""

from __future__ import annotations

from matching.demo._corpus import (
    CORPUS_VERSION,
    MARKER,
    RESUME_CATEGORIES,
    DemoCorpus,
    render_demo_corpus,
    write_demo_corpus,
)
from matching.demo._flow import STEPS, DemoError, DemoOutcome, quick_config, run_demo

__all__ = [
    "CORPUS_VERSION",
    "MARKER",
    "RESUME_CATEGORIES",
    "STEPS",
    "DemoCorpus",
    "DemoError",
    "DemoOutcome",
    "quick_config",
    "render_demo_corpus",
    "run_demo",
    "write_demo_corpus",
]
