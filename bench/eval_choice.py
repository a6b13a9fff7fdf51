"""`make eval` (extraction choice): how often each decision of corpus/extract/choice.py fires on the dev
sets, what it costs (passes run) and what it changes beside the fast pass alone.

Every page of ../shared/bench/extraction (181) and ../shared/bench/snippets (883) goes through the
extractor's choice (:func:`corpus.extract.page.choose_story`), before cleaning. Per decision: pages,
passes run per page, words of the fast pass and of the text chosen, and the change in score against
the fast pass alone (181 pages: 4-gram true/false positives with the set's scorer; snippets: must-keep
snippets kept and must-drop snippets let through). Last, the check that no page returns a paragraph
twice (a paragraph of story length, more often than the page's own <p> state it; shorter lines a
page repeats on purpose, a table header or an
interview's question, are counted apart).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
SHARED = HERE.parent.parent / "shared" / "bench"


def _scorer():  # noqa: ANN202 - the extraction set's own scorer module
    spec = importlib.util.spec_from_file_location("extraction_score", SHARED / "extraction" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one(path: str) -> dict:
    from corpus.extract.choice import page_paragraphs, unique_paragraphs
    from corpus.extract.page import _trafilatura, choose_story, decode_html, drop_deleted_anyway, load_page, slim_markup

    with gzip.open(path, "rb") as handle:
        html = slim_markup(decode_html(handle.read()))
    name = Path(path).name.removesuffix(".gz").removesuffix(".html")
    tree = load_page(html)
    if tree is None:
        return {"id": name, "decision": "no-tree", "passes": 0, "fast": "", "text": "", "long_twice": 0, "twice": 0}
    fast_tree = load_page(html)
    fast = _trafilatura(drop_deleted_anyway(fast_tree), favor_precision=True, fast=True)
    page = page_paragraphs(tree)
    choice = choose_story(html, tree, page)
    lines = [" ".join(line.split()).casefold() for line in choice.text.split("\n") if line.strip()]
    repeated = [line for line, n in Counter(lines).items() if n > 1]
    return {"id": name, "decision": choice.decision, "passes": len(choice.passes),
            "fast": (fast.text or "") if fast is not None else "", "text": choice.text,
            "long_twice": len(unique_paragraphs(choice.text, page.repeats())[1]), "twice": len(repeated)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    gold = json.loads((SHARED / "extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    snippets = json.loads((SHARED / "snippets" / "snippets.json").read_text(encoding="utf-8"))
    paths = sorted(str(p) for p in (SHARED / "extraction" / "html").glob("*.html.gz")) + \
        sorted(str(p) for p in (SHARED / "snippets" / "html").glob("*.html.gz"))
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(one, paths, chunksize=8))
    scorer = _scorer()
    rows: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        row = rows[r["decision"]]
        row["pages"] += 1
        row["passes"] += r["passes"]
        row["fast words"] += len(r["fast"].split())
        row["chosen words"] += len(r["text"].split())
        if r["id"] in gold:
            row["181"] += 1
            before = scorer.doc_counts(gold[r["id"]]["articleBody"], r["fast"], 4)
            after = scorer.doc_counts(gold[r["id"]]["articleBody"], r["text"], 4)
            row["tp"] += after[0] - before[0]
            row["fp"] += after[1] - before[1]
        elif r["id"] in snippets:
            row["snippets"] += 1
            want, drop = snippets[r["id"]]["with"], snippets[r["id"]]["without"]
            for key, wanted in (("keep", want), ("let", drop)):
                for text, sign in ((r["text"], 1), (r["fast"], -1)):
                    squeezed = " ".join(text.split())
                    row[key] += sign * sum(" ".join(s.split()) in squeezed for s in wanted)
    print(f"\nExtraction choice on {len(results)} dev pages (181 news pages + {len(results) - 181} snippet pages), "
          "before cleaning; changes are against the fast pass alone")
    print(f"{'decision':22s} {'pages':>6s} {'181':>5s} {'snip':>5s} {'passes':>7s} {'fast w':>7s} {'chosen w':>8s} "
          f"{'Δ4g TP':>7s} {'Δ4g FP':>7s} {'Δkeep':>6s} {'Δlet':>5s}")
    total = Counter()
    for decision, row in sorted(rows.items(), key=lambda kv: -kv[1]["pages"]):
        total.update(row)
        n = row["pages"]
        print(f"{decision:22s} {n:6d} {row['181']:5d} {row['snippets']:5d} {row['passes'] / n:7.2f} "
              f"{row['fast words'] / n:7.0f} {row['chosen words'] / n:8.0f} {row['tp']:7d} {row['fp']:7d} "
              f"{row['keep']:6d} {row['let']:5d}")
    print(f"{'all':22s} {total['pages']:6d} {total['181']:5d} {total['snippets']:5d} "
          f"{total['passes'] / total['pages']:7.2f} {total['fast words'] / total['pages']:7.0f} "
          f"{total['chosen words'] / total['pages']:8.0f} {total['tp']:7d} {total['fp']:7d} {total['keep']:6d} "
          f"{total['let']:5d}")
    long_twice = [r["id"] for r in results if r["long_twice"]]
    short_twice = sum(1 for r in results if r["twice"] and not r["long_twice"])
    print(f"\nParagraphs returned twice: {len(long_twice)} pages with a story-length paragraph twice (more often than "
          "the page states it) "
          f"{'(check passed)' if not long_twice else '(CHECK FAILED: ' + ', '.join(long_twice[:5]) + ')'}; "
          f"{short_twice} pages repeat a shorter line or a table row (headers, interview questions, list items)")
    return 1 if long_twice else 0


if __name__ == "__main__":
    sys.exit(main())
