"""Corpus-level evidence: lines that recur across many different stories, of the run or of one site.

Counting every distinct line of a large run exactly would cost memory per document.
So counting takes two passes over the spooled documents: a count-min sketch of fixed
size (16 MiB) finds the lines that may reach the threshold, then those candidates,
and only those, are counted exactly. The answer is exact; the memory is bounded by
the sketch plus the (few) lines that really repeat.

Two kinds of key are counted together (they never meet: a site's keys are hashed with its host):

- run-wide keys (:func:`corpus.clean.document_keys.keys_of`): a line in ``REPEATED_LINE_MIN_GROUPS`` stories
  is chrome;
- site keys (:class:`corpus.clean.document_keys.SiteLines`): a line in ``SITE_REPEATED_LINE_MIN_GROUPS`` stories
  of one host, and each host's story counter, so that a site with too few stories decides nothing.

With ``--state`` the counts of earlier nights are added (:class:`LineEvidence`), and this run's
counts of the lines seen in at least ``LINE_EVIDENCE_MIN_STORED`` stories are kept for the next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from corpus.clean.document_keys import NO_KEYS, LineKeys, SiteLines, doc_keys, keys_of
from corpus.clean.learned import Learned, apply_verdicts, corpus_verdicts, is_story_text
from corpus.clean.line_keys import titled_line_key
from corpus.clean.rules import (
    LINE_EVIDENCE_MIN_STORED,
    REPEATED_LINE_MIN_GROUPS,
    SITE_REPEATED_LINE_MIN_GROUPS,
    SITE_REPEATED_LINE_MIN_STORIES,
    SITE_REPEATED_LINE_ONE_IN,
    STORY_LINE_MIN_WORDS,
)
from corpus.clean.rules.thresholds import LEARNED_SITE_MIN_STORIES, LEARNED_TEMPLATE_MIN_STORIES
from corpus.document import Document, Removal

SKETCH_WIDTH = 1 << 22  # slots per row
SKETCH_DEPTH = 2
SKETCH_SATURATION = 60000  # a slot's count stops here (uint16): far above any threshold, and never wraps
SKETCH_BATCH_KEYS = 1 << 16  # keys gathered before they are added to the sketch (512 KiB)


def remove_corpus_chrome(doc: Document, site_chrome: set[int], repeated: set[int], learned: Learned | None,
                         skip: frozenset[str] = frozenset(),
                         known: Mapping[str, LineKeys] | None = None) -> Document:
    """Every corpus-level rule in one pass over the lines: site chrome (never a story line, see
    :func:`corpus.clean.learned.is_story_text`), run-wide repeated lines, then what was learned. ``known``:
    lines' keys and whether they are story text as the first pass found them
    (:func:`~corpus.clean.document_keys.keys_in_order`), where the others are worked out."""
    site = SiteLines(doc.url, doc.title, doc.site)
    run_key = titled_line_key(doc.title)
    site_chrome = set() if "site-repeated-line" in skip else site_chrome
    repeated = set() if "repeated-line" in skip else repeated
    known = known or {}

    def exact(line: str) -> str | None:
        if not (site_chrome or repeated):
            return None
        if (keys := known.get(line)) is None:  # a line's site key is its run-wide key's, hashed with its host
            key = run_key(line)
            keys = key, site.key_from(line, key) if site_chrome else None
        if site_chrome and keys[1] in site_chrome and not is_story_text(line, doc.title, STORY_LINE_MIN_WORDS):
            return "site-repeated-line"
        if repeated and keys[0] in repeated:
            return "repeated-line"
        return None

    story = None
    if doc.title and (rule := exact(doc.title)) is not None:
        doc.removed.append(Removal(rule, doc.title))
        doc.title = None  # story text was told with the title: the first pass's word on it no longer holds
    elif known:
        def story(line: str) -> bool:
            keys = known.get(line)
            return is_story_text(line, doc.title) if keys is None else keys[2]
    lines = doc.text.split("\n")
    apply_verdicts(doc, lines, corpus_verdicts(lines, doc.title, exact, learned, site.seed, story))
    return doc


class Counts:
    """Line keys (sorted, distinct) and in how many stories each was seen."""

    def __init__(self, keys: np.ndarray = NO_KEYS, counts: np.ndarray | None = None) -> None:
        self.keys = np.asarray(keys, dtype=np.uint64)
        self.counts = np.zeros(len(self.keys), np.int64) if counts is None else np.asarray(counts, np.int64)

    @classmethod
    def summed(cls, keys: Iterable[np.ndarray], counts: Iterable[np.ndarray]) -> Counts:
        """Counts of the same key added up (several runs' counts, or a run's on top of earlier ones)."""
        keys, counts = list(keys), list(counts)
        if not keys:
            return cls()
        unique, where = np.unique(np.concatenate(keys).astype(np.uint64), return_inverse=True)
        return cls(unique, np.bincount(where, weights=np.concatenate(counts), minlength=len(unique)).astype(np.int64))

    def __len__(self) -> int:
        return len(self.keys)

    def __add__(self, other: Counts) -> Counts:
        return Counts.summed([self.keys, other.keys], [self.counts, other.counts])

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The count of each of ``keys`` (0 for a key not here)."""
        if not len(self.keys):
            return np.zeros(len(keys), np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, self.counts[at], 0)

    def has(self, keys: np.ndarray) -> np.ndarray:
        return self.get(keys) > 0

    def at_least(self, n: int) -> set[int]:
        return set(self.keys[self.counts >= n].tolist())


