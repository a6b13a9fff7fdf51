"""How newsclean behaves as a tool people live with: start-up, terminals, logs, options from anywhere."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, STORY, write

CHINESE = "市政府周二宣布，港口大桥经过两年的维修后将于本周末重新开放，预计早高峰的交通拥堵将减少一半。"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cli(*args: str, env: dict | None = None, stdin: str | None = None, cwd: Path = ROOT):
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, input=stdin, timeout=120)


def in_terminal(*args: str, env: dict | None = None, stdin_tty: bool = False) -> tuple[int, str]:
    """Run with stderr (and maybe stdin) on a pseudo-terminal; returns (exit code, what the terminal got)."""
    master, slave = pty.openpty()
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", **(env or {})}
    for name in ("NO_COLOR", "FORCE_COLOR"):
        if name not in (env or {}):
            environment.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "cli", *args], stdin=slave if stdin_tty else subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave, cwd=ROOT, env=environment)
    os.close(slave)
    seen = b""
    if stdin_tty:
        os.write(master, b"\x04")  # Ctrl-D: end of input
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    code = proc.wait(timeout=60)
    os.close(master)
    return code, seen.decode("utf-8", "replace")


def test_version_and_help_import_no_heavy_library():
    script = ("import sys\nfrom cli.entry import run\n"
              "for argv in (['newsclean', '--version'], ['newsclean', 'ingest', '--help'], ['newsclean', '--help']):\n"
              "    sys.argv = argv\n    try:\n        run()\n    except SystemExit:\n        pass\n"
              "print(sorted(m for m in ('trafilatura', 'datasketch', 'scipy', 'numpy', 'lxml', 'rich', 'fsspec',"
              " 'corpus.run.pipeline') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_log_gets_plain_lines_that_name_the_command(tmp_path):
    ingest = cli("ingest", str(EXAMPLES), "--workers", "1", "-o", str(tmp_path / "out.jsonl"))
    lines = [re.sub(r"^\S+ \[[0-9a-f]{8}\] ", "", line) for line in ingest.stderr.strip().splitlines()]  # time, run
    assert lines and all(line.startswith("newsclean ingest: ") for line in lines), "one line per count, never wrapped"
    assert not ANSI.search(ingest.stderr) and "newsclean ingest: duplicates (left out): 1" in lines
    cleaned = cli("clean", str(EXAMPLES), "--workers", "1")
    assert "newsclean clean: files read: 5" in cleaned.stderr and "duplicates" not in cleaned.stderr
    deduped = cli("dedup", "-", stdin=cleaned.stdout)
    assert "newsclean dedup: records read: 5" in deduped.stderr and "files read" not in deduped.stderr
    assert "newsclean dedup: duplicates (left out): 1" in deduped.stderr
    assert cli("ingest", str(EXAMPLES), "--workers", "1", "-q").stderr == ""


def test_verbose_says_each_reject(tmp_path):
    write(tmp_path / "in" / "empty.txt", "")
    write(tmp_path / "in" / "story.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    result = cli("ingest", str(tmp_path / "in"), "-v", "--workers", "1")
    assert "newsclean ingest: empty: empty.txt: no content" in result.stderr


def test_a_terminal_gets_styles_and_a_progress_bar_with_a_total():
    code, seen = in_terminal("ingest", str(EXAMPLES), "--workers", "1", "-o", os.devnull)
    assert code == 0 and ANSI.search(seen), "styles on a terminal"
    assert "/5" in ANSI.sub("", seen), "the folder was counted first: files N/5"


@pytest.mark.parametrize("env,flag", [({"NO_COLOR": "1"}, ()), ({"TERM": "dumb"}, ()), ({}, ("--no-color",))])
def test_no_color_turns_off_every_style(env, flag):
    code, seen = in_terminal("ingest", str(EXAMPLES), "--workers", "1", "-o", os.devnull, *flag, env=env)
    text = ANSI.sub("", seen)
    assert code == 0 and "records written" in text
    styles = [m for m in ANSI.findall(seen) if m not in ("\x1b[0m", "\x1b[m")]
    assert not styles, f"no colour, bold or italics: {styles[:5]}"


def test_reading_paths_from_a_terminal_says_so():
    code, seen = in_terminal("ingest", "-", stdin_tty=True)
    assert "reading paths (one per line) from the terminal; end with Ctrl-D" in seen


def test_no_input_is_a_warning_and_strict_makes_it_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = cli("ingest", str(tmp_path / "empty"))
    assert result.returncode == 0 and "warning: no input found" in result.stderr
    assert cli("ingest", str(tmp_path / "empty"), "--strict").returncode == 3


def test_lang_is_checked_and_zh_means_both_scripts(tmp_path):
    for bad in ("eng", "xx"):
        result = cli("ingest", str(EXAMPLES), "--lang", bad)
        assert result.returncode == 2 and "zh-cn" in result.stderr, "a usage error naming the known codes"
    write(tmp_path / "in" / "zh.txt", "港口大桥重新开放\n\n" + CHINESE * 3)
    write(tmp_path / "in" / "en.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    got = [json.loads(x) for x in cli("ingest", str(tmp_path / "in"), "--lang", "zh", "-q").stdout.splitlines()]
    assert [r["lang"] for r in got] == ["zh-cn"]


def test_options_from_the_environment_and_a_config_file_flags_win(tmp_path):
    def langs(*args: str, env: dict | None = None) -> set[str]:
        result = cli("ingest", str(EXAMPLES), "-q", "--workers", "1", *args, env=env)
        assert result.returncode == 0, result.stderr
        return {json.loads(x)["lang"] for x in result.stdout.splitlines()}

    assert langs(env={"NEWSCLEAN_INGEST_LANG": "de"}) == {"de"}
    assert langs("--lang", "en", env={"NEWSCLEAN_INGEST_LANG": "de"}) == {"en"}, "a flag wins"
    config = write(tmp_path / "newsclean.toml", '[defaults]\nworkers = 1\n\n[ingest]\nlang = "de"\n')
    result = cli("--config", str(config), "ingest", str(EXAMPLES), "-q")
    assert {json.loads(x)["lang"] for x in result.stdout.splitlines()} == {"de"}
    result = cli("--config", str(config), "ingest", str(EXAMPLES), "-q", env={"NEWSCLEAN_INGEST_LANG": "en"})
    assert {json.loads(x)["lang"] for x in result.stdout.splitlines()} == {"en"}, "the environment wins over the file"
    wrong = write(tmp_path / "wrong.toml", "[ingest]\nworkrs = 2\n")
    assert cli("--config", str(wrong), "ingest", str(EXAMPLES)).returncode == 2


def test_clean_honours_stdin_format_paths(tmp_path):
    story = write(tmp_path / "story.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    result = cli("clean", "-", "--stdin-format", "paths", "-q", stdin=f"{story}\n")
    assert result.returncode == 0 and json.loads(result.stdout)["title"] == "Reservoirs at a thirty-year low"


def test_a_run_never_reads_its_own_output(tmp_path):
    crawl = tmp_path / "crawl"
    write(crawl / "story.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    for _ in range(2):
        result = cli("ingest", str(crawl), "-o", str(crawl / "out.jsonl"), "--rejects", str(crawl / "rej.jsonl"),
                     "--workers", "1")
        assert result.returncode == 0 and "files read: 1" in result.stderr
    assert len((crawl / "out.jsonl").read_text().splitlines()) == 1


def test_shell_completion_is_there():
    result = cli(env={"_NEWSCLEAN_COMPLETE": "bash_source"})
    assert "_newsclean_completion" in result.stdout
