"""Sanitising HTML that leaves Tierline (nh3, the Ammonia sanitiser).

Customer email HTML is rendered from tenant-edited templates: whatever an admin typed or a
variable carried, what reaches the customer has no scripts, event handlers, forms, frames or
javascript: links. Inline `style` stays: email clients ignore style sheets.
"""

from __future__ import annotations

import nh3

_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES["*"] = {"style", "class", "dir", "lang", "title"}
_ATTRIBUTES["table"] = _ATTRIBUTES.get("table", set()) | {"role", "cellpadding", "cellspacing", "border", "width"}
_ATTRIBUTES["td"] = _ATTRIBUTES.get("td", set()) | {"width", "valign"}
_ATTRIBUTES["a"] = {"href", "hreflang"}


def clean_email_html(html: str) -> str:
    return nh3.clean(html, tags=set(nh3.ALLOWED_TAGS), attributes=_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
