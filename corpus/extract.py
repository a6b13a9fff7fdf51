"""Stage 2a: turn raw bytes into a Document with text and metadata.

HTML goes through trafilatura with the settings that score best on real news
pages (no comments, precision mode; see ``make eval``). Plain text was already
scraped: it is only decoded and given a title when its first line is a headline.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from corpus.document import Document
from corpus.read import RawInput, decode_text, has_bom_or_utf16

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_SENTENCE_END = re.compile(r"""[.!?…;,:]["'”’»)\]]*$""")
HEADLINE_MAX_CHARS = 200  # longer first lines are paragraphs, not headlines
HEADLINE_MIN_WORDS = 3
PRECISION_FALLBACK_WORDS = 80  # fewer words from precision mode: try trafilatura's default mode too
# Dates only from what the page states: no guessing from copyright years, and no
# dependence on today's date, so that a rerun on another day gives the same output.
DATE_PARAMS = {"extensive_search": False, "original_date": True, "max_date": "2100-12-31"}


@lru_cache(maxsize=1)
def trafilatura_version() -> str:
    import trafilatura

    return trafilatura.__version__


def decode_html(data: bytes) -> str:
    """A BOM first, then the declared charset (pages usually say it), then the text decoder's guesses."""
    if has_bom_or_utf16(data):
        return decode_text(data)
    match = _META_CHARSET.search(data[:4096])
    if match:
        try:
            return data.decode(match.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    return decode_text(data)


def normalise_whitespace(text: str) -> str:
    """One paragraph per line, no trailing blanks, NFC; blank lines between paragraphs kept."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\ufeff", "").replace("\x00", "")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def looks_like_headline(line: str) -> bool:
    words = line.split()
    return (
        len(line) <= HEADLINE_MAX_CHARS
        and len(words) >= HEADLINE_MIN_WORDS
        and not _SENTENCE_END.search(line)
        and not line.startswith(("-", "*", "•", "http"))
    )


def extract_text(raw: RawInput) -> Document:
    text = normalise_whitespace(decode_text(raw.data))
    title = None
    first, _, rest = text.partition("\n")
    if rest.strip() and looks_like_headline(first):
        title, text = first, rest.strip()
    return Document(id=raw.id, source=raw.source, text=text, title=title, extractor="plain-text",
                    extractor_version="")


def _trafilatura(html: str, favor_precision: bool):  # noqa: ANN202 - trafilatura's Document
    import trafilatura

    return trafilatura.bare_extraction(
        html, include_comments=False, favor_precision=favor_precision, with_metadata=True,
        date_extraction_params=DATE_PARAMS,
    )


def _word_count(result) -> int:  # noqa: ANN001
    return len(result.text.split()) if result is not None and result.text else 0


def extract_html(raw: RawInput) -> Document:
    html = decode_html(raw.data)
    result = _trafilatura(html, favor_precision=True)
    if _word_count(result) < PRECISION_FALLBACK_WORDS:
        # Precision mode now and then throws the article away with the chrome; then the
        # default mode's longer text is the better start (the cleaner still runs on it).
        fallback = _trafilatura(html, favor_precision=False)
        if _word_count(fallback) >= 2 * max(1, _word_count(result)):
            result = fallback
    doc = Document(id=raw.id, source=raw.source, extractor="trafilatura",
                   extractor_version=trafilatura_version())
    if result is None:
        return doc
    doc.title = result.title or None
    doc.text = _drop_leading_title(normalise_whitespace(result.text or ""), doc.title)
    doc.author = result.author or None
    doc.date = result.date or None
    doc.url = result.url or None
    doc.sitename = result.sitename or None
    return doc


def _drop_leading_title(text: str, title: str | None) -> str:
    """The headline lives in ``title``; a copy of it opening the text is not story text."""
    first, _, rest = text.partition("\n")
    if title and rest.strip() and first.strip().casefold() == title.strip().casefold():
        return rest.strip()
    return text


def extract(raw: RawInput) -> Document:
    """The extractor stage for one input: dispatch on the sniffed kind."""
    return extract_html(raw) if raw.kind == "html" else extract_text(raw)
