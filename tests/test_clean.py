"""The cleaner on chrome written for these tests (never the seeds' strings)."""

import pytest

from corpus.clean.cleaner import clean_text
from corpus.clean.line_keys import line_keys
from corpus.clean.repeated import remove_corpus_chrome
from corpus.clean.rules import ALL_RULES, rules_fingerprint
from corpus.document import Document, Source
from tests.conftest import STORY

BODY = "\n\n".join(STORY)


def rules_removing(text: str) -> dict[str, str]:
    _, removed = clean_text(text)
    return {r.rule: r.text for r in removed}


def assert_story_kept(cleaned: str) -> None:
    for sentence in STORY:
        assert sentence in cleaned


def test_clean_story_is_left_alone():
    cleaned, removed = clean_text(BODY)
    assert cleaned == BODY and removed == []


@pytest.mark.parametrize(
    "chrome, rule",
    [
        ("Follow us on Instagram for more stories like this", "cta-social"),
        ("Get breaking alerts on our WhatsApp channel", "cta-social"),
        ("Subscribe to our daily newsletter for the headlines", "cta-newsletter"),
        ("Download the Daily Courier app for iPhone and Android", "cta-app"),
        ("Become a member and support independent journalism", "cta-support"),
        ("Share on Facebook | Twitter | Email | Print", "share-bar"),
        ("This website uses cookies to give you the best experience", "cookie-notice"),
        ("© 2025 Northern Courier Ltd", "copyright"),
        ("Copyright Northern Courier. All rights reserved.", "copyright"),
        ("12 minutes ago", "relative-time"),
        ("Updated at 4:05 p.m.", "relative-time"),
        ("Home » Regions » North", "navigation"),
        ("World › Europe › Farm Policy", "navigation"),  # a breadcrumb: the rule's half with needles (an arrow)
        ("March 3, 2025 14:05", "page-meta"),  # a date-and-time stamp: the other half with needles (a year)
        ("5 min read", "page-meta"),
        ("Tags: drought, water, farming", "navigation"),
        ("Advertisement", "advertisement"),
        ("Story continues below advertisement", "advertisement"),
        ("READ MORE: Heatwave warning issued for the weekend", "inline-related"),
        ("desk@northern-courier.example", "contact-email"),
    ],
)
def test_line_rules_remove_chrome_lines_anywhere(chrome, rule):
    text = f"{STORY[0]}\n\n{STORY[1]}\n\n{chrome}\n\n" + "\n\n".join(STORY[2:])
    cleaned, removed = clean_text(text)
    assert chrome not in cleaned
    assert [r.rule for r in removed] == [rule]
    assert_story_kept(cleaned)


def test_related_heading_ends_the_story_with_the_stories_under_it():
    tail = ("More on this story\n"
            "Heatwave warning issued for the weekend\n"
            "Farmers count the cost of a dry spring as prices for feed keep climbing across the region this year.\n"
            "River levels lowest since records began")
    cleaned, removed = clean_text(BODY + "\n\n" + tail)
    assert cleaned == BODY
    assert [r.rule for r in removed] == ["related-block"]
    assert "Farmers count the cost" in removed[0].text


def test_bio_needs_a_self_description():
    bio = "About Priya Natarajan\nPriya Natarajan is a senior correspondent who covers climate and energy."
    assert rules_removing(BODY + "\n\n" + bio) == {"author-bio": bio}
    heading = "About the study\nThe survey covered 3,000 households in eleven towns across the region."
    cleaned, _ = clean_text(BODY + "\n\n" + heading)
    assert "The survey covered 3,000 households" in cleaned


def test_comment_section_and_credits_go_with_what_follows():
    text = BODY + "\n\nReporting by Ana Silva; Editing by Mark Hale\nnewsdesk@courier.example\nCourier Regional Desk"
    cleaned, removed = clean_text(text)
    assert cleaned == BODY
    assert removed[0].rule == "editor-credit" and "Courier Regional Desk" in removed[0].text + removed[-1].text

    text = BODY + "\n\n3 Comments\nPosted by reader: what a disgrace this drought policy is!\nReply"
    cleaned, removed = clean_text(text)
    assert cleaned == BODY and removed[0].rule == "comments"


