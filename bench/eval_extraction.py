"""`make eval`: newsclean's cleaning quality on real news pages, beside trafilatura alone.

1. HTML: every page of ../shared/bench/extraction goes through the same path as
   `newsclean ingest` (read → extract → clean → language, with the corpus-level
   repeated-line rule; duplicates kept, so dedup removes nothing), and, in the same
   run, through trafilatura.extract() with its defaults and its best settings.
2. Plain text: the gold text of each page dressed in generated scrape chrome
   (bench/chrome.py) and saved as .txt, then `ingest` on those files.

Both are scored with the benchmark's own scorer (4-gram precision/recall/F1).
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from chrome import dress  # noqa: E402

from corpus import Ingest, IngestOptions  # noqa: E402

TRAFILATURA_CONFIGS = {
    "trafilatura defaults": {},
    "trafilatura best (no comments, precision)": {"include_comments": False, "favor_precision": True},
}


def page_id(path: str) -> str:
    return Path(path).name.split(".")[0]


def run_newsclean(folder: Path, workers: int) -> dict[str, str]:
    run = Ingest(IngestOptions(keep_duplicates=True, workers=workers))
    return {page_id(r["provenance"]["path"]): r["text"] for r in run.records([str(folder)])}


def _trafilatura_page(args: tuple[str, dict]) -> tuple[str, str]:
    import trafilatura

    path, config = args
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        html = handle.read()
    return page_id(path), trafilatura.extract(html, **config) or ""


def run_trafilatura(pages: list[Path], config: dict, workers: int) -> dict[str, str]:
    # spawned, not forked: stock trafilatura, without the XPaths newsclean swaps in (corpus.extract.xpath_guards)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return dict(pool.map(_trafilatura_page, [(str(p), config) for p in pages], chunksize=4))


def score(predictions: dict[str, str], bench: Path, workdir: Path, name: str) -> dict:
    path = workdir / f"{name}.jsonl"
    per_doc = workdir / f"{name}.per-doc.tsv"
    with open(path, "w", encoding="utf-8") as out:
        for pid, text in sorted(predictions.items()):
            out.write(json.dumps({"id": pid, "text": text}) + "\n")
    result = subprocess.run([sys.executable, str(bench / "score.py"), str(path), "--json", "--per-doc", str(per_doc)],
                            capture_output=True, text=True, check=True)
    scores = json.loads(result.stdout)
    scores["per_doc"] = per_doc
    return scores


def headline_from_url(url: str) -> str:
    """A plausible headline for the plain-text set: the URL's slug, words capitalised."""
    parts = [p for p in urlparse(url).path.split("/") if p and not p.isdigit()]
    slug = max(parts, key=lambda p: p.count("-"), default="news story")
    words = [w for w in slug.replace("_", "-").split("-") if w and not w.isdigit()][:12]
    if len(words) < 3:
        words = ["Latest", "news", "from", *words] if words else ["Latest", "news", "story"]
    return " ".join(words).split(".")[0].capitalize()


def build_text_set(bench: Path, folder: Path) -> None:
    gold = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(gold)
    headlines = {pid: headline_from_url(gold[pid].get("url", "")) for pid in ids}
    for n, pid in enumerate(ids):
        others = [headlines[o] for o in ids[n + 1: n + 8] + ids[: max(0, n + 8 - len(ids))] if o != pid]
        text = dress(gold[pid]["articleBody"], headlines[pid], others, seed=n)
        (folder / f"{pid}.txt").write_text(text, encoding="utf-8")


def worst_pages(per_doc: Path, limit: int) -> list[tuple[float, float, float, str]]:
    rows = []
    for line in per_doc.read_text(encoding="utf-8").splitlines()[1:]:
        _, p, r, f1, *_rest, url = line.split("\t")
        rows.append((float(f1), float(p), float(r), urlparse(url).netloc or url))
    return sorted(rows)[:limit]


def print_table(title: str, rows: list[tuple[str, dict, float]]) -> None:
    print(f"\n{title}")
    print(f"{'':44s} {'F1':>7s} {'P':>7s} {'R':>7s} {'empty':>6s} {'seconds':>8s}")
    for name, s, seconds in rows:  # four decimals: the targets (>= 0.975) are decided in the fourth
        print(f"{name:44s} {s['f1']:7.4f} {s['precision']:7.4f} {s['recall']:7.4f} {s['n_empty']:6d} {seconds:8.1f}")


