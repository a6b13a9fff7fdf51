"""``make bench-dask``: the Dask executor with workers that read and write the store themselves.

1. **Throughput.** BENCH_DASK_DOCS (3,000) real-looking news documents of ``bench/syndicate.py`` (half HTML,
   half plain text, a fifth syndicated copies) in a moto S3 server on 127.0.0.1 (its own process); one
   batch ingest (dedup and the repeated-line rule included) from ``s3://bench/corpus/`` to a partitioned
   output ``s3://bench/out-*/``: Dask with 2 workers (a LocalCluster started here, the workers knowing the
   store from the AWS_* environment) beside one local worker (``--workers 1``), the same documents, the
   same run of this script. Both outputs are compared record for record.
3. **A large SQLite state.** A SQLite ``--state`` of BENCH_DASK_STATE (300,000) stored records (random
   signatures, written through ``StateIndex``); one night of BENCH_DASK_SMALL plain-text documents against
   it, the client's peak RSS with the Dask executor beside the local one's (``--workers 1``).
2. **The client's bytes and memory.** BENCH_DASK_SMALL (3,000) and BENCH_DASK_LARGE (30,000) plain-text
   documents in JSONL feeds of 1,000 lines, read by the Dask workers from a local folder and written by
   them to ``-o DIR/``. The client (the ``newsclean`` process, run through ``bench/client_probe.py``) counts
   every byte its sockets received and its peak RSS: bytes per document, and RSS growth per document
   between the two sizes (each the median of BENCH_DASK_REPEATS (3) runs, the sizes taking turns).

Every newsclean run is a process of its own (``python bench/client_probe.py ingest ...``); the Dask
scheduler lives in this script's process, so the client's sockets carry only what a client receives.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from syndicate import build_bench_corpus, load_stories  # noqa: E402

DOCS = int(os.environ.get("BENCH_DASK_DOCS", "3000"))
SMALL = int(os.environ.get("BENCH_DASK_SMALL", "3000"))
LARGE = int(os.environ.get("BENCH_DASK_LARGE", "30000"))
STATE = int(os.environ.get("BENCH_DASK_STATE", "300000"))
REPEATS = int(os.environ.get("BENCH_DASK_REPEATS", "3"))  # runs of each size in part 2, their median reported
WORKERS = 2
BENCH = ROOT.parent / "shared" / "bench" / "extraction"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_server(tmp: Path):
    """A moto S3 server in its own process on 127.0.0.1; yields the environment that points at it."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_CONFIG_FILE=str(tmp / "aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp / "aws-credentials"), NO_COLOR="1")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.2)
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def store(env: dict[str, str]):  # noqa: ANN201 - s3fs.S3FileSystem
    import s3fs

    return s3fs.S3FileSystem(key="bench", secret="bench", skip_instance_cache=True,
                             client_kwargs={"endpoint_url": env["AWS_ENDPOINT_URL"]})


def newsclean(env: dict[str, str], tmp: Path, *args: str) -> tuple[float, dict[str, int], str]:
    """(seconds, the client's probe, stderr) of one ``newsclean ingest`` process."""
    probe = tmp / "probe.json"
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "client_probe.py"), "ingest", *args, "-q"],
                            env={**env, "BENCH_PROBE": str(probe)}, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"newsclean failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, json.loads(probe.read_text()), result.stderr


def records_under(fs, prefix: str) -> bytes:  # noqa: ANN001
    names = sorted(n for n in fs.ls(prefix, detail=False) if n.rsplit("/", 1)[-1].startswith("part-"))
    return b"".join(gzip.decompress(fs.cat(n)) for n in names)


