"""Patient data inside the markdown of an alert: shown as written, never read as markdown or HTML; and
markdown read back as a reader sees it."""

from __future__ import annotations

import re

# What markdown (CommonMark, GitHub's flavour, as EHRs render a card's detail) reads as structure inside a
# line: links and images, raw HTML and autolinks, entities, code, emphasis, strikethrough; and the backslash
# itself. One pass of str.translate: this runs on every datum behind every reason of every card.
_ESCAPED = str.maketrans({c: "\\" + c for c in "\\`*_[]<>~&"})
# GitHub's flavour also makes a link of a bare address (`https://…`, `www.…`): escaping the scheme's colon or
# the dot after `www` leaves the text as written and stops the renderer from seeing an address there. (An
# e-mail address still becomes a mailto: link there, escaped or not; it shows the address as written.)
_BARE_ADDRESS = re.compile(r":(?=//)|(?<=\bwww)\.", re.IGNORECASE)


def escape_markdown(text: str) -> str:
    """``text`` from a patient's record as markdown that renders as written, on one line.

    A record's free text, code or unit could otherwise make a link to anywhere in a clinician's alert
    (``[call us](https://…)``, or a bare address), raw HTML, or bold and struck-through words; a line break
    in it could start a list or a heading. Each such character is backslash-escaped and line breaks become
    spaces.
    """
    escaped = " ".join(text.split()).translate(_ESCAPED)
    if "://" in escaped or "www." in escaped.lower():
        return _BARE_ADDRESS.sub(r"\\\g<0>", escaped)
    return escaped


_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation


def unescape_markdown(text: str) -> str:
    """``text`` with each markdown backslash escape replaced by its character, as a reader sees it."""
    return _ESCAPE.sub(r"\1", text)
