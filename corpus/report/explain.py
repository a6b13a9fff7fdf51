"""``newsclean explain``: one document's way through the pipeline, line by line.

It runs the same stages as ``ingest`` (read, extract, clean, language, signature) on one
document and keeps what they decided per line, so a user can see why a line went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from corpus.clean.cleaner import line_outcomes
from corpus.dedup.deduplicator import Deduplicator
from corpus.dedup.minhash import MinHashParams, signature
from corpus.dedup.story import story_text
from corpus.document import Document, Reject
from corpus.extract.page import extract
from corpus.inputs.files import RawInput
from corpus.inputs.records import read_inputs
from corpus.language import detect
from corpus.limits import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from corpus.clean.repeated import Counts


@dataclass
class Line:
    kept: str | None  # what of the line is kept; None when a rule took all of it
    removed: list[tuple[str, str]]  # (rule, text) taken from it


@dataclass
class Explanation:
    where: str
    title: str | None
    author: str | None
    date: str | None
    url: str | None
    lang: str | None
    lang_prob: float
    lines: list[Line] = field(default_factory=list)
    earlier: list[tuple[str, str]] = field(default_factory=list)  # (id, first seen) it duplicates, with --state
    stored: tuple[str, str] | None = None  # (id, first seen): this very document, already in --state


def nth_document(path: str, number: int, max_bytes: int = DEFAULT_MAX_BYTES) -> RawInput | Reject:
    """The ``number``-th document (1-based) of an input, or the reject it became."""
    seen = 0
    for item in read_inputs([path], max_bytes):
        if isinstance(item, (RawInput, Reject)) and not (isinstance(item, Reject) and item.reason in (
                "hidden", "unsupported-type")):
            seen += 1
            if seen == number:
                return item
    raise IndexError(f"{path} holds {seen} document{'s' * (seen != 1)}, not {number}")


def _corpus_rules(result: Explanation, doc: Document, text: str, counts: Counts) -> None:
    """The corpus-level rules, as the earlier nights' counts of the state decide them (site chrome,
    repeated lines, learned templates, linked headlines, headings over headlines)."""
    from corpus.clean.repeated import verdicts_from

    doc.text = text
    doc.find_site()
    kept = [line for line in result.lines if line.kept and line.kept.strip()]
    for line, verdict in zip(kept, verdicts_from(counts, doc), strict=True):
        if verdict is not None:
            line.removed.append((verdict, line.kept or ""))
            line.kept = None


def explain(raw: RawInput, lang_backend: str = "langdetect", state_path: str | None = None,
            params: MinHashParams | None = None) -> Explanation:
    doc = extract(raw)
    lines = [Line(kept, [(r.rule, r.text) for r in cut]) for kept, cut in line_outcomes(doc.text)]
    text = "\n".join(line.kept for line in lines if line.kept and line.kept.strip())
    lang, prob = detect(text, lang_backend)
    result = Explanation(raw.source.location, doc.title, doc.author, doc.date, doc.url, lang, prob,
                         [line for line in lines if line.kept is None or line.kept.strip() or line.removed])
    if state_path:
        from corpus.dedup.state import StateIndex, stored_params

        params = params or stored_params(state_path) or MinHashParams()
        index = StateIndex(state_path, params)
        try:
            _corpus_rules(result, doc, text, index.line_counts())
            text = "\n".join(line.kept for line in result.lines if line.kept and line.kept.strip())
            sig = signature(story_text(text), params)
            if sig is not None:
                matcher = Deduplicator(params)
                matches = sorted((rec.id, rec.first_seen) for rec in index.lookup(sig)
                                 if matcher.is_match(sig, rec.signature))
                # a stored record with this document's own id is this document (the same bytes): delivered
                # again it is a re-delivery of that record, never a duplicate of itself
                result.stored = next((m for m in matches if m[0] == doc.id), None)
                result.earlier = [m for m in matches if m[0] != doc.id]
        finally:
            index.close()
    return result
