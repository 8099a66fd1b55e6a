"""Participants' notebooks as HTML for the instructor: sanitised, and served so that nothing
in them can run.

A notebook is untrusted: its markdown, HTML outputs and SVG could carry script that would
act as the instructor. nbconvert's ``SanitizeHTML`` cleans markdown and HTML outputs to
:data:`TAGS` and :data:`ATTRIBUTES` (tables and headings stay, script and event handlers
become text) and drops the outputs it cannot clean (JavaScript, SVG); the page is served
with :data:`POLICY`: a sandbox without scripts and no source for anything but inline styles
and data: images, so whatever the sanitiser missed cannot run or load.
"""

from __future__ import annotations

import json
from collections import OrderedDict

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

# the rendered notebook's Content-Security-Policy
POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "frame-ancestors 'self'"
)


def to_html(content: str) -> str:
    """The notebook whose JSON is ``content`` as a sanitised HTML page; ValueError if it is
    not a notebook nbformat reads."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors.sanitize import SanitizeHTML

    try:
        notebook = nbformat.reads(content, as_version=4)
    except (ValueError, json.JSONDecodeError, nbformat.reader.NotJSONError) as e:
        raise ValueError(f"not a notebook nbformat reads: {e}") from None
    exporter = HTMLExporter(template_name="lab")
    exporter.register_preprocessor(SanitizeHTML(tags=TAGS, attributes=ATTRIBUTES), enabled=True)
    body, _ = exporter.from_notebook_node(notebook)
    return body


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