def stated_on_page(path: Path) -> Counter:
    """How many ``<p>`` of the page hold each paragraph (by its opening): a paragraph the page itself states
    three times (a meal plan's same meal on three days) is not a copy when the text holds it three times."""
    from corpus.extract.choice import page_paragraphs
    from corpus.extract.page import decode_html, load_page, slim_markup

    tree = load_page(slim_markup(decode_html(gzip.decompress(path.read_bytes()))))
    return page_paragraphs(tree).repeats() if tree is not None else Counter()


def print_repeats(texts: dict[str, str], pages: Path) -> int:
    """The check that no page returns a paragraph twice (of story length, more times than the page's own
    paragraphs state it: shorter lines a page repeats on purpose, a table header or an interview's question,
    are counted apart). ``pages``: the folder of the pages, ``<id>.html.gz``. The number of failing pages."""
    from corpus.extract.choice import COPY_MIN_WORDS, unique_paragraphs

    long_twice, short_twice, stated = [], 0, 0
    for pid, text in texts.items():
        lines = Counter(" ".join(line.split()).casefold() for line in text.split("\n") if line.strip())
        if unique_paragraphs(text)[1]:
            if unique_paragraphs(text, stated_on_page(pages / f"{pid}.html.gz"))[1]:
                long_twice.append(pid)
            else:
                stated += 1
        elif any(n > 1 for n in lines.values()):
            short_twice += 1
    verdict = "check passed" if not long_twice else "CHECK FAILED: " + ", ".join(sorted(long_twice)[:5])
    print(f"\nParagraphs returned twice, {len(texts)} pages: {len(long_twice)} with a paragraph of "
          f"{COPY_MIN_WORDS}+ words more often than the page states it ({verdict}); {stated} repeat one as often "
          f"as the page's own paragraphs do; {short_twice} repeat a shorter line or a table row")
    return len(long_twice)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", type=Path, default=HERE.parent.parent / "shared" / "bench" / "extraction")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--worst", type=int, default=8, help="how many of the worst pages to list")
    args = ap.parse_args()
    if not (args.bench / "score.py").is_file():
        print(f"eval: no benchmark at {args.bench}", file=sys.stderr)
        return 2
    pages = sorted((args.bench / "html").glob("*.html.gz"))
    with tempfile.TemporaryDirectory(prefix="newsclean-eval-") as tmp:
        work = Path(tmp)
        rows = []
        start = time.perf_counter()
        texts = run_newsclean(args.bench / "html", args.workers)
        ours = score(texts, args.bench, work, "newsclean")
        rows.append(("newsclean ingest (HTML)", ours, time.perf_counter() - start))
        for name, config in TRAFILATURA_CONFIGS.items():
            start = time.perf_counter()
            rows.append((name, score(run_trafilatura(pages, config, args.workers), args.bench, work,
                                     name.split()[1]), time.perf_counter() - start))
        print_table(f"HTML: {len(pages)} real news pages, scorer 4-gram units, {args.workers} workers", rows)
        print(f"\nnewsclean's {args.worst} lowest-F1 pages (F1, P, R, site):")
        for f1, p, r, site in worst_pages(ours["per_doc"], args.worst):
            print(f"  {f1:.3f}  P {p:.3f}  R {r:.3f}  {site}")
        print_repeats(texts, args.bench / "html")

        text_dir = work / "text"
        text_dir.mkdir()
        build_text_set(args.bench, text_dir)
        start = time.perf_counter()
        text_scores = score(run_newsclean(text_dir, args.workers), args.bench, work, "newsclean-text")
        seconds = time.perf_counter() - start
        raw = {p.stem: p.read_text(encoding="utf-8") for p in text_dir.glob("*.txt")}
        print_table(f"Plain text: the same {len(raw)} gold texts with generated scrape chrome (.txt)",
                    [("newsclean ingest (plain text)", text_scores, seconds),
                     ("no cleaning (the .txt files as they are)", score(raw, args.bench, work, "raw-text"), 0.0)])
        print(f"\nnewsclean's {args.worst} lowest-F1 plain-text files (F1, P, R, site):")
        for f1, p, r, site in worst_pages(text_scores["per_doc"], args.worst):
            print(f"  {f1:.3f}  P {p:.3f}  R {r:.3f}  {site}")
    # how often each decision of the extractor's choice fires on both dev sets, and what it changes
    import eval_choice

    eval_choice.main(["--workers", str(args.workers)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
