"""`make eval-dedup`: near-duplicate detection measured on syndicated real news.

Builds the corpus of bench/syndicate.py, runs `newsclean ingest --keep-duplicates`
on it, and compares the groups with the truth: pairwise precision, recall and F1
(all pairs of files), recall on copies that keep at least 80% of the story (the
target) and on shorter ones, merges of different articles about the same event and
of follow-up stories, and the number of clusters. ``--sweep`` re-runs only the
dedup stage over the cleaned texts for a grid of parameters.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from syndicate import build, load_stories  # noqa: E402

from corpus import Ingest, IngestOptions  # noqa: E402
from corpus.dedup.deduplicator import Deduplicator  # noqa: E402
from corpus.dedup.minhash import (  # noqa: E402
    MinHashParams,
    estimated_containment,
    estimated_jaccard,
    signature,
)

KEPT_TARGET = 0.8


def ingest(folder: Path, workers: int, params: MinHashParams) -> list[dict]:
    run = Ingest(IngestOptions(keep_duplicates=True, workers=workers, minhash=params))
    return list(run.records([str(folder)]))


def groups_from_records(records: list[dict]) -> dict[str, str]:
    """path → id of the record kept for its group."""
    return {r["provenance"]["path"]: r["duplicate_of"] or r["id"] for r in records}


def groups_from_texts(texts: dict[str, str], params: MinHashParams) -> dict[str, str]:
    paths = sorted(texts)
    dedup = Deduplicator(params)
    for i, path in enumerate(paths):
        dedup.add(i, signature(texts[path], params), f"{i:032x}")
    kept, _ = dedup.groups()
    return {path: paths[kept.get(i, i)] for i, path in enumerate(paths)}


def measure(truth: dict, predicted: dict[str, str]) -> dict:
    docs = [d for d in truth["docs"] if d["path"] in predicted]
    tp = fp = fn = 0
    target_pairs = target_found = short_pairs = short_found = 0
    for a, b in itertools.combinations(docs, 2):
        same_truth = a["story"] == b["story"]
        same_pred = predicted[a["path"]] == predicted[b["path"]]
        tp += same_truth and same_pred
        fp += (not same_truth) and same_pred
        fn += same_truth and not same_pred
        if same_truth and a["role"] != "follow-up" and b["role"] != "follow-up":
            if min(a["kept"], b["kept"]) >= KEPT_TARGET:
                target_pairs += 1
                target_found += same_pred
            else:
                short_pairs += 1
                short_found += same_pred
    groups_of_story: dict[str, set[str]] = defaultdict(set)
    for d in docs:
        groups_of_story[d["story"]].add(predicted[d["path"]])
    same_event_merges = sum(1 for a, b in truth["same_event_pairs"]
                            if groups_of_story.get(a, set()) & groups_of_story.get(b, set()))
    members: dict[str, set[str]] = defaultdict(set)
    for d in docs:
        members[predicted[d["path"]]].add(d["story"])
    follow_up_merges = sum(1 for d in docs if d["role"] == "follow-up" and len(members[predicted[d["path"]]]) > 1)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "docs": len(docs),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "recall_kept_80": target_found / target_pairs if target_pairs else 1.0,
        "recall_kept_below_80": short_found / short_pairs if short_pairs else 1.0,
        "pairs_kept_80": target_pairs,
        "pairs_kept_below_80": short_pairs,
        "same_event_pairs": len(truth["same_event_pairs"]),
        "same_event_merges": same_event_merges,
        "follow_up_merges": follow_up_merges,
        "clusters": len(set(predicted.values())),
        "true_clusters": len({d["story"] for d in docs}),
    }


def closest_negatives(records: list[dict], truth: dict, params: MinHashParams) -> tuple[float, float]:
    """Highest estimated Jaccard and containment between files of different stories that share
    an event or a follow-up's background: how far the hard negatives stay from the thresholds."""
    texts = {r["provenance"]["path"]: r["text"] for r in records}
    by_story: dict[str, list[str]] = defaultdict(list)
    for d in truth["docs"]:
        if d["path"] in texts:
            by_story[d["story"]].append(d["path"])
    related = {tuple(sorted(p)) for p in truth["same_event_pairs"]}
    for d in truth["docs"]:
        if d["role"] == "follow-up":
            background = d["edits"][0].split()[-1]
            related |= {tuple(sorted((d["story"], s))) for s in by_story if s.startswith(background)}
    sigs = {path: signature(text, params) for path, text in texts.items()}
    best_j = best_c = 0.0
    for a, b in related:
        for pa, pb in itertools.product(by_story.get(a, []), by_story.get(b, [])):
            if sigs[pa] is None or sigs[pb] is None:
                continue
            j = estimated_jaccard(sigs[pa], sigs[pb])
            best_j = max(best_j, j)
            best_c = max(best_c, estimated_containment(sigs[pa], sigs[pb], j))
    return best_j, best_c


