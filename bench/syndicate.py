"""A syndicated-news corpus built from the benchmark's real gold article texts.

Each story is published by an "original" site and republished by 1-4 made-up sites,
each with its own chrome (HTML templates and plain-text scrapes, bench/chrome.py)
and the edits syndication really makes: a new headline, an "UPDATED:" prefix, a
paragraph cut, a paragraph added, typos, the story truncated with "Read more".

Hard negatives come from the data itself: the gold set holds different outlets'
articles about the same event (found here by shared rare words), and follow-up
stories are made by adding a few background paragraphs of an earlier story to a
story of their own. ``truth.json`` says, for every file, which story it tells.
"""

from __future__ import annotations

import html
import itertools
import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from chrome import SITES, dress

MIN_STORY_WORDS = 120  # shorter golds are briefs: too little text to call a copy either way
SAME_EVENT_TOPIC_SIMILARITY = 0.15  # shared rare words (6+ letters) between two different gold articles
_WORD = re.compile(r"\w+")


@dataclass
class Story:
    id: str
    url: str
    paragraphs: list[str]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


@dataclass
class Copy:
    path: str
    story: str
    role: str  # "original", "copy" or "follow-up"
    kept: float = 1.0  # share of the original story's words still in this copy
    edits: list[str] = field(default_factory=list)


def load_stories(bench: Path) -> list[Story]:
    gold = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    stories = []
    for sid in sorted(gold):
        paragraphs = [p.strip() for p in gold[sid]["articleBody"].split("\n") if p.strip()]
        stories.append(Story(sid, gold[sid].get("url", ""), paragraphs))
    return stories


def _rare_words(story: Story) -> set[str]:
    return {w for w in _WORD.findall(" ".join(story.paragraphs).lower()) if len(w) >= 6}


def same_event_pairs(stories: list[Story]) -> list[tuple[str, str]]:
    """Pairs of different articles on one event: many shared rare words (names, places, terms)."""
    rare = {s.id: _rare_words(s) for s in stories}
    pairs = []
    for a, b in itertools.combinations(stories, 2):
        union = rare[a.id] | rare[b.id]
        if union and len(rare[a.id] & rare[b.id]) / len(union) >= SAME_EVENT_TOPIC_SIMILARITY:
            pairs.append((a.id, b.id))
    return pairs


def headline(story: Story) -> str:
    parts = [p for p in urlparse(story.url).path.split("/") if p and not p.isdigit()]
    slug = max(parts, key=lambda p: p.count("-"), default="news-story").split(".")[0]
    words = [w for w in re.split(r"[-_]", slug) if w and not w.isdigit()][:12] or ["news", "story"]
    return " ".join(words).capitalize()


def _kept_share(original: list[str], copy: list[str]) -> float:
    from collections import Counter

    a = Counter(w for p in original for w in p.split())
    b = Counter(w for p in copy for w in p.split())
    return sum((a & b).values()) / max(1, sum(a.values()))


def _typo(paragraphs: list[str], rng: random.Random) -> list[str]:
    out = list(paragraphs)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(out))
        words = out[i].split()
        candidates = [k for k, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if candidates:
            k = rng.choice(candidates)
            w = words[k]
            j = rng.randrange(len(w) - 1)
            words[k] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            out[i] = " ".join(words)
    return out


def syndicate(story: Story, filler: list[str], rng: random.Random) -> tuple[list[str], str, list[str]]:
    """One republished copy: (paragraphs, headline, edits made)."""
    paragraphs = list(story.paragraphs)
    title = headline(story)
    edits: list[str] = []
    for edit in rng.sample(["headline", "updated", "cut", "add", "typo", "truncate"], rng.randint(1, 3)):
        if edit == "headline":
            title = rng.choice(["Report: ", "WATCH: ", "Explainer: ", "Breaking: "]) + title.title()
        elif edit == "updated":
            title = "UPDATED: " + title
        elif edit == "cut" and len(paragraphs) >= 4:
            del paragraphs[rng.randrange(1, len(paragraphs))]
        elif edit == "add":
            paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), rng.choice(filler))
        elif edit == "typo":
            paragraphs = _typo(paragraphs, rng)
        elif edit == "truncate":
            share = rng.choice([0.45, 0.6, 0.7, 0.85, 0.9])
            budget = int(story.words * share)
            cut: list[str] = []
            for p in paragraphs:
                words = p.split()
                if budget <= 0:
                    break
                cut.append(" ".join(words[:budget]) + ("…" if len(words) > budget else ""))
                budget -= len(words)
            paragraphs = cut
        else:
            continue
        edits.append(edit)
    return paragraphs, title, edits