def test_a_story_heading_at_the_top_is_only_navigation():
    text = "Related\n\n" + BODY
    cleaned, removed = clean_text(text)
    assert cleaned == BODY and [r.rule for r in removed] == ["related-block"]


def test_call_to_action_tacked_onto_a_paragraph_is_cut_off_it():
    text = STORY[0] + " Join our Telegram channel for the latest updates.\n\n" + "\n\n".join(STORY[1:])
    cleaned, removed = clean_text(text)
    assert cleaned == BODY
    assert [(r.rule, r.text) for r in removed] == [("cta-social", "Join our Telegram channel for the latest updates.")]


def test_a_story_sentence_mentioning_a_channel_is_kept():
    sentence = "The minister urged farmers to join the authority's WhatsApp group for drought warnings."
    cleaned, _ = clean_text(BODY + "\n\n" + sentence)
    assert sentence in cleaned


def test_short_fragments_after_the_last_paragraph_and_before_a_boundary():
    text = BODY + "\n\nTry Our Premium Features\nDiscover what our briefings offer:\nComments\nNo comments yet"
    cleaned, removed = clean_text(text)
    assert cleaned == BODY
    assert {r.rule for r in removed} >= {"cta-app", "tail-fragment", "comments"}
    cleaned, removed = clean_text(BODY + "\n\nNorthern Courier\nRegional News Service")
    assert cleaned == BODY and removed[0].rule == "tail-fragment"


def test_nothing_is_removed_from_a_text_of_fragments_only():
    text = "Water limits\nNorthern districts"
    assert clean_text(text)[0] == text


def test_repeated_lines_across_stories_are_removed_and_recorded():
    chrome = "Listen to this article on the Courier Player"
    doc = Document(id="x", source=Source("a.txt", "/a.txt", "0", 1, "text"), text=BODY + "\n" + chrome)
    repeated = line_keys(chrome)
    remove_corpus_chrome(doc, set(), repeated, None)
    assert doc.text == BODY and doc.removed[0].rule == "repeated-line"


def test_every_rule_has_a_name_and_reason_and_the_fingerprint_is_stable():
    for rule in ALL_RULES:
        assert rule.name and rule.reason and rule.kind in {"line", "boundary", "box"}
    assert rules_fingerprint() == rules_fingerprint()


def test_a_rule_in_parts_has_one_name_kind_and_reason_and_each_part_its_own_fields():
    """``in_parts``: what the parts share is said once; a part's own fields win over the shared ones."""
    from corpus.clean.rules.shapes import in_parts, rx

    opening, other = in_parts("credit", "line", "credits", (rx(r"^by\b"), {}),
                              (rx(r"contributed"), {"needles": ("contributed",), "max_chars": 90}),
                              max_chars=300, prose_guard=True)
    assert {(part.name, part.kind, part.reason) for part in (opening, other)} == {("credit", "line", "credits")}
    assert (opening.pattern.pattern, opening.needles, opening.max_chars) == (r"^by\b", (), 300)
    assert (other.pattern.pattern, other.needles, other.max_chars) == ("contributed", ("contributed",), 90)
    assert opening.prose_guard and other.prose_guard and not other.suffix


def test_unpunctuated_call_to_action_on_a_paragraph_keeps_the_story_sentence():
    text = "\n\n".join(STORY[:-1]) + "\n\n" + STORY[-1] + " Follow us on Google News and Telegram"
    cleaned, removed = clean_text(text)
    assert cleaned == BODY
    assert [(r.rule, r.text) for r in removed] == [("cta-social", "Follow us on Google News and Telegram")]


def test_short_paragraph_ending_in_a_share_prompt_keeps_its_sentence():
    text = BODY + "\n\nThe ban ends in October. Like this story? Share it with your friends!"
    cleaned, _ = clean_text(text)
    assert cleaned.endswith("The ban ends in October.")


def test_a_story_run_together_in_one_paragraph_still_ends_at_a_related_heading():
    text = " ".join(STORY) + "\nYou might also like\nHeatwave warning issued for the weekend\nRiver levels at a low"
    cleaned, removed = clean_text(text)
    assert cleaned == " ".join(STORY)
    assert removed[0].rule == "related-block" and "River levels at a low" in removed[0].text


