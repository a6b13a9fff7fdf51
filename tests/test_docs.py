"""Every command shown in README.md and docs/*.md is run here, word for word.

A page's fenced ``sh`` and ``console`` blocks run top to bottom, with bash (``-e -o pipefail``), in a
folder of the page's own that holds the examples corpus (also as ``crawl/``), a WARC archive, crawler
JSON Lines and a few pages, with ``.venv/bin`` (the interpreter's folder) first on PATH, as after
``. .venv/bin/activate``. A ``console`` block's ``$`` lines are run and each output line it shows must
appear, in order, in what the command printed (``…`` stands for anything).

A block may be preceded by a marker:

- ``<!-- file: NAME -->``: not a command; the block is written to NAME in the page's folder.
- ``<!-- not-run: KEY -->``: KEY is one of NOT_RUN's reasons; the block is checked instead (its ``make``
  targets, ``pip install -e`` extras, bench scripts and their options, and newsclean options exist).
- ``<!-- stand-in: s3 -->`` / ``<!-- stand-in: dask -->``: run against a local S3 server (moto) or a local
  Dask cluster, whose addresses replace the documented ones (STAND_INS).
- ``<!-- cron-recipe -->``: a crontab line, run as cron runs it (bare environment, /bin/sh, cron's ``%``),
  night 1 and night 2; ``<!-- after-cron -->``: run after those nights in the same folder.
- ``<!-- run-in: checkout -->``: run in the checkout itself (``make demo``).

Every newsclean command line in any block, and in inline code, must name only options that exist.
The options tables of docs/usage.md are checked against the click definitions (tools/docs_options.py).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from tests.conftest import EXAMPLES, ROOT, STORY, html_page, write
from tests.test_inputs import build_warc


@pytest.fixture
def s3(tmp_path):
    """A moto S3 server on 127.0.0.1 (as tests/test_object_storage.py starts one); yields (fs, its environment).
    moto keeps buckets per process, not per server: the buckets made here are removed at the end."""
    pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    import s3fs

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    fs = s3fs.S3FileSystem(key="testing", secret="testing", skip_instance_cache=True,
                           client_kwargs={"endpoint_url": env["AWS_ENDPOINT_URL"]})
    try:
        yield fs, env
    finally:
        for bucket in ("cc-news", "corpus", "crawl"):
            if fs.exists(bucket):
                fs.rm(bucket, recursive=True)
        server.stop()


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent
COMMAND_LANGUAGES = {"sh", "console", "cron"}
OTHER_LANGUAGES = {"toml", "json", "text"}
NOT_RUN = {
    "installs": "installs packages into .venv; the environment the tests run in has every extra already (.[test])",
    "minutes": "takes minutes (benchmarks and evaluations, on ../shared/bench)",
    "suite": "runs this test suite, which is what runs this test",
}
STAND_INS = {
    "s3": "a moto S3 server on 127.0.0.1 (as tests/test_object_storage.py), for http://minio.local:9000 and AWS",
    "dask": "a two-worker LocalCluster on 127.0.0.1 (tests/conftest.py's scheduler), for tcp://10.0.0.5:8786",
}
OWN_TESTS = {"cron-recipe", "after-cron", "run-in: checkout"}  # blocks the tests below run themselves
CRON_CHECKOUT = "/opt/newsclean/.venv/bin/newsclean"
CRON_DATA = "/data/news"

pytestmark = pytest.mark.skipif(not (BIN / "newsclean").exists(), reason=f"no newsclean script beside {sys.executable}")


@dataclass
class Block:
    page: Path
    line: int
    language: str
    marker: str | None
    text: str

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line} ({self.language}{', ' + self.marker if self.marker else ''})"


def blocks(page: Path) -> list[Block]:
    found = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\S*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        marker = re.fullmatch(r"<!-- (.+?) -->", lines[i - 1]) if i else None
        found.append(Block(page, i + 1, fence.group(1), marker.group(1) if marker else None,
                           "\n".join(lines[i + 1:end]) + "\n"))
        i = end + 1
    return found


ALL_BLOCKS = [b for page in PAGES for b in blocks(page)]


def with_marker(marker: str) -> list[Block]:
    return [b for b in ALL_BLOCKS if b.marker == marker]


# ---------------------------------------------------------------------------- the folder commands run in

def make_world(folder: Path) -> Path:
    """The files the pages' commands name: examples/ (and the same as crawl/), feed.jsonl.gz, crawl.jsonl,
    a CC-NEWS-style WARC, pages/, and last-run (older than every page)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXAMPLES, folder / "examples")
    shutil.copytree(EXAMPLES, folder / "crawl")
    feed = [json.dumps({"id": str(n), "url": f"https://feeds.example/{path.stem}",
                        "text": path.read_text(encoding="utf-8")}, ensure_ascii=False)
            for n, path in enumerate(sorted(EXAMPLES.rglob("*.txt")), 1)]
    write(folder / "feed.jsonl.gz", gzip.compress(("\n".join(feed) + "\n").encode(), mtime=0))
    write(folder / "crawl.jsonl", json.dumps({"id": "c1", "text": "Reservoirs at a thirty-year low\n"
                                              + "\n".join(STORY)}) + "\n")
    build_warc(folder / "CC-NEWS-20261124042013-00001.warc.gz")
    write(folder / "pages" / "drought.html", html_page("Reservoirs at a thirty-year low", STORY))
    write(folder / "last-run", "")
    os.utime(folder / "last-run", (946684800, 946684800))
    return folder


