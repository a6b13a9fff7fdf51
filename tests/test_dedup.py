import random

import numpy as np

from corpus.dedup.deduplicator import Deduplicator
from corpus.dedup.minhash import normalise, signature, text_hash
from tests.conftest import STORY


def encoded(words: tuple[str, ...]) -> list[bytes]:
    return [word.encode() for word in words]


OTHER_STORY_SAME_EVENT = [
    "Reservoir levels in the region have dropped to a thirty-year low, the water authority announced, "
    "prompting an emergency meeting of the regional council on Tuesday evening.",
    "Council members voted to fund new pipelines from the southern lakes, a project that engineers say "
    "would take at least four years to complete.",
    "Environmental groups criticised the plan, arguing that the lakes themselves are under stress and that "
    "leaking mains waste a quarter of the water already supplied.",
    "The council also asked the national government for emergency funds to help farmers buy feed.",
]


def light_edit(paragraphs: list[str], seed: int) -> str:
    rng = random.Random(seed)
    edited = list(paragraphs)
    edited[0] = "UPDATED: " + edited[0]
    i = rng.randrange(len(edited))
    edited[i] = edited[i].replace("the", "teh", 1)
    return "\n".join(edited)


def group_of(texts: list[str]) -> dict[int, int]:
    dedup = Deduplicator()
    for i, text in enumerate(texts):
        dedup.add(i, signature(text, dedup.params), f"{i:032x}")
    kept, _ = dedup.groups()
    return {i: kept.get(i, i) for i in range(len(texts))}


def test_normalisation_and_text_hash():
    assert normalise("The  Bridge, re-opened!") == ("the", "bridge", "re", "opened")
    assert text_hash("The bridge reopened.") == text_hash("the  BRIDGE reopened")
    assert text_hash("The bridge reopened.") != text_hash("The bridge closed.")


def test_light_edits_and_cut_copies_group_different_stories_do_not():
    original = "\n".join(STORY)
    texts = [
        original,
        light_edit(STORY, 1),
        "\n".join(STORY[:-1]),  # last paragraph cut
        "\n".join(OTHER_STORY_SAME_EVENT),
    ]
    kept = group_of(texts)
    assert kept[0] == kept[1] == kept[2] == 1, "one group, kept: the copy with the most words"
    assert kept[3] == 3


def test_kept_record_is_the_most_complete_whatever_the_order():
    short = "\n".join(STORY[:4])
    full = "\n".join(STORY)
    assert group_of([short, full]) == {0: 1, 1: 1}
    assert group_of([full, short]) == {0: 0, 1: 0}


def test_ties_go_to_the_earliest_input_and_empty_texts_stand_alone():
    text = "\n".join(STORY)
    assert group_of([text, text, ""]) == {0: 0, 1: 0, 2: 2}


def test_band_index_finds_exactly_the_documents_sharing_a_key(monkeypatch):
    import numpy as np

    from corpus.dedup.deduplicator import BandIndex

    monkeypatch.setattr(BandIndex, "BUFFER_DOCS", 8)  # force many sorted runs and merges
    monkeypatch.setattr(BandIndex, "MAX_RUN_DOCS", 32)
    rng = np.random.default_rng(3)
    index, stored = BandIndex(), []
    for doc in range(300):
        keys = rng.integers(0, 50_000, size=6, dtype=np.uint32)
        if doc % 10 == 0:  # past every run's last key, and a run's first
            keys[0], keys[1] = np.iinfo(np.uint32).max, 0
        if doc % 7 == 0:  # one key twice in a document's bands
            keys[3] = keys[2]
        if doc % 9 in (1, 2, 3):  # keys of the documents before: one alone has them, then two, three
            keys[4:] = stored[-1][1][4:]
        expected = {d for d, k in stored if set(k.tolist()) & set(keys.tolist())}
        assert index.query(keys) == expected
        index.add(doc, keys)
        stored.append((doc, keys))
    rows = np.array([k for _, k in stored[-40:]])  # the sorted runs looked up for many documents at once
    assert index.in_runs(rows) == [index.in_runs(row[None])[0] for row in rows]
    assert any(index.in_runs(rows))


