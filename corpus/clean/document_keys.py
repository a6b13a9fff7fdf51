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
from corpus.text import words_up_to

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
        run_wide: set[int] = set()
        site_wide: set[int] = set()
        for line in lines:
            if (key := self.line_key(line)) is not None:
                run_wide.add(key)
                if (site_key := self.key_from(line, key)) is not None:
                    site_wide.add(site_key)
        return run_wide, site_wide

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


def doc_keys(doc: Document) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]:
    """(run-wide keys, site keys, title key, removable keys, linkable title keys, removable site templates) of a
    finished document.

    Its lines vote with their exact keys and their templates (:mod:`corpus.clean.learned`); the lines
    page rules removed from it vote for its site too (a footer one page's rule took still counts for the
    site's other pages). The last three let the main process tell, from keys alone, whether a corpus-level
    rule could take any of its lines (:meth:`corpus.clean.repeated.LineEvidence.may_remove`): every line's
    exact run-wide keys and the run-wide templates of the lines that are not story text, the title keys those
    lines could link by, and those lines' site templates (the site's exact keys are its site keys)."""
    site = SiteLines(doc.url, doc.title, doc.site)
    lines = doc.text.split("\n")
    removed = [part for r in doc.removed for part in r.text.split("\n") if part.strip()]
    run_wide, site_wide = site.exact_keys(lines + ([doc.title] if doc.title else []))
    removable = set(run_wide)
    for line in removed:
        if (site_key := site.key(line)) is not None:
            site_wide.add(site_key)
    open_lines = {line for line in lines if line.strip() and not is_story_text(line, doc.title)}
    templates, site_templates, open_templates, open_site_templates = template_votes(lines + removed, site.seed,
                                                                                    open_lines)
    run_wide.update(templates)
    site_wide.update(site_templates)
    removable |= open_templates
    linkable = {key for line in open_lines if (key := title_key(line))}
    return (np.fromiter(run_wide, dtype=np.uint64), site.votes(site_wide), title_key(doc.title),
            np.fromiter(removable, dtype=np.uint64), np.fromiter(linkable, dtype=np.uint64),
            np.fromiter(open_site_templates, dtype=np.uint64))