def test_a_box_mid_article_removes_its_headlines_and_the_story_resumes():
    text = (f"{STORY[0]}\n\n{STORY[1]}\n\nDON'T MISS\nHeatwave warning issued for the weekend\n"
            "River levels lowest since records began\n\n" + "\n\n".join(STORY[2:]))
    cleaned, removed = clean_text(text)
    assert cleaned == BODY and [r.rule for r in removed] == ["related-box"]


def test_a_long_run_of_short_lines_at_the_end_is_a_list_not_chrome():
    tour = "\n".join(f"June {d} -- Arena {d}, Springfield" for d in range(10, 16))
    cleaned, removed = clean_text(BODY + "\n\nTour dates:\n" + tour)
    assert cleaned.endswith(tour) and removed == []


def test_only_rules_anchored_at_the_start_are_joined_into_one_pattern() -> None:
    """The joined pattern is tried with ``match`` (at the line's start only): a rule goes into it only when
    every branch of its pattern opens with ``^``; and it does hold the English rules that do."""
    import re

    from corpus.clean.matching import LINE_RULES, _bundles, _opens_at_start
    from corpus.clean.matching import _sre_parse as parse

    def anchored(pattern: str) -> bool:
        return _opens_at_start(list(parse.parse(pattern, re.I | re.X)))

    assert anchored(r"^\W*share") and anchored(r"(?:^a|^b)") and anchored(r"^a|^b") and anchored(r"\Aa")
    assert not anchored(r"^a|b") and not anchored(r"a^") and not anchored(r"(?=x)^a") and not anchored(r"\bshare")
    joined = {rule.name for rule in LINE_RULES if _bundles(rule)}
    assert {"comments", "share-bar", "advertisement"} <= joined
    assert not any(rule.gate or rule.needles for rule in LINE_RULES if _bundles(rule))


def test_needles_and_length_limits_never_change_a_decision():
    """The prefilters (needles, the phrase kinds that open a line) only skip patterns that could not match:
    checked against the regex alone, on English text and on every language's chrome."""
    import json
    import random
    import sys

    from corpus.clean.matching import RULE_SETS as _RULE_SETS
    from corpus.clean.matching import matches as _matches
    from corpus.clean.matching import search as _search
    from corpus.clean.rules import phrase_kinds
    from tests.conftest import ROOT, SEEDS
    from tests.test_rules_languages import CASES, CREDITS_AND_PLUGS

    lines = list(STORY) + [line for line, _ in CREDITS_AND_PLUGS]
    lines += [line for story, chrome in CASES.values() for line in story + [c for c, _ in chrome]]
    gold = SEEDS.parent / "bench" / "extraction" / "ground-truth.json"
    if gold.is_file():
        lines += [line for v in json.loads(gold.read_text()).values() for line in v["articleBody"].split("\n")]
    sys.path.insert(0, str(ROOT / "bench"))
    import chrome

    rng = random.Random(5)
    for _ in range(300):
        lines += chrome.dress("Body paragraph.", "A headline for the test", ["Other story one", "Other two"],
                              rng.randrange(10**6)).split("\n")
    for line in {line.strip() for line in lines if line.strip()}:
        lowered = line.lower()
        kinds = phrase_kinds(lowered)
        for rules in _RULE_SETS:  # the line, suffix, box and boundary rules, as the cleaner walks them
            found = [rule for rule, _ in _matches(rules, line, lowered, kinds)]
            alone = [rule for rule in rules if _search(rule, line, lowered) and len(line) <= (rule.max_chars or 1000)]
            assert found == alone, (line, [r.name for r in found], [r.name for r in alone])


