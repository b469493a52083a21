"""From a landed file's bytes to numbered text lines, in bounded memory.

Lodging systems send UTF-8 (with or without a BOM) or Windows-1252, undeclared, with LF,
CRLF or (old systems) CR-only endings, sometimes gzipped. The encoding and the line end
are decided per file by a first streaming pass; the second pass yields chunks of decoded
lines with their physical line numbers, so
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
    """The whole file cannot be read as the contract says; ``reason`` says why, for the
    ledger, and ``reason_id`` the same in Bahasa Indonesia, as a person would say it.

    ``readable_as`` names an encoding the bytes *can* be read in (UTF-16, say), so the
    quarantine can still keep each line as readable text.
    """

    def __init__(self, reason: str, reason_id: str | None = None, readable_as: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_id = reason_id or reason
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


@dataclass(frozen=True)
class FileShape:
    """How a text file is written: its encoding and the bytes that end its lines."""

    encoding: str
    line_end: bytes = b"\n"


# A NUL now and then is a broken line (the parser quarantines it); this share of NULs is
# no text at all.
_BINARY_NUL_SHARE = 0.10


def detect_encoding(path: Path) -> str:
    """The file's encoding (see :func:`detect_shape`)."""
    return detect_shape(path).encoding


def detect_shape(path: Path) -> FileShape:
    """Decide a file's encoding (``utf-8-sig``, ``utf-8`` or ``cp1252``) and line end (LF,
    with CRLF read as LF, or CR alone when the file has no LF at all).

    Raises :class:`FileRejected` for an empty file, UTF-16/32 (with or without a BOM),
    binary content, or bytes that are valid in neither encoding.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8_ok = True
    seen_undefined_1252 = False
    total = nuls = 0
    saw_lf = saw_cr = False
    head = b""
    try:
        with open_binary(path) as handle:
            while block := handle.read(BLOCK_BYTES):
                if total == 0:
                    head = block[:4]
                    _reject_foreign_boms(head)
                    _reject_utf16_without_bom(block)
                total += len(block)
                nuls += block.count(b"\x00")
                saw_lf = saw_lf or b"\n" in block
                saw_cr = saw_cr or b"\r" in block
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
        raise FileRejected(
            f"the file cannot be read ({exc}): a broken or truncated upload?",
            f"berkas tidak dapat dibaca ({exc}): unggahan rusak atau terpotong?",
        ) from None
    if total == 0:
        raise FileRejected(
            "the file is empty (0 bytes): not even a header row", "berkas kosong (0 byte): tanpa baris judul sekalipun"
        )
    if nuls > total * _BINARY_NUL_SHARE:
        raise FileRejected(
            f"binary data, not text ({nuls} of {total} bytes are NUL): send the feed's CSV or JSON Lines",
            f"data biner, bukan teks ({nuls} dari {total} byte adalah NUL): kirim CSV atau JSON Lines sesuai kontrak",
        )
    line_end = b"\r" if (saw_cr and not saw_lf) else b"\n"
    if utf8_ok:
        return FileShape("utf-8-sig" if head.startswith(UTF8_BOM) else "utf-8", line_end)
    if seen_undefined_1252:
        raise FileRejected(
            "the text is neither UTF-8 nor Windows-1252 (it holds bytes Windows-1252 leaves undefined): send UTF-8",
            "teks bukan UTF-8 maupun Windows-1252 (memuat byte yang tidak didefinisikan Windows-1252): kirim UTF-8",
        )
    return FileShape("cp1252", line_end)


def _reject_foreign_boms(head: bytes) -> None:
    if head.startswith(_UTF32_BOMS):
        raise FileRejected(
            "UTF-32 text: the contract allows UTF-8 or Windows-1252; send UTF-8",
            "teks UTF-32: kontrak hanya menerima UTF-8 atau Windows-1252; kirim UTF-8",
            "utf-32",
        )
    if head.startswith(_UTF16_BOMS):
        raise FileRejected(
            "UTF-16 text: the contract allows UTF-8 or Windows-1252; send UTF-8",
            "teks UTF-16: kontrak hanya menerima UTF-8 atau Windows-1252; kirim UTF-8",
            "utf-16",
        )


def _reject_utf16_without_bom(block: bytes) -> None:
    """UTF-16 text whose byte-order mark was lost: every other byte of its Latin text is NUL."""
    sample = block[:4096]
    if len(sample) < 8:
        return
    even, odd = sample[0::2], sample[1::2]
    for zeros, encoding in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if zeros.count(0) > 0.6 * len(zeros) and (even if zeros is odd else odd).count(0) < 0.1 * len(zeros):
            raise FileRejected(
                "UTF-16 text without a byte-order mark: send UTF-8",
                "teks UTF-16 tanpa penanda urutan byte (BOM): kirim UTF-8",
                encoding,
            )


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


def iter_line_chunks(
    path: Path, encoding: str, max_lines: int, line_end: bytes = b"\n", raw: bool = False
) -> Iterator[LineChunk]:
    """Yield the file's lines in chunks of at most ``max_lines``, line ends stripped (a CR
    before an LF too). ``line_end`` is what ends a line: LF, or CR for a CR-only file.
    ``raw``: the bytes as they landed, never decompressed (a broken ``.gz``).

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

    with path.open("rb") if raw else open_binary(path) as handle:
        while True:
            block = handle.read(BLOCK_BYTES)
            if not block:
                break
            start = 0
            while True:
                newline = block.find(line_end, start)
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