def test_a_batch_of_documents_is_added_as_one_by_one(monkeypatch):
    """``add_many`` (band keys and sorted-run look-ups for a batch at once) gives the groups, matches and ids that
    ``add`` of each gives: with documents without a signature, copies that join groups, and the buffer becoming
    a run in the middle of a batch (after which the batch's other documents find the documents it holds)."""
    import numpy as np

    from corpus.dedup.deduplicator import BandIndex, band_keys32, band_keys32_many
    from corpus.dedup.minhash import MinHashParams

    monkeypatch.setattr(BandIndex, "BUFFER_DOCS", 5)
    monkeypatch.setattr(BandIndex, "MAX_RUN_DOCS", 20)
    params = MinHashParams()
    rng = random.Random(4)
    words = " ".join(STORY + OTHER_STORY_SAME_EVENT).split()
    texts = ["\n".join(STORY), "\n".join(OTHER_STORY_SAME_EVENT)]
    for _ in range(30):
        roll, story = rng.random(), rng.sample(words, 60)
        texts.append("" if roll < 0.1 else light_edit(STORY, rng.randrange(1, 4)) if roll < 0.3
                     else rng.choice(texts) if roll < 0.45 else " ".join(story))
        if roll >= 0.45:  # a copy with one word in twenty changed, right after it: matched, not covered
            texts.append(" ".join(word if rng.random() < 0.95 else rng.choice(words) for word in story))
    signatures = [signature(text, params) for text in texts]
    hashvalues = np.array([sig.hashvalues for sig in signatures if sig is not None])
    assert np.array_equal(band_keys32_many(hashvalues, params),
                          np.array([band_keys32(row, params) for row in hashvalues]))
    one, many = Deduplicator(params), Deduplicator(params)
    for index, sig in enumerate(signatures):
        one.add(index, sig, f"{index:032x}")
    for start in range(0, len(signatures), 13):
        many.add_many([(index, signatures[index], f"{index:032x}") for index in range(start, len(texts))[:13]])
    assert many.groups() == one.groups() and len(one.groups()[0]) > 10
    assert many._bands.flushes == one._bands.flushes > 3


def test_stream_decisions_keep_the_first_of_a_group():
    full = "\n".join(STORY)
    dedup = Deduplicator()
    decisions = []
    for i, text in enumerate([full, "\n".join(OTHER_STORY_SAME_EVENT), light_edit(STORY, 2)]):
        matched = dedup.add(i, signature(text, dedup.params), f"{i:032x}")
        decisions.append(dedup.decide(i, matched))
    assert decisions == [0, 1, 0]


def test_repeated_lines_are_exact_even_when_the_sketch_collides(monkeypatch):
    import corpus.clean.repeated as repeated

    monkeypatch.setattr(repeated, "SKETCH_WIDTH", 16)  # every line collides with many others
    chrome = "Listen to this story"
    stories = [(f"{chrome}\nUnique line number {i} of story {i}", None) for i in range(6)]
    stories += [("A line seen twice\nA different story", None), ("A line seen twice", None)]
    found = repeated.repeated_lines(stories, threshold=4)
    from corpus.clean.line_keys import line_key

    assert found == {line_key(chrome)}


def test_word_hashes_are_xxh32_of_each_words_utf8():
    """The shingles' word hashes are xxh32 of each word's UTF-8, as hashing every word one by one gives."""
    import numpy as np
    import xxhash

    from corpus.dedup.shingles import word_hashes

    words = [*normalise(" ".join(STORY)), "naïve", "Дума", "東京", "🙂"]
    fresh = np.array([xxhash.xxh32_intdigest(w.encode("utf-8")) for w in words], dtype=np.uint64)
    assert (word_hashes([w.encode() for w in words]) == fresh).all()
    assert word_hashes([]).shape == (0,)


