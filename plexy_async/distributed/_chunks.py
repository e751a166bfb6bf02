"""The input file cut into chunks by byte range, and one chunk read back as batch items.

A chunk is ``records`` consecutive input records: bytes ``start`` to ``end`` of the file, whose
first line is ``first_line`` (1-based, as the journal numbers lines). The producer finds the
boundaries in one lazy pass over the file; a worker reads only its chunk's bytes (and, for CSV,
the header line) and turns them into items with the same ``InputFile`` a local run uses, so the
items, their ids and their rejections are those of a local run, line numbers included.

The task message carries the byte range, never a card number: the workers read the file, which
must be at the same path on every machine. ``crc32`` of the range is carried too, so a worker
that finds other bytes there (another version of the file) refuses the chunk.

Record boundaries: JSON Lines, one non-blank line a record. CSV, a record ends at a line end
where the double quotes seen so far are balanced (RFC 4180 quoting: a quoted field may span
lines); blank lines are not records.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from plexy_async.batch._input import InputFile
from plexy_async.batch._items import BatchItem, InvalidItem, Item


class ChunkMismatchError(RuntimeError):
    """The bytes of a chunk differ from those the producer saw: the input file changed."""


@attrs.frozen
class Chunk:
    """One chunk of the input.

    Attributes:
        index: Its number, from 0.
        start: Its first byte's offset in the file.
        end: The offset just past its last byte.
        first_line: The line number (1-based) of its first line.
        records: How many input records (items or rejected lines) it holds.
        crc32: ``zlib.crc32`` of its bytes.
    """

    index: int
    start: int
    end: int
    first_line: int
    records: int
    crc32: int

    def to_payload(self) -> dict[str, int]:
        """The task message's fields (numbers only: no item data)."""
        return attrs.asdict(self)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Chunk:
        """The chunk a task message describes.

        Raises:
            ValueError: A field is missing or not an integer.
        """
        fields = {}
        for name in attrs.fields_dict(cls):
            value = payload.get(name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"chunk field {name!r} must be an integer, got {value!r}")
            fields[name] = value
        return cls(**fields)


@attrs.frozen
class Layout:
    """Where the records start: ``header_end`` is the byte just past the CSV header (0 for
    JSON Lines)."""

    fmt: str
    header_end: int


def layout_of(path: str | os.PathLike[str], fmt: str) -> Layout:
    """The file's layout: the header line's extent for CSV."""
    if fmt != "csv":
        return Layout(fmt, 0)
    with open(path, "rb") as f:
        header = f.readline()
    return Layout(fmt, len(header))


def scan_chunks(path: str | os.PathLike[str], layout: Layout, size: int) -> Iterator[Chunk]:
    """Cut the file into chunks of ``size`` records, reading it once, lazily.

    Args:
        path: The input file.
        layout: Its format and header extent (``layout_of``).
        size: Records per chunk (the last chunk may hold fewer).

    Yields:
        Each chunk, in file order.

    Raises:
        OSError: The file cannot be read.
    """
    index = 0
    with open(path, "rb") as f:
        f.seek(layout.header_end)
        offset = layout.header_end
        line = 2 if layout.fmt == "csv" else 1  # the number of the next line to read
        start, first_line, records, crc = offset, line, 0, 0
        quotes = 0  # double quotes in the CSV record read so far
        for raw in f:
            crc = zlib.crc32(raw, crc)
            offset += len(raw)
            line += 1
            if layout.fmt == "csv":
                quotes += raw.count(b'"')
                if quotes % 2:
                    continue  # a quoted field goes on over the next line
                blank = quotes == 0 and not raw.strip(b" \t\r\n,;|")
                quotes = 0
            else:
                blank = not raw.strip()
            if not blank:
                records += 1
            if records == size:
                yield Chunk(index, start, offset, first_line, records, crc)
                index += 1
                start, first_line, records, crc = offset, line, 0, 0
        if records:
            yield Chunk(index, start, offset, first_line, records, crc)


def read_chunk(
    path: str | os.PathLike[str],
    layout: Layout,
    chunk: Chunk,
    operation: str,
    options: Mapping[str, Any],
) -> list[Item]:
    """The items of one chunk, as a local run would read them from the whole file.

    The chunk's bytes (after the CSV header) go to a private temporary file that ``InputFile``
    reads with ``options`` (its keyword arguments); line numbers are mapped back to the whole
    file's. The temporary file is removed before this returns.

    Args:
        path: The input file, at the same path as on the producer's machine.
        layout: The file's layout, as the producer found it.
        chunk: The chunk to read.
        operation: The batch's operation (``payments.create``, ...).
        options: ``InputFile``'s keyword arguments (``fmt``, ``defaults``, ...).

    Returns:
        ``BatchItem`` and ``InvalidItem`` objects, in file order.

    Raises:
        ChunkMismatchError: The bytes differ from the producer's (checked by CRC-32).
        OSError: The file cannot be read.
        InputError: ``InputFile`` refused the input as a whole.
    """
    with open(path, "rb") as f:
        header = f.read(layout.header_end)
        f.seek(chunk.start)
        body = f.read(chunk.end - chunk.start)
    if zlib.crc32(body) != chunk.crc32 or len(body) != chunk.end - chunk.start:
        raise ChunkMismatchError(
            f"chunk {chunk.index} of {os.fspath(path)} differs from the one the coordinator "
            "read: is the same file at the same path on this machine?"
        )
    suffix = ".csv" if layout.fmt == "csv" else ".jsonl"
    fd, temp = tempfile.mkstemp(prefix="plexy-chunk-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:  # mode 0600: only this user reads the card data
            out.write(header)
            out.write(body)
        # a CSV line n of the temporary file (header = line 1) is line first_line + n - 2
        shift = chunk.first_line - (2 if layout.fmt == "csv" else 1)
        return [_moved(item, shift) for item in InputFile(temp, operation, **options)]
    finally:
        os.unlink(temp)


def _moved(item: Item, shift: int) -> Item:
    if item.line is None or shift == 0:
        return item
    line = item.line + shift
    if isinstance(item, BatchItem):
        return attrs.evolve(item, line=line)
    assert isinstance(item, InvalidItem)
    reason = item.reason
    prefix = f"line {item.line}"
    if reason.startswith(prefix):
        reason = f"line {line}" + reason[len(prefix) :]
    return attrs.evolve(item, line=line, reason=reason)