def as_html(title: str, paragraphs: list[str], site: str, rng: random.Random, others: list[str]) -> str:
    nav = "".join(f"<li><a href='/{s.lower()}'>{s}</a></li>" for s in ["News", "World", "Business", "Sport"])
    related = "".join(f"<li><a href='/story/{i}'>{html.escape(t)}</a></li>" for i, t in enumerate(others))
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    heading = rng.choice(["Related Articles", "More from " + site, "You might also like"])
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)} | {site}</title>"
            f"<meta property='og:title' content='{html.escape(title, quote=True)}'>"
            f"<meta property='og:site_name' content='{site}'></head><body><header><div class='logo'>{site}</div>"
            f"<nav><ul>{nav}</ul></nav></header><main><article><h1>{html.escape(title)}</h1>"
            f"<p class='byline'>By Staff Reporter</p>{body}</article>"
            f"<aside><h2>{heading}</h2><ul>{related}</ul></aside></main>"
            f"<footer><p>© 2024 {site}. All rights reserved.</p><p><a href='/privacy'>Privacy</a></p></footer>"
            "</body></html>")


def write_doc(folder: Path, site: str, name: str, title: str, paragraphs: list[str], as_text: bool,
              rng: random.Random, others: list[str], seed: int) -> str:
    slug = site.lower().replace(" ", "-")
    if as_text:
        rel = f"{slug}/{name}.txt"
        content = dress("\n".join(paragraphs), title, others, seed)
    else:
        rel = f"{slug}/{name}.html"
        content = as_html(title, paragraphs, site, rng, others[:4])
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return rel


