"""`make bench`: newsclean's throughput and memory, beside trafilatura.extract alone.

Builds BENCH_DOCS (20,000) real-looking news documents from the gold texts of
../shared/bench/extraction (bench/syndicate.py: half HTML, half plain text, a fifth
syndicated copies) and prints, in one run:

- documents per second for HTML, whole pipeline, one worker, beside the same pages through
  ``trafilatura.extract`` with its defaults in one process of its own (stock trafilatura), and the
  ratio of the two (the two take turns every BENCH_CHUNK (50) pages, so that both see the same
  machine);
- the same for W workers, and plain text;
- time per stage (one process);
- scaling from 1 to 2 workers;
- peak RSS of `newsclean ingest`'s main process and of its largest worker at 10,000 documents
  and at BENCH_DOCS, and the main process's growth per document between the two.

Rates are medians of BENCH_ROUNDS (3) rounds measured in this run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.pool
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from syndicate import build_bench_corpus  # noqa: E402

from corpus import Ingest, IngestOptions  # noqa: E402
from corpus.clean.cleaner import clean  # noqa: E402
from corpus.dedup.deduplicator import Deduplicator  # noqa: E402
from corpus.dedup.minhash import MinHashParams, signature  # noqa: E402
from corpus.extract.page import extract  # noqa: E402
from corpus.inputs.files import read_file  # noqa: E402
from corpus.language import detect_language, forget_answers  # noqa: E402
from corpus.outputs.write import dumps  # noqa: E402


def files_under(folder: Path, limit: int) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*.*"))[:limit]


def newsclean_rate(paths: list[str], workers: int, lang_backend: str = "langdetect") -> float:
    run = Ingest(IngestOptions(workers=workers, keep_duplicates=True, lang_backend=lang_backend))
    start = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for record in run.records(paths):
            sink.write(dumps(record) + "\n")
    return len(paths) / (time.perf_counter() - start)


def _trafilatura_file(path: str) -> int:
    import trafilatura

    html = Path(path).read_text(encoding="utf-8")
    return len(trafilatura.extract(html) or "")  # its defaults


def _trafilatura_seconds(paths: list[str]) -> float:
    """Seconds for trafilatura.extract on these pages, one after the other, timed where it runs."""
    from corpus.extract.xpath_guards import _guarded

    assert not _guarded, "trafilatura must run with its own XPaths here, not newsclean's guarded ones"
    start = time.perf_counter()
    for path in paths:
        _trafilatura_file(path)
    return time.perf_counter() - start


def stock_trafilatura(workers: int, warm_up_page: str) -> multiprocessing.pool.Pool:
    """Processes that never run newsclean, each warmed up on one page: newsclean swaps cheaper twins of
    trafilatura's XPaths into the process that extracts (corpus.extract.xpath_guards), and trafilatura must
    be measured as it ships."""
    return multiprocessing.get_context("spawn").Pool(workers, _trafilatura_file, (warm_up_page,))


def trafilatura_rate(paths: list[str], workers: int, pool: multiprocessing.pool.Pool) -> float:
    if workers <= 1:
        return len(paths) / pool.apply(_trafilatura_seconds, (paths,))
    start = time.perf_counter()
    for _ in pool.imap(_trafilatura_file, paths, chunksize=4):
        pass
    return len(paths) / (time.perf_counter() - start)


def interleaved_rates(paths: list[str], chunk: int, pool: multiprocessing.pool.Pool) -> tuple[float, float]:
    """(newsclean, trafilatura) pages per second, one worker each, taking turns every ``chunk`` pages:
    a shared machine's speed drifts by tens of percent within a minute, and a ratio of two long runs
    one after the other measured the drift as much as the two programs. Each newsclean chunk is a
    whole run (its set-up counted)."""
    ours = theirs = 0.0
    for start in range(0, len(paths), chunk):
        part = paths[start: start + chunk]
        ours += len(part) / newsclean_rate(part, 1)
        theirs += len(part) / trafilatura_rate(part, 1, pool)
    return len(paths) / ours, len(paths) / theirs


def median_rate(fn, rounds: int) -> float:  # noqa: ANN001
    return statistics.median(fn() for _ in range(rounds))


def stage_times(paths: list[str]) -> dict[str, float]:
    """Milliseconds per document for each stage, one process: the language detector's kept answers are those of
    these documents only, as in a run (the throughput rounds before saw the same pages)."""
    forget_answers()
    totals = dict.fromkeys(("read", "extract", "clean", "language", "signature", "dedup", "write"), 0.0)
    params = MinHashParams()
    dedup = Deduplicator(params)
    for index, path in enumerate(paths):
        t0 = time.perf_counter()
        raw = read_file(Path(path), Path(path).parent)
        t1 = time.perf_counter()
        doc = extract(raw)
        t2 = time.perf_counter()
        doc = clean(doc)
        t3 = time.perf_counter()
        doc = detect_language(doc)
        t4 = time.perf_counter()
        sig = signature(doc.text, params)
        t5 = time.perf_counter()
        dedup.add(index, sig, doc.id)
        t6 = time.perf_counter()
        json.loads(json.dumps(doc.to_spool()))  # the spool round trip
        dumps(doc.to_record("bench"))
        t7 = time.perf_counter()
        for stage, dt in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6), strict=True):
            totals[stage] += dt
    return {stage: 1000 * total / len(paths) for stage, total in totals.items()}


def _peak_kib(pid: int) -> int:
    """VmHWM (peak resident set) of a live process, in KiB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except (OSError, ValueError):
        return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for t in os.listdir(f"/proc/{pid}/task")
                for c in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
    except OSError:
        return []


