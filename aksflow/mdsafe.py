"""Neutralise markdown that a pull request (possibly from a fork) can influence before it is posted.

Outside code (fenced blocks and inline code spans, where GitHub renders nothing), three things
are made inert:

* ``@user`` and ``@org/team`` mentions get a zero-width space after the ``@``: they read the same
  but notify no one;
* images (``![alt](url)``, ``![alt][ref]``) lose their ``!`` meaning, so no external URL is
  fetched by the reader's browser (a tracking pixel) and no picture can impersonate the bot;
* raw HTML is shown as text, except the few bare tags the comment itself uses
  (``details``, ``summary``, ``b``, ``sub``, ``br``) and the comment's own marker.

Text the comment renderer already escaped passes through unchanged, so neutralising twice is
the same as once. The module needs only the standard library: ``python3 aksflow/mdsafe.py <in
>out`` neutralises a file where aksflow is not installed (a workflow that must not install it).
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
ALLOWED_TAG = re.compile(r"</?(?:details|summary|b|sub|br)\s*/?>|<details open>", re.IGNORECASE)
MARKERS = ("<!-- aksflow:preview -->",)
# GitHub links a mention only after a non-word character (so "tag@sha256" is no mention).
_MENTION = re.compile(r"(?<![\w`/.+-])@(?=[A-Za-z0-9])")
_IMAGE = re.compile(r"(?<!\\)!(?=\[)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BACKTICKS = re.compile(r"`+")


def _html(text: str) -> str:
    out: list[str] = []
    i = 0
    while True:
        j = text.find("<", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        rest = text[j:]
        keep = next((m for m in MARKERS if rest.startswith(m)), None)
        if keep is None and (tag := ALLOWED_TAG.match(rest)):
            keep = tag.group(0)
        if keep is not None:
            out.append(keep)
            i = j + len(keep)
        else:
            out.append("&lt;")
            i = j + 1


def _plain(text: str) -> str:
    text = _MENTION.sub("@" + ZWSP, text)
    text = _IMAGE.sub("\\\\!", text)
    return _html(text)


def _line(line: str) -> str:
    """One line outside a fence: code spans kept, the text between them neutralised."""
    out: list[str] = []
    i = 0
    while True:
        m = _BACKTICKS.search(line, i)
        if m is None:
            out.append(_plain(line[i:]))
            return "".join(out)
        run = m.group(0)
        close = re.compile(rf"(?<!`){run}(?!`)").search(line, m.end())
        if close is None:  # an unmatched run is literal backticks
            out.append(_plain(line[i : m.end()]))
            i = m.end()
            continue
        out.append(_plain(line[i : m.start()]))
        out.append(line[m.start() : close.end()])
        i = close.end()


def neutralise(markdown: str) -> str:
    """``markdown`` with mentions, images and raw HTML made inert outside code."""
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        m = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            closes = m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)
            if closes and not line.strip().lstrip(fence[0]):
                fence = None
            continue
        if m:
            fence = m.group(1)
            out.append(line)
            continue
        out.append(_line(line))
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - exercised by tests/diff/test_github.py
    import sys

    sys.stdout.write(neutralise(sys.stdin.read()))