def test_signatures_are_datasketchs_affine32_minhash_bit_for_bit(monkeypatch):
    """newsclean computes the MinHash itself (no Python call per shingle); stored signatures must stay
    what datasketch's own update_batch gives, across the batches a long text is cut into."""
    import numpy as np

    import corpus.dedup.minhash as dedup_module
    import corpus.dedup.shingles as shingles_module
    from corpus.dedup.minhash import SCHEME, MinHash, MinHashParams
    from corpus.dedup.shingles import min_hashes, shingle_hashes

    params = MinHashParams()

    def datasketchs(grams: np.ndarray) -> np.ndarray:
        mh = MinHash(num_perm=params.num_perm, seed=params.seed, hashfunc=int, scheme=SCHEME)
        mh.update_batch(grams.tolist())
        return mh.hashvalues

    rng = np.random.default_rng(7)
    permutations = dedup_module._permutations(params.num_perm, params.seed)
    for grams in (rng.integers(0, 2**32, 5_000, dtype=np.uint64).astype(np.uint32),
                  np.array([0, 1, 2**32 - 1], dtype=np.uint32),
                  shingle_hashes(encoded(normalise(" ".join(STORY + OTHER_STORY_SAME_EVENT))), params.shingle_words)):
        ours = min_hashes(grams, permutations)
        assert ours.dtype == datasketchs(grams).dtype and np.array_equal(ours, datasketchs(grams))
    monkeypatch.setattr(shingles_module, "BATCH", 7)  # several steps: the minimum carries over
    grams = shingle_hashes(encoded(normalise(" ".join(STORY))), params.shingle_words)
    assert np.array_equal(signature(" ".join(STORY), params).hashvalues, datasketchs(grams))


def test_minima_over_every_shingle_are_those_over_the_distinct_ones_at_their_first_place(monkeypatch):
    """A signature is taken over every shingle, repeats included: the same minima as over the distinct shingles
    (what datasketch hashes), each found at the first place its shingle stands (its line's tag), across the
    batches a long text is cut into; and the count of distinct shingles is ``np.unique``'s."""
    import numpy as np

    from corpus.dedup import shingles as shingles_module
    from corpus.dedup.minhash import _permutations
    from corpus.dedup.shingles import distinct_count, min_hashes_at

    permutations = _permutations(128, 1)
    rng = np.random.default_rng(11)
    wide = rng.integers(0, 2**32, 2_000, dtype=np.uint64).astype(np.uint32)
    for batch in (50_000, 7):
        monkeypatch.setattr(shingles_module, "BATCH", batch)
        for values in (rng.integers(0, 40, 300).astype(np.uint32), np.array([5], dtype=np.uint32),
                       np.array([7, 7, 7], dtype=np.uint32), wide, np.concatenate((wide[:50], wide[:50]))):
            distinct, first = np.unique(values, return_index=True)
            assert distinct_count(values) == len(distinct)
            expected, at = min_hashes_at(distinct, permutations)
            minima, where = min_hashes_at(values, permutations)
            assert np.array_equal(minima, expected) and np.array_equal(where, first[at])
    assert distinct_count(np.empty(0, dtype=np.uint32)) == 0


