"""trafilatura's repair of a page's markup before parsing (``trafilatura.utils.repair_faulty_html``), with
its one scan of the whole page done faster.

trafilatura first deletes the characters XML forbids (C0 controls but tab, line feed and carriage return;
U+FFFE, U+FFFF) with a regular expression over the page: 0.19 ms of a 75,000-character news page, about
1-2% of its whole time in newsclean, though almost no page holds one. Here U+FFFE and U+FFFF are
looked for as characters, and the controls in the page's UTF-8 bytes with ``bytes.translate`` (0.08 ms
in all); only a page that holds one goes through the regular expression. The other repairs (a DOCTYPE
with a slash, a self-closed ``<html/>``) are trafilatura's, line for line. ``tests/test_extract.py``
compares the two on real pages and on pages made to need each repair.
"""

from __future__ import annotations

from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS

_FORBIDDEN_CONTROLS = bytes(c for c in range(32) if c not in b"\t\n\r")
_ALLOWED_BYTES = bytes(c for c in range(256) if c not in _FORBIDDEN_CONTROLS)


def has_forbidden_characters(html: str) -> bool:
    """Whether ``INVALID_XML_CHARS`` matches anywhere in ``html``. A control character is one byte in
    UTF-8, never part of another character's bytes; deleting every other byte leaves only them."""
    if not html.isascii() and ("\ufffe" in html or "\uffff" in html):
        return True
    return bool(html.encode("utf-8", "surrogatepass").translate(None, _ALLOWED_BYTES))


def repair_markup(html: str, beginning: str) -> str:
    """``repair_faulty_html(html, beginning)``, the same string (``beginning``: the page's first 50
    characters, lower-cased)."""
    if has_forbidden_characters(html):
        html = INVALID_XML_CHARS.sub("", html)
    if "doctype" in beginning:
        first_line, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", first_line, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            html = FAULTY_HTML.sub(r"\1>", html, count=1)
            break
    return html