def plain_feeds(folder: Path, count: int, seed: int = 7) -> None:
    """``count`` plain-text documents of their own sentences (words drawn from the benchmark's stories; a fifth
    of them edited copies of an earlier one) in JSONL feeds of 1,000 lines."""
    rng = random.Random(seed)
    words = sorted({w for s in load_stories(BENCH) for p in s.paragraphs for w in p.split() if w.isalpha()})

    def paragraph() -> str:
        sentences = [" ".join(rng.choices(words, k=rng.randint(8, 20))) for _ in range(rng.randint(2, 4))]
        return " ".join(s[0].upper() + s[1:] + "." for s in sentences)

    folder.mkdir(parents=True)
    made: list[list[str]] = []
    for start in range(0, count, 1000):
        lines = []
        for n in range(start, min(count, start + 1000)):
            if made and rng.random() < 0.2:
                body = list(rng.choice(made[-300:]))
                body.pop(rng.randrange(1, len(body)))
            else:
                body = [paragraph() for _ in range(6)]
                made.append(body)
            lines.append(json.dumps({"id": f"d{n}", "url": f"https://site{n % 40}.example/news/{n}",
                                     "text": "\n".join(body)}))
        (folder / f"feed-{start // 1000:04d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def big_state(path: Path, count: int) -> None:
    """A SQLite state of ``count`` stored records with random signatures, one night's."""
    import numpy as np

    from corpus.dedup.minhash import MinHashParams, Signature
    from corpus.dedup.state import StateIndex

    params = MinHashParams()
    rng = np.random.default_rng(3)
    state = StateIndex(str(path), params)
    state.begin()
    run = state.next_run()
    for n in range(count):
        hv = rng.integers(0, 2**32, params.num_perm, dtype=np.uint32)
        state.add(f"{n:032x}", f"old/{n // 1000:04d}/{n}.html", Signature(hv, 300, 400), "2026-11-01T00:00:00+00:00",
                  run)
    state.commit(run, "bench-state", "2026-11-01T00:00:00+00:00", "batch")
    state.close()


class CpuMeter:
    """CPU seconds of every process of this machine's run: this script (the Dask scheduler), its children (the
    moto server, the cluster's workers and their own children, e.g. the ``--timeout`` child) and the newsclean
    processes it waited for (with their workers)."""

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self._start = self._total()

    def _total(self) -> float:
        import psutil

        total = sum(self._me.cpu_times()[:2])  # own user and system, and those of waited children
        total += sum(self._me.cpu_times()[2:4])
        for child in self._me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += sum(child.cpu_times()[:2])
        return total

    def seconds(self) -> float:
        return self._total() - self._start


def throughput(env: dict[str, str], tmp: Path, fs, dask: tuple[str, ...]) -> None:  # noqa: ANN001
    """Part 1: S3 in and out, Dask beside one local worker. With each run's CPU seconds (every process of the run:
    the client, its workers, the S3 server, the scheduler): the cores the run kept busy on average, which bounds
    what more workers can give on this machine."""
    corpus = tmp / "corpus"
    counts = build_bench_corpus(corpus, BENCH, DOCS)
    fs.put(str(corpus) + "/", "bench/corpus/", recursive=True)
    cores = os.cpu_count() or 1
    print(f"corpus: {DOCS} documents ({counts}) in s3://bench/corpus/ (moto on 127.0.0.1), {cores} cores, one run each")
    meter = CpuMeter()
    local_s, _, _ = newsclean(env, tmp, "s3://bench/corpus/", "-o", "s3://bench/out-local/", "--workers", "1")
    local_cpu = meter.seconds()
    meter = CpuMeter()
    dask_s, probe, _ = newsclean(env, tmp, "s3://bench/corpus/", "-o", "s3://bench/out-dask/", *dask)
    dask_cpu = meter.seconds()
    same = records_under(fs, "bench/out-local") == records_under(fs, "bench/out-dask")
    print(f"local executor, 1 worker, S3 in and out: {DOCS / local_s:7.1f} docs/s ({local_s:.1f} s); "
          f"{1000 * local_cpu / DOCS:.1f} ms CPU a document, {local_cpu / local_s:.2f} cores busy")
    print(f"dask executor, {WORKERS} workers, S3 in and out: {DOCS / dask_s:7.1f} docs/s ({dask_s:.1f} s); "
          f"{1000 * dask_cpu / DOCS:.1f} ms CPU a document, {dask_cpu / dask_s:.2f} cores busy; "
          f"ratio {local_s / dask_s:.2f}x")
    print(f"on {cores} cores the ratio cannot pass {cores * local_s / local_cpu:.2f}x (cores / the local run's busy "
          f"cores), nor {cores * local_s / dask_cpu:.2f}x (the Dask run's CPU spread over every core)")
    print(f"same records from both: {same}")
    print(f"client received {probe['received'] / DOCS:.0f} bytes a document ({probe['received']} bytes); "
          f"peak RSS {probe['peak_rss'] / 2**20:.0f} MiB; its own CPU {1000 * probe['cpu'] / DOCS:.1f} ms a document "
          f"({probe['cpu']:.1f} s, start-up included)")


def client_costs(env: dict[str, str], tmp: Path, dask: tuple[str, ...]) -> None:
    """Part 2: the client's bytes received and peak RSS at SMALL and LARGE plain-text documents, each the median
    of REPEATS runs (the two sizes taking turns: a peak RSS moves by a MiB or two from run to run, which is 40
    to 80 bytes a document over the difference)."""
    runs: dict[int, list[tuple[float, dict[str, int]]]] = {SMALL: [], LARGE: []}
    for count in (SMALL, LARGE):
        plain_feeds(tmp / f"plain-{count}", count)
    for turn in range(REPEATS):
        for count in (SMALL, LARGE):
            out = f"{tmp}/plain-out-{count}-{turn}/"
            seconds, probe, _ = newsclean(env, tmp, str(tmp / f"plain-{count}"), "-o", out, *dask)
            runs[count].append((seconds, probe))
    sizes = {}
    for count in (SMALL, LARGE):
        probe = {key: statistics.median(p[key] for _, p in runs[count]) for key in ("received", "peak_rss", "cpu")}
        seconds = statistics.median(s for s, _ in runs[count])
        sizes[count] = probe
        peaks = ", ".join(f"{p['peak_rss'] / 2**20:.1f}" for _, p in runs[count])
        print(f"{count:6d} plain-text documents: client received {probe['received'] / count:5.0f} bytes a "
              f"document, peak RSS {probe['peak_rss'] / 2**20:.1f} MiB (median of {peaks}), CPU "
              f"{probe['cpu']:.1f} s ({count / seconds:.1f} docs/s)")
    grown = (sizes[LARGE]["peak_rss"] - sizes[SMALL]["peak_rss"]) / (LARGE - SMALL)
    bytes_each = (sizes[LARGE]["received"] - sizes[SMALL]["received"]) / (LARGE - SMALL)
    cpu_each = (sizes[LARGE]["cpu"] - sizes[SMALL]["cpu"]) / (LARGE - SMALL)
    print(f"client between {SMALL} and {LARGE} documents: peak RSS grows {grown:.0f} bytes a document (target "
          f"<= 200); it receives {bytes_each:.0f} bytes a document more (target <= 1,000) and spends "
          f"{1000 * cpu_each:.2f} ms of CPU a document more")


def state_memory(env: dict[str, str], tmp: Path, dask: tuple[str, ...]) -> None:
    """Part 3: a night of SMALL documents against a SQLite state of STATE records, either executor."""
    started = time.perf_counter()
    big_state(tmp / "state.db", STATE)
    print(f"a SQLite state of {STATE} records made in {time.perf_counter() - started:.0f} s")
    feeds = tmp / f"plain-{SMALL}"
    if not feeds.exists():
        plain_feeds(feeds, SMALL)
    for name, executor in (("local", ("--workers", "1")), ("dask", dask)):
        shutil.copy(tmp / "state.db", tmp / f"state-{name}.db")
        seconds, probe, _ = newsclean(env, tmp, str(feeds), "-o", str(tmp / "night.jsonl"),
                                      "--state", str(tmp / f"state-{name}.db"), *executor)
        print(f"{SMALL} documents against it, {name} executor: client peak RSS "
              f"{probe['peak_rss'] / 2**20:.0f} MiB ({seconds:.0f} s)")


def main() -> None:
    """Each part runs unless its size is 0 (BENCH_DASK_DOCS, BENCH_DASK_LARGE, BENCH_DASK_STATE)."""
    import distributed

    with tempfile.TemporaryDirectory(prefix="newsclean-bench-dask-") as name, moto_server(Path(name)) as env:
        tmp = Path(name)
        fs = store(env)
        fs.mkdir("bench")
        cluster = distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address=None, silence_logs=logging.ERROR,
                                           env={k: v for k, v in env.items() if k.startswith("AWS_")})
        with cluster:
            dask = ("--executor", "dask", "--scheduler", cluster.scheduler_address)
            if DOCS:
                throughput(env, tmp, fs, dask)
            if LARGE:
                client_costs(env, tmp, dask)
            if STATE:
                state_memory(env, tmp, dask)


if __name__ == "__main__":
    main()
