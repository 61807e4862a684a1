"""Candidate markdown made inert for every view a reviewer opens: no image, no link, no HTML and
no math, whichever markdown renderer shows it (formgrader renders the autograded notebook with
nbconvert's mistune and MathJax; JupyterLab with marked and MathJax; other tools with
markdown-it or CommonMark).

The text is parsed with mistune (the parser nbconvert uses) and written back as markdown that
keeps the writing readable (headings, paragraphs, lists, quotes, tables, emphasis, code) under
one rule: outside code, the output holds only letters, digits, spaces, harmless punctuation and
the markup written here; everything else becomes an HTML entity or inline code.

- An image becomes text: `(image: its alt text` followed by its address as inline code `)`; a
  link becomes its text followed by its address as inline code; an autolink or a bare URL
  becomes inline code. The cell's `attachments` are never copied, so `attachment:` images have
  nothing to show either.
- Raw HTML (inline or block) is shown as text: `<`, `>` and `&` become `&lt;`, `&gt;`, `&amp;`
  (entities are decoded once, then escaped, so `&lt;img&gt;` cannot turn into a tag), and so do
  the characters that start markdown syntax (`[`, `]`, `*`, `_`, a backtick, `|`, `~`, `#`, and
  `-`, `+`, `=` or `1.` at the start of a word).
- A word that a renderer could turn into a link or math is inline code: a word holding `\\`,
  `$`, `@`, a `:` before its end (`http://`, `mailto:`, `data:`, `javascript:`), `www.`, or a
  dotted host name (`evil.com`: linkify's fuzzy links). Renderers never link, and MathJax never
  typesets, inside code. Inside code, a backslash is followed by a zero-width space and so is a
  `$` before another `$` (a math scanner that reads code too, as JupyterLab's does for
  `\\begin{`, finds no `$$`, `\\[` or `\\begin{`); a backtick or `|` in code (which would end
  the code span, or a table cell) is written between code spans as an entity.
- Fenced code keeps its text; a line that could close the fence gets a zero-width space, and
  only a plain language name (never `mermaid`) is kept.

Written with a byte limit, the output is cut at a clean point (open emphasis, code and fences
closed) and ends with the notice of `bounded.notice`.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable

from datalit.grading.bounded import json_size, notice

ZWSP = "\u200b"
MAX_DEPTH = 16
"""Nesting (quotes, lists, emphasis) written as structure; deeper content is written as text."""
CHUNK = 256
"""Characters per piece of a long word or code line: where a byte limit can cut."""
RESERVE = 512
"""Bytes kept back under a limit for what a cut writes: closing marks, a fence, the notice."""

_PLUGINS = ("strikethrough", "table", "task_lists")
_ENTITY = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "[": "&#91;",
    "]": "&#93;",
    "`": "&#96;",
    "*": "&#42;",
    "_": "&#95;",
    "|": "&#124;",
    "~": "&#126;",
    "#": "&#35;",
    "-": "&#45;",
    "+": "&#43;",
    "=": "&#61;",
    ".": "&#46;",
    ")": "&#41;",
}
_ESCAPE = str.maketrans({c: _ENTITY[c] for c in "&<>[]`*_|~#"})
_LEADING = re.compile(r"[-+=]|\d{1,9}[.)]")
"""What starts a list item, a heading underline or a thematic break at the start of a line."""
_RISKY = re.compile(r"[\\$@]|:.|www\.|[^\W_]\.[^\W\d_]{2}", re.IGNORECASE)
_SPACE = re.compile(r"(\s+)")
_CODE_SPLIT = re.compile(r"([`|])")
_FENCE_LINE = re.compile(r" {0,3}(?:```|~~~)")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+-]{1,32}")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_MARKS = {"emphasis": "*", "strong": "**", "strikethrough": "~~"}


def inert_markdown(
    source: str, *, max_bytes: int | None = None, measure: Callable[[str], int] = json_size
) -> str:
    """`source` (a candidate's markdown) written back as inert markdown (see the module
    docstring).

    Args:
        source: The markdown text.
        max_bytes: Most bytes of the output, as `measure` counts them; None for no limit. A cut
            output ends with the cut notice (it is only the notice when `max_bytes` is too small
            for anything else).
        measure: Bytes one piece of output takes where it is written (default: inside a JSON
            string, as in a notebook).
    """
    return Inert(source).write(max_bytes=max_bytes, measure=measure)


class Inert:
    """One markdown text, parsed once, written as inert markdown whole or within any number of
    bytes (parsing is the costly part: about 4 s per MB for the worst inputs)."""

    def __init__(self, source: str):
        self.text = _clean(source)
        try:
            self.tokens = _parser()(self.text)
        except (RecursionError, ValueError, TypeError, IndexError, KeyError):
            self.tokens = [{"type": "paragraph", "children": [{"type": "text", "raw": self.text}]}]

    def write(
        self, *, max_bytes: int | None = None, measure: Callable[[str], int] = json_size
    ) -> str:
        """The inert markdown, within `max_bytes` as `measure` counts (see `inert_markdown`)."""
        limit = None if max_bytes is None else max(max_bytes - RESERVE, 0)
        out = _Out(limit, measure)
        try:
            _blocks(out, self.tokens, 0, tight=False)
            out.end_line()
        except _Full:
            _close_at_cut(out)
        return "".join(out.parts).rstrip("\n")


@functools.lru_cache(maxsize=1)
def _parser():
    import mistune

    return mistune.create_markdown(renderer=None, plugins=list(_PLUGINS))


def _clean(text: str) -> str:
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


# --- the output -------------------------------------------------------------------------------


class _Full(Exception):
    """The byte limit is reached: writing stops at the last whole piece."""


class _Out:
    """Markdown written piece by piece under a byte limit, with the line prefixes of the open
    containers (quotes, list items) and the marks to close at a cut."""

    def __init__(self, limit: int | None, measure: Callable[[str], int]):
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.measure = measure
        self.prefixes: list[list] = []
        """Per open container: [first line's prefix, later lines' prefix, first line written]."""
        self.open: list[tuple[str, str]] = []
        """("inline", mark) or ("fence", fence) still to be closed, innermost last."""
        self.line_open = False

    def _emit(self, piece: str) -> None:
        n = self.measure(piece)
        if self.limit is not None and self.size + n > self.limit:
            raise _Full
        self.parts.append(piece)
        self.size += n

    def _prefix(self) -> str:
        text = "".join(p[1] if p[2] else p[0] for p in self.prefixes)
        for p in self.prefixes:
            p[2] = True
        return text

    def write(self, piece: str) -> None:
        if not piece:
            return
        if self.line_open:
            self._emit(piece)
        else:
            self._emit(self._prefix() + piece)
            self.line_open = True

    def touch(self) -> None:
        """Start the current line if nothing is on it (an empty list item keeps its marker)."""
        if not self.line_open:
            self._emit(self._prefix().rstrip() or " ")
            self.line_open = True

    def end_line(self) -> None:
        if self.line_open:
            self._emit("\n")
            self.line_open = False

    def blank_line(self) -> None:
        self.end_line()
        self._emit(self._prefix().rstrip() + "\n")

    def code_open(self) -> None:
        if self.parts and self.parts[-1].endswith("`"):
            self.write(ZWSP)  # two code spans side by side would read as one longer delimiter
        self.write("`")
        self.open.append(("inline", "`"))

    def code_close(self) -> None:
        self.write("`")  # written before it is taken off `open`: a cut here still closes it
        self.open.pop()


def _close_at_cut(out: _Out) -> None:
    kept = out.size
    out.limit = None
    for kind, mark in reversed(out.open):
        if kind == "inline":
            if out.line_open:
                out.write(mark)
        else:
            out.end_line()
            out.write(mark)
    out.end_line()
    out.open.clear()
    out.prefixes.clear()
    if out.parts:
        out.parts.append("\n")
    _text(out, notice(kept))
    out.end_line()


# --- blocks -----------------------------------------------------------------------------------


def _blocks(out: _Out, tokens, depth: int, *, tight: bool) -> None:
    first = True
    for tok in tokens if isinstance(tokens, list) else ():
        if not isinstance(tok, dict) or tok.get("type") == "blank_line":
            continue
        if not first:
            out.end_line()
            if not tight:
                out.blank_line()
        _block(out, tok, depth, tight=tight)
        first = False


def _children(tok: dict) -> list:
    children = tok.get("children")
    return children if isinstance(children, list) else []


def _attrs(tok: dict) -> dict:
    attrs = tok.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _block(out: _Out, tok: dict, depth: int, *, tight: bool) -> None:
    kind = tok.get("type")
    if depth > MAX_DEPTH:
        _text(out, _plain_text(tok))
    elif kind in ("paragraph", "block_text"):
        _inline(out, _children(tok), depth)
    elif kind == "heading":
        level = _attrs(tok).get("level")
        level = level if isinstance(level, int) and 1 <= level <= 6 else 1
        out.write("#" * level + " ")
        _inline(out, _children(tok), depth, flat=True)
    elif kind == "thematic_break":
        out.write("***")  # never a setext underline, unlike ---
    elif kind == "block_code":
        _fence(out, str(tok.get("raw") or ""), _attrs(tok).get("info"))
    elif kind == "block_quote":
        _contained(out, ["> ", "> ", False], _children(tok), depth, tight=False)
    elif kind == "list":
        _list(out, tok, depth)
    elif kind == "table":
        _table(out, tok, depth)
    elif kind == "block_html":
        _text(out, str(tok.get("raw") or ""))
    elif _children(tok):
        if all(isinstance(c, dict) and c.get("type") in _INLINE for c in _children(tok)):
            _inline(out, _children(tok), depth + 1)
        else:
            _blocks(out, _children(tok), depth + 1, tight=tight)
    else:
        _text(out, str(tok.get("raw") or tok.get("text") or ""))
    out.end_line()


def _contained(
    out: _Out, prefix: list, children, depth: int, *, tight: bool, lead: str = ""
) -> None:
    """Blocks inside a container whose lines start with `prefix` (a quote's `> `, a list
    item's marker, then its indentation)."""
    out.prefixes.append(prefix)
    out.write(lead)
    _blocks(out, children, depth + 1, tight=tight)
    if not prefix[2]:
        out.touch()  # an empty container still shows its marker
    out.end_line()
    out.prefixes.pop()


def _fence(out: _Out, raw: str, info) -> None:
    words = info.split() if isinstance(info, str) else []
    language = words[0] if words and _LANGUAGE.fullmatch(words[0]) else ""
    if language.lower().startswith("mermaid"):
        language = ""
    out.write("```" + language)
    out.open.append(("fence", "```"))
    out.end_line()
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        if _FENCE_LINE.match(line):
            at = len(line) - len(line.lstrip(" ")) + 1
            line = line[:at] + ZWSP + line[at:]  # never reads as the closing fence
        if not line:
            out._emit(out._prefix().rstrip() + "\n")
            continue
        for i in range(0, len(line), CHUNK):
            out.write(line[i : i + CHUNK])
        out.end_line()
    out.write("```")
    out.open.pop()


def _list(out: _Out, tok: dict, depth: int) -> None:
    attrs = _attrs(tok)
    ordered = bool(attrs.get("ordered"))
    start = attrs.get("start", 1)
    start = start if isinstance(start, int) and 0 <= start < 10**8 else 1
    bullet = tok.get("bullet")
    tight = bool(tok.get("tight", True))
    for i, item in enumerate(c for c in _children(tok) if isinstance(c, dict)):
        if i:
            out.end_line()
            if not tight:
                out.blank_line()
        if ordered:
            marker = f"{start + i}{')' if bullet == ')' else '.'}"
        else:
            marker = bullet if bullet in ("-", "*", "+") else "-"
        box = ""
        if item.get("type") == "task_list_item":
            box = "&#91;x&#93; " if _attrs(item).get("checked") else "&#91; &#93; "
        prefix = [marker + " ", " " * (len(marker) + 1), False]
        _contained(out, prefix, _children(item), depth, tight=tight, lead=box)


_ALIGN = {"left": ":--", "right": "--:", "center": ":-:"}


def _table(out: _Out, tok: dict, depth: int) -> None:
    parts = {c.get("type"): c for c in _children(tok) if isinstance(c, dict)}
    head = [c for c in _children(parts.get("table_head", {})) if isinstance(c, dict)]
    if not head:
        return
    rows = [
        [c for c in _children(r) if isinstance(c, dict)]
        for r in _children(parts.get("table_body", {}))
        if isinstance(r, dict)
    ]
    for k, cells in enumerate([head, None, *rows]):
        if k:
            out.end_line()
        if cells is None:
            align = "|".join(f" {_ALIGN.get(_attrs(c).get('align'), '---')} " for c in head)
            out.write(f"|{align}|")
            continue
        out.write("|")
        for cell in cells:
            out.write(" ")
            _inline(out, _children(cell), depth + 1, flat=True)
            out.write(" |")


# --- inline -----------------------------------------------------------------------------------

_INLINE = {
    "text",
    "emphasis",
    "strong",
    "strikethrough",
    "codespan",
    "linebreak",
    "softbreak",
    "inline_html",
    "link",
    "image",
}


def _coalesced(tokens) -> list:
    """The tokens with runs of text tokens joined (mistune makes one per `<` or `[` it could not
    use)."""
    out: list = []
    for tok in tokens if isinstance(tokens, list) else ():
        if not isinstance(tok, dict):
            continue
        if tok.get("type") == "text" and out and out[-1].get("type") == "text":
            out[-1] = {
                "type": "text",
                "raw": str(out[-1].get("raw") or "") + str(tok.get("raw") or ""),
            }
        else:
            out.append(tok)
    return out


def _inline(out: _Out, tokens, depth: int, *, flat: bool = False) -> None:
    for tok in _coalesced(tokens):
        kind = tok.get("type")
        attrs = _attrs(tok)
        if depth > MAX_DEPTH:
            _text(out, _plain_text(tok), flat=flat)
        elif kind == "text":
            _text(out, html.unescape(str(tok.get("raw") or "")), flat=flat)
        elif kind in _MARKS:
            if not _plain_text(tok).strip():
                continue  # empty emphasis would read as a thematic break (****)
            mark = _MARKS[kind]
            out.write(mark)
            out.open.append(("inline", mark))
            _inline(out, _children(tok), depth + 1, flat=flat)
            out.write(mark)
            out.open.pop()
        elif kind == "codespan":
            _code(out, str(tok.get("raw") or ""))
        elif kind == "linebreak":
            if flat:
                out.write(" ")
            elif out.line_open:
                out.write("  ")
                out.end_line()
        elif kind == "softbreak":
            if flat:
                out.write(" ")
            else:
                out.end_line()
        elif kind == "inline_html":
            _text(out, str(tok.get("raw") or ""), flat=flat)
        elif kind == "link":
            url = str(attrs.get("url") or "")
            if url and _plain_text(tok).strip() == url.strip():
                _code(out, url)  # an autolink: its text is its address
                continue
            _inline(out, _children(tok), depth + 1, flat=flat)
            if url:
                out.write(" (")
                _code(out, url)
                out.write(")")
        elif kind == "image":
            url = str(attrs.get("url") or "")
            out.write("(image")
            if _plain_text(tok).strip():
                out.write(": ")
                _inline(out, _children(tok), depth + 1, flat=True)
            if url:
                out.write(" ")
                _code(out, url)
            out.write(")")
        elif _children(tok):
            _inline(out, _children(tok), depth + 1, flat=flat)
        else:
            _text(out, str(tok.get("raw") or tok.get("text") or ""), flat=flat)


def _plain_text(tok) -> str:
    """The text of a token and everything under it, markup left out."""
    if not isinstance(tok, dict):
        return ""
    if _children(tok):
        return "".join(_plain_text(c) for c in _children(tok))
    return str(tok.get("raw") or tok.get("text") or "")


def _text(out: _Out, text: str, *, flat: bool = False) -> None:
    for piece in _SPACE.split(text):
        if not piece:
            continue
        if piece.isspace():
            if "\n" in piece and not flat:
                out.end_line()
            elif out.line_open:
                out.write(" ")
        elif _RISKY.search(piece):
            _code(out, piece)
        else:
            m = _LEADING.match(piece)
            if m:
                out.write(m.group()[:-1] + _ENTITY[m.group()[-1]])
                piece = piece[m.end() :]
            for i in range(0, len(piece), CHUNK):
                out.write(piece[i : i + CHUNK].translate(_ESCAPE))


def _code(out: _Out, content: str) -> None:
    """`content` as inline code: one or more code spans, with `|` and backticks between them."""
    for seg in _CODE_SPLIT.split(content.replace("\n", " ")):
        if seg in ("`", "|"):
            out.write(_ENTITY[seg])
            continue
        body = seg.strip()
        if not body:
            if seg and out.line_open:
                out.write(" ")
            continue
        if seg[0].isspace() and out.line_open:
            out.write(" ")
        body = re.sub(r"\$(?=\$)", "$" + ZWSP, body.replace("\\", "\\" + ZWSP))
        out.code_open()
        for i in range(0, len(body), CHUNK):
            out.write(body[i : i + CHUNK])
        out.code_close()
        if seg[-1].isspace():
            out.write(" ")


__all__ = ["Inert", "inert_markdown"]
