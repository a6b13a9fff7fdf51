from pathlib import Path

import pytest

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


def test_threads_detecting_at_once_give_the_answers_one_thread_gives():
    """Each thread has its generator (Dask runs documents in threads): a shared one would mix their draws."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [" ".join(STORY), GERMAN, "Le gouvernement a annoncé mardi un plan pour les rivières du pays.",
             "El gobierno anunció el martes un plan para los ríos del país y sus embalses."] * 8
    alone = [detect(text) for text in texts]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(detect, texts)) == alone


def test_nothing_to_detect():
    assert detect("") == (None, 0.0)
    assert detect("12 345 — 678") == (None, 0.0)


def test_sample_is_bounded_and_spread_over_the_text():
    paragraphs = [f"Paragraph {i} " + "word " * 60 for i in range(40)]
    text = "\n".join(paragraphs)
    picked = sample(text)
    assert len(picked) <= 2 * SAMPLE_CHARS
    assert "Paragraph 0 " in picked and "Paragraph 39 " in picked and "Paragraph 20 " in picked


def test_langid_backend_agrees_and_is_deterministic():
    from corpus.language import backend_available

    assert backend_available("langid"), "py3langid comes with the test extra"
    text = " ".join(STORY)
    assert detect(text, "langid") == detect(text, "langid")
    assert detect(text, "langid")[0] == "en" and detect(GERMAN, "langid")[0] == "de"
    assert detect("", "langid") == (None, 0.0)


def test_cli_language_backend(run_cli):
    from tests.conftest import EXAMPLES

    code, records, _ = run_cli("ingest", str(EXAMPLES), "--lang-backend", "langid", "--lang", "de", "--workers", "1")
    assert code == 0 and [r["lang"] for r in records] == ["de"]
    code, _, stderr = run_cli("ingest", str(EXAMPLES), "--lang-backend", "fasttext")
    assert code == 2


def test_vector_detector_gives_langdetects_own_answers():
    """The numpy inner loop and the inlined n-gram reader change speed only: the same probabilities, unrounded,
    as langdetect's stock Detector on the same seed and sample, in many scripts and languages."""
    import gzip
    import json
    import os

    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    from corpus.language import N_TRIALS, SEED, _vector_detector
    from corpus.language.profiles import load_profiles
    from tests.conftest import SEEDS

    langdetects_own = DetectorFactory()  # its own loader, given the profiles in the same (sorted) order
    langdetects_own.load_json_profile([(Path(PROFILES_DIRECTORY) / name).read_text(encoding="utf-8")
                                       for name in sorted(os.listdir(PROFILES_DIRECTORY))])
    langdetects_own.set_seed(SEED)
    profiles = load_profiles()
    assert profiles.langlist == langdetects_own.langlist
    assert profiles.word_lang_prob_map.keys() == langdetects_own.word_lang_prob_map.keys()
    grams = list(langdetects_own.word_lang_prob_map)
    for gram in ["a", "th", "die", "ж"] + grams[::997]:
        assert profiles.weights[profiles.word_lang_prob_map[gram]].tolist() == langdetects_own.word_lang_prob_map[gram]

    def probabilities(detector) -> list[tuple[str, float]] | None:  # noqa: ANN001 - a langdetect Detector
        detector.seed, detector.n_trial = SEED, N_TRIALS
        detector.append(sample(text))
        try:
            return [(found.lang, found.prob) for found in detector.get_probabilities()]
        except LangDetectException:
            return None

    texts = [GERMAN, " ".join(STORY), "Ceci est un court texte en français, écrit pour le test.", "ΑΘΗΝΑ Η κυβέρνηση",
             "Правительство объявило о новых мерах.", "政府は新しい対策を発表した。", "정부는 새로운 대책을 발표했다",
             "USA AND NATO LEADERS MET IN BRUSSELS", "Ș ș Ț ț Ẽ ẽ", "x"]
    gold = SEEDS.parent / "bench" / "extraction" / "ground-truth.json"
    if gold.is_file():
        texts += [item["articleBody"] for item in json.loads(gold.read_text(encoding="utf-8")).values()][:120]
    for page in sorted((SEEDS.parent / "bench" / "snippets" / "html").glob("*.html.gz"))[:60]:
        with gzip.open(page, "rt", encoding="utf-8", errors="replace") as handle:
            texts.append(handle.read()[-3000:])
    for text in texts:  # every language's probability, unrounded
        ours = probabilities(_vector_detector()(profiles))
        assert ours == probabilities(langdetects_own.create()), text[:80]
        assert detect(text) == ((ours[0][0], round(ours[0][1], 4)) if ours else (None, 0.0))