class KeyBatch:
    """Key arrays gathered until ``SKETCH_BATCH_KEYS`` keys, then handled in one numpy call: a dozen calls
    per document cost more than the counting itself."""

    def __init__(self) -> None:
        self._arrays: list[np.ndarray] = []
        self._size = 0

    def add(self, keys: np.ndarray) -> bool:
        """Keep ``keys``; True when the batch is full."""
        if len(keys):
            self._arrays.append(keys)
            self._size += len(keys)
        return self._size >= SKETCH_BATCH_KEYS

    def take(self) -> np.ndarray | None:
        """The keys gathered, in order (None: none), and an empty batch."""
        if not self._arrays:
            return None
        keys = np.concatenate(self._arrays)
        self._arrays, self._size = [], 0
        return keys


def learned_from(counts: Counts, skip: frozenset[str] = frozenset()) -> Learned:
    """The learned rules judging by ``counts`` (a title key is known when it has a count)."""
    return Learned(counts.get, lambda key: bool(counts.has(np.array([key], np.uint64))[0]), skip)


class RepeatedLines:
    """Feed line keys twice (:meth:`sketch`, then :meth:`count`), then ask :meth:`repeated`.

    The sketch may see every document, duplicates included (it only proposes candidates);
    the exact count must see one document per story. Keys in ``earlier`` are always counted
    (any vote of theirs adds to the earlier nights' count). A batch run's candidates are kept
    as arrays and counted once, by a sort (half a dict's peak memory when the sketch is saturated:
    660 against 1,390 MiB for 10 million candidates); a stream, which asks as it goes, counts them
    in a dict (:meth:`count_now`).
    """

    def __init__(self, threshold: int, earlier: Counts | None = None) -> None:
        self.threshold = threshold
        self.earlier = earlier or Counts()
        self._sketch = np.zeros((SKETCH_DEPTH, SKETCH_WIDTH), dtype=np.uint16)
        self._unsketched = KeyBatch()  # keys waiting to be added to the sketch
        self._uncounted = KeyBatch()  # votes waiting to be checked against the sketch
        self._votes: list[np.ndarray] = []
        self._batch = Counts()
        self._exact: Counter[int] = Counter()

    @staticmethod
    def _slots(keys: np.ndarray) -> list[np.ndarray]:
        return [(keys >> np.uint64(20 * row)) & np.uint64(SKETCH_WIDTH - 1) for row in range(SKETCH_DEPTH)]

    def sketch(self, keys: np.ndarray) -> None:
        """Add ``keys`` to the sketch. They are added a batch at a time (the sketch is read only once
        it is complete, or by a stream right after): a dozen numpy calls per document cost more than
        the counting itself."""
        if self._unsketched.add(keys):
            self._sketch_pending()

    def _sketch_pending(self) -> None:
        keys = self._unsketched.take()
        if keys is None:
            return
        for row, slots in enumerate(self._slots(keys)):
            counts = self._sketch[row]
            touched, added = np.unique(slots, return_counts=True)
            # saturated, never wrapped: the same counts as adding one document at a time and saturating
            counts[touched] = np.minimum(counts[touched].astype(np.int64) + added, SKETCH_SATURATION)

    def _candidates(self, keys: np.ndarray) -> np.ndarray:
        self._sketch_pending()
        estimate = np.min([self._sketch[row][slots] for row, slots in enumerate(self._slots(keys))], axis=0)
        return keys[(estimate >= self.threshold) | self.earlier.has(keys)]

    def use_earlier(self, earlier: Counts) -> None:
        """The earlier nights' counts from now on (votes given before are checked against the former ones)."""
        self._check_pending()
        self.earlier = earlier

    def count(self, keys: np.ndarray) -> None:
        """A story's votes, kept if the sketch says they may reach the threshold; checked a batch at a time."""
        if self._uncounted.add(keys):
            self._check_pending()

    def _check_pending(self) -> None:
        keys = self._uncounted.take()
        if keys is not None:
            self._votes.append(self._candidates(keys))

    def count_now(self, keys: np.ndarray) -> None:
        if len(keys):
            self._exact.update(self._candidates(keys).tolist())

    def so_far(self, keys: np.ndarray) -> np.ndarray:
        """Each key's count: the earlier nights' plus this run's exact count (streams: up to now)."""
        return self.earlier.get(keys) + np.array([self._exact.get(k, 0) for k in keys.tolist()], dtype=np.int64)

    def _counted(self) -> Counts:
        self._check_pending()
        if self._votes:
            self._batch = self._batch + Counts(*np.unique(np.concatenate(self._votes), return_counts=True))
            self._votes = []
        if not self._exact:
            return self._batch
        streamed = np.fromiter(self._exact.keys(), dtype=np.uint64, count=len(self._exact))
        order = np.argsort(streamed)
        return self._batch + Counts(streamed[order], np.fromiter(self._exact.values(), np.int64,
                                                                 len(self._exact))[order])

    def run_counts(self) -> Counts:
        """This run's exact counts of the keys seen at least ``threshold`` times, or known from earlier."""
        counted = self._counted()
        keep = (counted.counts >= self.threshold) | self.earlier.has(counted.keys)
        return Counts(counted.keys[keep], counted.counts[keep])

    def repeated(self) -> set[int]:
        return self._counted().at_least(self.threshold)

    def release_sketch(self) -> None:
        """Every vote is counted (a batch run, settled): the sketch (16 MiB once touched) is not read again."""
        self._check_pending()
        self._sketch = None  # type: ignore[assignment] - asked again, it fails loudly