def shell_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSCLEAN_", "AWS_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}", HOME=str(home), NO_COLOR="1")
    env.pop("VIRTUAL_ENV", None)
    env.update(extra)
    return env


def bash(script: str, cwd: Path, env: dict[str, str], where: object) -> subprocess.CompletedProcess:
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"{where}: exit {result.returncode}\n{script}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, f"{where}:\n{result.stderr[-3000:]}"
    return result


def console_steps(text: str) -> list[tuple[str, list[str]]]:
    """``$ command`` lines (with ``\\`` continuations) and the output lines shown after each."""
    steps: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("$ "):
            command = lines[i][2:]
            while command.endswith("\\"):
                i += 1
                command += "\n" + lines[i]
            steps.append((command, []))
        else:
            assert steps, f"output before any command: {lines[i]!r}"
            steps[-1][1].append(lines[i])
        i += 1
    return steps


def shows(expected: list[str], actual: str) -> bool:
    """Each expected line (``…``: anything) matches a line of ``actual``, in order."""
    remaining = iter(actual.splitlines())
    for line in expected:
        pattern = re.compile(".*".join(map(re.escape, line.rstrip().split("…"))))
        if not any(pattern.fullmatch(got.rstrip()) for got in remaining):
            return False
    return True


def run_block(block: Block, cwd: Path, env: dict[str, str], replace: dict[str, str] | None = None) -> None:
    text = block.text
    for documented, stand_in in (replace or {}).items():
        assert documented in text, f"{block}: {documented} is not in the block"
        text = text.replace(documented, stand_in)
    if block.language == "console":
        for command, expected in console_steps(text):
            result = bash(command, cwd, env, block)
            assert shows(expected, result.stdout), f"{block}: {command}\nshown:\n" + "\n".join(expected) + \
                f"\ngot:\n{result.stdout}"
    else:
        bash(text, cwd, env, block)


# ---------------------------------------------------------------------------- checks of what is not run

