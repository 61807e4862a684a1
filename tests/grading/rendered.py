"""Markdown rendered as reviewers' tools render it, and a scan of the HTML for anything that loads
or links elsewhere. Shared by the neutraliser's tests and the hostile end-to-end views."""

from __future__ import annotations

import functools
import json
from html.parser import HTMLParser

LOADING_TAGS = {
    "img",
    "image",
    "svg",
    "iframe",
    "frame",
    "object",
    "embed",
    "script",
    "style",
    "link",
    "meta",
    "base",
    "form",
    "video",
    "audio",
    "source",
    "picture",
    "track",
    "math",
    "input",
    "button",
    "textarea",
    "select",
}
"""Tags a renderer only writes from raw HTML or an image (never for plain text or our markup)."""
URL_ATTRIBUTES = {
    "src",
    "href",
    "srcset",
    "action",
    "formaction",
    "background",
    "poster",
    "data",
    "xlink:href",
    "cite",
    "ping",
    "lowsrc",
    "longdesc",
    "manifest",
}


@functools.lru_cache(maxsize=1)
def _mistune_gfm():
    import mistune

    # As a GFM renderer would: raw HTML passed through, bare URLs linked.
    return mistune.create_markdown(
        escape=False, plugins=["strikethrough", "table", "url", "task_lists"]
    )


@functools.lru_cache(maxsize=1)
def _markdown_it():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def renderings(markdown: str) -> dict[str, str]:
    """`markdown` as HTML: nbconvert's filter (what formgrader shows a markdown cell with),
    mistune as a GFM renderer, and markdown-it (CommonMark, raw HTML on)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return {
        "nbconvert": markdown2html_mistune(markdown),
        "mistune-gfm": _mistune_gfm()(markdown),
        "markdown-it": _markdown_it().render(markdown),
    }


class _Scan(HTMLParser):
    def __init__(self, allow_data_png: bool):
        super().__init__(convert_charrefs=True)
        self.allow_data_png = allow_data_png
        self.problems: list[str] = []
        self.in_code = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("code", "pre"):
            self.in_code += 1
        attrs = dict(attrs)
        png = (attrs.get("src") or "").startswith("data:image/png;base64,")
        if tag in LOADING_TAGS and not (tag == "img" and png and self.allow_data_png):
            self.problems.append(f"<{tag}>")
        for name, value in attrs.items():
            value = (value or "").strip()
            kept_png = name == "src" and png and self.allow_data_png
            if name in URL_ATTRIBUTES and not value.startswith("#") and not kept_png:
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and "url(" in value.lower():
                self.problems.append(f"<{tag} style={value!r}>")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("code", "pre"):
            self.in_code -= 1

    def handle_endtag(self, tag):
        if tag in ("code", "pre") and self.in_code:
            self.in_code -= 1

    def handle_data(self, data):
        if not self.in_code:
            self.text.append(data)


def problems(page: str, *, allow_data_png: bool = False) -> list[str]:
    """What in an HTML fragment loads or links elsewhere, or would be typeset by MathJax (a `$`
    or a backslash in text outside code: MathJax reads `\\href`, `\\style` and math delimiters
    in text, never inside <code> or <pre>). `allow_data_png`: the PNG outputs the sandbox kept."""
    scan = _Scan(allow_data_png)
    scan.feed(page)
    scan.close()
    text = "".join(scan.text)
    found = list(scan.problems)
    if "$" in text or "\\" in text:
        found.append(f"math in text: {text[:300]!r}")
    return found


def render_problems(markdown: str) -> dict[str, list[str]]:
    """`problems` of each rendering of `markdown`, by renderer (only the renderers with any). A
    renderer that fails is a problem too (nbconvert raises on an `attachment:` image the cell
    does not hold, so formgrader could not show the page)."""
    try:
        pages = renderings(markdown)
    except Exception as exc:
        return {"nbconvert": [f"raised {type(exc).__name__}: {exc}"]}
    return {name: p for name, page in pages.items() if (p := problems(page))}


def formgrader_page(notebook: dict) -> str:
    """The page formgrader serves for a submission: nbconvert's HTMLExporter with nbgrader's
    `formgrade` template (as `SubmissionHandler` renders COURSE/autograded/...)."""
    import nbformat
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {
        "assignment_id": "a",
        "notebook_id": "n",
        "submission_id": "s",
        "index": 0,
        "total": 1,
        "base_url": "/formgrader-base",
        "student": "candidate",
        "last_name": "",
        "first_name": "",
        "notebook_path": "/n.ipynb",
    }
    node = nbformat.reads(json.dumps(notebook), as_version=4)  # as formgrader reads the file
    page, _ = HTMLExporter(config=config).from_notebook_node(node, resources=resources)
    return page


def formgrader_problems(notebook: dict) -> list[str]:
    """`problems` of what formgrader shows of each cell (the rendered markdown, the code and its
    outputs; not the page's own chrome: its scripts, styles and scoring buttons)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(formgrader_page(notebook), "html.parser")
    found = []
    regions = soup.select("div.text_cell_render, div.input_area, div.output_area")
    for region in regions:
        found += problems(str(region), allow_data_png="output_area" in region.get("class", []))
    if not regions:
        found.append("formgrader showed no cell")
    return found
