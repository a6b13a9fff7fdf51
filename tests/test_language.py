from corpus.language import SAMPLE_CHARS, detect, sample
from tests.conftest import STORY

GERMAN = ("Die Wasserbehörde teilte am Montag mit, dass die Pegel der Stauseen auf den tiefsten Stand seit dreißig "
          "Jahren gefallen seien. Haushalte im Norden sollen ihren Verbrauch um ein Fünftel senken.")


def test_detects_and_is_deterministic():
    text = " ".join(STORY)
    results = {detect(text) for _ in range(5)}
    assert len(results) == 1
    lang, prob = results.pop()
    assert lang == "en" and prob > 0.9
    assert detect(GERMAN)[0] == "de"


def test_nothing_to_detect():
    assert detect("") == (None, 0.0)
    assert detect("12 345 — 678") == (None, 0.0)


def test_sample_is_bounded_and_spread_over_the_text():
    paragraphs = [f"Paragraph {i} " + "word " * 60 for i in range(40)]
    text = "\n".join(paragraphs)
    picked = sample(text)
    assert len(picked) <= 2 * SAMPLE_CHARS
    assert "Paragraph 0 " in picked and "Paragraph 39 " in picked and "Paragraph 20 " in picked