def report(m: dict, params: MinHashParams, seconds: float) -> None:
    p = params
    print(f"newsclean ingest --keep-duplicates on {m['docs']} files "
          f"(shingles {p.shingle_words} words, {p.num_perm} permutations, {p.bands}x{p.rows} bands, "
          f"Jaccard >= {p.jaccard}, containment >= {p.containment}), {seconds:.1f} s")
    print(f"  pairwise precision            {m['precision']:.3f}")
    print(f"  pairwise recall               {m['recall']:.3f}")
    print(f"  pairwise F1                   {m['f1']:.3f}")
    print(f"  recall, copies keeping >= 80% {m['recall_kept_80']:.3f}  ({m['pairs_kept_80']} pairs)")
    print(f"  recall, copies keeping < 80%  {m['recall_kept_below_80']:.3f}  ({m['pairs_kept_below_80']} pairs)")
    print(f"  same-event articles merged    {m['same_event_merges']} of {m['same_event_pairs']} pairs")
    print(f"  follow-up stories merged      {m['follow_up_merges']}")
    print(f"  clusters                      {m['clusters']} (truth {m['true_clusters']})")
    if "closest_negative_jaccard" in m:
        print(f"  closest hard negative         Jaccard {m['closest_negative_jaccard']:.2f}, containment "
              f"{m['closest_negative_containment']:.2f} (thresholds {params.jaccard}, {params.containment})")


def sweep(records: list[dict], truth: dict) -> None:
    texts = {r["provenance"]["path"]: r["text"] for r in records}
    print("\nshingle perm bands rows  jacc  cont |  P      R    R80   R<80  event follow clusters")
    layouts = [(128, 32, 4), (128, 42, 3), (128, 64, 2), (128, 16, 8), (256, 64, 4)]
    grid = itertools.product([3, 4, 5, 7], layouts, [0.5, 0.6], [0.7, 0.8, 0.9])
    for k, (perm, bands, rows), jac, cont in grid:
        params = MinHashParams(shingle_words=k, num_perm=perm, bands=bands, rows=rows, jaccard=jac, containment=cont)
        m = measure(truth, groups_from_texts(texts, params))
        print(f"{k:7d} {perm:4d} {bands:5d} {rows:4d} {jac:5.2f} {cont:5.2f} | {m['precision']:.3f} {m['recall']:.3f} "
              f"{m['recall_kept_80']:.3f} {m['recall_kept_below_80']:.3f} {m['same_event_merges']:5d} "
              f"{m['follow_up_merges']:6d} {m['clusters']:4d}/{m['true_clusters']}")


CHROME_SITES = {  # each site's template, as such sites print it (text that changes from page to page)
    "www.uutiset.example": lambda r, t: (
        [f"{r.randint(1, 28)}.{r.randint(1, 12)}. klo {r.randint(6, 22)}.{r.randint(10, 59)}",
         f"Lukuaika {r.randint(2, 9)} min", "Etusivu | Uutiset | Talous | Urheilu | Sää"],
        [f"Kuva: {r.choice(['Matti Laine', 'Anna Korhonen'])} / Lehtikuva", "MAINOS", f"Lue myös: {t[0]}",
         "Jaa Facebook | X | WhatsApp", "Aiheesta lisää", *t[1:4], "Tilaa uutiskirje", "© Uutiset Oy 2026"]),
    "www.tintuc.example": lambda r, t: (
        [f"{r.choice(['Thứ ba', 'Thứ tư'])}, {r.randint(1, 28)}/11/2026, {r.randint(6, 22)}:{r.randint(10, 59)}",
         f"{r.randint(2, 9)} phút đọc", "Trang chủ > Thời sự > Thế giới"],
        [f"Ảnh: {r.choice(['Nguyễn An', 'Trần Bình'])}", "QUẢNG CÁO", f"Xem thêm: {t[0]}", "Tin liên quan",
         *t[1:4], "Chia sẻ | Bình luận (3)", "Báo Tin Tức điện tử"]),
    "www.haber.example": lambda r, t: (
        [f"{r.randint(1, 28)}.11.2026 - {r.randint(6, 22)}:{r.randint(10, 59)}", f"Okuma süresi: {r.randint(2, 9)} dk",
         "Ana Sayfa / Gündem / Dünya"],
        [f"Foto: {r.choice(['AA', 'DHA', 'İHA'])}", "REKLAM", f"Ayrıca okuyun: {t[0]}", "İlgili haberler",
         *t[1:4], "Paylaş: Facebook Twitter", "Haber Gazetesi © 2026"]),
}


