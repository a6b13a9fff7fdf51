"""Stage 3: detect each document's language with langdetect, deterministically.

langdetect draws random samples; its factory seed is fixed so the same text
always gets the same answer. It is also slow on long texts, so it reads a
bounded sample taken from the start, middle and end of the text.
"""

from __future__ import annotations

import os
import random
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from corpus.document import Document
from corpus.language.profiles import SEED, Profiles, load_profiles
from corpus.limits import Remembered

if TYPE_CHECKING:
    import numpy as np

_WORD_AND_SPACE = re.compile("[^ ]+ ?")
_SPACE_RUN = re.compile(" {2,}")
_LATIN_RANGE = re.compile("[A-z]")  # langdetect's 'A' <= ch <= 'z' (with [\\]^_` between the cases)
_NOT_LATIN_RANGE = bytes(b for b in range(256) if not ord("A") <= b <= ord("z"))
_NOT_FROM_U0300_LEAD = bytes(b for b in range(256) if not 0xCC <= b <= 0xF7)  # U+0300 is b"\xcc\x80"

SAMPLE_CHARS = 500
"""Characters langdetect reads: snippets from the start, middle and end of the text. On the
181 benchmark articles (8 languages) a 500-character sample gives the language of the whole
text for 180; the one miss is missed by every setting, whole text included."""
WORDS_REMEMBERED = 100_000  # words whose n-gram rows the language detector keeps (about 20 MiB at most)
N_TRIALS = 3
"""langdetect's random restarts (its default is 7). Its cost is mostly this fixed loop, not the
text length; 3 trials agree with 7 on every benchmark article, at 60% of the time."""


