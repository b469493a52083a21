"""Text from the feeds and the warehouse, made safe to print on a terminal.

Feed values are typed by hotel desks and exported by upstream systems: they may carry
terminal escape sequences (ESC ``[``…), other control characters, or Unicode's
bidirectional overrides, which a terminal would obey (recolour, move the cursor, rewrite
the line, reorder text). Ingest quarantines such rows, but the CLI prints more than
loaded rows (quarantined lines, file names, notes), so every value it prints passes here
first: each such character is shown as its escape (``\\x1b``), never sent raw.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rich.text import Text

# C0 controls but none (tabs and newlines included: a value is one cell), DEL, C1 controls,
# and the bidirectional embeddings, overrides and isolates.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(value: Any) -> str:
    """``value`` as printable text: missing (None, NaN) is empty, controls are escaped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return CONTROL.sub(_escape, str(value))


def cell(value: Any) -> Text:
    """A table cell of ``value``: printable, and never read as Rich markup."""
    return Text(safe_text(value))


def cells(*values: Any) -> list[Text]:
    return [cell(value) for value in values]


# What JSON leaves raw inside strings (it escapes the C0 controls itself): DEL, C1, bidi.
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# Line ends of a multi-line text, which stay as they are.
_LINE_CONTROL = re.compile("(?!\r\n)[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_safe(text: str) -> str:
    """JSON text with the controls JSON leaves raw (DEL, C1, bidi) written as ``\\uXXXX``
    escapes: the same JSON, safe on a terminal."""
    return _JSON_RAW.sub(_json_escape, text)


def safe_lines(text: str) -> str:
    """Text of several lines (a CSV export), its line ends kept, every other control escaped."""
    return _LINE_CONTROL.sub(_escape, text)
