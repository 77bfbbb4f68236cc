"""Write the binary example documents under ``src/matching/examples`` (run once, committed).

    python -m tests.build_examples

They are built with the same hand-written builders as the bad-input tests, so every byte is
ours: a PDF resume with hidden keywords (white and 1 pt text), a DOCX resume, and a scanned
(image-only) PDF that the parser must refuse with E105.
"""

from __future__ import annotations

from pathlib import Path

from tests.docs_factory import (
    PdfPage,
    build_docx,
    build_pdf,
    docx_document,
    docx_paragraph,
    docx_run,
    pdf_image,
    pdf_lines,
    pdf_text,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "matching" / "examples" / "resumes"

SAM = [
    "Sam Okafor",
    "Accountant",
    "Leeds, United Kingdom | sam.okafor@example.net | +44 113 496 0321",
    "",
    "Summary",
    "Chartered accountant with seven years in audit, month-end close and financial reporting.",
    "",
    "Experience",
    "Senior Accountant",
    "Harbour Logistics Ltd, Leeds",
    "April 2021 - Present",
    "- Led the month-end close and the general ledger reconciliations for four entities.",
    "- Moved budgeting from spreadsheets to SAP; cut the close from nine days to five.",
    "Accountant",
    "Pennine Audit Partners, Bradford",
    "September 2018 - March 2021",
    "- Audited accounts payable and accounts receivable for mid-sized clients.",
    "",
    "Education",
    "Bachelor of Science in Accounting and Finance, University of Leeds, 2018",
    "",
    "Skills",
    "Financial reporting, general ledger, accounts payable, SAP, Microsoft Excel, auditing",
]


def hidden_keywords_pdf() -> bytes:
    """Sam's resume, with keywords in white and in 1 pt text that must not count."""
    content = pdf_lines([line for line in SAM], top=740, leading=15)
    content += pdf_text("Python Kubernetes TensorFlow machine learning", 72, 60, rgb=(1, 1, 1))
    content += pdf_text("data science deep learning Spark", 72, 40, size=1)
    return build_pdf([PdfPage(content)])


def docx_resume() -> bytes:
    """Maria's resume as a word-processor document, with one hidden (vanished) run."""
    lines = [
        "Maria Santos",
        "Registered Nurse",
        "Porto, Portugal | maria.santos@example.com",
        "Experience",
        "Registered Nurse, Emergency Department",
        "Hospital Santa Clara, Porto",
        "February 2020 - Present",
        "Triage, patient assessment, wound care and medication administration.",
        "Education",
        "Bachelor of Science in Nursing, University of Porto, 2019",
        "Skills",
        "Patient assessment, wound care, triage, Basic Life Support",
    ]
    body = "".join(docx_paragraph(docx_run(line)) for line in lines)
    body += docx_paragraph(docx_run("Java Python SQL senior engineer", vanish=True))
    return build_docx(document_xml=docx_document(body))


def scanned_pdf() -> bytes:
    """One page that is only an image: no text layer."""
    return build_pdf([PdfPage(pdf_image())])


def main() -> None:
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    (EXAMPLES / "sam_okafor.pdf").write_bytes(hidden_keywords_pdf())
    (EXAMPLES / "maria_santos.docx").write_bytes(docx_resume())
    (EXAMPLES / "scanned_resume.pdf").write_bytes(scanned_pdf())


if __name__ == "__main__":
    main()
