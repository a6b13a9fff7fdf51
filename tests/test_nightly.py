"""Nightly runs as crawls really arrive: ids, --state and provenance over several nights."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write

STORIES = {
    "flood": ["River levels in the valley rose above the flood mark on Tuesday night, and the fire service "
              "evacuated forty homes near the old mill.",
              "The council opened the school hall as a shelter and said it would stay open until the water falls.",
              "Forecasters expect two more days of heavy rain across the hills before the weather turns dry."],
    "tram": ["The new tram line between the station and the university opened to passengers on Saturday "
             "morning, three years after building work began.",
             "Trams will run every eight minutes at peak times, and tickets cost the same as the city buses.",
             "Shopkeepers along the route said the roadworks had cost them customers but hoped trade would return."],
    "library": ["The central library will stay open until ten at night during the exam season, the city's "
                "culture department announced.",
                "Students had collected more than three thousand signatures asking for longer opening hours.",
                "Extra staff will be paid from a fund left over from last year's building repairs."],
    "orchestra": ["The youth orchestra will tour five countries next summer, its first trip abroad since it "
                  "was founded in the nineteen-seventies.",
                  "Sixty players aged between fourteen and twenty will perform in concert halls and town squares.",
                  "Parents have raised half the cost through concerts and a sponsored walk around the lake."],
    "bakery": ["A bakery that has served the harbour district for a hundred and twenty years will close its doors "
               "next month because the owner is retiring.",
               "Customers queued around the block on Sunday to buy the last of its famous rye loaves.",
               "The building has been sold to a family who plan to open a cafe that keeps the old oven."],
}


def line(story: str, crawler_id: str, edit: bool = False) -> str:
    paragraphs = list(STORIES[story])
    if edit:  # a syndicated copy: a changed last paragraph
        paragraphs[-1] = "More details are expected later this week, officials said."
    return json.dumps({"id": crawler_id, "url": f"https://news.example/{story}", "text": "\n".join(paragraphs)})


def cli(*args: str, stdin: str | None = None, check: bool = True, cwd: Path | None = None):
    result = subprocess.run([sys.executable, "-m", "cli", *args], input=stdin, capture_output=True, text=True,
                            cwd=cwd)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def records(stdout: str) -> list[dict]:
    return [json.loads(x) for x in stdout.splitlines()]


def stored(state: Path) -> int:
    return json.loads(cli("state", "info", str(state)).stdout)["records"]


def story_of(record: dict) -> str:
    return next(name for name, paragraphs in STORIES.items() if paragraphs[0] in record["text"])


# Night by night: which stories arrive (story, crawler id, edited), and which are copies of an earlier night.
NIGHTS = [
    [("flood", "1", False), ("tram", "2", False)],
    [("flood", "1", False), ("library", "2", False)],  # line 1 re-delivered as is; crawler id 2 reused
    [("orchestra", "1", False), ("tram", "9", True)],  # an edited copy of night 1's tram story
    [("flood", "1", False), ("bakery", "3", False)],  # night 1's first line, a third time
]
FIRST_NIGHT_OF = {"flood": 0, "tram": 0, "library": 1, "orchestra": 2, "bakery": 3}


def check_nights(outputs: list[list[dict]], state_counts: list[int]) -> None:
    kept_ids: dict[str, str] = {}
    seen_ids: set[str] = set()
    for night, got in enumerate(outputs):
        assert [story_of(r) for r in got] == [s for s, _, _ in NIGHTS[night]]
        for record in got:
            story = story_of(record)
            assert record["id"] not in seen_ids, "different documents never share an id, across nights"
            seen_ids.add(record["id"])
            if FIRST_NIGHT_OF[story] == night:
                assert record["duplicate_of"] is None, f"night {night + 1}: {story} is new"
                kept_ids[story] = record["id"]
            else:
                assert record["duplicate_of"] == kept_ids[story], f"night {night + 1}: {story} is an earlier story"
    assert state_counts == [2, 3, 4, 5], "the state holds each night's new stories"


def test_four_nights_through_stdin_clean_then_dedup(tmp_path):
    state = tmp_path / "state.db"
    outputs, counts = [], []
    for night in NIGHTS:
        feed = "\n".join(line(*arrival) for arrival in night) + "\n"
        cleaned = cli("clean", "-", "-q", stdin=feed).stdout
        outputs.append(records(cli("dedup", "-", "--state", str(state), "--keep-duplicates", "-q",
                                   stdin=cleaned).stdout))
        counts.append(stored(state))
    check_nights(outputs, counts)
    assert outputs[1][1]["source_id"] == "2" and outputs[0][1]["source_id"] == "2", "a crawler id decides nothing"
    # rerunning the last night against the same state gives the same bytes
    feed = "\n".join(line(*arrival) for arrival in NIGHTS[-1]) + "\n"
    again = cli("dedup", "-", "--state", str(state), "--keep-duplicates", "-q",
                stdin=cli("clean", "-", "-q", stdin=feed).stdout).stdout
    assert records(again) == outputs[-1] and stored(state) == 5


def test_four_nights_of_a_file_overwritten_in_place(tmp_path):
    state, crawl = tmp_path / "state.db", tmp_path / "today.jsonl"
    outputs, counts, raw = [], [], []
    for night in NIGHTS:
        write(crawl, "\n".join(line(*arrival) for arrival in night) + "\n")
        raw.append(cli("ingest", str(crawl), "--state", str(state), "--keep-duplicates", "-q").stdout)
        outputs.append(records(raw[-1]))
        counts.append(stored(state))
    check_nights(outputs, counts)
    assert cli("ingest", str(crawl), "--state", str(state), "--keep-duplicates", "-q").stdout == raw[-1], \
        "a rerun is byte-identical"


def test_a_moved_crawl_and_a_byte_identical_refetch(tmp_path):
    crawl, state = tmp_path / "crawl", tmp_path / "state.db"
    for name in ("flood", "tram", "library"):
        write(crawl / "site" / f"{name}.txt", f"{name.title()} story\n\n" + "\n\n".join(STORIES[name]))
    first = cli("ingest", str(crawl), "--state", str(state), "--keep-duplicates", "-q").stdout
    moved = tmp_path / "archive" / "crawl-renamed"
    moved.parent.mkdir()
    shutil.move(crawl, moved)
    again = cli("ingest", str(moved), "--state", str(state), "--keep-duplicates", "-q").stdout
    assert again == first and stored(state) == 3, "moving or renaming the crawl changes nothing"
    assert all(r["duplicate_of"] is None for r in records(first)) and len(records(first)) == 3

    night2 = tmp_path / "night2"  # tomorrow: one page fetched again, byte for byte, under another name
    shutil.copy(moved / "site" / "tram.txt", write(night2 / "refetch-tram.txt", ""))
    write(night2 / "bakery.txt", "Bakery closes\n\n" + "\n\n".join(STORIES["bakery"]))
    (bakery, refetch) = records(cli("ingest", str(night2), "--state", str(state), "--keep-duplicates", "-q").stdout)
    tram_id = next(r["id"] for r in records(first) if story_of(r) == "tram")
    assert refetch["duplicate_of"] == tram_id and refetch["id"] != tram_id, "a copy, never a copy of itself"
    assert bakery["duplicate_of"] is None and stored(state) == 4


def test_same_named_files_under_two_arguments_stay_distinct(tmp_path):
    write(tmp_path / "a" / "index.txt", "Flood story\n\n" + "\n\n".join(STORIES["flood"]))
    write(tmp_path / "b" / "index.txt", "Tram story\n\n" + "\n\n".join(STORIES["tram"]))
    manifest = tmp_path / "manifest.json"
    got = records(cli("ingest", "a", "b", "--manifest", str(manifest), "-q", cwd=tmp_path).stdout)
    assert [r["provenance"]["path"] for r in got] == ["a/index.txt", "b/index.txt"]
    inputs = {entry["path"]: entry for entry in json.loads(manifest.read_text())["inputs"]}
    assert set(inputs) == {"a/index.txt", "b/index.txt"}
    assert inputs["a/index.txt"]["sha256"] != inputs["b/index.txt"]["sha256"]
    assert inputs["a/index.txt"]["sha256"] == got[0]["provenance"]["sha256"]
    assert all(entry["outcomes"] == {"records": 1} for entry in inputs.values())


def test_container_provenance_names_file_and_record_hashes(tmp_path):
    import hashlib

    feed = write(tmp_path / "feed.jsonl", line("flood", "1") + "\n" + line("tram", "2") + "\n")
    got = records(cli("ingest", str(feed), "-q").stdout)
    file_hash = hashlib.sha256(feed.read_bytes()).hexdigest()
    for number, record in enumerate(got, 1):
        prov = record["provenance"]
        assert prov["sha256"] == file_hash and prov["bytes"] == feed.stat().st_size, "file-level: the file"
        own = feed.read_bytes().splitlines()[number - 1]
        assert prov["record_sha256"] == hashlib.sha256(own).hexdigest() and prov["record_bytes"] == len(own)


def test_plain_text_has_one_paragraph_per_line(tmp_path):
    write(tmp_path / "flood.txt", "Flood waters rise in the valley\n\n" + "\n\n\n".join(STORIES["flood"]))
    (record,) = records(cli("ingest", str(tmp_path), "-q").stdout)
    assert record["text"].split("\n") == STORIES["flood"]


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_output_is_compressed_as_named(tmp_path, suffix):
    import gzip

    write(tmp_path / "in" / "flood.txt", "Flood story\n\n" + "\n\n".join(STORIES["flood"]))
    out = tmp_path / f"out.jsonl{suffix}"
    cli("ingest", str(tmp_path / "in"), "-o", str(out), "-q")
    if suffix == ".gz":
        text = gzip.decompress(out.read_bytes()).decode()
    else:
        zstandard = pytest.importorskip("zstandard")
        text = zstandard.ZstdDecompressor().stream_reader(out.read_bytes()).read().decode()
    assert story_of(json.loads(text)) == "flood"
    first = out.read_bytes()
    cli("ingest", str(tmp_path / "in"), "-o", str(out), "-q")
    assert out.read_bytes() == first, "compressed output is byte-identical on a rerun"
    deduped = records(cli("dedup", str(out), "-q").stdout)
    assert [story_of(r) for r in deduped] == ["flood"], "newsclean reads its own compressed output"


def test_stream_mode_takes_a_stored_record_as_a_redelivery(tmp_path):
    state = tmp_path / "state.db"
    night1 = "\n".join(line(*arrival) for arrival in NIGHTS[0]) + "\n"
    first = records(cli("ingest", "-", "--stdin-format", "jsonl", "--stream", "--state", str(state), "-q",
                        stdin=night1).stdout)
    again = records(cli("ingest", "-", "--stdin-format", "jsonl", "--stream", "--state", str(state),
                        "--keep-duplicates", "-q", stdin=night1).stdout)
    assert [r["duplicate_of"] for r in again] == [r["id"] for r in first], "as the README says"
    assert not {r["id"] for r in again} & {r["id"] for r in first} and stored(state) == 2


def test_a_link_loop_is_unreadable_not_an_unsupported_type(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "loop.html").symlink_to(tmp_path / "in" / "loop.html")
    write(tmp_path / "in" / "story.txt", "Flood waters rise in the valley\n\n" + "\n\n".join(STORIES["flood"]))
    rejects = tmp_path / "rejects.jsonl"
    cli("ingest", str(tmp_path / "in"), "--rejects", str(rejects), "-q")
    (reject,) = records(rejects.read_text())
    assert reject["reason"] == "unreadable" and reject["path"] == "loop.html" and "link" in reject["message"]
