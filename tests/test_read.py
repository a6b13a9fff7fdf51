import gzip

from corpus.document import Reject
from corpus.inputs.files import RawInput, decode_text
from corpus.inputs.records import read_inputs
from tests.conftest import write


def test_walks_recursively_in_sorted_order_and_accounts_for_every_file(tmp_path):
    write(tmp_path / "b" / "2.txt", "Second story text here.")
    write(tmp_path / "a.html", "<html><body><p>One</p></body></html>")
    write(tmp_path / "b" / "1.txt.gz", gzip.compress(b"First story text here."))
    write(tmp_path / ".hidden.txt", "secret")
    write(tmp_path / "notes.pdf", b"%PDF-1.4 binary")
    items = list(read_inputs([str(tmp_path)]))
    paths = [i.source.path if isinstance(i, RawInput) else i.path for i in items]
    assert paths == [".hidden.txt", "a.html", "b/1.txt.gz", "b/2.txt", "notes.pdf"]
    reasons = {i.path: i.reason for i in items if isinstance(i, Reject)}
    assert reasons == {".hidden.txt": "hidden", "notes.pdf": "unsupported-type"}
    gz = next(i for i in items if isinstance(i, RawInput) and i.source.path == "b/1.txt.gz")
    assert gz.data == b"First story text here." and gz.source.format == "text.gz"


def test_extension_is_confirmed_by_sniffing(tmp_path):
    write(tmp_path / "plain.html", "Just a line of text that someone saved with the wrong name.")
    write(tmp_path / "binary.html", bytes(range(256)) * 4)
    write(tmp_path / "empty.txt", "  \n")
    items = {(i.source.path if isinstance(i, RawInput) else i.path): i for i in read_inputs([str(tmp_path)])}
    assert items["plain.html"].kind == "text"
    assert items["binary.html"].reason == "binary"
    assert items["empty.txt"].reason == "empty"


def test_ids_come_from_the_bytes_and_copies_in_one_run_get_their_own(tmp_path):
    from corpus.identity import RunIdentities

    write(tmp_path / "x" / "story.txt", "Same words.")
    write(tmp_path / "y" / "story.txt", "Same words.")
    write(tmp_path / "z" / "other.txt", "Other words.")
    first = [i.id for i in read_inputs([str(tmp_path)])]
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    tmp_path.rename(moved)
    assert [i.id for i in read_inputs([str(moved)])] == first, "paths never enter an id"
    assert first[0] == first[1] != first[2], "the reader's id is the bytes' id"
    identities = RunIdentities()
    final = [identities.assign(doc_id) for doc_id in first]
    assert final[0] == first[0] and len(set(final)) == 3, "a second byte-identical copy gets an id of its own"
    again = RunIdentities()
    assert [again.assign(doc_id) for doc_id in first] == final, "and the same one on every run"


def test_truncated_gzip_is_a_reject_not_a_crash(tmp_path):
    data = gzip.compress(b"story " * 1000)
    write(tmp_path / "cut.txt.gz", data[: len(data) // 2])
    (item,) = read_inputs([str(tmp_path)])
    assert isinstance(item, Reject) and item.reason == "decode-error"


def test_decoding_falls_back_from_utf8():
    assert decode_text("Zürich café".encode()) == "Zürich café"
    assert decode_text("\ufeffBOM text".encode("utf-8")) == "BOM text"
    assert decode_text("Grüße aus München".encode("utf-16")) == "Grüße aus München"
    assert "München" in decode_text("Die Stadt München hat viele Straßen und Plätze.".encode("latin-1"))