@lru_cache(maxsize=1)
def _vector_detector():  # noqa: ANN202 - a langdetect Detector class
    """langdetect's Detector with its inner loop on numpy vectors.

    Each step multiplies one probability per language (55) by the n-gram's weight, a Python loop
    that was two thirds of the detector's time; n-grams are read a word at a time (remembered).
    The same multiplications in the same float64 arithmetic, and the same sequential sum when
    normalising: the same answers, bit for bit
    (``tests/test_language.py`` compares it with langdetect's own).
    """
    import numpy as np
    from langdetect.detector import Detector
    from langdetect.lang_detect_exception import ErrorCode, LangDetectException
    from langdetect.utils.ngram import NGram

    class Normalised(dict):
        """langdetect's NGram.normalize of each character, for ``str.translate``."""

        def __missing__(self, code: int) -> str:
            value = self[code] = NGram.normalize(chr(code))
            return value

    normalised, known = Normalised(), load_profiles().word_lang_prob_map

    def word_rows(word: str) -> tuple[int, ...]:
        """The rows of the n-grams langdetect reads in one word (and the space after it, if any): at
        each character the 1-, 2- and 3-grams ending there (the word starts after a space), none
        where two capitals follow each other; then the 2- and 3-grams ending in the space."""
        spaced = word.endswith(" ")
        padded, rows, previous_upper = " " + word, [], False
        end = len(padded) - spaced
        for at in range(1, end):
            upper = padded[at].isupper()
            if not (upper and previous_upper):
                for gram in (padded[at], padded[at - 1: at + 1], padded[at - 2: at + 1] if at >= 2 else ""):
                    if (row := known.get(gram)) is not None:
                        rows.append(row)
            previous_upper = upper
        if spaced:
            for gram in (padded[end - 1: end + 1], padded[end - 2: end + 1]):
                if (row := known.get(gram)) is not None:
                    rows.append(row)
        return tuple(rows)

    def ngram_rows(text: str) -> list[int]:
        """langdetect's ``_extract_ngrams`` (NGram.add_char and get(1..3) over the text) as rows of the
        weights, a word at a time: a word's n-grams depend on the word alone, so each is worked out
        once and remembered (bounded), instead of three lookups per character of every text."""
        rows: list[int] = []
        for word in _WORD_AND_SPACE.findall(text.translate(normalised)):
            rows.extend(words_seen[word])
        return rows

    words_seen = Remembered(word_rows, WORDS_REMEMBERED)

    class VectorDetector(Detector):
        remembered_words = words_seen  # for the tests

        def __init__(self, profiles: Profiles) -> None:
            """langdetect's own settings, with this thread's generator: ``random.Random()`` seeds itself
            from the system (10 µs a document), and ``_detect_block`` gives it the seed's state anyway."""
            self.word_lang_prob_map, self.langlist, self.seed = profiles.word_lang_prob_map, profiles.langlist, SEED
            self.random, self.text, self.langprob = _thread_random(), "", None
            self.alpha, self.n_trial, self.max_text_length = self.ALPHA_DEFAULT, 7, 10000
            self.prior_map, self.verbose = None, False
            self._weights = profiles.weights

        def append(self, text: str) -> None:
            """langdetect's ``append``, its character loop (drop a space after a space) as one substitution. Each
            pattern runs only on a text that holds what it needs (an address's ``://`` or ``@``, a Vietnamese
            mark, two spaces): a pattern's scan of a 500-character sample costs microseconds."""
            if "://" in text:
                text = self.URL_RE.sub(" ", text)
            if "@" in text:
                text = self.MAIL_RE.sub(" ", text)
            if any(mark in text for mark in NGram.DMARK_CLASS):
                text = NGram.normalize_vi(text)
            text = text[: self.max_text_length]
            self.text += _SPACE_RUN.sub(" ", text) if "  " in text else text

        def cleaning_text(self) -> None:
            """langdetect's ``cleaning_text`` with its loops as patterns: Latin letters (``'A' <= ch <= 'z'``)
            dropped when they are less than half as many as the characters from U+0300 on (its test for
            "Latin Extended Additional" compares a block number with a name, so it never excludes any). Both
            are counted in the text's UTF-8: a letter is its own byte, a character from U+0300 on has one
            leading byte from 0xCC on (two lists of every such character took 9 us a sample)."""
            text = self.text
            if text.isascii():
                return
            raw = text.encode("utf-8", "surrogatepass")
            if 2 * len(raw.translate(None, _NOT_LATIN_RANGE)) < len(raw.translate(None, _NOT_FROM_U0300_LEAD)):
                self.text = _LATIN_RANGE.sub("", text)

        def _init_probability(self) -> np.ndarray:
            return np.array(super()._init_probability(), dtype=np.float64)

        def _detect_block(self) -> None:
            """langdetect's trials, five steps at a time: between two normalisations the five n-grams are
            drawn as langdetect draws them and their weights multiplied in one after the other
            (``multiply.reduce`` down the rows: the same products in the same order, with no row kept
            between them, 3.0 us a step where ``multiply.accumulate`` took 5.3)."""
            self.cleaning_text()
            rows = ngram_rows(self.text)
            if not rows:
                raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
            draw = _drawing(self.random, rows)
            langprob = np.zeros(len(self.langlist), dtype=np.float64)
            steps = np.empty((5, len(self.langlist)), dtype=np.float64)  # one buffer for every step: no allocation
            blocks, first = {1: steps[:1], 5: steps}, steps[0]  # a step's rows, and the first of them: views made once
            take, multiply_rows, normalise = self._weights.take, np.multiply.reduce, self._normalize_prob
            self.random.setstate(_seeded(self.seed))  # seed(self.seed), from the state it gives (a third of the cost)
            for _ in range(self.n_trial):
                prob = self._init_probability()
                alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
                step, done, size = alpha / self.BASE_FREQ, 0, 1  # langdetect normalises after steps 0, 5, 10, ...
                while True:
                    block = blocks[size]
                    take(draw(size), axis=0, out=block, mode="clip")  # the rows exist
                    block += step
                    first *= prob  # prob × the first n-gram's weights, then the others one by one
                    multiply_rows(block, axis=0, out=prob)
                    if normalise(prob) > self.CONV_THRESHOLD or done >= self.ITERATION_LIMIT:
                        break
                    done, size = done + 5, 5
                langprob += prob / self.n_trial
            self.langprob = langprob.tolist()

        def _normalize_prob(self, prob: np.ndarray) -> float:
            values = prob.tolist()
            total = sum(values)  # Python's left-to-right sum, as langdetect's
            prob /= total
            if not total > 0:  # nothing left to compare (never seen): numpy's own answer
                return float(prob.max())
            return max(values) / total  # the largest quotient (division by a positive number keeps the order)

    return VectorDetector


_generators = threading.local()


def _thread_random() -> random.Random:
    """One generator a thread (Dask runs documents in threads), reset to the seed's state for every text."""
    if (generator := getattr(_generators, "random", None)) is None:
        generator = _generators.random = random.Random()
    return generator


@lru_cache(maxsize=4)
def _seeded(seed: int) -> tuple:
    """The state ``random.Random(seed)`` starts in (``setstate`` of it is ``seed(seed)``, gauss's cache included)."""
    return random.Random(seed).getstate()


_CHOICE_DRAWS_BITS = random.Random._randbelow is random.Random._randbelow_with_getrandbits  # noqa: SLF001
"""``random.choice(seq)`` is ``seq[r]`` for the first ``getrandbits(len(seq).bit_length())`` below ``len(seq)``
(CPython 3.11 to 3.13); if a Python draws otherwise, :func:`_drawing` calls ``choice`` itself."""


def _drawing(rng: random.Random, rows: list[int]) -> Callable[[int], list[int]]:
    """``draw(size)``: ``[rng.choice(rows) for _ in range(size)]``, the same numbers from the same generator
    without ``choice``'s two Python calls per number (langdetect makes 150 to 200 a document)."""
    if not _CHOICE_DRAWS_BITS:
        return lambda size: [rng.choice(rows) for _ in range(size)]
    getrandbits, count = rng.getrandbits, len(rows)
    bits = count.bit_length()

    def draw(size: int) -> list[int]:
        drawn: list[int] = []
        while len(drawn) < size:
            if (r := getrandbits(bits)) < count:
                drawn.append(rows[r])
        return drawn

    return draw