def repeated_lines(stories: Iterable[tuple[str, str | None]], threshold: int) -> set[int]:
    """The line keys found in at least ``threshold`` of ``stories`` ((text, title) pairs, one per story)."""
    keys = [keys_of(text, title) for text, title in stories]
    counter = RepeatedLines(threshold)
    for k in keys:
        counter.sketch(k)
    for k in keys:
        counter.count(k)
    return counter.repeated()


def votes(line_keys: np.ndarray, site_keys: np.ndarray, run_wide: bool) -> np.ndarray:
    """The keys one story votes with: its site keys, and its run-wide keys unless that rule is off."""
    return np.concatenate([line_keys, site_keys]) if run_wide else site_keys


def verdicts_from(counts: Counts, doc: Document, skip: frozenset[str] = frozenset()) -> list[str | None]:
    """The corpus-level rule that removes each line of ``doc.text`` given stored counts alone (the earlier
    nights' of a state, for ``newsclean explain``): as :func:`remove_corpus_chrome` decides at a run's end."""
    line_keys, site_keys, *_ = doc_keys(doc)
    repeated = set(line_keys[counts.get(line_keys) >= REPEATED_LINE_MIN_GROUPS].tolist()) if len(line_keys) else set()
    site = SiteLines(doc.url, doc.title, doc.site)
    run_key = titled_line_key(doc.title)
    chrome = set() if "site-repeated-line" in skip else site_chrome(site_keys, counts.get(site_keys))
    repeated = set() if "repeated-line" in skip else repeated

    def exact(line: str) -> str | None:
        if chrome and site.key(line) in chrome and not is_story_text(line, doc.title, STORY_LINE_MIN_WORDS):
            return "site-repeated-line"
        return "repeated-line" if repeated and run_key(line) in repeated else None

    learned = learned_from(counts, skip)
    return corpus_verdicts(doc.text.split("\n"), doc.title, exact, learned, site.seed)


def site_chrome(site_keys: np.ndarray, counts: np.ndarray) -> set[int]:
    """A document's site keys that are chrome, given each one's count (the story counter's first)."""
    if not len(site_keys) or counts[0] < SITE_REPEATED_LINE_MIN_STORIES:
        return set()
    chrome = (counts[1:] >= SITE_REPEATED_LINE_MIN_GROUPS) & (counts[1:] * SITE_REPEATED_LINE_ONE_IN >= counts[0])
    return set(site_keys[1:][chrome].tolist())


