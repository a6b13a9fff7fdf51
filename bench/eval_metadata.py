"""`make eval` (metadata): title and author accuracy on pages labelled by reading them, beside trafilatura.

bench/metadata_labels.json holds the headline and the author(s) of 43 pages of the snippet set
(../shared/bench/snippets), across 15 languages, written by reading each page (null: the page
names no person; no key: unclear). newsclean's extractor and trafilatura's ``bare_extraction``
(with metadata, in a spawned process: trafilatura as it ships) are compared with them: casefolded,
punctuation and spaces ignored; authors as a set of people.

The 181 pages of ../shared/bench/extraction hold no titles or authors (only articleBody and url),
so they are not scored here.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

LABELS = HERE / "metadata_labels.json"


def folded(text: str | None) -> str:
    return re.sub(r"[\W_]+", "", (text or "").casefold())


def people(author: str | None) -> frozenset[str]:
    return frozenset(filter(None, (folded(p) for p in re.split(r"\s*;\s*", author or ""))))


def newsclean_metadata(path: Path) -> tuple[str | None, str | None]:
    from corpus.extract.page import extract
    from corpus.inputs.files import read_file

    doc = extract(read_file(path, path.parent))
    return doc.title, doc.author


def _trafilatura(path: str) -> tuple[str | None, str | None]:
    import trafilatura

    with gzip.open(path, "rb") as handle:
        result = trafilatura.bare_extraction(handle.read(), with_metadata=True)
    return (result.title, result.author) if result is not None else (None, None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", type=Path, default=HERE.parent.parent / "shared" / "bench" / "snippets")
    ap.add_argument("--show", action="store_true", help="list every page newsclean gets wrong")
    args = ap.parse_args(argv)
    labels = {k: v for k, v in json.loads(LABELS.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    paths = {pid: args.bench / "html" / f"{pid}.html.gz" for pid in labels}
    missing = [pid for pid, p in paths.items() if not p.is_file()]
    if missing:
        print(f"eval: labelled pages not in {args.bench}: {missing}", file=sys.stderr)
        return 2
    ours = {pid: newsclean_metadata(p) for pid, p in paths.items()}
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        theirs = dict(zip(paths, pool.map(_trafilatura, [str(p) for p in paths.values()]), strict=True))
    titled = [pid for pid in labels if "title" in labels[pid]]
    authored = [pid for pid in labels if "author" in labels[pid]]
    print(f"\nMetadata: {len(labels)} pages of the snippet set labelled by reading them (bench/metadata_labels.json)")
    print(f"{'':44s} {'title':>9s} {'author':>9s} {'person':>9s}")
    with_person = [pid for pid in authored if labels[pid]["author"]]
    for name, found in (("newsclean extract", ours), ("trafilatura bare_extraction (metadata)", theirs)):
        titles = sum(folded(found[pid][0]) == folded(labels[pid]["title"]) for pid in titled)
        authors = sum(people(found[pid][1]) == people(labels[pid]["author"]) for pid in authored)
        persons = sum(people(found[pid][1]) == people(labels[pid]["author"]) for pid in with_person)
        print(f"{name:44s} {titles / len(titled):9.3f} {authors / len(authored):9.3f} "
              f"{persons / len(with_person):9.3f}")
    print(f"  (title exact on {len(titled)} pages; author exact on {len(authored)}, of which {len(with_person)} name "
          "a person: 'person' is those)")
    if args.show:
        for pid in labels:
            want, got = labels[pid], ours[pid]
            if "title" in want and folded(got[0]) != folded(want["title"]):
                print(f"  title  {pid}: {got[0]!r} (want {want['title']!r}; trafilatura {theirs[pid][0]!r})")
            if "author" in want and people(got[1]) != people(want["author"]):
                print(f"  author {pid}: {got[1]!r} (want {want['author']!r}; trafilatura {theirs[pid][1]!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
