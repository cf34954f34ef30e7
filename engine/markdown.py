"""Patient data inside the markdown of an alert: shown as written, never read as markdown or HTML; and
markdown read back as a reader sees it."""

from __future__ import annotations

import re

# What markdown (CommonMark, GitHub's flavour, as EHRs render a card's detail) reads as structure inside a
# line: links and images, raw HTML and autolinks, code, emphasis, strikethrough; and the backslash itself.
_READ_AS_MARKDOWN = re.compile(r"([\\`*_\[\]<>~])")


def escape_markdown(text: str) -> str:
    """``text`` from a patient's record as markdown that renders as written, on one line.

    A record's free text, code or unit could otherwise make a link to anywhere in a clinician's alert
    (``[call us](https://…)``), raw HTML, or bold and struck-through words; a line break in it could start
    a list or a heading. Each such character is backslash-escaped and line breaks become spaces.
    """
    return _READ_AS_MARKDOWN.sub(r"\\\1", " ".join(text.split()))


_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation


def unescape_markdown(text: str) -> str:
    """``text`` with each markdown backslash escape replaced by its character, as a reader sees it."""
    return _ESCAPE.sub(r"\1", text)
