"""`make eval` (rules): what each cleaning rule earns, on every dev set.

Each page of the three dev sets is extracted once (as `newsclean ingest` does); then the cleaner
runs on the extracted text with every rule, and once more with each rule alone switched off
(`--skip-rule`). Per rule, printed:

- lines it removed (all sets);
- must-keep snippets it removed (snippet set: kept with the rule off, lost with it on);
- gold tokens it removed (181 pages: tokens of its removed text that are in the gold article);
- the F1 change on each set when it alone is off (positive: the set is better without it).

A rule that removes story text more often than chrome is a bug to fix or a rule to drop.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus.clean.cleaner import clean_text  # noqa: E402
from corpus.clean.rules import RULE_NAMES  # noqa: E402
from corpus.extract.page import extract  # noqa: E402
from corpus.inputs.files import read_file  # noqa: E402
from corpus.run.process import one_paragraph_per_line  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "bench"


def _load(path: Path, name: str):  # noqa: ANN202 - a module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _extracted(path: str) -> tuple[str, str, str]:
    """(page id, title, text before cleaning)."""
    raw = read_file(Path(path), Path(path).parent)
    name = Path(path).name.removesuffix(".gz").removesuffix(".html").removesuffix(".txt")
    if not hasattr(raw, "data"):
        return name, "", ""
    doc = extract(raw)
    return name, doc.title or "", doc.text


def extract_all(paths: list[Path], workers: int) -> dict[str, tuple[str, str]]:
    with ProcessPoolExecutor(workers) as pool:
        return {pid: (title, text) for pid, title, text in pool.map(_extracted, map(str, paths), chunksize=8)}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


class Sets:
    def __init__(self, workers: int) -> None:
        self.extraction = _load(SHARED / "extraction" / "score.py", "extraction_score")
        self.gold = {k: v["articleBody"] for k, v in json.loads(
            (SHARED / "extraction" / "ground-truth.json").read_text(encoding="utf-8")).items()}
        self.snippets = json.loads((SHARED / "snippets" / "snippets.json").read_text(encoding="utf-8"))
        self.pages = extract_all(sorted((SHARED / "extraction" / "html").glob("*.html.gz")), workers)
        self.snippet_pages = extract_all(sorted((SHARED / "snippets" / "html").glob("*.html.gz")), workers)
        from eval_extraction import build_text_set

        with tempfile.TemporaryDirectory() as tmp:
            build_text_set(SHARED / "extraction", Path(tmp))
            self.text_pages = extract_all(sorted(Path(tmp).glob("*.txt")), workers)

    def score_gold(self, texts: dict[str, str]) -> float:
        rows = []
        for pid in sorted(self.gold):
            tp, fp, fn, exact = self.extraction.doc_counts(self.gold[pid], texts.get(pid, ""), 4)
            rows.append((*self.extraction.doc_scores(tp, fp, fn), exact))
        return self.extraction.aggregate(rows)["f1"]

    def score_snippets(self, texts: dict[str, str]) -> tuple[float, dict[str, set[int]]]:
        tp = fp = fn = 0
        kept: dict[str, set[int]] = {}
        for pid, item in self.snippets.items():
            text = _norm(texts.get(pid, ""))
            kept[pid] = {i for i, s in enumerate(item["with"]) if _norm(s) in text}
            tp += len(kept[pid])
            fn += len(item["with"]) - len(kept[pid])
            fp += sum(_norm(s) in text for s in item["without"])
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        return (2 * p * r / (p + r) if p + r else 0.0), kept


def cleaned(pages: dict[str, tuple[str, str]], skip: frozenset[str], titles: bool = False,
            ) -> tuple[dict[str, str], Counter, dict]:
    """The cleaner on every page; ``titles``: the title in front (the snippet set's headlines are snippets)."""
    texts, lines, removed_text = {}, Counter(), {}
    for pid, (title, text) in pages.items():
        clean, removed = clean_text(text, skip)
        texts[pid] = "\n".join(filter(None, [title if titles else "", one_paragraph_per_line(clean)]))
        for r in removed:
            lines[r.rule] += r.text.count("\n") + 1
            removed_text.setdefault(pid, []).append((r.rule, r.text))
    return texts, lines, removed_text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    if not (SHARED / "snippets" / "score.py").is_file():
        print("eval: no shared sets beside the project", file=sys.stderr)
        return 2
    sets = Sets(args.workers)
    base = {name: cleaned(pages, frozenset(), name == "snippets") for name, pages in
            (("pages", sets.pages), ("snippets", sets.snippet_pages), ("text", sets.text_pages))}
    f1 = {"pages": sets.score_gold(base["pages"][0]), "snippets": sets.score_snippets(base["snippets"][0])[0],
          "text": sets.score_gold(base["text"][0])}
    kept_all = sets.score_snippets(base["snippets"][0])[1]
    print(f"\nPer rule: the cleaner alone on extracted text (no corpus-level rules); F1 with every rule: "
          f"181 pages {f1['pages']:.4f}, snippets {f1['snippets']:.4f}, plain text {f1['text']:.4f}")
    print(f"{'rule':18s} {'lines':>6s} {'keep-lost':>9s} {'gold-tok':>8s} {'ΔF1 181':>8s} {'ΔF1 snip':>8s} "
          f"{'ΔF1 text':>8s}  verdict")
    for rule in sorted(RULE_NAMES - {"repeated-line", "site-repeated-line"}):  # corpus-level: not in clean_text
        skip = frozenset({rule})
        off = {name: cleaned(pages, skip, name == "snippets")[0] for name, pages in
               (("pages", sets.pages), ("snippets", sets.snippet_pages), ("text", sets.text_pages))}
        snip_off, kept_off = sets.score_snippets(off["snippets"])
        lost = sum(len(kept_off[pid] - kept_all[pid]) for pid in kept_off)
        lines = sum(base[name][1][rule] for name in base)
        gold_tokens = 0
        for pid, removals in base["pages"][2].items():
            gold = Counter(sets.extraction.tokens(sets.gold.get(pid, "")))
            for name, text in removals:
                if name == rule:
                    gold_tokens += sum(min(n, gold[t]) for t, n in Counter(sets.extraction.tokens(text)).items())
        deltas = (sets.score_gold(off["pages"]) - f1["pages"], snip_off - f1["snippets"],
                  sets.score_gold(off["text"]) - f1["text"])
        verdict = "hurts" if sum(d > 0.0005 for d in deltas) >= 2 else "earns its keep" if lines else "unused"
        print(f"{rule:18s} {lines:6d} {lost:9d} {gold_tokens:8d} {deltas[0]:+8.4f} {deltas[1]:+8.4f} "
              f"{deltas[2]:+8.4f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