def heavy_chrome_case(bench: Path, workers: int, params: MinHashParams, seed: int = 5) -> tuple[dict, dict]:
    """Short stories (the gold articles' first 60-110 words) on three sites, each in its site's heavy
    template (14-18 chrome lines: datelines, menus, credits, related headlines); each copy edited a
    little (two words changed). Returns the truth and the groups newsclean found."""
    import random

    rng = random.Random(seed)
    stories = [s for s in load_stories(bench) if sum(len(p.split()) for p in s.paragraphs) >= 120][:40]
    heads = [" ".join(s.paragraphs[0].split()[:8]) for s in stories]
    docs = []
    with tempfile.TemporaryDirectory(prefix="newsclean-chrome-") as tmp:
        for n, story in enumerate(stories):
            words, short = 0, []
            for paragraph in story.paragraphs:
                short.append(paragraph)
                words += len(paragraph.split())
                if words >= rng.randint(60, 110):
                    break
            for host, template in CHROME_SITES.items():
                copy = list(short)
                for _ in range(2):  # a copy edited a little: two words changed (story Jaccard about 0.8-0.9)
                    at = rng.randrange(len(copy))
                    w = copy[at].split()
                    w[rng.randrange(len(w))] = rng.choice(["also", "now", "then"])
                    copy[at] = " ".join(w)
                top, bottom = template(rng, rng.sample(heads, 4))
                lines = [*top, copy[0], *bottom[:2], *copy[1:], *bottom[2:]]
                path = Path(tmp, "crawl", host, f"{n}.txt")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"{heads[n]}\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
                docs.append({"path": f"{host}/{n}.txt", "story": story.id, "role": "copy", "kept": 1.0})
        run = Ingest(IngestOptions(keep_duplicates=True, workers=workers, minhash=params))
        records = list(run.records([str(Path(tmp, "crawl"))]))
    truth = {"docs": docs, "same_event_pairs": []}
    return truth, groups_from_records(records)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", type=Path, default=HERE.parent.parent / "shared" / "bench" / "extraction")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sweep", action="store_true", help="also try a grid of dedup parameters")
    args = ap.parse_args()
    if not (args.bench / "ground-truth.json").is_file():
        print(f"eval-dedup: no benchmark at {args.bench}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="newsclean-dedup-") as tmp:
        folder = Path(tmp) / "corpus"
        truth = build(folder, args.bench, seed=args.seed)
        params = MinHashParams()
        start = time.perf_counter()
        records = ingest(folder, args.workers, params)
        seconds = time.perf_counter() - start
        metrics = measure(truth, groups_from_records(records))
        metrics["closest_negative_jaccard"], metrics["closest_negative_containment"] = closest_negatives(
            records, truth, params)
        report(metrics, params, seconds)
        if args.sweep:
            sweep(records, truth)
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}))
        ok = metrics["precision"] >= 1.0 and metrics["recall_kept_80"] >= 0.95 and metrics["same_event_merges"] == 0
        print("target (precision 1.00, recall >= 0.95 on copies keeping >= 80%, no same-event merge):",
              "met" if ok else "NOT met")
        truth, predicted = heavy_chrome_case(args.bench, args.workers, params)
        m = measure(truth, predicted)
        print(f"\nshort stories with heavy, different chrome per site: {m['docs']} files, "
              f"{m['true_clusters']} stories on 3 sites")
        print(f"  copies found (pairwise recall) {m['recall']:.3f}")
        print(f"  pairwise precision             {m['precision']:.3f}  (false merges: "
              f"{m['clusters'] < m['true_clusters'] or m['precision'] < 1.0})")
        print(f"  clusters                       {m['clusters']} (truth {m['true_clusters']})")
        print("target (copies found >= 0.95, no false merge):",
              "met" if m["recall"] >= 0.95 and m["precision"] >= 1.0 else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
