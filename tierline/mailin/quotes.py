"""Mail text: HTML to plain text, and the new text of a reply without the quoted history.

Pure. The keyword that asks to escalate must be looked for only in what the customer wrote now:
our own notification quoted below a reply ("… was escalated …") must never count as the ask.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# "On Mon, 2 Mar 2026 at 09:30, Tierline <x@y> wrote:" and its usual translations. Clients wrap
# long attributions, so a line and the next one are also tried joined.
_ATTRIBUTION = re.compile(
    r"^\s*(on\b.{0,300}\bwrote|le\b.{0,300}\ba\s+écrit|el\b.{0,300}\bescribió|"
    r"(am|op)\b.{0,300}\b(schrieb|schreef)\b.{0,300})\s*:\s*$", re.IGNORECASE)
# Outlook and friends: "-----Original Message-----", or a rule of underscores above a header block.
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"forwarded message)\s*-{2,}|_{10,})\s*$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?(from|von|de|van)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(sent|date|to|subject|gesendet|datum|an|betreff|envoyé|objet|à)\s*:",
                          re.IGNORECASE)


def strip_quoted(body: str) -> str:
    lines = body.split("\n")
    cut, by_attribution = len(lines), False
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line):
            cut = i
            break
        joined = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if _ATTRIBUTION.match(line) or (_ATTRIBUTION.match(joined) and not line.lstrip().startswith(">")):
            cut, by_attribution = i, True
            break
        if _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(n) for n in lines[i + 1:i + 4]):
            cut = i
            break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    text = "\n".join(kept).strip()
    if not text and by_attribution:
        # Bottom-posting and inline answers: the new words sit between and below the quoted lines.
        text = "\n".join(line for i, line in enumerate(lines)
                         if i != cut and not line.lstrip().startswith(">")).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


_BLOCK = {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
          "section", "article", "header", "footer", "pre", "address", "dd", "dt"}
_SKIP = {"script", "style", "head", "title", "template"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[list] = [[0, ""]]
        self.depth = 0  # blockquote nesting: rendered as "> " so strip_quoted sees a quote
        self.skipping = 0
        self.pre = 0

    def _newline(self):
        self.lines.append([self.depth, ""])

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skipping += 1
        elif tag == "blockquote":
            self._newline()
            self.depth += 1
            self._newline()
        elif tag in _BLOCK:
            self._newline()
            if tag == "li":
                self.lines[-1][1] = "- "
            self.pre += tag == "pre"

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr"):
            self._newline()

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag == "blockquote":
            self.depth = max(self.depth - 1, 0)
            self._newline()
        elif tag in _BLOCK and tag != "li":  # the next item starts its own line; no gap between items
            self.pre = max(self.pre - (tag == "pre"), 0)
            self._newline()

    def handle_data(self, data):
        if self.skipping:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.lines[-1][1] += first
            for line in rest:
                self._newline()
                self.lines[-1][1] = line
            return
        self.lines[-1][1] += re.sub(r"\s+", " ", data)

    def text(self) -> str:
        out = []
        for depth, line in self.lines:
            line = line.strip()
            out.append(("> " * depth + line).rstrip() if line else "")
        return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def html_to_text(html: str) -> str:
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is only a last resort for pathological input
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()
