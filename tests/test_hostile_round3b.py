"""Hostile input, round three, the last gaps (issue 27): report's odd inputs, a zero-byte state, grouping
that does not chain, look-alike letters in chrome, control characters in messages, small usage errors."""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, STORY, write


def cli(*args: str, stdin: bytes | None = None, timeout: float = 120, limit_memory: int | None = None,
        stdin_file: Path | None = None) -> subprocess.CompletedProcess:
    def cap() -> None:
        if limit_memory:
            resource.setrlimit(resource.RLIMIT_AS, (limit_memory, limit_memory))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    with open(stdin_file, "rb") if stdin_file else io.BytesIO() as handle:
        return subprocess.run([sys.executable, "-m", "cli", *args], input=None if stdin_file else stdin,
                              stdin=handle if stdin_file else None, capture_output=True, timeout=timeout, env=env,
                              cwd=ROOT, preexec_fn=cap if limit_memory else None)


def _refused(result: subprocess.CompletedProcess, status: int | tuple[int, ...], *said: str) -> str:
    err = result.stderr.decode()
    assert result.returncode in ((status,) if isinstance(status, int) else status), err
    assert "Traceback" not in err and "interrupted" not in err, err
    for text in said:
        assert text in err, err
    return err


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    """One record as ingest writes it."""
    root = tmp_path_factory.mktemp("round3b")
    write(root / "in" / "story.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    result = cli("ingest", str(root / "in"), "-q", "-o", str(root / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    return root / "out.jsonl"


# --- 1. report on an endless line ---------------------------------------------------------------------------------

def test_report_on_an_endless_line_is_refused_by_number_in_bounded_memory():
    # today: reads /dev/zero into one line for ever (MemoryError traceback under the cap, OOM without it)
    result = cli("report", "-", stdin_file=Path("/dev/zero"), limit_memory=1 << 30, timeout=120)
    _refused(result, 2, "line 1", "MB")


def test_a_long_line_is_refused_before_it_is_held(monkeypatch):
    from corpus.report import summary

    monkeypatch.setattr(summary, "LINE_LIMIT", 1000)
    with pytest.raises(summary.NotOutput, match="line 2"):
        list(summary.output_records(io.BytesIO(b"\n" + b" " * 5000 + b"\n")))


# --- 2. report on a cut .gz ------------------------------------------------------------------------------------------

def test_report_on_a_cut_gzip_names_it_and_is_not_an_interrupt(tmp_path, output):
    whole = gzip.compress(output.read_bytes() * 20)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    _refused(cli("report", str(tmp_path / "cut.jsonl.gz")), 2, "cut.jsonl.gz", "cut short or damaged")
    (tmp_path / "bad.jsonl.gz").write_bytes(whole[:20] + b"\xff" * 200 + whole[220:])
    _refused(cli("report", str(tmp_path / "bad.jsonl.gz")), 2, "bad.jsonl.gz")


# --- 3. a zero-byte state -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["state-info", "explain"])
def test_a_zero_byte_state_is_named_without_a_traceback(tmp_path, command):
    empty = write(tmp_path / "EMPTY", "")
    page = write(tmp_path / "page.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    args = ("state", "info", str(empty)) if command == "state-info" else ("explain", str(page), "--state", str(empty))
    _refused(cli(*args), (1, 2), "EMPTY", "not a newsclean state")
    assert empty.read_bytes() == b""  # explain only reads a state: it never makes one


# --- 4. report: provenance null, manifests that are not one -------------------------------------------------------

def test_report_on_a_record_whose_provenance_is_null_says_what_is_wrong(tmp_path, output):
    record = {**json.loads(output.read_text().splitlines()[0]), "provenance": None}
    write(tmp_path / "edited.jsonl", json.dumps(record) + "\n")
    err = _refused(cli("report", str(tmp_path / "edited.jsonl")), 2, "line 1", "provenance", "not newsclean output")
    assert "crawler" not in err and "run `newsclean ingest`" not in err


@pytest.mark.parametrize("manifest", ["[1, 2, 3]\n", "not json at all\n"], ids=["a-list", "not-json"])
def test_a_manifest_that_is_a_list_or_not_json_is_a_usage_error(tmp_path, output, manifest):
    write(tmp_path / "run.json", manifest)
    _refused(cli("report", str(output), "--manifest", str(tmp_path / "run.json")), 2, "--manifest", "run.json",
             "not a newsclean run manifest")


# --- 7. messages that quote data carry no control characters ------------------------------------------------------

def test_an_error_naming_a_path_sends_no_control_characters_to_the_terminal(tmp_path):
    evil = tmp_path / "bad\x1b]0;owned\x07name.jsonl"
    result = cli("ingest", str(evil), "-q")  # not found
    err = _refused(result, 2, "no such file", "owned")
    assert "\x1b" not in err and "\x07" not in err
    evil.write_text("not json\n")
    result = cli("ingest", str(evil), "-v")  # a reject, shown with -v, names the file
    err = result.stderr.decode()
    assert "owned" in err and "malformed" in err and "\x1b" not in err and "\x07" not in err, err


# --- 8. small usage errors ----------------------------------------------------------------------------------------

def test_clean_with_its_output_inside_the_input_folder_is_a_usage_error(tmp_path):
    feed = write(tmp_path / "dir" / "feed.jsonl", json.dumps({"url": "https://a.example/1", "text": STORY[0]}) + "\n")
    before = feed.read_bytes()
    _refused(cli("clean", str(tmp_path / "dir"), "-o", str(feed), "-q"), 2, "-o", "inside the input folder")
    assert feed.read_bytes() == before


def test_an_unknown_key_in_a_command_section_of_the_config_is_named(tmp_path):
    config = write(tmp_path / "newsclean.toml", "[ingest]\nworkerz = 2\n")
    write(tmp_path / "in" / "story.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    _refused(cli("--config", str(config), "ingest", str(tmp_path / "in"), "-q"), 2, "[ingest]", "workerz")


# --- 6. letters that look Latin do not let chrome through -------------------------------------------------------

RUSSIAN_STORY = [
    "Городской совет во вторник сообщил, что новый мост через реку откроют следующей весной после долгих задержек.",
    "По словам чиновников, стоимость строительства заметно выросла из-за цен на сталь и цемент за последние два года.",
    "Жители северных районов надеются, что мост избавит их от пробок, в которых они стоят каждое утро.",
    "Совет опубликует подробный отчёт о бюджете на следующей неделе, перед окончательным голосованием о втором этапе.",
]
GREEK_STORY = [
    "Το δημοτικό συμβούλιο ανακοίνωσε την Τρίτη ότι η νέα γέφυρα πάνω από τον ποταμό θα ανοίξει την επόμενη άνοιξη.",
    "Σύμφωνα με τους αξιωματούχους, το κόστος κατασκευής αυξήθηκε αισθητά λόγω των τιμών του χάλυβα και του τσιμέντου.",
    "Οι κάτοικοι των βόρειων συνοικιών ελπίζουν ότι η γέφυρα θα μειώσει την κίνηση που αντιμετωπίζουν κάθε πρωί.",
    "Το συμβούλιο θα δημοσιεύσει αναλυτική έκθεση για τον προϋπολογισμό πριν από την τελική ψηφοφορία.",
]


def test_look_alike_letters_are_folded_only_inside_otherwise_latin_words():
    from corpus.text import latin_look_alikes_folded

    assert latin_look_alikes_folded("Share on Facebоok") == "Share on Facebook"  # a Cyrillic о
    assert latin_look_alikes_folded("Sign up for our nеwsletter") == "Sign up for our newsletter"  # a Cyrillic е
    assert latin_look_alikes_folded("Fοllow us") == "Follow us"  # a Greek ο
    for text in (*RUSSIAN_STORY, *GREEK_STORY, "Reuters: Москва, Αθήνα", "plain ASCII"):
        assert latin_look_alikes_folded(text) is text


def test_look_alike_folding_skips_only_lines_where_every_word_folds_to_itself():
    """The folding tries a line's words only when a Latin letter stands beside a letter of another script: it
    gives what trying every word gives, on random lines of Latin, look-alike, other Cyrillic and Greek letters,
    the Latin range's non-letters (× ÷), digits, underscores, combining marks and punctuation."""
    import random

    from corpus.text import _WORD, _folded_word, latin_look_alikes_folded

    alphabet = "aFkoeé ÿž×÷аеорсБжлοναλΩ19_\u0301 .,«»’-"
    rng = random.Random(5)
    folded = 0
    for _ in range(20_000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        expected = _WORD.sub(_folded_word, line)
        assert latin_look_alikes_folded(line) == expected, line
        folded += expected != line
    assert folded > 1_000  # the lines did mix scripts inside words


def test_chrome_spelled_with_look_alike_letters_is_removed_and_other_scripts_stay(tmp_path):
    text = "\n\n".join([STORY[0], STORY[1], "Sign up for our n\u0435wsletter", STORY[2],
                        "Share on Faceb\u043eok", STORY[3], STORY[4]])
    write(tmp_path / "in" / "story.txt", "Reservoirs at a thirty-year low\n\n" + text)
    for name, paragraphs in (("ru", RUSSIAN_STORY), ("el", GREEK_STORY)):
        write(tmp_path / "in" / f"{name}.txt", "\n\n".join(paragraphs))
    result = cli("ingest", str(tmp_path / "in"), "--workers", "1", "-q")
    assert result.returncode == 0, result.stderr
    records = {Path(r["provenance"]["path"]).stem: r for r in map(json.loads, result.stdout.decode().splitlines())}
    story = records["story"]
    assert "wsletter" not in story["text"] and "Faceb" not in story["text"], story["text"]
    removed = {r["rule"]: r["text"] for r in story["provenance"]["removed"]}
    assert removed.get("cta-newsletter") == "Sign up for our n\u0435wsletter"  # the record keeps its own letters
    assert removed.get("share-bar") == "Share on Faceb\u043eok"
    for name, paragraphs in (("ru", RUSSIAN_STORY), ("el", GREEK_STORY)):
        record = records[name]
        assert record["text"].split("\n") == paragraphs and not record["provenance"]["removed"], record["text"]
