"""From a landed file's bytes to numbered text lines, in bounded memory.

Lodging systems send UTF-8 (with or without a BOM) or Windows-1252, undeclared, with LF
or CRLF endings, sometimes gzipped. The encoding is decided per file by a first streaming
pass; the second pass yields chunks of decoded lines with their physical line numbers, so
a file of any size is read a block at a time. A line longer than :data:`MAX_LINE_BYTES`
(a runaway field, a missing newline) is not held in memory whole: its head is kept as
evidence and the rest is skipped, and the parser quarantines it.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

BLOCK_BYTES = 8 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
EVIDENCE_BYTES = 4096

UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
# Bytes Windows-1252 leaves undefined: a file holding one is neither UTF-8 nor 1252.
_CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


class FileRejected(Exception):
    """The whole file cannot be read as the contract says; ``reason`` says why, for the ledger.

    ``readable_as`` names an encoding the bytes *can* be read in (UTF-16 with its BOM, say),
    so the quarantine can still keep each line as readable text.
    """

    def __init__(self, reason: str, readable_as: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.readable_as = readable_as


@dataclass
class LineChunk:
    """Consecutive physical lines of a file, with the number of the first one (1-based)."""

    first_line_no: int
    lines: list[str]
    # Lines over MAX_LINE_BYTES: line number -> (full length in bytes, decoded head).
    oversize: dict[int, tuple[int, str]] = field(default_factory=dict)


def open_binary(path: Path) -> BinaryIO:
    """Open a landed file for reading bytes, decompressing ``.gz`` transparently."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def detect_encoding(path: Path) -> str:
    """Decide a file's encoding: ``utf-8-sig``, ``utf-8`` or ``cp1252``.

    Raises :class:`FileRejected` for an empty file, UTF-16/32, binary content (NUL
    bytes) or bytes that are valid in neither encoding.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8_ok = True
    seen_undefined_1252 = False
    total = 0
    head = b""
    try:
        with open_binary(path) as handle:
            while block := handle.read(BLOCK_BYTES):
                if total == 0:
                    head = block[:4]
                    _reject_foreign_boms(head)
                total += len(block)
                if b"\x00" in block:
                    raise FileRejected("the file holds NUL bytes: binary data, not a text file")
                if utf8_ok:
                    try:
                        decoder.decode(block, final=False)
                    except UnicodeDecodeError:
                        utf8_ok = False
                if not utf8_ok and not seen_undefined_1252:
                    seen_undefined_1252 = any(byte in _CP1252_UNDEFINED for byte in block)
            if utf8_ok:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8_ok = False
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise FileRejected(f"the file cannot be read: {exc}") from None
    if total == 0:
        raise FileRejected("the file is empty (0 bytes): not even a header row")
    if utf8_ok:
        return "utf-8-sig" if head.startswith(UTF8_BOM) else "utf-8"
    if seen_undefined_1252:
        raise FileRejected("the file's bytes are neither UTF-8 nor Windows-1252 (it holds bytes 1252 leaves undefined)")
    return "cp1252"


def _reject_foreign_boms(head: bytes) -> None:
    if head.startswith(_UTF32_BOMS):
        raise FileRejected("the file is UTF-32 encoded; the contract allows UTF-8 or Windows-1252", "utf-32")
    if head.startswith(_UTF16_BOMS):
        raise FileRejected("the file is UTF-16 encoded; the contract allows UTF-8 or Windows-1252", "utf-16")


def iter_text_lines(path: Path, encoding: str, max_lines: int) -> Iterator[LineChunk]:
    """Lines of a file in a multi-byte encoding (UTF-16/32), streamed by the text layer."""
    chunk = LineChunk(first_line_no=1, lines=[])
    line_no = 0
    with io.TextIOWrapper(open_binary(path), encoding=encoding, errors="replace", newline=None) as handle:
        for line in handle:
            line_no += 1
            text = line.rstrip("\r\n")
            if len(text) > MAX_LINE_BYTES:
                chunk.lines.append("")
                chunk.oversize[line_no] = (len(text), text[:EVIDENCE_BYTES])
            else:
                chunk.lines.append(text)
            if len(chunk.lines) >= max_lines:
                yield chunk
                chunk = LineChunk(first_line_no=line_no + 1, lines=[])
    if chunk.lines:
        yield chunk


def iter_line_chunks(path: Path, encoding: str, max_lines: int) -> Iterator[LineChunk]:
    """Yield the file's lines in chunks of at most ``max_lines``, CR/LF stripped.

    Memory holds one block plus one chunk of lines, whatever the file size.
    """
    decode = codecs.getincrementaldecoder(encoding)("replace").decode
    line_no = 0
    chunk = LineChunk(first_line_no=1, lines=[])
    pending = b""
    # When a line has grown past MAX_LINE_BYTES we stop storing it: just its head and length.
    overflow_head: bytes | None = None
    overflow_len = 0

    def flush_line(raw: bytes) -> None:
        nonlocal line_no
        line_no += 1
        chunk.lines.append(decode(raw.rstrip(b"\r"), False))

    with open_binary(path) as handle:
        while True:
            block = handle.read(BLOCK_BYTES)
            if not block:
                break
            start = 0
            while True:
                newline = block.find(b"\n", start)
                if newline < 0:
                    piece = block[start:]
                    if overflow_head is not None:
                        overflow_len += len(piece)
                    elif len(pending) + len(piece) > MAX_LINE_BYTES:
                        overflow_head = (pending + piece)[:EVIDENCE_BYTES]
                        overflow_len = len(pending) + len(piece)
                        pending = b""
                    else:
                        pending += piece
                    break
                piece = block[start:newline]
                if overflow_head is not None:
                    line_no += 1
                    chunk.lines.append("")
                    chunk.oversize[line_no] = (
                        overflow_len + len(piece),
                        codecs.decode(overflow_head, encoding, "replace"),
                    )
                    overflow_head, overflow_len = None, 0
                else:
                    flush_line(pending + piece)
                    pending = b""
                start = newline + 1
                if len(chunk.lines) >= max_lines:
                    yield chunk
                    chunk = LineChunk(first_line_no=line_no + 1, lines=[])
        if overflow_head is not None:
            line_no += 1
            chunk.lines.append("")
            chunk.oversize[line_no] = (overflow_len, codecs.decode(overflow_head, encoding, "replace"))
        elif pending:
            flush_line(pending)
        tail = decode(b"", True)
        if tail and chunk.lines:
            chunk.lines[-1] += tail
    if chunk.lines:
        yield chunk