def test_a_rule_with_two_groups_of_needles_still_takes_every_line_its_pattern_takes():
    """``also_needles``: a line must hold one needle of each group. Calls to action of every branch of those rules,
    in several casings, are taken exactly as the pattern alone takes them."""
    from corpus.clean.matching import LINE_RULES as rules
    from corpus.clean.matching import matches, search
    from corpus.clean.rules import phrase_kinds

    grouped = [rule for rule in rules if rule.also_needles]
    assert {rule.name for rule in grouped} >= {"cta-social", "cta-app", "cta-engagement"}
    calls = ["Follow us on Twitter for updates.", "Join our Telegram channel", "Like us on Facebook",
             "Stay connected on WhatsApp", "Check out our YouTube channel", "Add us on Snapchat", "FIND US ON X",
             "Connect with us on LinkedIn", "Get the latest on Google News", "Click here to follow us on X.com",
             "Tap to subscribe to our RSS feed", "Subscribe to our Flipboard magazine", "Get our app for its features",
             "Download the app", "Install our free app now", "Try the new app features", "Now on the App Store",
             "Get it on Google Play", "Share this story with a friend", "If you enjoyed this article, share it",
             "If you VALUE our journalism, donate", "Have a news tip? Write to us", "Got a tip?",
             "Letters to the editor: we want to hear from you", "Loved this story? Like this article?",
             "The minister said she would follow the advice of the health service on Twitter and elsewhere."]
    taken = 0
    for line in calls:
        lowered = line.lower()
        found = [rule for rule, _ in matches(rules, line, lowered, phrase_kinds(lowered))]
        alone = [rule for rule in rules if search(rule, line, lowered) and len(line) <= (rule.max_chars or 1000)]
        assert found == alone, line
        taken += any(rule in grouped for rule in found)
    assert taken >= 20


def test_an_inline_related_box_does_not_end_the_story_when_story_paragraphs_follow():
    """"Related stories" between paragraphs: the heading and its headlines go, the story after it stays."""
    box = "Related stories\nHeatwave warning issued for the weekend\nRiver levels lowest since records began"
    text = f"{STORY[0]}\n\n{STORY[1]}\n\n{box}\n\n" + "\n\n".join(STORY[2:])
    cleaned, removed = clean_text(text)
    assert cleaned == BODY and [(r.rule, r.text) for r in removed] == [("related-block", box)]
    bare = f"{STORY[0]}\n\n{STORY[1]}\n\nRelated Articles\n\n" + "\n\n".join(STORY[2:])  # the links left out
    assert clean_text(bare)[0] == BODY
    teasers = ("Related stories\nHeatwave warning issued for the weekend\n"
               "Forecasters expect temperatures above thirty degrees in most of the region on Saturday.\n"
               "River levels lowest since records began\n"
               "The river authority says levels have fallen for nine weeks and asks people to save water.")
    cleaned, removed = clean_text(BODY + "\n\n" + teasers)  # other stories with a teaser each: still the end
    assert cleaned == BODY and [r.rule for r in removed] == ["related-block"]


def test_a_line_key_folds_latin1_lines_as_its_regular_expression_does() -> None:
    """Line keys fold a line in Latin-1 (after its curly quotes and dashes) with a byte table; the key must be the
    one the regular expression gives, on every Latin-1 character and on random mixes with characters that must
    take the regex path (Cyrillic, Greek's final sigma, CJK, a dotted capital I, combining marks)."""
    import random
    import re

    import xxhash

    from corpus.clean.line_keys import _key_text, line_key_of
    from corpus.text import TYPOGRAPHY

    def by_regex(line: str) -> str:
        return re.sub(r"[\W_]+", " ", line.lower()).strip()

    rng = random.Random(3)
    latin1 = [chr(c) for c in range(256)]
    others = [*TYPOGRAPHY, "й", "Σ", "ΟΔΟΣ", "東", "İ", "\u0301", "ß", "\u2028"]
    samples = [chr(c) for c in range(256)] + ["Ünïon_Jack — “Fußball” … 3 €", "’", "  _  ", "Read more »"]
    samples += ["".join(rng.choice(latin1) for _ in range(rng.randrange(60))) for _ in range(2000)]
    samples += ["".join(rng.choice(latin1 + others) for _ in range(rng.randrange(60))) for _ in range(2000)]
    for line in samples:
        assert _key_text(line) == by_regex(line), repr(line)
    assert line_key_of("Share on Facebook — “Twitter”") == xxhash.xxh64_intdigest(b"share on facebook twitter")