def test_remembered_words_are_bounded_and_change_no_answer(monkeypatch):
    """The detector remembers each word's n-grams; past its bound it forgets them all, and answers stay the same."""
    import corpus.language as language

    texts = [" ".join(STORY), GERMAN, "Правительство объявило о новых мерах.", "USA AND NATO LEADERS MET"]
    remembered = [detect(text) for text in texts]
    words = language._vector_detector().remembered_words
    monkeypatch.setattr(words, "limit", 3)
    words.clear()  # every word a miss now: the bound is what keeps it small
    language._answers.clear()  # and every text detected again, not answered from the kept samples
    assert [detect(text) for text in texts] == remembered
    assert 0 < len(words) <= 3


def test_a_repeated_sample_is_answered_from_the_kept_answers_which_are_bounded(monkeypatch):
    """A text whose sample was seen is answered without detecting it again, with the answer a detection gives
    (for both backends, a text with no features included); past the bound every answer is forgotten at once."""
    import corpus.language as language

    texts = [" ".join(STORY), GERMAN, "Правительство объявило о новых мерах.", "USA AND NATO LEADERS MET", "1234 !!"]
    detected: list[tuple[str, str]] = []

    def counted(asked: tuple[str, str]) -> tuple[str | None, float]:
        detected.append(asked)
        return language._detected(asked)

    monkeypatch.setattr(language._answers, "compute", counted)
    monkeypatch.setattr(language._answers, "limit", 6)
    language._answers.clear()
    for backend in ("langdetect", "langid"):
        first = [detect(text, backend) for text in texts[:3]]
        again = [detect(text, backend) for text in texts[:3]]
        assert first == again == [language._detected((backend, language.sample(text))) for text in texts[:3]]
    assert len(detected) == 6  # each sample detected once a backend
    assert detect(texts[3]) == language._detected(("langdetect", texts[3]))
    assert detect(texts[4]) == (None, 0.0)  # nothing to go on: never asked
    assert len(detected) == 7 and len(language._answers) == 1  # the seventh sample: the six kept ones forgotten


def test_the_kept_answers_serve_the_copies_inside_a_run_not_a_second_run(monkeypatch, tmp_path):
    """Two copies of a story in one run are detected once; a second run of the same files in the same process
    detects them again (a benchmark's rounds, a library user's reruns: a run's time is its own), with the
    same records."""
    import corpus.language as language
    from corpus import Ingest, IngestOptions
    from corpus.run.process import warm_up

    warm_up()  # its text is detected once a process, not a run's
    for name, text in (("a.txt", GERMAN), ("b.txt", GERMAN), ("c.txt", " ".join(STORY))):
        (tmp_path / name).write_text(text, encoding="utf-8")
    detected: list[tuple[str, str]] = []
    real = language._answers.compute
    monkeypatch.setattr(language._answers, "compute", lambda asked: detected.append(asked) or real(asked))
    paths = [str(p) for p in sorted(tmp_path.glob("*.txt"))]
    runs = [list(Ingest(IngestOptions(workers=1, keep_duplicates=True)).records(paths)) for _ in range(2)]
    assert len(detected) == 4 and len(set(detected)) == 2  # each run: the two stories, the copy answered
    assert runs[0] == runs[1] and [r["lang"] for r in runs[0]] == ["de", "de", "en"]


