"""``{{ m.body|chat_body }}``: a message's text with its line breaks and its http(s) links made clickable (a
shared Web会議 link, docs/domain/chat.md §3.8). Everything else is escaped; chat.js builds the same from text
nodes for messages that arrive live."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The same pattern as chat.js: a link ends at white space, quotes, angle brackets or Japanese punctuation.
LINK = re.compile(r"https?://[^\s<>\"'「」『』、。()]+")


@register.filter
def chat_body(text: str) -> SafeString:
    parts: list[str] = []
    last = 0
    for found in LINK.finditer(text):
        parts.append(escape(text[last : found.start()]))
        url = found.group(0)
        parts.append(format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url, url))
        last = found.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts).replace("\n", "<br>"))  # noqa: S308  (every part escaped above)