def test_a_batch_run_lets_go_of_what_its_second_pass_no_longer_reads(tmp_path, monkeypatch):
    """Main-process memory (issue 25): once the first groups are known, the first signatures' band index
    goes; the second pass lets go of each chunk of first signatures behind it, and the line sketch is gone
    before it starts. The records are those of a run that keeps everything."""
    import json

    import corpus.dedup.deduplicator as deduplicator
    import corpus.dedup.minhash as minhash
    from corpus import Ingest, IngestOptions
    from corpus.clean.repeated import RepeatedLines

    rng = random.Random(5)
    words = [f"{a}{b}" for a in ("mar", "tel", "sun", "ord", "pal", "vik") for b in ("ek", "ona", "is", "um", "ar")]
    stories = [" ".join(rng.choice(words) for _ in range(90)) for _ in range(14)]
    for i in range(30):  # a shared chrome line (the sketch proposes it), copies of earlier stories
        story = stories[i % len(stories)] if i < 20 else stories[i % 5] + " updated"
        (tmp_path / f"{i:02d}.txt").write_text(f"Sign up for the Harbour Times newsletter today\n{story}\n")
    monkeypatch.setattr(minhash.SignatureStore, "CHUNK", 4)
    made: list[deduplicator.Deduplicator] = []
    original = deduplicator.Deduplicator.__init__

    def tracked(self, *args, **kwargs):  # noqa: ANN002, ANN003 - Deduplicator's own
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(deduplicator.Deduplicator, "__init__", tracked)

    def records() -> tuple[list[str], Ingest]:
        made.clear()
        run = Ingest(IngestOptions(workers=1, keep_duplicates=True, repeated_line_min_groups=3))
        return [json.dumps(r, sort_keys=True) for r in run.records([str(tmp_path)])], run

    lean, run = records()
    first = made[1]  # the run's own Deduplicator comes first, the votes' one second
    assert first._bands.query(np.zeros(1, np.uint32)) == set() and not first._bands._runs
    assert first._store._released == 30 // 4 and first._store._values[0].size == 0
    assert run.lines.lines._sketch is None
    assert sum(json.loads(r)["duplicate_of"] is not None for r in lean) >= 10
    assert not any("newsletter" in json.loads(r)["text"] for r in lean)  # the line was counted, taken out
    for name in ("finish_adding", "release_signatures_before"):
        monkeypatch.setattr(deduplicator.Deduplicator, name, lambda self, *args: None)
    monkeypatch.setattr(RepeatedLines, "release_sketch", lambda self: None)
    kept_all, _ = records()
    assert lean == kept_all


def test_latin1_lines_take_a_shortcut_to_the_same_words():
    """words_of's byte-table path (ASCII, Latin-1, typographic punctuation) must agree with NFKC, case folding
    and \\w+ on every Latin-1 character and on random mixes with the characters it must leave to the regex
    (ß, µ, ¼, ﬁ, combining marks, Cyrillic, Greek, CJK), and the regex path must still serve other lines."""
    import re
    import unicodedata

    from corpus.dedup.minhash import _as_latin1, word_bytes, words_of
    from corpus.text import TYPOGRAPHY

    def by_regex(text: str) -> tuple[str, ...]:
        return tuple(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))

    for mark in TYPOGRAPHY:
        assert by_regex(f"a{mark}b") == ("a", "b"), f"U+{ord(mark):04X} must part words as a space does"
    rng = random.Random(7)
    latin1 = [chr(c) for c in range(256)]
    others = [*TYPOGRAPHY, "ß", "µ", "¼", "ﬁ", "\u0301", "\u0308", "й", "Ж", "Σ", "ς", "İ", "東", "?", "\u2028"]
    samples = [chr(c) for c in range(256)]
    samples += ["".join(rng.choice(latin1) for _ in range(rng.randrange(80))) for _ in range(3000)]
    samples += ["".join(rng.choice(latin1 + others) for _ in range(rng.randrange(80))) for _ in range(3000)]
    samples += ["Don't_stop: 3.5% of U.S. co-ops\x1fsaid\x0bso", "", "   ", "ÉCOLE Straße ﬁne ½ x²", "naïve café",
                "“Ja”, sagte Müller – «très» bien… 5 €", "e\u0301té", "¿Qué? ¡Sí!", "a?b’c", "Œuvre"]
    for text in samples:
        assert words_of(text) == by_regex(text), repr(text)
        assert word_bytes(text) == encoded(by_regex(text)), repr(text)  # the signature's words, in UTF-8
    assert _as_latin1("“Ja”, sagte Müller – «très» bien… 5 €") is not None  # the shortcut does serve such lines
    assert _as_latin1("Straße") is None and _as_latin1("Путин сказал") is None
    assert words_of("Straße FINE") == ("strasse", "fine")


