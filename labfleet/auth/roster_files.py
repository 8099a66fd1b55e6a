"""Roster files as registrars and spreadsheets write them: their text, and their delimiter.

Encodings: UTF-8 with or without a byte order mark (Excel's "CSV UTF-8" has one), UTF-16
(Excel's "Unicode text": with a byte order mark; without one, told by its zero bytes),
else Windows-1252 (Excel's plain "CSV" on a Western Windows). Delimiters: the one of
``,`` ``;`` (Excel where a comma is the decimal sign) and tab that the first line holds
most often outside quotes (a tie goes to the comma), or the one Excel's ``sep=`` line
names. A workbook, a PDF or any other file that is no text is refused with the fix.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

MAX_BYTES = 5 * 2**20
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
SAVE_AS_CSV = "save it as CSV (in Excel: File > Save As > CSV UTF-8) and import that file"
# the first bytes of files that are not text: what they are
NOT_TEXT = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"),
    (b"%PDF", "a PDF document"),
)
# a file without a byte order mark whose bytes are this share of zeros is UTF-16
UTF16_ZEROS = 0.3
# Python's names of the encodings a decoding error may name, as the module's messages say them
ENCODINGS = {"utf-8": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}


class RosterFileError(ValueError):
    """A file that is not a roster: why, and what to do."""


@dataclass(frozen=True)
class Decoded:
    """A roster file's text and what it was written in (in words)."""

    text: str
    encoding: str


def utf16_order(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``data`` (no byte order mark) reads as UTF-16
    text: most characters of a roster are ASCII, so one byte of each pair is zero."""
    if len(data) < 2 or len(data) % 2:
        return None
    pairs = len(data) // 2
    if data[1::2].count(0) >= UTF16_ZEROS * pairs and not data[0::2].count(0) > pairs / 2:
        return "utf-16-le"
    if data[0::2].count(0) >= UTF16_ZEROS * pairs:
        return "utf-16-be"
    return None


def decode(data: bytes) -> Decoded:
    """The text of a roster file; RosterFileError for a file that is no roster."""
    if len(data) > MAX_BYTES:
        raise RosterFileError(
            f"the file has {len(data)} bytes, more than a roster ({MAX_BYTES // 2**20} MiB at "
            "most): split it"
        )
    for magic, what in NOT_TEXT:
        if data.startswith(magic):
            raise RosterFileError(f"this is {what}, not a CSV or text file: {SAVE_AS_CSV}")
    try:
        decoded = read(data)
    except UnicodeDecodeError as e:
        encoding = ENCODINGS.get(e.encoding, "UTF-8, UTF-16 or Windows-1252")
        raise RosterFileError(f"the file is not valid {encoding} text: {SAVE_AS_CSV}") from None
    check_text(decoded.text)
    return decoded


def read(data: bytes) -> Decoded:
    """``data`` as text, in the first of the module's encodings that fits."""
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(data[3:].decode("utf-8"), "UTF-8 (with a byte order mark)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(data.decode("utf-16"), "UTF-16")
    if order := utf16_order(data):
        return Decoded(data.decode(order), "UTF-16")
    try:
        return Decoded(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        return Decoded(data.decode("cp1252"), "Windows-1252")


def check_text(text: str) -> None:
    """RosterFileError when ``text`` is empty or holds control characters (no text file)."""
    if not text.strip():
        raise RosterFileError("the file is empty: export the roster again")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n\f" for c in text):
        raise RosterFileError(
            f"the file holds control characters, so it is no text file: {SAVE_AS_CSV}"
        )


def sep_line(line: str) -> str | None:
    """The delimiter that Excel's first line ``sep=;`` names, or None."""
    line = line.rstrip("\r\n")
    return line[4] if len(line) == 5 and line.lower().startswith("sep=") else None


def outside_quotes(line: str) -> str:
    """``line`` without its double-quoted parts."""
    return "".join(part for i, part in enumerate(line.split('"')) if i % 2 == 0)


def delimiter(text: str) -> str:
    """The delimiter of a roster's text: the one its ``sep=`` line names, else the one of
    :data:`DELIMITERS` its first line holds most often outside quotes (a tie: the comma)."""
    lines = text.splitlines()
    if lines and (named := sep_line(lines[0])) in DELIMITERS:
        return named
    first = next((line for line in lines if line.strip() and not line.startswith("#")), "")
    counts = {d: outside_quotes(first).count(d) for d in DELIMITERS}
    return max(counts, key=lambda d: (counts[d], d == ","))
