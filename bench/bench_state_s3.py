"""A Parquet state in S3 (moto's server on 127.0.0.1, started here) beside the same state in a local folder.

Part 1: two nights of ``newsclean ingest --state`` on ``../shared/bench/extraction/html`` (its pages dealt into
two overlapping nights), with a local Parquet folder and with ``s3://bench/state/``: the wall time of each
night, whether the records are the same, and the S3 requests the state cost (counted from the server's log,
by method: requests for the state's objects; the listings of its prefix are not counted). Part 2: a state
of BENCH_STATE_S3_PARTS (100) nightly parts of BENCH_STATE_S3_RECORDS (200) synthetic records each: the time
to write it, to open it and to build the local executor's index, and the requests each took.

    python bench/bench_state_s3.py
"""

from __future__ import annotations

import collections
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ROOT.parent / "shared" / "bench" / "extraction" / "html"
PARTS = int(os.environ.get("BENCH_STATE_S3_PARTS", "100"))
RECORDS = int(os.environ.get("BENCH_STATE_S3_RECORDS", "200"))


class Requests(logging.Handler):
    """The moto server's requests under a prefix, by method (werkzeug logs one line per request)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: collections.Counter[str] = collections.Counter()
        self.prefix = ""

    def emit(self, record: logging.LogRecord) -> None:
        found = re.search(r'"(GET|PUT|HEAD|DELETE|POST) (\S+)', re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage()))
        if found and self.prefix and self.prefix in found.group(2):
            self.counts[found.group(1)] += 1

    def take(self) -> str:
        said = ", ".join(f"{n} {method}" for method, n in sorted(self.counts.items()))
        self.counts.clear()
        return said or "none"


def main() -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
               AWS_ENDPOINT_URL=f"http://{host}:{port}", NO_COLOR="1")
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    counted = Requests()
    logging.getLogger("werkzeug").addHandler(counted)
    logging.getLogger("werkzeug").setLevel(logging.INFO)
    from corpus.inputs.storage import filesystem

    filesystem("s3://bench/")[0].mkdir("bench")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            two_nights(Path(tmp), env, counted)
            many_parts(counted)
    finally:
        server.stop()


def two_nights(tmp: Path, env: dict[str, str], counted: Requests) -> None:
    pages = sorted(PAGES.iterdir())
    third = len(pages) // 3
    nights = [tmp / "n1", tmp / "n2"]
    for night, chosen in zip(nights, (pages[: 2 * third], pages[third:]), strict=True):
        night.mkdir()
        for page in chosen:
            (night / page.name).symlink_to(page)
    print(f"two nights of {2 * third} and {len(pages) - third} pages ({third} in both), --workers 2")
    records = {}
    for kind, state in (("local folder", str(tmp / "state") + "/"), ("s3://", "s3://bench/state/")):
        counted.prefix = "/bench/state"
        records[kind] = []
        for n, night in enumerate(nights, 1):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "cli", "ingest", str(night), "--keep-duplicates", "-q",
                                   "--state", state, "--workers", "2"], capture_output=True, env=env, cwd=ROOT)
            took = time.perf_counter() - start
            assert done.returncode == 0, done.stderr.decode()
            records[kind].append(done.stdout)
            print(f"  {kind:12} night {n}: {took:5.1f} s; S3 requests for the state: "
                  f"{counted.take() if kind == 's3://' else '-'}")
    print(f"  records the same, byte for byte: {records['local folder'] == records['s3://']}")


def many_parts(counted: Requests) -> None:
    import numpy as np

    from corpus.dedup.minhash import MinHashParams, Signature
    from corpus.dedup.parquet_state import ParquetState

    params, rng = MinHashParams(), np.random.default_rng(3)
    url = "s3://bench/parts/"
    counted.prefix = "/bench/parts"
    state = ParquetState(url, params)
    start = time.perf_counter()
    for night in range(PARTS):
        state.begin()
        for i in range(RECORDS):
            state.add(f"{night * RECORDS + i:032x}", f"/in/{night}/{i}.html",
                      Signature(rng.integers(0, 2**32, params.num_perm, dtype=np.uint32), 300, 320),
                      f"2026-01-01T00:00:{night % 60:02d}+00:00", night + 1)
        state.commit(night + 1, f"night-{night}", "2026-01-01T00:00:00+00:00")
    print(f"a state of {PARTS} parts of {RECORDS} records in S3: written in {time.perf_counter() - start:.1f} s "
          f"({counted.take()})")
    start = time.perf_counter()
    opened = ParquetState(url)
    opened_in = time.perf_counter() - start
    requests = counted.take()
    found = opened.lookup(Signature(rng.integers(0, 2**32, params.num_perm, dtype=np.uint32), 300, 320))
    print(f"  opened in {opened_in:.2f} s ({requests}); index built and one lookup in "
          f"{time.perf_counter() - start - opened_in:.2f} s ({counted.take()}), {len(opened.index)} records, "
          f"{len(found)} candidates")


if __name__ == "__main__":
    main()
