"""Decide how a text file is encoded: UTF-8 (with or without BOM) or GB18030/GBK, by content.

The file name never decides. Binary files are refused rather than decoded into junk.
"""

from __future__ import annotations

import codecs
import re
from contextlib import suppress

from charset_normalizer import from_bytes

__all__ = ["BinaryFile", "decode_text", "detect_encoding", "encoding_of"]

_SAMPLE = 1 << 20
# Chinese legacy encodings all decode as their superset GB18030.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}


class BinaryFile(ValueError):
    """The bytes are not text in any encoding firstset reads."""


def detect_encoding(data: bytes) -> str:
    """The Python codec name for ``data``; raises ``BinaryFile``.

    >>> detect_encoding("机床".encode("gbk")), detect_encoding(b"\\xef\\xbb\\xbfid")
    ('gb18030', 'utf-8-sig')
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:_SAMPLE]
    if b"\x00" in sample:
        raise BinaryFile("binary content (NUL bytes): not a CSV/JSONL text file")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # most non-UTF-8 Chinese files here are GBK; GB18030 decodes them all
        data.decode("gb18030")
        best = from_bytes(sample).best()
        if best is None or best.encoding.replace("_", "").lower() in _GB_FAMILY | {"big5"}:
            return "gb18030"
    except UnicodeDecodeError:
        best = from_bytes(sample).best()
    if best is None:
        raise BinaryFile("cannot be decoded as text (not UTF-8 or GB18030/GBK)")
    encoding = best.encoding.replace("_", "").lower()
    return "gb18030" if encoding in _GB_FAMILY else best.encoding


def decode_text(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with."""
    encoding = ""
    if not data.startswith(codecs.BOM_UTF8) and b"\x00" not in data[:_SAMPLE]:
        with suppress(UnicodeDecodeError):  # the common case, decoded once
            text, encoding = data.decode("utf-8"), "utf-8"
    if not encoding:
        encoding = detect_encoding(data)
        text = data.decode(encoding)
    if _looks_binary(text):
        raise BinaryFile("binary content (control characters): not a CSV/JSONL text file")
    return text, encoding


def _looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE]
    if not sample:
        return False
    controls = len(_CONTROL.findall(sample))
    return controls > max(8, len(sample) // 200)


def encoding_of(data: bytes, chunk: int = 1 << 24) -> str:
    """The encoding ``decode_text`` would read ``data`` with, checked without holding the
    whole decoded text (a large file is checked a slice at a time)."""
    if data.startswith(codecs.BOM_UTF8) or b"\x00" in data[:_SAMPLE]:
        return decode_text(data)[1]
    check = codecs.getincrementaldecoder("utf-8")()
    try:
        head = check.decode(data[:chunk])
        for start in range(chunk, len(data), chunk):
            check.decode(data[start : start + chunk])
        check.decode(b"", final=True)
    except UnicodeDecodeError:
        return decode_text(data)[1]
    if _looks_binary(head):
        raise BinaryFile("binary content (control characters): not a CSV/JSONL text file")
    return "utf-8"
