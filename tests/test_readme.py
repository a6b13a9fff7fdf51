"""The reference tables of docs/usage.md and docs/nightly.md say what the code writes: each is read and checked
against it. (tests/test_docs.py runs the commands of the README and of every docs page.)"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import fields

from click.testing import CliRunner

from cli.main import main
from tests.conftest import ROOT, STORY, write
from tests.test_inputs import build_warc

PAGES = {"Output": "docs/usage.md", "Rejects and exit codes": "docs/nightly.md", "Run manifest": "docs/nightly.md"}


def table(section: str, first_header: str) -> list[list[str]]:
    """Rows (cells) of the first table under ``## section`` (or ###) whose header starts with ``first_header``."""
    text = (ROOT / PAGES[section]).read_text(encoding="utf-8")
    start = re.search(rf"^#+ {re.escape(section)}", text, re.M)
    assert start, f"no section {section!r} in {PAGES[section]}"
    lines = text[start.end():].splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"| {first_header} |"):
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip("|"))])
            return rows
    raise AssertionError(f"no table with {first_header!r} under {section!r}")


def names(cell: str) -> list[str]:
    """`a.b`, `c` → ['a.b', 'a.c']: later names in a cell share the first one's prefix."""
    found = re.findall(r"`([^`]+)`", cell)
    prefix = found[0].rsplit(".", 1)[0] + "." if found and "." in found[0] else ""
    return [n if "." in n or not prefix else prefix + n for n in found]


def run_records(tmp_path) -> list[dict]:
    build_warc(tmp_path / "in" / "cc.warc.gz")
    write(tmp_path / "in" / "feed.jsonl", json.dumps({"id": "7", "text": "\n".join(STORY[:3]), "x": 1}) + "\n")
    write(tmp_path / "in" / "story.txt", "A headline for the story\n\n" + "\n\n".join(STORY))
    write(tmp_path / "in" / "www.example.com" / "scraped.txt", "\n\n".join(STORY[1:]))  # a site from its folder
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--keep-duplicates", "-q", "--workers", "1"])
    assert result.exit_code == 0
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_output_table_lists_exactly_the_fields_records_have(tmp_path):
    documented = {n for row in table("Output", "field") for n in names(row[0])}
    written = set()
    for record in run_records(tmp_path):
        written |= {k for k in record if k != "provenance"}
        written |= {f"provenance.{k}" for k in record["provenance"]}
    assert written == documented, (written ^ documented)


def reasons_in_code() -> set[str]:
    """Every reason a Reject is made with (a string literal as its second argument), found in the source."""
    found = set()
    for path in (ROOT / "corpus").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Reject" and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant):
                found.add(node.args[1].value)
    return found


def test_reject_reasons_table_matches_the_code():
    documented = {names(row[0])[0] for row in table("Rejects and exit codes", "reason")}
    assert documented == reasons_in_code()


def test_reject_keys_table_matches_what_rejects_hold():
    from corpus.document import Reject

    documented = {names(row[0])[0] for row in table("Rejects and exit codes", "key")}
    assert documented == {f.name for f in fields(Reject)}


def test_exit_code_table_matches_the_code():
    import cli.main as cli_main

    documented = {int(row[0]) for row in table("Rejects and exit codes", "exit code")}
    in_code = {value for name, value in vars(cli_main).items() if name.startswith("EXIT_")}
    assert documented == in_code


def test_manifest_table_matches_the_manifest(tmp_path):
    write(tmp_path / "in" / "story.txt", "A headline for the story\n\n" + "\n\n".join(STORY))
    write(tmp_path / "in" / "www.example.com" / "scraped.txt", "\n\n".join(STORY[1:]))  # a site from its folder
    manifest = tmp_path / "run.json"
    assert CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--manifest", str(manifest), "-q"]).exit_code == 0
    doc = json.loads(manifest.read_text())
    rows = {names(row[0])[0] if len(names(row[0])) == 1 else tuple(names(row[0])): row[1]
            for row in table("Run manifest", "key")}
    documented = set()
    for key in rows:
        documented |= set(key) if isinstance(key, tuple) else {key}
    assert documented == set(doc)
    totals = set(re.findall(r"`([a-z_]+)`", rows["totals"]))
    assert totals == set(doc["totals"])
    entry = set(re.findall(r"`([a-z_0-9]+)`", rows["inputs"]))
    assert entry == set(doc["inputs"][0]) | {"url"}, "url: only objects in storage have it (test_object_storage)"
