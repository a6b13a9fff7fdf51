"""What one document votes with: its lines' keys run-wide and for its site, and the keys the main process reads
to tell, without its text, whether a corpus-level rule could take a line of it (:func:`doc_keys`). How the keys
are counted over a run, and what is decided from the counts, is :mod:`corpus.clean.repeated`'s.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import xxhash

from corpus.clean.learned import is_story_text, template_votes, title_key
from corpus.clean.line_keys import line_keys, titled_line_key
from corpus.clean.rules import SITE_REPEATED_LINE_MAX_WORDS
from corpus.document import Document, host_of
from corpus.text import by_line, words_up_to

NO_KEYS = np.empty(0, dtype=np.uint64)
_STORIES = b"\x00stories\x00"  # the host's story counter (9 bytes: never a line key's 8)


def keys_of(text: str, title: str | None) -> np.ndarray:
    """The line keys one document votes with, as an array (computed where the document is)."""
    return np.fromiter(line_keys(text, title), dtype=np.uint64)


class SiteLines:
    """One document's site keys: its lines' keys hashed with its host (none without a url).

    A line that is the document's own title (the headline repeated in the text) votes and is
    judged as a title: other pages list a story's headline in their boxes, which makes it chrome
    there, but the story keeps its headline unless the site gives many stories that same title.
    """

    def __init__(self, url: str | None, title: str | None, site: str | None = None) -> None:
        host = host_of(url) or site
        self.seed = None if host is None else xxhash.xxh64_intdigest(host.encode())
        self.line_key = titled_line_key(title)

    def key(self, line: str) -> int | None:
        return self.key_from(line, self.line_key(line))

    def key_from(self, line: str, line_key: int | None) -> int | None:
        """The site key of a line whose run-wide key is known already."""
        if self.seed is None or line_key is None \
                or words_up_to(line, SITE_REPEATED_LINE_MAX_WORDS) > SITE_REPEATED_LINE_MAX_WORDS:
            return None
        return xxhash.xxh64_intdigest(line_key.to_bytes(8, "little"), seed=self.seed)

    def exact_keys(self, lines: Iterable[str]) -> tuple[set[int], set[int]]:
        """(run-wide keys, site keys) of ``lines``, each line keyed once."""
        run_wide, site_wide = self.keys_by_line(list(lines))
        return {key for key in run_wide if key is not None}, {key for key in site_wide if key is not None}

    def keys_by_line(self, lines: list[str]) -> tuple[list[int | None], list[int | None]]:
        """(each line's run-wide key, each line's site key)."""
        run_wide = [self.line_key(line) for line in lines]
        return run_wide, [self.key_from(line, key) for line, key in zip(lines, run_wide, strict=True)]

    def votes(self, keys: Iterable[int]) -> np.ndarray:
        """The host's story counter first, then the lines' site keys: empty without a host."""
        if self.seed is None:
            return NO_KEYS
        return np.array([xxhash.xxh64_intdigest(_STORIES, seed=self.seed), *sorted(set(keys))], dtype=np.uint64)


def all_keys_of(text: str, title: str | None, url: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`keys_of`, the site keys) of one document, each line (and the title) keyed once."""
    site = SiteLines(url, title)
    run_wide, site_wide = site.exact_keys(text.split("\n") + ([title] if title else []))
    return np.fromiter(run_wide, dtype=np.uint64), site.votes(site_wide)


def doc_keys(doc: Document) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(run-wide keys, site keys, title key, removable keys, linkable title keys, removable site templates, its
    lines' keys in order) of a finished document.

    Its lines vote with their exact keys and their templates (:mod:`corpus.clean.learned`); the lines
    page rules removed from it vote for its site too (a footer one page's rule took still counts for the
    site's other pages). The next three let the main process tell, from keys alone, whether a corpus-level
    rule could take any of its lines (:meth:`corpus.clean.repeated.LineEvidence.may_remove`): every line's
    exact run-wide keys and the run-wide templates of the lines that are not story text, the title keys those
    lines could link by, and those lines' site templates (the site's exact keys are its site keys). The last
    is :func:`keys_in_order`, for the second pass."""
    site = SiteLines(doc.url, doc.title, doc.site)
    lines = doc.text.split("\n")
    removed = [part for r in doc.removed for part in r.text.split("\n") if part.strip()]
    by_line = site.keys_by_line(lines)
    run_wide, site_wide = site.exact_keys([doc.title] if doc.title else [])
    run_wide.update(key for key in by_line[0] if key is not None)
    site_wide.update(key for key in by_line[1] if key is not None)
    removable = set(run_wide)
    for line in removed:
        if (site_key := site.key(line)) is not None:
            site_wide.add(site_key)
    story = [bool(line.strip()) and is_story_text(line, doc.title) for line in lines]
    open_lines = {line for line, is_story in zip(lines, story, strict=True) if line.strip() and not is_story}
    templates, site_templates, open_templates, open_site_templates = template_votes(lines + removed, site.seed,
                                                                                    open_lines)
    run_wide.update(templates)
    site_wide.update(site_templates)
    removable |= open_templates
    linkable = {key for line in open_lines if (key := title_key(line))}
    return (np.fromiter(run_wide, dtype=np.uint64), site.votes(site_wide), title_key(doc.title),
            np.fromiter(removable, dtype=np.uint64), np.fromiter(linkable, dtype=np.uint64),
            np.fromiter(open_site_templates, dtype=np.uint64), keys_in_order(*by_line, story))


def keys_in_order(run_wide: list[int | None], site_wide: list[int | None], story: list[bool]) -> np.ndarray:
    """A document's lines' run-wide keys, then their site keys, 0 for none, then whether each is story text with
    the document's title (:func:`~corpus.clean.learned.is_story_text`, 1 or 0), each in line order: the second
    pass of a batch run finds them there (:func:`keys_by_text_line`) instead of working them out again (half of
    a changed document's corpus-level rules for the keys, a third of the rest for story text). NO_KEYS when a
    key is 0 itself (one in 2**64)."""
    keys = run_wide + site_wide
    if 0 in keys:
        return NO_KEYS
    return np.array([0 if key is None else key for key in keys] + story, dtype=np.uint64)


LineKeys = tuple["int | None", "int | None", bool]
"""A line's (run-wide key, site key, whether it is story text with its document's title) from the first pass."""


def keys_by_text_line(text: str, keys: np.ndarray) -> dict[str, LineKeys] | None:
    """``text``'s lines with their :data:`LineKeys`, from :func:`keys_in_order` of that text; None when the keys
    are not of these lines."""
    if len(keys) % 3:
        return None
    listed = keys.tolist()
    third = len(listed) // 3
    return by_line(text, list(zip([key or None for key in listed[:third]],
                                  [key or None for key in listed[third: 2 * third]],
                                  [bool(flag) for flag in listed[2 * third:]], strict=True)))
