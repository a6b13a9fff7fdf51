"""SentenceEnd answers exactly what the end-anchored patterns it replaced answered; words_up_to counts as split does."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.text import SentenceEnd

CASES = [  # (enders, closers, spaces): the four the cleaner, the learned rules, the signature and the extractor use
    (".!?…。！？؟।", "\"'”’»)]」』）", False),
    (".。!！", "\"'”’»)]", False),
    (".!?…。！？", "\"'”’»)]", True),
    (".!?…;,:", "\"'”’»)]", False),
]
PIECES = st.sampled_from(list(".!?…。！？؟।;,:\"'”’»)]」』）")
                         + [" ", "\n", "\t", "\u00a0", "\u3000", "a", "Z", "7", "é", "—"])


def _pattern(enders: str, closers: str, spaces: bool) -> re.Pattern[str]:
    space = r"\s*" if spaces else ""
    return re.compile(f"[{re.escape(enders)}][{re.escape(closers)}]*{space}$")


@pytest.mark.parametrize(("enders", "closers", "spaces"), CASES)
def test_it_answers_as_the_pattern_on_lines_that_end_like_sentences_or_not(enders: str, closers: str,
                                                                           spaces: bool) -> None:
    ends, pattern = SentenceEnd(enders, closers, spaces), _pattern(enders, closers, spaces)

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(PIECES, max_size=12).map("".join))
    def check(line: str) -> None:
        assert ends.search(line) == bool(pattern.search(line)), repr(line)

    check()


def test_quotes_and_brackets_after_the_stop_still_end_a_sentence() -> None:
    ends = SentenceEnd(".!?", "\"')", spaces=True)
    assert ends.search('He said "no."') and ends.search("(It did.)  ") and ends.search("Done!\n")
    assert not ends.search("Read more") and not ends.search('"Quoted" text') and not ends.search("")


WORDS_AND_SPACES = st.sampled_from(["a", "word", "é", "—", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u2009", "\x1c"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(WORDS_AND_SPACES, max_size=30).map("".join), st.integers(min_value=0, max_value=25))
def test_words_up_to_is_the_word_count_capped_one_past_the_threshold(line: str, most: int) -> None:
    from corpus.text import words_up_to

    assert words_up_to(line, most) == min(len(line.split()), most + 1), repr(line)