def test_word_runs_are_the_regular_expressions_words() -> None:
    """The phrase look-up splits a Latin-1 line (after its curly quotes and dashes) with a byte table: the words
    must be ``re.findall(r"\\w+")``'s, on every Latin-1 character and on random mixes with characters that take
    the pattern's path (Cyrillic, Greek, CJK, a dotted capital I, combining marks, a line separator)."""
    import random
    import re

    from corpus.text import TYPOGRAPHY, word_runs

    rng = random.Random(5)
    latin1 = [chr(c) for c in range(256)]
    others = [*TYPOGRAPHY, "й", "Σ", "東", "İ", "\u0301", "\u2028", "\u00a0"]
    samples = [*latin1, "Ünïon_Jack — “Fußball” … 3 € ¼ µ ª", "  _  ", "Read more »", ""]
    samples += ["".join(rng.choice(latin1) for _ in range(rng.randrange(60))) for _ in range(2000)]
    samples += ["".join(rng.choice(latin1 + others) for _ in range(rng.randrange(60))) for _ in range(2000)]
    for line in samples:
        assert word_runs(line) == re.findall(r"\w+", line), repr(line)


def test_latin1_bytes_are_the_line_with_its_typography_as_spaces_or_none() -> None:
    """What every byte-table shortcut starts from: the line in Latin-1 with each typographic mark a space, or None
    when another character Latin-1 lacks is in it, wherever the marks and that character stand."""
    import random

    from corpus.text import TYPOGRAPHY, latin1_bytes

    def spelled_out(line: str) -> bytes | None:
        spaced = "".join(" " if char in TYPOGRAPHY else char for char in line)
        return spaced.encode("latin-1") if all(ord(char) < 256 for char in spaced) else None

    rng = random.Random(9)
    alphabet = [*"aZ ß9é\xff\x00", *TYPOGRAPHY, "й", "東", "\u0301", "\u2028", "\U0001f600", "\ud800"]
    for _ in range(5000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        assert latin1_bytes(line) == spelled_out(line), repr(line)


def test_joined_lines_keep_one_blank_line_as_the_pattern_did() -> None:
    """joined_lines folds runs of line breaks with ``str.replace``: on random lines, blank or not, it must give
    what ``re.sub(r"\\n{3,}", "\\n\\n", ...).strip()`` gave on every text."""
    import random
    import re

    from corpus.text import joined_lines

    rng = random.Random(7)
    pieces = ["", "", " ", "Story line.", "\n", "\n\n\n\n", "  Another one  ", "x"]
    for _ in range(3000):
        lines = [rng.choice(pieces) for _ in range(rng.randrange(12))]
        assert joined_lines(lines) == re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), lines


def test_the_cleaner_keeps_one_blank_line_of_a_run_as_joining_every_kept_line_did() -> None:
    """clean_text keeps one blank line of a run as it goes (a run left where chrome lines went took joined_lines'
    folding loop several passes over the text): on random texts of story lines, chrome lines, blank lines and
    lines of spaces, its text must be joined_lines of every line the cleaner kept, and the look-alike letters of
    a line must fold whether or not the rest of the text has any."""
    import random

    from corpus.clean.cleaner import clean_text, line_outcomes
    from corpus.text import has_look_alikes, joined_lines, latin_look_alikes_folded

    rng = random.Random(11)
    pieces = ["", "", "", " ", "\u3000", "Follow us on Facebook", "Follow us on Facebоok",
              "© 2026 The Daily. All rights reserved.", "Related stories",
              "The minister said the plan would be published on Monday after a long debate in the chamber.",
              "Ministr řekl, že plán zveřejní v pondělí po dlouhé debatě v komoře.",
              "Министр сказал, что план опубликуют в понедельник.", "Share this article"]
    blanks_folded = folded = 0
    for _ in range(1500):
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randrange(1, 16)))
        every_kept = [line for line, _ in line_outcomes(text) if line is not None]
        assert clean_text(text)[0] == joined_lines(every_kept), text
        blanks_folded += "\n\n\n" in "\n".join(every_kept)
        lines_fold = any(latin_look_alikes_folded(line) != line for line in text.split("\n"))
        assert has_look_alikes(text) or not lines_fold, text
        folded += lines_fold
    assert blanks_folded > 100 and folded > 100  # the texts did have runs of blank lines, and words to fold


