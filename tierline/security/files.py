"""Does an upload's content match the type it claims? (content sniffing with puremagic)

The declared type alone is the sender's word: a "PNG" that is really HTML or an executable is
refused. Binary types must carry their own signature; text types must not be markup, carry NUL
bytes, or be a recognisable binary. Files are never served inline either way (downloads are
`Content-Disposition: attachment` with `nosniff`), so this is the second line, not the only one.
"""

from __future__ import annotations

import re

import puremagic

# Office Open XML files are zip archives: the signature says "zip", the name says which.
_ZIP_FAMILY = {
    "application/zip", "application/x-zip-compressed",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_TEXT_TYPES = {"text/plain", "text/csv", "message/rfc822"}
_MARKUP = re.compile(rb"^\s*(<!doctype\s+html|<html|<script|<svg|<\?xml|<body|<iframe)", re.IGNORECASE)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


def sniffed_types(content: bytes) -> set[str]:
    try:
        return {m.mime_type for m in puremagic.magic_string(content[:65536]) if m.mime_type}
    except puremagic.PureError:
        return set()


def content_matches(content_type: str, content: bytes) -> bool:
    if content_type in _TEXT_TYPES:
        if b"\x00" in content[:65536] or _MARKUP.match(content[:1024]):
            return False
        found = sniffed_types(content)
        return not found or all(t.startswith("text/") and t != "text/html" or t == "message/rfc822" for t in found)
    if content_type in _ZIP_FAMILY:
        return content.startswith(_ZIP_SIGNATURES)
    return content_type in sniffed_types(content)
