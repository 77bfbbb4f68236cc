"""Documents (PDF, DOCX, TXT, HTML) → text → ``Profile`` (resumes) or ``Requisition`` (postings).

Hidden text never becomes content; bad input raises ``matching.errors.InputError`` with a code
and a remedy.
"""

from __future__ import annotations

from matching._formats import SUPPORTED_SUFFIXES
from matching.parsing._documents import ExtractedText, extract_text
from matching.parsing._requisition import parse_requisition, parse_requisition_text
from matching.parsing._resume import parse_resume, parse_resume_text, parse_resumes
from matching.parsing._skilltagger import SkillTagger, TaggedSpan, load_skill_tagger

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ExtractedText",
    "SkillTagger",
    "TaggedSpan",
    "extract_text",
    "load_skill_tagger",
    "parse_requisition",
    "parse_requisition_text",
    "parse_resume",
    "parse_resume_text",
    "parse_resumes",
]
