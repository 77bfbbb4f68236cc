"""Plain text: byte-order marks, strict UTF-8, guessed encodings (W102), replaced bytes (W103)."""

from __future__ import annotations

import pytest

from matching.errors import InputError
from matching.parsing._documents import TEXT, ExtractedText, extract_text
from matching.settings import Settings

SETTINGS = Settings()
RESUME = "Zoë Müller — Software engineer\nSkills: Python, SQL, café ordering system\n"
FRENCH = (
    "Gérard Dupont, ingénieur logiciel à Genève. Expérience: développement de systèmes "
    "d'information, gestion de projets, qualité et sécurité des données. Diplômé en 2012.\n"
)
JAPANESE = (
    "職務経歴書\n氏名: 山田太郎\n経験: ソフトウェア開発エンジニアとして東京で十年間勤務しました。\n"
)
CHINESE = "个人简历\n姓名: 王小明\n工作经验: 在北京担任软件工程师五年，熟悉数据库和网络开发。\n"


def _codes(result: ExtractedText) -> list[str]:
    return [issue.code for issue in result.warnings]


def test_utf8_is_read_without_warnings() -> None:
    """Valid UTF-8 is decoded as such, with no warning."""
    result = extract_text(RESUME.encode(), settings=SETTINGS)
    assert result.text == RESUME.strip()
    assert result.media_type == TEXT
    assert result.warnings == ()


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_byte_order_marks_decide_the_encoding(codec: str) -> None:
    """UTF-8, UTF-16 and UTF-32 with a byte-order mark are decoded exactly, with no warning."""
    data = RESUME.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    result = extract_text(data, settings=SETTINGS)
    assert result.text == RESUME.strip()
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("text", "codec"),
    [(FRENCH, "cp1252"), (FRENCH, "latin-1"), (JAPANESE, "shift_jis"), (CHINESE, "gb2312")],
    ids=["cp1252", "latin-1", "shift-jis", "gb2312"],
)
def test_legacy_encodings_are_guessed_with_w102(text: str, codec: str) -> None:
    """Text in a legacy encoding decodes correctly and W102 names the guess and confidence."""
    result = extract_text(text.encode(codec), settings=SETTINGS)
    assert result.text == text.strip()
    assert _codes(result) == ["W102"]
    assert "confidence" in result.warnings[0].message


def test_western_text_prefers_cp1252_over_lookalike_code_pages() -> None:
    """Short Western text that several code pages decode is read as cp1252 ("naïve")."""
    result = extract_text("Résumé: naïve café owner".encode("cp1252"), settings=SETTINGS)
    assert result.text == "Résumé: naïve café owner"
    assert "cp1252" in result.warnings[0].message


def test_utf8_with_a_few_broken_bytes_is_w103() -> None:
    """UTF-8 with stray invalid bytes stays UTF-8; the broken bytes are replaced (W103)."""
    data = RESUME.encode() + b"Python \xff\xfe developer\n"
    result = extract_text(data, settings=SETTINGS)
    assert result.text.startswith("Zoë Müller")
    assert "\ufffd" in result.text
    assert result.warnings[0].code == "W103"
    assert result.warnings[0].message.startswith("2 ")


def test_bom_with_broken_sequence_is_w103() -> None:
    """A UTF-16 text with an unpaired surrogate keeps its BOM's encoding and reports W103."""
    data = "Jane ".encode("utf-16") + b"\x00\xd8" + "Doe".encode("utf-16-le")
    result = extract_text(data, settings=SETTINGS)
    assert result.text.startswith("Jane")
    assert _codes(result) == ["W103"]


def test_utf16_without_bom_is_recognised() -> None:
    """UTF-16 text without a byte-order mark is not mistaken for binary data."""
    result = extract_text(RESUME.encode("utf-16-le"), settings=SETTINGS)
    assert result.text == RESUME.strip()
    assert _codes(result) == ["W102"]


@pytest.mark.parametrize(
    "data",
    [bytes(range(1, 256)) * 3, bytes(range(0x80, 0x100)) * 8],
    ids=["control-and-high-bytes", "high-bytes"],
)
def test_bytes_no_encoding_fits_are_e108(data: bytes) -> None:
    """Bytes that no text encoding turns into plausible text are refused with E108."""
    with pytest.raises(InputError) as caught:
        extract_text(data, settings=SETTINGS)
    assert caught.value.code == "E108"


def test_mixed_garbage_never_raises_anything_but_input_error() -> None:
    """UTF-8, cp1252 and random high bytes mixed give text with warnings, or E108."""
    data = RESUME.encode() + FRENCH.encode("cp1252") + bytes(range(0x80, 0xA0))
    try:
        codes = _codes(extract_text(data, settings=SETTINGS))
    except InputError as error:
        codes = [error.code]
    assert codes
    assert set(codes) <= {"W102", "W103"} or codes == ["E108"]
