"""Participants' notebooks as HTML for the instructor: sanitised, and served so that nothing
in them can run.

A notebook is untrusted: its markdown, HTML outputs, SVG and output metadata could carry
script that would act as the instructor. nbconvert's ``SanitizeHTML`` cleans markdown and
HTML outputs to :data:`TAGS` and :data:`ATTRIBUTES` (tables and headings stay, script and
event handlers become text) and drops the outputs it cannot clean (JavaScript, SVG); then the
whole rendered body is cleaned once more (what nbconvert's templates and its markdown make of
the rest: links, images' attributes from output metadata), the template's scripts go, and the
page carries :data:`PAGE_POLICY` in a ``<meta>`` (no script, nothing loaded from elsewhere)
wherever it is opened: in the dashboard, served with :data:`POLICY` too, or from the export.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from html import unescape

# what participants' HTML may keep: text, headings, lists, tables (a DataFrame's), images
TAGS = [
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
]  # fmt: skip
ATTRIBUTES = {
    "*": ["class", "id", "title"],
    "a": ["href", "title"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align"],
}
# what the rendered page's body may keep: the above and the notebook layout around it
PAGE_TAGS = [*TAGS, "main"]
PAGE_ATTRIBUTES = {**ATTRIBUTES, "div": ["data-mime-type", "data-type", "tabindex"]}
PROTOCOLS = ["http", "https", "mailto", "data"]  # data: for images only (see _keeps)

# the rendered page's own Content-Security-Policy (a <meta> cannot sandbox), and the one it
# is served with on the dashboard
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "form-action 'none'; base-uri 'none'"
)
POLICY = f"sandbox; {PAGE_POLICY}; frame-ancestors 'self'"

SCRIPTS = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
SPACE = re.compile(r"[`\x00-\x20\x7f-\xa0\s]+")  # what browsers skip in a URL's scheme


def _keeps(tag: str, name: str, value: str) -> bool:
    """Whether ``tag`` keeps the attribute ``name``; a data: URL only as an image's source."""
    if name not in PAGE_ATTRIBUTES["*"] and name not in PAGE_ATTRIBUTES.get(tag, []):
        return False
    if name in ("href", "src") and (tag, name) != ("img", "src"):
        return not SPACE.sub("", unescape(value)).lower().startswith("data:")
    return True


def _clean(fragment: str) -> str:
    from bleach import clean

    return clean(fragment, tags=PAGE_TAGS, attributes=_keeps, protocols=PROTOCOLS, strip=True,
                 strip_comments=True)  # fmt: skip


def _page(rendered: str) -> str:
    """nbconvert's page with its body cleaned, its scripts gone, and :data:`PAGE_POLICY`.

    Everything before ``<body`` is the template's own (the notebook's title is escaped);
    everything after it is cleaned, whatever markup it carries."""
    start = rendered.index("<body")
    body = rendered.index(">", start) + 1
    meta = f'<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">'
    head = SCRIPTS.sub("", rendered[:start]).replace("<head>", f"<head>\n{meta}", 1)
    if meta not in head:
        raise ValueError("nbconvert's page has no <head>")
    return f"{head}{rendered[start:body]}\n{_clean(rendered[body:])}\n</body>\n</html>\n"


def to_html(content: str) -> str:
    """The notebook whose JSON is ``content`` as a sanitised HTML page; ValueError saying why
    it cannot be shown (not a notebook, or one nbconvert cannot render)."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors.sanitize import SanitizeHTML

    try:
        notebook = nbformat.reads(content, as_version=4)
        exporter = HTMLExporter(template_name="lab")
        exporter.register_preprocessor(SanitizeHTML(tags=TAGS, attributes=ATTRIBUTES), enabled=True)
        body, _ = exporter.from_notebook_node(notebook)
        return _page(body)
    except Exception as e:  # untrusted input: nbformat and nbconvert fail in many ways
        first_line = (str(e).strip().splitlines() or [""])[0][:300]
        raise ValueError(
            f"the notebook cannot be shown: {type(e).__name__}: {first_line}"
        ) from None


class Rendered:
    """The last ``size`` notebooks rendered, by event id (an event never changes)."""

    def __init__(self, size: int = 64):
        self.size = size
        self._pages: OrderedDict[int, str] = OrderedDict()

    def get(self, event_id: int) -> str | None:
        page = self._pages.get(event_id)
        if page is not None:
            self._pages.move_to_end(event_id)
        return page

    def put(self, event_id: int, page: str) -> None:
        self._pages[event_id] = page
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)
