"""The thresholds of the structural rules (story boundaries, tail fragments, corpus evidence), each with
its reason: numbers a user can look up by name, kept beside the phrase rules they go with."""

from __future__ import annotations

import re

# Thresholds of the structural rules, with their reasons.
MIN_STORY_LINES_BEFORE_BOUNDARY = 2
MIN_STORY_WORDS_BEFORE_BOUNDARY = 50
"""A story heading ("Related", "Comments") only ends the story after real story text (two
paragraphs, or one of 50 words when a scrape ran the story together); at the top of a page
the same words are navigation and only that line goes."""

STORY_LINE_MIN_WORDS = 12
"""A line this long, or a sentence-ended line of at least ``STORY_SENTENCE_MIN_WORDS``,
counts as story prose."""
STORY_SENTENCE_MIN_WORDS = 5

PROSE_MIN_WORDS = 8
PROSE_LOWER_SHARE = 0.6
"""A line that opens with a label ("Edited by", "Related:", "All rights reserved") but reads as a story
sentence is story: at least ``PROSE_MIN_WORDS`` words, a sentence's end or a quote, at least this share
of its words in lower case, and a clause right after the label. No boundary rule fires on such a line,
and the label rules that could open a sentence (credits, "Related:", rights, "click here") leave it."""

FRAGMENT_MAX_WORDS = 12
"""Short lines with no sentence ending are fragments: a site name, a menu label, a promo title.
At the end of the text, or just before a boundary, they are chrome ("tail-fragment")."""

EMBED_LEAD_MIN_WORDS = 4
"""A short last line ending in a colon with at least this many words leads into an embed the scrape
dropped ("The council published its plan here:"): the story's own, not a tail fragment."""

MAX_CHROME_LINE_CHARS = 1000
"""Chrome is short: a longer line is prose and no pattern is tried on it (which also keeps
a 30 MB one-line file from costing the patterns' time)."""

TAIL_FRAGMENT_MAX_LINES = 3
"""A longer run of short lines at the end is a list (tour dates, results, a poll), which is content."""

REPEATED_LINE_MIN_GROUPS = 4
"""Corpus-level evidence: a line found in this many different stories (one vote per
near-duplicate group) in one run is site chrome, not story text ("repeated-line")."""
REPEATED_LINE_MAX_WORDS = 40
"""Longer lines recurring across stories are more often a shared quote than chrome."""

SITE_REPEATED_LINE_MIN_GROUPS = 3
"""Site evidence: a line found in this many different stories (one vote per near-duplicate group) of
one host, over this run and the earlier nights in ``--state``, is that site's chrome
("site-repeated-line"). Lower than the run-wide 4 because one site's chrome is on nearly every page
of it, while two stories sharing a line may be a follow-up quoting its predecessor: three is the
first count a pair cannot reach."""
SITE_REPEATED_LINE_MIN_STORIES = 5
"""A host needs this many stories seen (this run plus earlier nights) before its lines count: on three
or four pages, three sharing a line may all be one running story."""
SITE_REPEATED_LINE_ONE_IN = 20
"""...and the line must be on at least one in this many of the host's stories (an integer, so that the
test is exact): chrome is on most pages (a section's on a tenth or more), while a background sentence
a site reuses in a series of follow-ups is on a few of its hundreds of stories."""
SITE_REPEATED_LINE_MAX_WORDS = 20
"""A site's own chrome is short (labels, promos, a one-line blurb); a longer line one site repeats is
more often a background paragraph reused in follow-ups. Longer chrome that many sites share is left
to the run-wide rule (up to ``REPEATED_LINE_MAX_WORDS``)."""
LINE_EVIDENCE_MIN_STORED = 2
"""``--state`` keeps the count of a line (run-wide or per site) once it has been seen in this many
stories: a line seen in one story so far is nearly always story text, and keeping every one would
cost as much per record as the signature."""