def command_lines(text: str) -> list[str]:
    """The block's commands: comments and prompts removed, continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line[2:] if line.startswith("$ ") else line
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            out.append(line)
    return out


def newsclean_calls(line: str) -> list[list[str]]:
    """The argument lists of each ``newsclean`` (or .../newsclean) in a shell line, up to a pipe or redirect."""
    try:
        words = shlex.split(re.sub(r"\$\([^)]*\)", "X", line))
    except ValueError:
        return []
    calls, current = [], None
    for word in words:
        if current is not None and (word in {"|", "||", "&&", ";", ">", ">>", "<", "2>&1"} or word.startswith(">")):
            calls.append(current)
            current = None
        elif current is not None:
            current.append(word)
        elif word == "newsclean" or word.endswith("/newsclean"):
            current = []
    if current is not None:
        calls.append(current)
    return calls


def unknown_options(args: list[str]) -> list[str]:
    """Options in ``args`` that the command they are given to does not have."""
    from cli.main import main

    command: click.Command = main
    allowed = {o for p in main.params for o in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
    bad = []
    for word in args:
        if isinstance(command, click.Group) and word in command.commands:
            command = command.commands[word]
            allowed = {o for p in command.params for o in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
            continue
        if word.startswith("-") and word != "-" and not re.fullmatch(r"-\d.*", word):
            name = word.split("=", 1)[0]
            if name not in allowed | {"-h", "--help"}:
                bad.append(f"{name} (newsclean {getattr(command, 'name', '')})")
    return bad


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))


def extras() -> set[str]:
    import tomllib

    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])


def check_line(line: str) -> list[str]:
    """What is wrong with one command line that is not run: unknown targets, extras, scripts, options."""
    problems = []
    words = line.split()
    if words[:1] == ["make"]:
        problems += [f"no make target {t}" for t in words[1:] if t not in makefile_targets()]
    install = re.fullmatch(r"pip install -e (?:'\.\[([a-z0-9,]+)\]'|\.)", line)
    if words[:2] == ["pip", "install"]:
        if not install:
            problems.append(f"not the checkout's form (pip install -e '.[extra]'): {line}")
        else:
            problems += [f"no extra {e}" for e in (install.group(1) or "").split(",") if e and e not in extras()]
    if words[:1] == ["python"] and len(words) > 1:
        script = ROOT / words[1]
        if not script.exists():
            problems.append(f"no script {words[1]}")
        else:
            source = script.read_text()
            problems += [f"{words[1]} has no option {w}" for w in words[2:] if w.startswith("--") and w not in source]
    for call in newsclean_calls(line):
        problems += unknown_options(call)
    return problems


# ---------------------------------------------------------------------------- the tests

def test_every_block_is_a_command_or_says_what_it_is():
    assert ALL_BLOCKS
    for block in ALL_BLOCKS:
        assert block.language in COMMAND_LANGUAGES | OTHER_LANGUAGES, f"{block}: give the fence a known language"
        if block.marker is None:
            assert block.language in COMMAND_LANGUAGES | {"json", "text"} or block.page.name == "how-it-works.md", \
                f"{block}: a {block.language} block needs a file: marker or none"
            continue
        kind, _, value = block.marker.partition(": ")
        if block.marker in OWN_TESTS:
            continue
        if kind == "not-run":
            assert value in NOT_RUN, f"{block}: not-run needs one of the reasons {sorted(NOT_RUN)}"
        elif kind == "stand-in":
            assert value in STAND_INS, f"{block}: no stand-in {value!r}"
        elif kind == "file":
            assert block.language in OTHER_LANGUAGES and re.fullmatch(r"[\w.-]+", value), block
        else:
            raise AssertionError(f"{block}: unknown marker {block.marker!r}")
    assert len(with_marker("cron-recipe")) == 1 and len(with_marker("run-in: checkout")) == 1


def test_every_command_names_only_options_targets_extras_and_scripts_that_exist():
    problems = []
    for block in ALL_BLOCKS:
        if block.language in COMMAND_LANGUAGES:
            for line in command_lines(block.text):
                problems += [f"{block}: {p}" for p in check_line(line)]
    for page in PAGES:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for span in re.findall(r"`([^`\n]+)`", text):
            if re.match(r"(newsclean|make|python bench/|pip install) ", span):
                problems += [f"{page.name}: `{span}`: {p}" for p in check_line(span.replace("\\|", "|"))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_pages_commands_run_word_for_word(page, tmp_path):
    world = make_world(tmp_path / "world")
    env = shell_env(tmp_path / "home")
    ran = 0
    for block in blocks(page):
        if block.marker and block.marker.startswith("file: "):
            write(world / block.marker.removeprefix("file: "), block.text)
        elif block.language not in COMMAND_LANGUAGES or block.marker is not None:
            continue  # not-run: checked above; stand-ins, cron and the checkout: the tests below
        else:
            run_block(block, world, env)
            ran += 1
    if page.name in {"README.md", "usage.md", "nightly.md", "scaling.md"}:
        assert ran or page.name == "nightly.md"


def test_the_readme_demo_runs_in_the_checkout(tmp_path):
    (block,) = with_marker("run-in: checkout")
    if subprocess.run(["make", "-q", ".venv/.installed"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("`make demo` would install .venv first here (make test installs it; then this runs)")
    result = bash(block.text, ROOT, shell_env(tmp_path), block)
    assert shows(['{"title": "Old harbour bridge reopens after two-year repair", "lang": "en", "text": "…"}'],
                 result.stdout), result.stdout


def cron_command(entry: str) -> tuple[str, str]:
    """A crontab entry → (the command /bin/sh gets, its stdin), as cron makes them: the five time fields
    go, an unescaped % ends the command (what follows is stdin, lines split at further %), \\% is %."""
    command = entry.split(None, 5)[5]
    parts = re.split(r"(?<!\\)%", command)
    return parts[0].replace("\\%", "%"), "\n".join(parts[1:])


def test_the_cron_recipe_runs_under_crons_bare_environment_night_after_night(tmp_path):
    (block,) = with_marker("cron-recipe")
    entries = [line for line in block.text.splitlines() if line.strip() and not line.startswith("#")]
    assert len(entries) == 1, entries
    assert CRON_CHECKOUT in entries[0] and CRON_DATA in entries[0]
    command, stdin = cron_command(entries[0].replace(CRON_CHECKOUT, str(BIN / "newsclean"))
                                  .replace(CRON_DATA, str(tmp_path / "data")))
    data = tmp_path / "data"
    home = tmp_path / "home"
    home.mkdir()
    nights = [{"reservoirs.txt": "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY)},
              {"copy.txt": "Reservoirs hit thirty-year low\n\n" + "\n\n".join(STORY[:-1]),
               "ferry.txt": "Harbour ferry to run every half hour\n\nThe harbour ferry will run every half hour "
                            "from Monday, the port authority said in a statement on Sunday."}]
    results = []
    for files in nights:
        night = subprocess.run(["date", "-u", "+%F"], capture_output=True, text=True, check=True).stdout.strip()
        shutil.rmtree(data / "crawl", ignore_errors=True)  # the same UTC date both nights: its folder is refilled
        for name, text in files.items():
            write(data / "crawl" / night / name, text)
        cron = subprocess.run(["env", "-i", f"HOME={home}", "PATH=/usr/bin:/bin", "SHELL=/bin/sh", "/bin/sh", "-c",
                               command], input=stdin, capture_output=True, text=True, timeout=300)
        log = (data / "logs" / "newsclean.log").read_text() if (data / "logs" / "newsclean.log").exists() else ""
        assert cron.returncode == 0, f"{cron.stderr}\n{log}"
        results.append([json.loads(x) for x in gzip.decompress((data / "clean" / f"{night}.jsonl.gz").read_bytes())
                        .decode().splitlines()])
    assert [r["title"] for r in results[0]] == ["Reservoirs at a thirty-year low"]
    assert [r["title"] for r in results[1]] == ["Harbour ferry to run every half hour"], "night 1's story left out"
    assert json.loads((data / "manifests" / f"{night}.json").read_text())["totals"]["duplicates"] == 1
    log = (data / "logs" / "newsclean.log").read_text()
    assert log.count("newsclean ingest: records written: 1") == 2 and "\x1b[" not in log

    (after,) = with_marker("after-cron")
    result = bash(after.text.replace(CRON_DATA, str(data)), tmp_path, shell_env(home), after)
    assert (data / "reports" / f"{night}.html").exists()
    assert result.stdout.strip().endswith("2"), "the state holds both nights' stories"


def test_a_bare_newsclean_is_not_found_under_cron_which_is_why_the_recipe_names_it_in_full(tmp_path):
    if any((Path(d) / "newsclean").exists() for d in ("/usr/bin", "/bin")):
        pytest.skip("a newsclean is installed system-wide here")
    bare = subprocess.run(["env", "-i", f"HOME={tmp_path}", "PATH=/usr/bin:/bin", "SHELL=/bin/sh", "/bin/sh", "-c",
                           "newsclean --version"], capture_output=True, text=True)
    assert bare.returncode == 127 and "not found" in bare.stderr


def test_the_s3_examples_run_against_a_local_s3_server(s3, tmp_path):
    fs, s3_env = s3
    world = make_world(tmp_path / "world")
    for bucket in ("cc-news", "corpus", "crawl"):
        fs.mkdir(bucket)
    for path in sorted((world / "crawl").rglob("*")):
        if path.is_file():
            fs.put_file(str(path), f"cc-news/2026/11/{path.relative_to(world / 'crawl').as_posix()}")
    fs.put_file(str(world / "feed.jsonl.gz"), "cc-news/2026/11/feed.jsonl.gz")
    fs.put_file(str(world / "pages" / "drought.html"), "crawl/pages/drought.html")
    aws = tmp_path / "aws"
    write(aws / "config", "[profile crawl]\nregion = us-east-1\n")
    write(aws / "credentials", "[crawl]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = shell_env(tmp_path / "home", **{k: v for k, v in s3_env.items() if k.startswith("AWS_")})
    env.update(AWS_CONFIG_FILE=str(aws / "config"), AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"))
    found = with_marker("stand-in: s3")
    assert found
    for block in found:
        replace = {"http://minio.local:9000": s3_env["AWS_ENDPOINT_URL"]} if "minio.local" in block.text else {}
        run_block(block, world, env, replace)
    fs.invalidate_cache()
    for key in ("corpus/clean/2026-11.jsonl.gz", "corpus/clean/2026-11.rejects.jsonl", "corpus/clean/2026-11.json",
                "corpus/cleaned/2026-11.jsonl.gz"):
        assert fs.exists(key), key
    assert [json.loads(x)["title"] for x in (world / "clean.jsonl").read_text().splitlines()] == \
        ["Reservoirs at a thirty-year low"]


def test_the_cluster_example_runs_against_a_local_cluster(scheduler, tmp_path):
    world = make_world(tmp_path / "world")
    found = with_marker("stand-in: dask")
    assert found
    for block in found:
        run_block(block, world, shell_env(tmp_path / "home"), {"tcp://10.0.0.5:8786": scheduler})
    assert (world / "clean" / "_SUCCESS").exists() and (world / "state" / "state.json").exists()


def test_clean_and_dedup_differ_from_ingest_only_where_usage_says(tmp_path):
    """docs/usage.md: through stdin, path, sha256, bytes and format differ; with the file named, nothing."""
    world = make_world(tmp_path / "world")
    env = shell_env(tmp_path / "home")

    def records(script: str) -> list[dict]:
        return [json.loads(x) for x in bash(script, world, env, script).stdout.splitlines()]

    ingest = records("newsclean ingest feed.jsonl.gz --keep-duplicates -q")
    piped = records("zcat feed.jsonl.gz | newsclean clean - -q | newsclean dedup - --keep-duplicates -q")
    named = records("newsclean clean feed.jsonl.gz -q | newsclean dedup - --keep-duplicates -q")
    assert named == ingest
    differ = {"path", "sha256", "bytes", "format"}
    for a, b in zip(ingest, piped, strict=True):
        assert {k: v for k, v in a.items() if k != "provenance"} == {k: v for k, v in b.items() if k != "provenance"}
        assert {k for k in a["provenance"] if a["provenance"][k] != b["provenance"][k]} == differ
        assert (a["provenance"]["path"], a["provenance"]["format"]) == ("feed.jsonl.gz", "jsonl.gz")
        assert (b["provenance"]["path"], b["provenance"]["sha256"], b["provenance"]["bytes"],
                b["provenance"]["format"]) == ("<stdin>", None, None, "jsonl")


# ---------------------------------------------------------------------------- tables

def test_usage_options_tables_list_exactly_the_click_options():
    from tools.docs_options import MARKER, cells, commands, names_in, options

    lines = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8").splitlines()
    tables = {}
    for i, line in enumerate(lines):
        marker = MARKER.match(line)
        if marker:
            rows = []
            for row in lines[i + 3:]:
                if not row.startswith("|"):
                    break
                rows.append(names_in(cells(row)[0]))
            tables[marker.group(1)] = rows
    for name, command in commands():
        want = [set(option.opts) | set(option.secondary_opts) for option in options(command)]
        if want:
            assert name in tables, f"docs/usage.md has no options table for {name}"
        assert tables.get(name, []) == want, f"{name}: the table lists {tables.get(name)}, click has {want}"
    assert set(tables) <= {name for name, _ in commands()}


def test_usage_options_tables_are_what_make_docs_writes():
    from tools.docs_options import USAGE, render

    text = USAGE.read_text(encoding="utf-8")
    assert render(text) == text, "run `make docs`"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_tables_render_as_tables(page):
    """A table is header, separator, rows, with no blank line inside (rows after one render as a paragraph)."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for run in re.findall(r"(?:^\|.*\n)+", text, re.M):
        rows = run.splitlines()
        where = f"{page.name}: {rows[0][:60]}"
        assert len(rows) >= 2 and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", rows[1]), f"no header and separator: {where}"
        widths = {len(re.split(r"(?<!\\)\|", row.strip().strip("|"))) for row in rows}
        assert len(widths) == 1, f"rows of different widths: {where}"


def test_readme_is_a_newcomers_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 300
    for page in ("usage", "nightly", "scaling", "quality", "performance", "how-it-works"):
        assert f"(docs/{page}.md)" in readme, page
    stages = sorted(p.name for p in (ROOT / "corpus").iterdir() if (p / "__init__.py").exists())
    for text in (readme, (ROOT / "docs" / "how-it-works.md").read_text(encoding="utf-8")):
        layout = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
        shown = re.findall(r"^corpus/(\w+)/", layout, re.M)
        assert shown == [s for s in shown if s in stages] and set(shown) == set(stages), (shown, stages)


def test_links_between_pages_point_at_headings_that_exist():
    def anchors(page: Path) -> set[str]:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        headings = re.findall(r"^#+ (.+)$", text, re.M)
        return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}

    problems = []
    for page in PAGES:
        for target, anchor in re.findall(r"\]\(([\w./-]*?\.md)?#([\w-]+)\)", page.read_text(encoding="utf-8")):
            linked = (page.parent / target).resolve() if target else page
            if not linked.exists() or anchor not in anchors(linked):
                problems.append(f"{page.name}: {target}#{anchor}")
    assert not problems, problems