class LineEvidence:
    """A run's line counts, run-wide and per site, on top of the earlier nights' from ``--state``.

    Batch runs :meth:`sketch` every document, :meth:`count` one per story, then :meth:`settle`.
    Streams call :meth:`seen` once per document, in input order, and are judged on what has been
    counted so far: a line new to the stream is counted from its second story on (the sketch
    proposes it then; remembering every first sight would cost memory per line), so a stream's
    counts of new lines run one below a batch run's.

    ``from_two``: with ``--state`` (counts seen in two stories are kept) and for streams, every line
    seen in two stories is counted exactly; else only those that may reach a threshold.
    """

    def __init__(self, run_threshold: int, from_two: bool) -> None:
        self.run_threshold = run_threshold  # 0: the run-wide rule is off and its keys are not counted
        floors = [t for t in (run_threshold, SITE_REPEATED_LINE_MIN_GROUPS) if t > 0]
        self.lines = RepeatedLines(min(floors + ([LINE_EVIDENCE_MIN_STORED] if from_two else [])))
        self.totals = Counts()
        self.run = Counts()  # this run's counts, as the state keeps them

    @property
    def floor(self) -> int:
        return self.lines.threshold

    def set_earlier(self, earlier: Counts) -> None:
        self.lines.use_earlier(earlier)

    def sketch(self, line_keys: np.ndarray, site_keys: np.ndarray) -> None:
        self.lines.sketch(votes(line_keys, site_keys, self.run_threshold > 0))

    def count(self, line_keys: np.ndarray, site_keys: np.ndarray) -> None:
        self.lines.count(votes(line_keys, site_keys, self.run_threshold > 0))

    def settle(self, run: Counts | None = None) -> None:
        """The run is counted (here, or on a cluster: ``run``): add the earlier nights' counts."""
        self.run = self.lines.run_counts() if run is None else run
        self.totals = self.run + self.lines.earlier

    def repeated(self) -> set[int]:
        """Run-wide keys (with the earlier nights') at the threshold: checked against each document's."""
        return self.totals.at_least(self.run_threshold) if self.run_threshold > 0 else set()

    def site_chrome(self, site_keys: np.ndarray) -> set[int]:
        return site_chrome(site_keys, self.totals.get(site_keys))

    def may_remove(self, removable: np.ndarray, line_titles: np.ndarray, own_title: int, chrome: set[int],
                   site_templates: np.ndarray) -> bool:
        """Whether a corpus-level rule could take a line of a document with these keys (see
        :func:`corpus.clean.document_keys.doc_keys`): a superset of what they find, decided on the keys at once,
        so that most documents need no second look at their lines. Each kind of key is held to its own rule's
        count: an exact line or a template run-wide (``run_threshold``, ``LEARNED_TEMPLATE_MIN_STORIES``), the
        site's exact lines by its chrome (``chrome``, what :meth:`site_chrome` found among its site keys), its
        templates (``LEARNED_SITE_MIN_STORIES``); one floor for all let a quarter of the documents through for
        nothing."""
        if chrome:
            return True
        floor = min(t for t in (self.run_threshold, LEARNED_TEMPLATE_MIN_STORIES) if t > 0)
        if len(removable) and bool((self.totals.get(removable) >= floor).any()):
            return True
        if len(site_templates) and bool((self.totals.get(site_templates) >= LEARNED_SITE_MIN_STORIES).any()):
            return True
        titles = line_titles[line_titles != own_title]
        return bool(len(titles)) and bool(self.totals.has(titles).any())

    def seen(self, line_keys: np.ndarray, site_keys: np.ndarray, voter: bool) -> tuple[set[int], set[int]]:
        """A stream's document (``voter``: the first of its group): its repeated and site-chrome keys so far."""
        if voter:
            keys = votes(line_keys, site_keys, self.run_threshold > 0)
            self.lines.sketch(keys)
            self.lines.count_now(keys)
        repeated: set[int] = set()
        if self.run_threshold > 0 and len(line_keys):
            repeated = set(line_keys[self.lines.so_far(line_keys) >= self.run_threshold].tolist())
        return repeated, site_chrome(site_keys, self.lines.so_far(site_keys)) if len(site_keys) else set()