def test_sentences_break_where_the_look_behind_split_puts_them() -> None:
    """The cleaner finds a paragraph's first and last sentences with a pattern that takes the full stop into
    its match; they must be where a split on the same break with the stop looked behind puts them (the
    cleaner's earlier pattern): on every mix of stops, closing quotes, spaces, capitals, lower-case letters
    and digits of several scripts, and on every language's test lines."""
    import random
    import re

    from corpus.clean.cleaner import first_sentence, last_sentence_start
    from tests.test_rules_languages import CASES

    looked_behind = re.compile(r"""(?<=[.!?…])["'”’»)\]]*\s+(?=\W{0,2}[^\W_a-zß-ÿа-џα-ω])""")
    rng = random.Random(13)
    alphabet = list(".!?…\"'”’»)] \t\u00a0aAéÉяЯωΩ1_-—«(") + ["Mr. ", ". The ", "... and ", "?” She "]
    samples = [line for story, chrome in CASES.values() for line in story + [c for c, _ in chrome]]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(40))) for _ in range(20000)]
    for line in samples:
        parts = looked_behind.split(line)
        assert last_sentence_start(line) == (len(line) - len(parts[-1]) if len(parts) > 1 else None), repr(line)
        assert first_sentence(line) == parts[0], repr(line)


def test_a_kept_word_count_answers_every_threshold_as_a_split_does() -> None:
    """words_up_to keeps a line's count up to the largest threshold: asked again with any threshold (smaller,
    equal, larger than that count, or beyond COUNTED_WORDS), after a new document or past COUNTS_KEPT lines,
    it must give what the split that stops at the threshold gives."""
    import random

    from corpus import text

    rng = random.Random(5)
    vocabulary = ["a", "news", "story", "—", "x\u00a0y", "\t", "Ünïon", "東京"]
    lines = [" ".join(rng.choice(vocabulary) for _ in range(rng.randrange(0, 120))) for _ in range(300)]
    lines += ["", "   ", "one", " two  words ", "\u2003spaced\u3000out\u2003", "long " * 1000 + "end"]
    thresholds = [0, 1, 4, 12, 20, 40, text.COUNTED_WORDS, text.COUNTED_WORDS + 1, 200]
    for round_ in range(3):
        for line in lines:
            for most in rng.sample(thresholds, len(thresholds)):
                assert text.words_up_to(line, most) == len(line.split(None, most)), (round_, line, most)
        text.forget_word_counts()
    assert not text._counts
    for i in range(text.COUNTS_KEPT + 10):  # the memory is bounded, and a count after a clear is still right
        assert text.words_up_to(f"line {i} of many", 3) == 4
    assert len(text._counts) <= text.COUNTS_KEPT


def test_the_command_line_starts_without_compiling_the_rules():
    """The rules are put together on first use: a fresh process that imports the command line (what
    ``newsclean --version``, ``state`` and ``report`` run) has the thresholds without the phrase rules; asking
    for a rule list puts them all together, once for threads asking at the same time, in the cleaner's order."""
    import subprocess
    import sys

    script = ("import sys, cli.main\n"
              "from corpus import REPEATED_LINE_MIN_GROUPS\n"
              "print('corpus.clean.rules.phrases' in sys.modules, REPEATED_LINE_MIN_GROUPS)\n"
              "import threading\n"
              "import corpus.clean.rules as rules\n"
              "start, seen = threading.Barrier(8), []\n"
              "def ask():\n"
              "    start.wait()\n"
              "    seen.append(id(rules.LINE_RULES))\n"
              "threads = [threading.Thread(target=ask) for _ in range(8)]\n"
              "[t.start() for t in threads]; [t.join() for t in threads]\n"
              "print(len(set(seen)) == 1 and len(seen) == 8)\n"
              "from corpus.clean.rules import ALL_RULES, BOUNDARY_RULES, BOX_RULES, LINE_RULES\n"
              "print('corpus.clean.rules.phrases' in sys.modules, ALL_RULES == LINE_RULES + BOX_RULES + BOUNDARY_RULES,"
              " len(LINE_RULES) > 10)\n")
    lines = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    lines = lines.split("\n")
    from corpus.clean.rules import REPEATED_LINE_MIN_GROUPS

    assert lines[0] == f"False {REPEATED_LINE_MIN_GROUPS}"
    assert lines[1] == "True"  # threads asking at once all get the one list
    assert lines[2] == "True True True"