LEARNED_TEMPLATE_MAX_WORDS = 25
"""Learned templates (:mod:`corpus.clean.learned`) are looked for on lines of at most this many words: a
"Read also: HEADLINE" line with its headline; longer lines are prose."""
LEARNED_PREFIX_MAX_WORDS = 4
"""A template's prefix ("Lue myös:", "【関連記事】", "Kuva |") is a label of at most this many words."""
LEARNED_SHAPE_MAX_WORDS = 6
"""A line this short is also keyed by its whole shape (digits, case, accents folded): "3 phút" and
"2 phút", "17.11. klo 7.05", "ΔΙΑΦΗΜΙΣΗ" and "Διαφήμιση"."""
LEARNED_SITE_MIN_STORIES = 3
"""A template on this many stories of one site (this run and the earlier nights of --state) is that
site's chrome ("learned-template"): no minimum of the site's stories, since a template's text varies
(a story's own line does not come back on three stories with only its digits or its tail changed)
and the story lines are guarded (``LEARNED_STORY_MIN_WORDS``)."""
LEARNED_TEMPLATE_MIN_STORIES = 4
"""Run-wide, a template on this many stories ...
"""
LEARNED_TEMPLATE_MIN_ELSEWHERE = 2
"""... at least this many of them on other sites than the document's, is chrome: a site seen once a
night keeps no template of its own."""
LEARNED_STORY_MIN_WORDS = 20
LEARNED_SENTENCE_MIN_WORDS = 8
"""Recurrence alone never removes a line of more words than ``LEARNED_STORY_MIN_WORDS``, a line of
``LEARNED_SENTENCE_MIN_WORDS`` ending in a full stop or an exclamation mark (with a label before it or
not: "Background: ..."; headlines end without one, or in a question mark), a quote, or a line holding
two names of the story's title: the background sentence a series repeats, a shared quote, the
story's own subject."""
LINKED_HEADLINE_MIN_WORDS = 4
"""A line that is another record's title (of this run, or of an earlier night with --state) is a link to
that story ("linked-headline"), when the title has this many words (a two-word title is a label)."""
LEARNED_HEADING_MAX_WORDS = 5
LEARNED_HEADLINE_MAX_WORDS = 20
"""A chrome line of at most ``LEARNED_HEADING_MAX_WORDS`` words without a sentence ending is a heading;
the headline-like lines under it (2 to ``LEARNED_HEADLINE_MAX_WORDS`` words, no full stop, no quote) go
with it ("learned-heading") when they run to the end of the text or to more chrome."""

CLOSING_BIO = re.compile(r"""^(?:[A-Z][\w.'’-]+\s+){1,3}(?:is|was|has\s+been)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,4}?
    (?:reporter|journalist|writer|correspondent|editor|columnist|contributor|producer|photographer|freelancer|author)s?\b""",
                         re.X)
"""A third-person bio closing a story with no "About" heading ("Jane Roe is a reporter covering…");
only the last paragraph (and a "She previously…" line after it) is tested, never the story's body."""
CLOSING_BIO_FOLLOW = re.compile(r"^(?:She|He|They|Her|His|Their)\b")

STRUCTURAL_RULES = {
    "tail-fragment": "short lines without a sentence ending after the story's last paragraph "
    "(site names, promo titles, tags)",
    "repeated-line": "a line that recurs across many different stories of the same run",
    "site-repeated-line": "a short line that recurs across many different stories of the same site (host), "
    "counted over this run and the earlier nights of --state",
    "learned-template": "a line whose template (its label before a separator, or the shape of a short line: "
    "digits, case and accents folded) recurs on many stories of its site, or of several sites, with varying text",
    "linked-headline": "a line that is another record's title (this run's, or an earlier night's with --state): "
    "a link to that story",
    "learned-heading": "headline-like lines under a heading that went as chrome, down to the end of the text "
    "or the next chrome line",
}