def test_a_story_lines_words_are_its_split_whatever_was_counted_before():
    """story_lines reads a line's words from the count the cleaner kept (exact up to COUNTED_WORDS) and splits
    only longer lines: the number must be the split's for short, long and white-space-padded lines, counted
    before or not, after the counts were forgotten."""
    from corpus.dedup.story import _words_in
    from corpus.text import forget_word_counts, words_up_to

    lines = ["", "  ", "one", " two  words ", "\tthree\u00a0words here"]
    lines += [" ".join(["w"] * n) for n in (49, 50, 51, 120)]
    for counted_first in (False, True):
        forget_word_counts()
        for line in lines:
            if counted_first:
                words_up_to(line, 3)
            assert _words_in(line) == len(line.split()), (line[:20], counted_first)


def test_a_documents_hash_and_signature_are_those_of_its_text_and_its_story():
    """The worker signs each line once (its words and their join serve the text hash, the signature and the
    line tags): the same hash as the whole text's, the same signature and tags as its story text's, with blank
    lines, lines of punctuation only, Latin-1 and other scripts among them."""
    import numpy as np

    from corpus.dedup.minhash import MinHashParams
    from corpus.dedup.story import hash_and_sign, story_text

    params = MinHashParams()
    texts = ["\n".join(STORY), "\n".join([STORY[0], "", "— * —", *STORY[1:], "", "Crédit : Agence — Ça va ?"]),
             "Москва. В пятницу правительство объявило о новых мерах поддержки для малого бизнеса.\n***\n" + STORY[2],
             "Short line\nAnother short one\n---"]
    for text in texts:
        hashed, signed, _, _, _ = hash_and_sign(text, params)
        assert hashed == text_hash(text)
        expected = signature(story_text(text), params)
        assert np.array_equal(signed.hashvalues, expected.hashvalues)
        assert np.array_equal(signed.tags, expected.tags) and signed.words == expected.words


def test_a_text_that_lost_lines_signs_alike_from_the_words_its_lines_had():
    """The second pass signs a text that lost lines, reading the words and story marks of the lines it kept from
    its first pass (``earlier``): the same hash, signature, tags, story key and marks as reading every line again,
    whichever lines went (a first line with its spaces stripped, repeated lines, blank runs, other scripts, a ß,
    a short line that is prose or not, a long one without an end), and with the signature known before or not.
    Words and marks that do not fit the lines are not used."""
    import numpy as np

    from corpus.dedup.minhash import MinHashParams
    from corpus.dedup.story import earlier_words, hash_and_sign
    from corpus.text import joined_lines

    params = MinHashParams()
    lines = [*STORY, "", "", "Follow us for more — every day.", "  Indented line of Straße news, with ß.",
             "Москва. В пятницу правительство объявило о новых мерах поддержки для малого бизнеса.", STORY[1],
             "Share this", "“Quoted,” she said… 5 €", "東京で会議が開かれた。", "It rained all day long.",
             " ".join(["word"] * 30), "Six words but no end here"]
    rng = random.Random(3)
    for trial in range(60):
        before = "\n".join(rng.sample(lines, rng.randrange(3, len(lines))))
        first = hash_and_sign(before, params)
        kept = [line for line in before.split("\n") if rng.random() < 0.7]
        after = joined_lines(kept)  # what a corpus-level rule leaves (apply_verdicts)
        for known in (None, (first.story_key, first.signature)):
            fresh = hash_and_sign(after, params, known)
            reused = hash_and_sign(after, params, known, earlier_words(before, first.words, first.marks))
            assert (reused.text_hash, reused.story_key, reused.words, reused.marks) \
                == (fresh.text_hash, fresh.story_key, fresh.words, fresh.marks)
            assert (reused.signature is None) == (fresh.signature is None), trial
            if fresh.signature is not None:
                assert np.array_equal(reused.signature.hashvalues, fresh.signature.hashvalues)
                assert np.array_equal(reused.signature.tags, fresh.signature.tags)
                assert reused.signature.words == fresh.signature.words
    assert earlier_words("one\ntwo", b"one", [2]) is None and earlier_words("one", b"", []) is None
    assert earlier_words("one\ntwo", b"one\ntwo", [2]) is None  # marks of other lines