def sample(text: str, limit: int = SAMPLE_CHARS) -> str:
    """Snippets of the first, middle and last paragraphs (and more between, for short ones),
    each cut at a word boundary, about ``limit`` characters in all."""
    if len(text) <= limit:
        return text
    paragraphs = [p for p in text.split("\n") if p.strip()]
    if len(paragraphs) < 3:
        third = len(text) // 3
        paragraphs = [text[:third], text[third: 2 * third], text[2 * third:]]
    picks = sorted({0, len(paragraphs) // 2, len(paragraphs) - 1})
    share = limit // len(picks)
    snippets = []
    for i in picks:
        snippet = paragraphs[i][:share]
        if len(paragraphs[i]) > share and " " in snippet:
            snippet = snippet.rsplit(" ", 1)[0]
        snippets.append(snippet)
    return "\n".join(snippets)


BACKENDS = ("langdetect", "langid")
"""langdetect (the default) or py3langid ("langid", the ``fast`` extra): a naive Bayes model
shipped in its wheel, deterministic, about 8x faster on the sample, and agreeing with
langdetect on 180 of the 181 benchmark articles (it calls one Nigerian text Nigerian Pidgin)."""


@lru_cache(maxsize=1)
def _langid():  # noqa: ANN202 - py3langid has no type hints
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def backend_available(backend: str) -> bool:
    if backend == "langid":
        try:
            _langid()
        except ImportError:
            return False
    return backend in BACKENDS


def known_codes(backend: str = "langdetect") -> list[str]:
    """The language codes a detector can answer with (langdetect: its profiles; py3langid: its model)."""
    if backend == "langid":
        return sorted(_langid().nb_classes)
    import langdetect

    return sorted(os.listdir(os.path.join(os.path.dirname(langdetect.__file__), "profiles")))


def expand_languages(value: str | None, backend: str = "langdetect") -> set[str] | None:
    """``--lang en,de,zh`` as the codes the detector gives; ``zh`` stands for ``zh-cn`` and ``zh-tw``.
    A code the detector never gives is a ValueError naming the codes it does give."""
    if not value:
        return None
    known = known_codes(backend)
    wanted: set[str] = set()
    for code in (c.strip().lower() for c in value.split(",") if c.strip()):
        matches = [k for k in known if k == code or k.startswith(code + "-")]
        if not matches:
            raise ValueError(f"{code!r} is not a language code the {backend} detector gives; it knows: "
                             + ", ".join(known))
        wanted.update(matches)
    return wanted


def detect(text: str, backend: str = "langdetect") -> tuple[str | None, float]:
    """(language code, probability); (None, 0.0) when the text has nothing to go on."""
    if not text.strip() or not any(ch.isalpha() for ch in text):
        return None, 0.0
    return _answers[backend, sample(text)]


def _detected(asked: tuple[str, str]) -> tuple[str | None, float]:
    """:func:`detect`'s answer for (backend, the text's sample)."""
    from langdetect.lang_detect_exception import LangDetectException

    backend, snippet = asked
    if backend == "langid":
        lang, prob = _langid().classify(snippet)
        return lang, round(float(prob), 4)
    detector = _vector_detector()(load_profiles())
    detector.seed = SEED
    detector.n_trial = N_TRIALS
    detector.append(snippet)
    try:
        best = detector.get_probabilities()
    except LangDetectException:
        return None, 0.0
    if not best:
        return None, 0.0
    return best[0].lang, round(float(best[0].prob), 4)


ANSWERS_REMEMBERED = 2048
"""Samples whose answers are kept (a few MiB at most): a story syndicated word for word, as the wire's copies and
a night's reprints are, is detected once. An answer depends on the sample alone (the detector's seed is fixed),
so a kept one is the one the detector would give: 189 of the bench's 5,000 plain-text documents found theirs."""
_answers = Remembered(_detected, ANSWERS_REMEMBERED)


def forget_answers() -> None:
    """A new run (:class:`corpus.run.executors.LocalExecutor`): the answers are kept for the copies inside one run,
    not for a second run of the same pages in a long-lived process, whose time would then not be a run's."""
    _answers.clear()


def detect_language(doc: Document, backend: str = "langdetect") -> Document:
    doc.lang, doc.lang_prob = detect(doc.text, backend)
    return doc


def keep_languages(docs: Iterable[Document], languages: set[str] | None) -> Iterator[Document]:
    """The ``--lang`` filter; ``None`` keeps everything."""
    for doc in docs:
        if languages is None or doc.lang in languages:
            yield doc