def build(folder: Path, bench: Path, seed: int = 7, follow_ups: int = 20) -> dict:
    """Write the corpus under ``folder``; returns the truth (also written to truth.json beside it)."""
    rng = random.Random(seed)
    stories = [s for s in load_stories(bench) if s.words >= MIN_STORY_WORDS and len(s.paragraphs) >= 3]
    reserved = stories[-follow_ups:]  # bodies of follow-up stories
    syndicated = stories[:-follow_ups]
    titles = [headline(s) for s in stories]
    filler = [p for s in stories for p in s.paragraphs if 25 <= len(p.split()) <= 80]
    docs: list[Copy] = []
    for n, story in enumerate(syndicated):
        sites = rng.sample(SITES, 1 + rng.randint(1, 4))
        others = rng.sample(titles, 6)
        rel = write_doc(folder, sites[0], f"{story.id[:12]}-0", headline(story), story.paragraphs,
                        rng.random() < 0.5, rng, others, seed * 100_003 + n)
        docs.append(Copy(rel, story.id, "original"))
        for k, site in enumerate(sites[1:], 1):
            paragraphs, title, edits = syndicate(story, filler, rng)
            rel = write_doc(folder, site, f"{story.id[:12]}-{k}", title, paragraphs, rng.random() < 0.5, rng,
                            rng.sample(titles, 6), seed * 100_003 + n * 10 + k)
            docs.append(Copy(rel, story.id, "copy", round(_kept_share(story.paragraphs, paragraphs), 3), edits))
    for k, (body, background) in enumerate(zip(reserved, rng.sample(syndicated, len(reserved)), strict=True)):
        picked = rng.sample(background.paragraphs, min(2, len(background.paragraphs)))
        paragraphs = body.paragraphs + ["Background: " + picked[0]] + picked[1:]
        rel = write_doc(folder, rng.choice(SITES), f"followup-{k:02d}", headline(body), paragraphs,
                        rng.random() < 0.5, rng, rng.sample(titles, 6), seed * 7 + k)
        docs.append(Copy(rel, body.id, "follow-up", edits=[f"background from {background.id[:12]}"]))
    truth = {
        "docs": [asdict(d) for d in docs],
        "same_event_pairs": same_event_pairs(stories),
    }
    (folder.parent / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def respun(paragraph: str, others: list[str], rng: random.Random) -> str:
    """``paragraph``'s first half and another paragraph's second half, joined at a word: a paragraph of the
    same language and shape that no other document of the corpus holds."""
    words, other = paragraph.split(), rng.choice(others).split()
    return " ".join(words[: max(1, len(words) // 2)] + other[len(other) // 2:])


def build_bench_corpus(folder: Path, bench: Path, count: int, seed: int = 11) -> dict[str, int]:
    """``count`` real-looking ~5 KB news documents for throughput and memory benchmarks.

    Stories are made distinct by recombining paragraphs of several gold articles around a
    base one; a fifth of the documents are syndicated copies (edits as in :func:`syndicate`).
    Half are HTML pages under ``html/`` (real benchmark pages with the new story in their
    article paragraphs: real markup, real chrome), half plain-text scrapes under ``text/``.

    Every paragraph of a new story is respun (:func:`respun`): drawn as they are, a base story's
    paragraphs came back in some 55 documents and each filler in some 25, which no news corpus
    does; the corpus-level rules then took about ten story paragraphs out of every document as
    repeated lines, and the bench timed that instead of a night's work.
    """
    rng = random.Random(seed)
    stories = [s for s in load_stories(bench) if len(s.paragraphs) >= 3]
    paragraphs = [p for s in stories for p in s.paragraphs if len(p.split()) >= 15]
    templates = real_page_templates(bench)
    titles = [headline(s) for s in stories]
    made: list[Story] = []
    counts = {"html": 0, "text": 0, "copies": 0}
    for n in range(count):
        if made and rng.random() < 0.2:
            original = rng.choice(made[-500:])
            body, title, _ = syndicate(original, paragraphs, rng)
            counts["copies"] += 1
        else:
            base = rng.choice(stories)
            body = [respun(p, base.paragraphs, rng) for p in base.paragraphs[:6]]
            while sum(len(p.split()) for p in body) < 800:
                filler = rng.choice(paragraphs)
                body.insert(rng.randrange(1, len(body) + 1), respun(filler, paragraphs, rng))
            original = Story(f"{n:08d}", base.url, body)
            made.append(original)
            title = headline(base) + f" {n}"
        kind = "text" if n % 2 else "html"
        path = folder / kind / f"{n // 1000:04d}" / f"{n:07d}.{'txt' if kind == 'text' else 'html'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        others = rng.sample(titles, 5)
        content = (dress("\n".join(body), title, others, seed * 1_000_003 + n) if kind == "text"
                   else fill_template(templates[n % len(templates)], body))
        path.write_text(content, encoding="utf-8")
        counts[kind] += 1
    return counts


def real_page_templates(bench: Path) -> list[list[str]]:
    """The benchmark's real pages cut around their article paragraphs.

    Each template is the page's HTML split at the <p> elements that hold gold paragraphs;
    joining it with new paragraphs gives a page with real markup and real chrome around a
    new story. Pages with fewer than three such paragraphs are left out.
    """
    import gzip

    from lxml import html as lxml_html

    gold = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    templates = []
    for page in sorted((bench / "html").glob("*.html.gz")):
        wanted = {" ".join(p.split())[:60] for p in gold[page.name.split(".")[0]]["articleBody"].split("\n")
                  if len(p.split()) >= 8}
        with gzip.open(page, "rt", encoding="utf-8") as handle:
            tree = lxml_html.fromstring(handle.read())
        slots = 0
        for element in tree.iter("p"):
            if " ".join(element.text_content().split())[:60] in wanted:
                for child in list(element):
                    element.remove(child)
                element.text = f"@@SLOT{slots}@@"
                slots += 1
        if slots >= 3:
            text = lxml_html.tostring(tree, encoding="unicode")
            templates.append(re.split(r"@@SLOT\d+@@", text))
    return templates


def fill_template(parts: list[str], paragraphs: list[str]) -> str:
    """Put ``paragraphs`` into a template's slots; extra paragraphs go into the last slot."""
    slots = len(parts) - 1
    chunks = [html.escape(p) for p in paragraphs[: slots - 1]]
    chunks.append("</p><p>".join(html.escape(p) for p in paragraphs[slots - 1:]))
    chunks += [""] * (slots - len(chunks))
    out = [parts[0]]
    for chunk, part in zip(chunks, parts[1:], strict=True):
        out.append(chunk)
        out.append(part)
    return "".join(out)
