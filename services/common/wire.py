"""Responses already in protobuf wire format.

A read model may keep a resource's encoded message next to its columns (talent's candidates do),
so that a read answers with stored bytes instead of decoding columns, building a message and
serialising it again. A servicer returns such bytes as :data:`Encoded`; the platform sends them as
they are. The helpers below assemble a message from encoded parts: a message's wire format is the
concatenation of its fields, and a repeated message field is one length-delimited record per item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, NewType, TypeVar

Encoded = NewType("Encoded", bytes)
T = TypeVar("T")

_LENGTH_DELIMITED = 2


# Every tag and most lengths are below 128: one byte, made once.
_ONE_BYTE = tuple(bytes((value,)) for value in range(0x80))


def varint(value: int) -> bytes:
    """An unsigned base-128 varint, the encoding of tags and lengths."""
    if value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def length_delimited(field_number: int, payload: bytes) -> bytes:
    """One occurrence of a message, string or bytes field: tag, length, payload."""
    return varint(field_number << 3 | _LENGTH_DELIMITED) + varint(len(payload)) + payload


def unframed(record: bytes) -> bytes:
    """The payload of one length-delimited record (the inverse of :func:`length_delimited`)."""
    position = 0
    while record[position] & 0x80:  # the tag
        position += 1
    position += 1
    length = shift = 0
    while True:
        byte = record[position]
        position += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    if position + length != len(record):
        raise ValueError("not one length-delimited record")
    return record[position:]


def repeated_messages(field_number: int, encoded_items: Iterable[bytes]) -> bytes:
    """A repeated message field holding ``encoded_items`` in order."""
    tag = varint(field_number << 3 | _LENGTH_DELIMITED)
    return b"".join(tag + varint(len(item)) + item for item in encoded_items)


def passing_encoded(serialize: Callable[[Any], bytes] | None) -> Callable[[Any], bytes] | None:
    """The method's response serializer, sending :data:`Encoded` responses unchanged."""
    if serialize is None:
        return None

    def serialize_response(response: Any) -> bytes:
        return response if type(response) is bytes else serialize(response)

    return serialize_response


@dataclass(frozen=True)
class Encoding(Generic[T]):
    """How a read model's stored bytes are made: ``encode`` of the resource's model, and ``version``,
    stored with the bytes (an ``encoding`` column), bumped whenever ``encode``'s output changes so that
    bytes written by another codec are recognised and not served."""

    version: int
    encode: Callable[[T], bytes]