def test_the_detectors_text_preparation_is_langdetects_own():
    """append and cleaning_text without their character loops: the same text as langdetect's own methods,
    on texts of spaces, Latin, the characters between the cases, accents, Vietnamese, Cyrillic, CJK, URLs."""
    import random

    from langdetect.detector import Detector

    from corpus.language import _vector_detector

    pieces = [" ", "  ", "a", "Z", "[", "`", "é", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u02ff", "\u07ff",
              "\u0800", "\u1e00", "\u1ef9", "ệ", "д", "中", "ا", "\U0001f600", "http://x.example/a b", "https://y.ex",
              "://", "me@mail.example", "@", "\ud800", "Tiếng Việt", "\n", "\t"]
    rng = random.Random(11)
    ours = _vector_detector()
    for _ in range(6000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        theirs, mine = Detector.__new__(Detector), ours.__new__(ours)
        for detector in (theirs, mine):
            detector.text, detector.max_text_length = "", rng.choice([10_000, 7])
        mine.max_text_length = theirs.max_text_length
        Detector.append(theirs, text)
        mine.append(text)
        assert mine.text == theirs.text, repr(text)
        Detector.cleaning_text(theirs)
        mine.cleaning_text()
        assert mine.text == theirs.text, repr(text)


@pytest.mark.parametrize("count", [1, 2, 3, 64, 65, 1000])
def test_the_drawn_rows_are_the_ones_random_choice_gives(monkeypatch, count):
    import random

    from corpus import language

    rows = list(range(100, 100 + count))
    for shortcut in (True, False):
        monkeypatch.setattr(language, "_CHOICE_DRAWS_BITS", shortcut)
        ours, theirs = random.Random(7), random.Random(7)
        draw = language._drawing(ours, rows)
        for size in (1, 5, 5, 3):
            assert draw(size) == [theirs.choice(rows) for _ in range(size)]
        assert ours.random() == theirs.random()  # the generator is left where choice leaves it


def test_the_profiles_are_kept_in_the_cache_and_read_back_the_same(tmp_path, monkeypatch):
    """The weighed profiles are kept under $XDG_CACHE_HOME/newsclean and read back equal (their weights mapped
    from the file); another langdetect's that nothing read for 30 days go; a file cut short is weighed again and
    kept whole; a cache home that cannot be a folder keeps nothing and changes nothing."""
    import os
    import time

    import numpy as np

    from corpus.language.profiles import _loaded, load_profiles

    def same(a, b) -> bool:  # noqa: ANN001 - two Profiles
        return a.langlist == b.langlist and a.word_lang_prob_map == b.word_lang_prob_map \
            and np.array_equal(a.weights, b.weights)

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "newsclean"
    folder.mkdir(parents=True)
    for name, days in (("langdetect-unused", 40), ("langdetect-in-use", 2)):  # another langdetect's
        for suffix in (".npy", ".json"):
            (folder / (name + suffix)).write_text("x")
            os.utime(folder / (name + suffix), (time.time() - days * 86400,) * 2)
    try:
        _loaded.cache_clear()
        weighed = load_profiles()
        kept = sorted(p.name for p in folder.iterdir() if not p.name.startswith("langdetect-in-use"))
        assert [Path(name).suffix for name in kept] == [".json", ".npy"]  # the one read 40 days ago went
        assert (folder / "langdetect-in-use.npy").exists() and (folder / "langdetect-in-use.json").exists()
        own = next(p for p in folder.glob("*.npy") if p.name != "langdetect-in-use.npy")
        os.utime(own, (time.time() - 40 * 86400,) * 2)
        _loaded.cache_clear()
        read_back = load_profiles()
        assert isinstance(read_back.weights, np.memmap) and same(read_back, weighed)
        assert own.stat().st_mtime > time.time() - 600  # read: in use again

        weights_file = own
        whole = weights_file.stat().st_size
        with open(weights_file, "r+b") as handle:
            handle.truncate(whole // 2)
        _loaded.cache_clear()
        assert same(load_profiles(), weighed) and weights_file.stat().st_size == whole

        (tmp_path / "not-a-folder").write_text("x")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
        _loaded.cache_clear()
        assert same(load_profiles(), weighed)
        assert detect(GERMAN)[0] == "de"
    finally:
        _loaded.cache_clear()


def test_threads_asking_for_the_profiles_at_once_get_one_copy(monkeypatch):
    """A Dask worker's threads start together: one reads the profiles, the others wait for the same object
    (each read its own 38 MB before the lock)."""
    import threading
    import time

    from corpus.language import profiles

    real = profiles._read_cache

    def slow_read(path: str):  # noqa: ANN202 - what _read_cache gives
        time.sleep(0.05)  # a slow disk: every thread is waiting by the time the first has read
        return real(path)

    monkeypatch.setattr(profiles, "_read_cache", slow_read)
    start, got = threading.Barrier(8), []

    def ask() -> None:
        start.wait()
        got.append(profiles.load_profiles())

    profiles._loaded.cache_clear()
    try:
        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        profiles._loaded.cache_clear()
    assert len(got) == 8 and len({id(loaded) for loaded in got}) == 1
