"""Hostile input, round three (issue 27): no silent loss, no run killed by one line, no traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, STORY, write

TEXT = "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY)


def cli(*args: str, stdin: bytes | str | None = None, env: dict | None = None, timeout: float = 120,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "cli", *args], input=data, capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd or ROOT)


def feed(path: Path, n: int = 3) -> Path:
    lines = [json.dumps({"url": f"https://site.example/{i}", "title": f"Story {i}", "text": story(i)})
             for i in range(n)]
    return write(path, "\n".join(lines) + "\n")


def story(i: int) -> str:
    """A story of its own (no two are near copies), long enough to be kept."""
    words = " ".join(STORY).split()
    return "\n\n".join(" ".join(f"{w}" if (j + i) % 3 else f"{w}{i}" for j, w in enumerate(s.split()))
                        for s in STORY) + f"\n\nFiled as story {i} of {len(words)} words."


# --- 1. an output that is an input, two outputs with one name ---------------------------------------------------

def _usage(result: subprocess.CompletedProcess, *names: str) -> None:
    err = result.stderr.decode()
    assert result.returncode == 2, err
    for name in names:
        assert name in err, err


def test_an_output_that_is_the_input_file_is_a_usage_error(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    before = source.read_bytes()
    for command in ("ingest", "clean"):
        _usage(cli(command, str(source), "-o", str(source), "-q"), "-o", "PATH")
        assert source.read_bytes() == before


def test_an_output_inside_an_input_folder_that_would_be_read_is_a_usage_error(tmp_path):
    source = feed(tmp_path / "in" / "feed.jsonl")
    before = source.read_bytes()
    _usage(cli("ingest", str(tmp_path / "in"), "-o", str(source), "-q"), "-o", "PATH")
    assert source.read_bytes() == before


def test_an_output_reached_through_a_link_is_the_same_file(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    os.symlink(source, tmp_path / "alias.jsonl")
    _usage(cli("ingest", str(source), "-o", str(tmp_path / "alias.jsonl"), "-q"), "-o", "PATH")


@pytest.mark.parametrize("other", ["--manifest", "--rejects"])
def test_two_outputs_with_one_name_are_a_usage_error(tmp_path, other):
    source = feed(tmp_path / "feed.jsonl")
    target = tmp_path / "out.jsonl"
    _usage(cli("ingest", str(source), "-o", str(target), other, str(target), "-q"), "-o", other)
    assert not target.exists()


def test_an_output_over_the_state_is_a_usage_error(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    state = tmp_path / "nightly.db"
    assert cli("ingest", str(source), "--state", str(state), "-q").returncode == 0
    before = state.read_bytes()
    _usage(cli("ingest", str(source), "--state", str(state), "-o", str(state), "-q"), "-o", "--state")
    assert state.read_bytes() == before


def test_a_state_that_is_an_ordinary_folder_is_refused(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    home = tmp_path / "documents"
    write(home / "thesis.odt", "mine")
    result = cli("ingest", str(source), "--state", str(home), "-q")
    _usage(result, "--state")
    assert sorted(p.name for p in home.iterdir()) == ["thesis.odt"]


def test_a_foreign_sqlite_file_is_not_adopted_as_a_state(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    foreign = tmp_path / "app.db"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE contacts (name TEXT)")
    db.execute("INSERT INTO contacts VALUES ('Ada')")
    db.commit()
    db.close()
    _usage(cli("ingest", str(source), "--state", str(foreign), "-q"), "--state", "app.db")
    tables = {r[0] for r in sqlite3.connect(foreign).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"contacts"}


def test_an_empty_sqlite_file_and_a_new_path_still_become_states(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert cli("ingest", str(source), "--state", str(empty), "-q").returncode == 0
    assert cli("ingest", str(source), "--state", str(tmp_path / "new.db"), "-q").returncode == 0
    assert cli("ingest", str(source), "--state", str(tmp_path / "new.db"), "-q").returncode == 0


def test_a_partitioned_output_keeps_a_file_the_user_put_in_it(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    out = tmp_path / "out"
    assert cli("ingest", str(source), "-o", f"{out}/", "-q").returncode == 0
    write(out / "NOTES.txt", "my notes on last night")
    result = cli("ingest", str(source), "-o", f"{out}/", "-q")
    assert result.returncode != 0 and "NOTES.txt" in result.stderr.decode()
    assert (out / "NOTES.txt").read_text() == "my notes on last night"
    assert (out / "_SUCCESS").exists()


def test_the_lock_is_keyed_on_the_real_path(tmp_path):
    from corpus import StateError, locked

    real = tmp_path / "state"
    real.mkdir()
    os.symlink(real, tmp_path / "alias")
    with locked(str(real), 0, announce=False), pytest.raises(StateError, match="in use"), \
            locked(str(tmp_path / "alias"), 0, announce=False):
        pass


# --- 1. a damaged Parquet state is refused by name ----------------------------------------------------------------

@pytest.fixture
def parquet_state(tmp_path) -> Path:
    """A Parquet state after one night (three stories kept), and the feed of that night."""
    pytest.importorskip("pyarrow")
    source = feed(tmp_path / "night1.jsonl")
    state = tmp_path / "state"
    result = cli("ingest", str(source), "--state", f"{state}/", "-q", "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert (state / "data-00000" / "docs.parquet").exists()
    return state


def _night_two(state: Path) -> subprocess.CompletedProcess:
    return cli("ingest", str(state.parent / "night1.jsonl"), "--state", f"{state}/", "-q", "--workers", "1")


def _refused(result: subprocess.CompletedProcess, *names: str) -> None:
    err = result.stderr.decode()
    assert result.returncode in (1, 2) and "Traceback" not in err, err
    for name in names:
        assert name in err, err


def test_a_parquet_state_without_its_meta_is_refused(parquet_state):
    (parquet_state / "state.json").unlink()
    _refused(_night_two(parquet_state), "state.json")
    assert (parquet_state / "data-00000" / "docs.parquet").exists()


@pytest.mark.parametrize("part", ["data-00000", "data-00000/bands", "data-00000/docs.parquet"])
def test_a_parquet_state_with_a_part_deleted_is_refused_by_name(parquet_state, part):
    import shutil

    target = parquet_state / part
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    _refused(_night_two(parquet_state), part)
    check = cli("state", "check", str(parquet_state))
    assert check.returncode == 1 and part in check.stderr.decode(), check.stderr


def test_a_parquet_run_whose_data_points_elsewhere_is_refused(parquet_state, tmp_path):
    meta = json.loads((parquet_state / "state.json").read_text())
    meta["runs"][0]["data"] = "../elsewhere"
    (parquet_state / "state.json").write_text(json.dumps(meta))
    _refused(_night_two(parquet_state), "../elsewhere")


@pytest.mark.parametrize("damage", [
    lambda meta: meta["runs"][0].pop("fingerprint"),
    lambda meta: meta.update(runs={"0": 1}),
    lambda meta: meta["runs"][0].update(kept="many"),
])
def test_a_parquet_state_with_a_damaged_meta_says_what_is_wrong(parquet_state, damage):
    meta = json.loads((parquet_state / "state.json").read_text())
    damage(meta)
    (parquet_state / "state.json").write_text(json.dumps(meta))
    _refused(_night_two(parquet_state), "state.json")


def test_a_parquet_state_whose_meta_is_not_json_says_so(parquet_state):
    (parquet_state / "state.json").write_text("{ not json")
    _refused(_night_two(parquet_state), "state.json")


def test_a_parquet_part_with_a_column_missing_is_refused_by_name(parquet_state):
    import pyarrow.parquet as pq

    docs = parquet_state / "data-00000" / "docs.parquet"
    pq.write_table(pq.read_table(docs).drop_columns(["signature"]), docs)
    _refused(_night_two(parquet_state), "docs.parquet")


def test_a_sound_parquet_state_passes_the_check(parquet_state):
    result = cli("state", "check", str(parquet_state))
    assert result.returncode == 0 and "ok" in result.stdout.decode(), result.stderr
    assert _night_two(parquet_state).returncode == 0


def _edit_docs(state: Path, change) -> None:  # noqa: ANN001 - a function of the table
    import pyarrow.parquet as pq

    docs = state / "data-00000" / "docs.parquet"
    pq.write_table(change(pq.read_table(docs)), docs)


def _cut_signature(table):  # noqa: ANN001, ANN202
    import pyarrow as pa

    sigs = table.column("signature").to_pylist()
    sigs[1] = sigs[1][:40]
    return table.set_column(table.column_names.index("signature"), "signature", pa.array(sigs, pa.binary()))


def _null_id(table):  # noqa: ANN001, ANN202
    import pyarrow as pa

    ids = table.column("id").to_pylist()
    ids[2] = None
    return table.set_column(table.column_names.index("id"), "id", pa.array(ids, pa.string()))


def _shingles_as_text(table):  # noqa: ANN001, ANN202
    import pyarrow as pa

    column = [str(v) for v in table.column("shingles").to_pylist()]
    return table.set_column(table.column_names.index("shingles"), "shingles", pa.array(column, pa.string()))


@pytest.mark.parametrize("change, said", [(_cut_signature, "signature"), (_null_id, "id"),
                                          (_shingles_as_text, "shingles")])
def test_an_edited_export_is_refused_before_anything_is_written(parquet_state, tmp_path, change, said):
    _edit_docs(parquet_state, change)
    target = tmp_path / "imported.db"
    result = cli("state", "import", str(parquet_state), str(target))
    _refused(result, "docs.parquet", said)
    assert result.returncode == 1
    assert not target.exists() and not list(tmp_path.glob(".imported.db*"))


def test_a_truncated_export_is_refused_before_anything_is_written(parquet_state, tmp_path):
    docs = parquet_state / "data-00000" / "docs.parquet"
    docs.write_bytes(docs.read_bytes()[: docs.stat().st_size // 2])
    target = tmp_path / "imported.db"
    result = cli("state", "import", str(parquet_state), str(target))
    _refused(result, "docs.parquet")
    assert not target.exists() and not list(tmp_path.glob(".imported.db*"))


def test_a_sound_export_imports_every_record(parquet_state, tmp_path):
    target = tmp_path / "imported.db"
    result = cli("state", "import", str(parquet_state), str(target))
    assert result.returncode == 0 and "imported 3 records" in result.stdout.decode(), result.stderr
    assert cli("state", "check", str(target)).returncode == 0


# --- 2. a shared block does not glue stories together ------------------------------------------------------------

WIRE_BODIES = [
    "Flooding closed the coastal road near Marsh Bay after two days of heavy rain, and police diverted traffic.",
    "The central bank held its main interest rate at four percent, saying inflation was easing more slowly.",
    "A long-lost painting by a Flemish master was found in the attic of a farmhouse in Brittany last week.",
    "Striking dock workers returned to the port of Valmont after a pay deal was approved by a narrow vote.",
    "The national football team named a new captain, a veteran defender, ahead of the autumn qualifiers.",
    "Scientists reported a sharp fall in the number of bees in the southern valleys after the summer drought.",
]
WIRE_BLOCK = ("Reuters is the news and media division of Thomson Reuters. It provides business, financial, national "
              "and international news to professionals via desktop terminals, the world's media organizations, "
              "industry events and directly to consumers. Founded in 1851, the agency employs more than 2,500 "
              "journalists in about 200 locations around the world. Its text, photographs and video reach billions "
              "of people every day, and its editorial principles are set out in the Trust Principles.")


def test_stories_that_share_only_an_appended_block_are_not_one_group(tmp_path):
    lines = [json.dumps({"url": f"https://wire.example/{i}", "title": f"Story {i}", "text": body + "\n\n" + WIRE_BLOCK})
             for i, body in enumerate(WIRE_BODIES)]
    source = write(tmp_path / "wire.jsonl", "\n".join(lines) + "\n")
    result = cli("ingest", str(source), "--keep-duplicates", "--workers", "1", "-q")
    assert result.returncode == 0, result.stderr
    grouped = [r["title"] for r in map(json.loads, result.stdout.decode().splitlines()) if r.get("duplicate_of")]
    assert grouped == []



# --- 3. invisible characters are taken out before the rules and the signature -----------------------------------

INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ARABIC_STORY = [
    "قال المجلس البلدي يوم الثلاثاء إن الجسر الجديد فوق النهر سيفتح في الربيع المقبل بعد سنوات من التأخير.",
    "وأضاف المسؤولون أن تكاليف البناء ارتفعت بنسبة كبيرة بسبب أسعار الحديد والإسمنت خلال العامين الماضيين.",
    "ويأمل سكان الأحياء الشمالية أن يخفف الجسر من الازدحام الذي يعانون منه كل صباح في طريقهم إلى العمل.",
    "وسينشر المجلس تقريرا مفصلا عن الميزانية الأسبوع المقبل قبل التصويت النهائي على تمويل المرحلة الثانية.",
]
HEBREW_STORY = [
    "מועצת העיר הודיעה ביום שלישי כי הגשר החדש מעל הנהר ייפתח באביב הבא לאחר שנים של עיכובים ועלויות גבוהות.",
    "לדברי הפקידים, עלויות הבנייה עלו בשיעור ניכר בגלל מחירי הפלדה והמלט בשנתיים האחרונות ברחבי הארץ כולה.",
    "תושבי השכונות הצפוניות מקווים שהגשר יקל על הפקקים שהם סובלים מהם מדי בוקר בדרכם לעבודה ובחזרה ממנה.",
    "המועצה תפרסם דוח מפורט על התקציב בשבוע הבא, לפני ההצבעה הסופית על מימון השלב השני של הפרויקט הגדול.",
]


def _texts(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


@pytest.mark.parametrize("char", sorted(set(INVISIBLE) - {"\u200c", "\u200d"}), ids=lambda c: f"U+{ord(c):04X}")
def test_each_invisible_character_alone_in_a_text_is_taken_out(char):
    from corpus.text import without_invisible

    assert without_invisible(f"Caf\u00e9 news{char}letter, “quoted”") == "Caf\u00e9 newsletter, “quoted”"


def test_invisible_characters_inside_chrome_words_do_not_let_it_through(tmp_path):
    text = "\n\n".join([STORY[0], STORY[1], "Sign up for our new\u00adsletter", STORY[2],
                        "Share on Face\u200bbook", STORY[3], STORY[4]])
    write(tmp_path / "in" / "story.txt", "Reservoirs at a thirty-year low\n\n" + text)
    (record,) = _texts(cli("ingest", str(tmp_path / "in"), "--workers", "1", "-q"))
    assert "newsletter" not in record["text"] and "Facebook" not in record["text"]
    assert {r["rule"] for r in record["provenance"]["removed"]} >= {"cta-newsletter", "share-bar"}


def test_a_copy_whose_words_carry_invisible_characters_is_grouped_with_the_original(tmp_path):
    text = "\n\n".join(STORY)
    marked = "\n\n".join(" ".join(w[:2] + INVISIBLE[i % len(INVISIBLE)] + w[2:] if len(w) > 3 else w
                                  for i, w in enumerate(p.split())) for p in STORY)
    lines = [json.dumps({"url": "https://a.example/1", "title": "Reservoirs", "text": text}),
             json.dumps({"url": "https://b.example/1", "title": "Reservoirs", "text": marked})]
    source = write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    records = _texts(cli("ingest", str(source), "--keep-duplicates", "--workers", "1", "-q"))
    assert len(records) == 2 and records[1]["duplicate_of"] == records[0]["id"]
    assert not any(c in records[1]["text"] for c in INVISIBLE)


@pytest.mark.parametrize("paragraphs", [ARABIC_STORY, HEBREW_STORY], ids=["arabic", "hebrew"])
def test_right_to_left_text_with_bidi_marks_at_line_ends_keeps_its_paragraphs(tmp_path, paragraphs):
    write(tmp_path / "in" / "story.txt", "\n\n".join(p + "\u200f" for p in paragraphs) + "\n")
    (record,) = _texts(cli("ingest", str(tmp_path / "in"), "--workers", "1", "-q"))
    assert record["text"].split("\n") == paragraphs
    assert record["provenance"]["removed"] == []


# --- 4. one story many times costs in proportion to the copies -------------------------------------------------

@pytest.mark.parametrize("near", [False, True], ids=["identical", "near-identical"])
def test_copies_of_one_story_are_compared_with_the_group_not_with_each_other(monkeypatch, near):
    from corpus.dedup import deduplicator, minhash

    calls = []
    real = deduplicator.estimated_jaccard
    monkeypatch.setattr(deduplicator, "estimated_jaccard", lambda a, b: calls.append(1) or real(a, b))
    dedup = deduplicator.Deduplicator()
    text = "\n".join(STORY)
    copies = 300
    for index in range(copies):
        sig = minhash.signature(text + (f" Filed by desk {index}." if near else ""), dedup.params)
        dedup.add(index, sig, f"{index:032x}")
    kept, followers = dedup.groups()
    assert set(kept.values()) == {0} and len(followers) == copies - 1
    assert len(calls) <= 3 * copies  # each copy against the group's first few, not against every copy before it


# --- 5. run-killers ------------------------------------------------------------------------------------------------

def test_a_url_without_a_backend_in_a_path_list_is_one_reject_each(tmp_path):
    story_file = write(tmp_path / "in" / "story.txt", TEXT)
    listed = "\n".join(["gs://bucket/a.html", str(story_file), "ftp://host/b.html", "zip://c.html",
                        "hdfs://node/d.html"]) + "\n"
    rejects = tmp_path / "rejects.jsonl"
    result = cli("ingest", "-", "--rejects", str(rejects), "--workers", "1", "-q", stdin=listed)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.decode().splitlines()) == 1
    said = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert sorted(r["path"] for r in said) == sorted(["gs://bucket/a.html", "ftp://host/b.html", "zip://c.html",
                                                      "hdfs://node/d.html"])


@pytest.mark.parametrize("instant", ["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00"])
def test_prune_before_the_ends_of_the_calendar_is_a_usage_error(tmp_path, instant):
    state = tmp_path / "nightly.db"
    assert cli("ingest", str(feed(tmp_path / "feed.jsonl")), "--state", str(state), "-q").returncode == 0
    result = cli("state", "prune", str(state), "--before", instant)
    _usage(result, "--before")
    assert "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize("config, said", [
    ("[ingest]\nstate = 5\n", "state"),
    ("[ingest]\nworkers = {a = 1}\n", "workers"),
    ("[ingest]\nlang = [\"en\"]\n", "lang"),
    ("[defaults]\nworkerz = 2\n", "workerz"),
    ("[ingset]\nworkers = 2\n", "ingset"),
])
def test_a_config_with_a_wrong_type_or_an_unknown_name_is_a_usage_error(tmp_path, config, said):
    path = write(tmp_path / "newsclean.toml", config)
    result = cli("--config", str(path), "ingest", str(feed(tmp_path / "feed.jsonl")), "-q")
    _usage(result, said)
    assert "Traceback" not in result.stderr.decode()


def test_a_sound_config_still_sets_defaults(tmp_path):
    path = write(tmp_path / "newsclean.toml", "[defaults]\nworkers = 1\n\n[ingest]\nskip-rule = [\"copyright\"]\n")
    result = cli("--config", str(path), "ingest", str(feed(tmp_path / "feed.jsonl")), "-q")
    assert result.returncode == 0 and len(result.stdout.decode().splitlines()) == 3, result.stderr


def test_environment_variables_use_the_option_names(tmp_path):
    text = "\n\n".join([STORY[0], STORY[1], "© 2026 Example Media. All rights reserved.", STORY[2], STORY[3]])
    write(tmp_path / "in" / "story.txt", "Reservoirs at a thirty-year low\n\n" + text)
    kept = cli("ingest", str(tmp_path / "in"), "-q", "--workers", "1",
               env={"NEWSCLEAN_INGEST_SKIP_RULE": "copyright share-bar"})
    assert kept.returncode == 0, kept.stderr
    assert "All rights reserved" in json.loads(kept.stdout)["text"]
    out = tmp_path / "out.bin"
    pytest.importorskip("pyarrow")
    parquet = cli("ingest", str(tmp_path / "in"), "-q", "--workers", "1", "-o", str(out),
                  env={"NEWSCLEAN_INGEST_FORMAT": "parquet"})
    assert parquet.returncode == 0, parquet.stderr
    assert out.read_bytes()[:4] == b"PAR1"


def test_last_nights_output_inside_the_input_folder_is_still_replaced(tmp_path):
    crawl = tmp_path / "crawl"
    write(crawl / "story.txt", TEXT)
    for _ in range(2):
        result = cli("ingest", str(crawl), "-o", str(crawl / "out.jsonl.gz"), "--workers", "1", "-q")
        assert result.returncode == 0, result.stderr


# --- 6. a network peer that never answers ends the run with a message -------------------------------------------

@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts every connection and never says a word."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for connection in held:
        connection.close()


def test_a_scheduler_that_never_answers_ends_the_run_with_a_message(tmp_path, silent_server):
    pytest.importorskip("distributed")
    result = cli("ingest", str(feed(tmp_path / "feed.jsonl")), "--executor", "dask", "--scheduler",
                 f"tcp://127.0.0.1:{silent_server}", "-q", env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
                 timeout=90)
    err = result.stderr.decode()
    assert result.returncode == 1 and "did not answer" in err and str(silent_server) in err, err
    assert "Traceback" not in err


def test_an_object_store_that_never_answers_is_a_reject_not_a_wait(monkeypatch, silent_server):
    pytest.importorskip("s3fs")
    import fsspec

    from corpus import read_inputs
    from corpus.inputs import storage

    monkeypatch.setattr(storage, "S3_CONNECT_TIMEOUT", 1.0)
    monkeypatch.setattr(storage, "S3_READ_TIMEOUT", 1.0)
    monkeypatch.setattr(storage, "S3_ATTEMPTS", 1)
    monkeypatch.setattr(storage, "S3FS_ATTEMPTS", 1)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent_server}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    fsspec.config.conf.clear()
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    (reject,) = list(read_inputs(["s3://bucket/story.html"]))
    assert reject.reason == "unreadable" and "timeout" in reject.message.lower(), reject


def test_an_output_to_an_object_store_that_never_answers_ends_with_a_message(tmp_path, silent_server):
    pytest.importorskip("s3fs")
    silent = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{silent_server}", "AWS_ACCESS_KEY_ID": "test",
              "AWS_SECRET_ACCESS_KEY": "test", "NEWSCLEAN_S3_CONNECT_TIMEOUT": "1", "NEWSCLEAN_S3_READ_TIMEOUT": "1"}
    source = feed(tmp_path / "feed.jsonl")
    result = cli("ingest", str(source), "-o", "s3://bucket/out.jsonl", "-q", env=silent, timeout=90)
    err = result.stderr.decode()
    assert result.returncode == 2 and "did not answer within 1 s" in err and str(silent_server) in err, err
    assert "no such bucket" not in err and "Traceback" not in err
    result = cli("ingest", str(source), "-o", "s3://bucket/out.jsonl", "-q",
                 env={**silent, "NEWSCLEAN_S3_READ_TIMEOUT": "soon"}, timeout=90)
    assert result.returncode == 2 and "NEWSCLEAN_S3_READ_TIMEOUT='soon' is not a number" in result.stderr.decode()


@pytest.fixture(scope="module")
def one_output(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("report-shapes")
    write(root / "in" / "story.txt", "A headline for the story\n\n" + "\n\n".join(STORY))
    result = cli("ingest", str(root / "in"), "-q")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.decode().splitlines()[0])


@pytest.mark.parametrize("change", [{"duplicate_of": [1, 2]}, {"url": 5}, {"lang": 7}, {"sitename": [1]},
                                    {"provenance": {"removed": "x"}}, {"provenance": {"path": 3}}],
                         ids=["duplicate_of-list", "url-number", "lang-number", "sitename-list", "removed-text",
                              "path-number"])
def test_report_on_a_record_of_the_wrong_shape_names_it_without_a_traceback(tmp_path, one_output, change):
    record = {**one_output, **change}
    if "provenance" in change:
        record["provenance"] = {**one_output["provenance"], **change["provenance"]}
    write(tmp_path / "edited.jsonl", json.dumps(record) + "\n")
    result = cli("report", str(tmp_path / "edited.jsonl"))
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err, err
    assert "record 1" in err and "not newsclean output" in err


def test_report_and_explain_never_send_a_records_control_sequences_to_the_terminal(tmp_path, one_output):
    evil = "\x1b]0;owned\x07Title \x1b[31mred"
    write(tmp_path / "out.jsonl", json.dumps({**one_output, "title": evil, "lang": "en\x1b[2J"}) + "\n"
          + json.dumps({**one_output, "id": "b" * 32, "duplicate_of": one_output["id"], "title": evil}) + "\n")
    for args in (("report", str(tmp_path / "out.jsonl")), ("report", str(tmp_path / "out.jsonl"), "--json")):
        result = cli(*args)
        out = result.stdout.decode()
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in out and "\x07" not in out and "Title" in out
    write(tmp_path / "page.txt", evil + "\n\n" + "\n\n".join(STORY))
    result = cli("explain", str(tmp_path / "page.txt"))
    out = result.stdout.decode()
    assert result.returncode == 0 and "\x1b" not in out and "Title" in out, out