def peak_rss(paths: list[str], workers: int) -> tuple[float, float, float]:
    """(peak RSS of the newsclean main process in MiB, the largest worker's, documents per second) for one
    run. Each is read from /proc while the run lasts: the rusage ``wait4`` gives folds the children's
    peak into the parent's, so it reported the largest worker as the main process."""
    listing = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)  # noqa: SIM115
    listing.write("\n".join(paths) + "\n")
    listing.close()
    start = time.perf_counter()
    main_kib = worker_kib = 0
    with open(listing.name, encoding="utf-8") as stdin:
        proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", "-", "--workers", str(workers), "-q"],
                                stdin=stdin, stdout=subprocess.DEVNULL, cwd=HERE.parent)
        while proc.poll() is None:
            main_kib = max(main_kib, _peak_kib(proc.pid))
            worker_kib = max([worker_kib, *(_peak_kib(c) for c in _children(proc.pid))])
            time.sleep(0.05)
    seconds = time.perf_counter() - start
    os.unlink(listing.name)
    if proc.returncode != 0:
        raise RuntimeError(f"newsclean ingest failed with status {proc.returncode}")
    return main_kib / 1024, worker_kib / 1024, len(paths) / seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", type=Path, default=HERE.parent.parent / "shared" / "bench" / "extraction")
    ap.add_argument("--docs", type=int, default=int(os.environ.get("BENCH_DOCS", 20_000)))
    ap.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 1)))
    ap.add_argument("--html-docs", type=int, default=int(os.environ.get("BENCH_HTML_DOCS", 2000)))
    ap.add_argument("--text-docs", type=int, default=int(os.environ.get("BENCH_TEXT_DOCS", 5000)))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    ap.add_argument("--chunk", type=int, default=int(os.environ.get("BENCH_CHUNK", 50)),
                    help="pages each program runs before the other takes its turn (the one-worker ratio)")
    args = ap.parse_args()
    if not (args.bench / "ground-truth.json").is_file():
        print(f"bench: no benchmark at {args.bench}", file=sys.stderr)
        return 2
    w = args.workers
    with tempfile.TemporaryDirectory(prefix="newsclean-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        started = time.perf_counter()
        counts = build_bench_corpus(corpus, args.bench, args.docs)
        print(f"corpus: {args.docs:,} documents ({counts['html']:,} HTML, {counts['text']:,} plain text, "
              f"{counts['copies']:,} syndicated copies), built in {time.perf_counter() - started:.0f} s; "
              f"{w} workers, {os.cpu_count()} cores, medians of {args.rounds} rounds\n")
        html = files_under(corpus / "html", args.html_docs)
        text = files_under(corpus / "text", args.text_docs)

        stock = stock_trafilatura(w, html[0])
        pairs = [interleaved_rates(html, args.chunk, stock) for _ in range(args.rounds)]
        nc_html_one = statistics.median(nc for nc, _ in pairs)
        tf_html_one = statistics.median(tf for _, tf in pairs)
        ratio_one = statistics.median(nc / tf for nc, tf in pairs)
        nc_html = median_rate(lambda: newsclean_rate(html, w), args.rounds)
        tf_html = median_rate(lambda: trafilatura_rate(html, w, stock), args.rounds)
        stock.close()
        nc_text = median_rate(lambda: newsclean_rate(text, w), args.rounds)
        nc_text_1 = median_rate(lambda: newsclean_rate(text, 1), args.rounds)
        nc_text_fast = median_rate(lambda: newsclean_rate(text, 1, "langid"), args.rounds)
        half = html[: max(1, len(html) // 2)]
        nc_html_1 = median_rate(lambda: newsclean_rate(half, 1), args.rounds)
        nc_html_2 = median_rate(lambda: newsclean_rate(half, 2), args.rounds)

        print(f"{'throughput (documents per second)':52s} {'value':>10s}  target")
        print(f"{'HTML, newsclean ingest (' + str(len(html)) + ' pages, 1 worker)':52s} {nc_html_one:10.1f}")
        print(f"{'HTML, trafilatura.extract, its defaults (same pages)':52s} {tf_html_one:10.1f}")
        print(f"{'HTML, ratio newsclean / trafilatura (median of rounds)':52s} {ratio_one:10.3f}  "
              ">= 0.90 (issue 22), >= 1.00 (issue 25)")
        print(f"{'HTML, newsclean ingest (' + str(w) + ' workers)':52s} {nc_html:10.1f}")
        print(f"{'HTML, trafilatura.extract (' + str(w) + ' processes)':52s} {tf_html:10.1f}")
        print(f"{'HTML, ratio with ' + str(w) + ' workers':52s} {nc_html / tf_html:10.2f}  >= 0.95")
        print(f"{'plain text, newsclean ingest (' + str(len(text)) + ' docs, ' + str(w) + ' workers)':52s} "
              f"{nc_text:10.1f}")
        print(f"{'plain text, newsclean ingest, 1 worker':52s} {nc_text_1:10.1f}  >= 400")
        print(f"{'plain text, 1 worker, --lang-backend langid':52s} {nc_text_fast:10.1f}  >= 400")
        print(f"{'HTML, 1 worker (' + str(len(half)) + ' pages)':52s} {nc_html_1:10.1f}")
        print(f"{'HTML, 2 workers (same pages)':52s} {nc_html_2:10.1f}")
        print(f"{'scaling, 2 workers / 1 worker':52s} {nc_html_2 / nc_html_1:10.2f}  >= 1.7")

        print("\ntime per stage, one process (ms per document)")
        for kind, sample in (("HTML", html[:300]), ("plain text", text[:1000])):
            stages = stage_times(sample)
            total = sum(stages.values())
            print(f"  {kind:11s} " + "  ".join(f"{k} {v:.2f}" for k, v in stages.items()) + f"  | total {total:.2f}")

        mixed = sorted((str(p) for p in corpus.rglob("*.*")), key=lambda p: Path(p).name)  # HTML and text interleaved
        small = mixed[: min(10_000, len(mixed))]
        rss_small, worker_small, rate_small = peak_rss(small, w)
        rss_all, worker_all, rate_all = peak_rss(mixed, w)
        print(f"\npeak RSS of newsclean ingest ({w} workers): main process (target < 150 MiB), largest worker "
              f"(target < 300 MiB)")
        print(f"  {len(small):>7,} documents: {rss_small:8.1f} MiB  worker {worker_small:6.1f} MiB  "
              f"({rate_small:.0f} documents/s)")
        print(f"  {len(mixed):>7,} documents: {rss_all:8.1f} MiB  worker {worker_all:6.1f} MiB  "
              f"({rate_all:.0f} documents/s)")
        if len(mixed) > len(small):
            growth = (rss_all - rss_small) * 1024 * 1024 / (len(mixed) - len(small))
            print(f"  growth of the main process: {growth:.0f} bytes per document  (target < 1024)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
