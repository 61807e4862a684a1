"""Text must be UTF-8 (a BOM is dropped): anything else is refused with a reason naming what the
file looks like, never decoded by guesswork (the exercises plant mojibake on purpose)."""

from __future__ import annotations

from datalit.grading.extract.limits import UTF8_BOM, Unusable


def _decode_utf8(data: bytes, path: str) -> str:
    """`data` as text: UTF-8, optional BOM dropped; anything else refused with a diagnosis."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unusable(_not_utf8(path, "UTF-16: it starts with a UTF-16 byte-order mark"))
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unusable(_not_utf8(path, _guess_encoding(data, exc.start))) from None
    if "\x00" in text:
        # Valid UTF-8, but NUL bytes are what UTF-16 without a BOM (or a binary file) looks like.
        raise Unusable(_not_utf8(path, "UTF-16 or binary data: it contains NUL bytes"))
    return text


def _guess_encoding(data: bytes, bad_at: int) -> str:
    if data.count(b"\x00") > len(data) // 8:
        return "UTF-16 or binary data: it contains many NUL bytes"
    where = f"byte 0x{data[bad_at]:02X} at offset {bad_at} is not UTF-8"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return f"binary data: {where}"
    return f"Latin-1 / Windows-1252: {where}"


def _not_utf8(path: str, looks_like: str) -> str:
    return (
        f"{path} is not UTF-8 text (looks like {looks_like}); save it as UTF-8, "
        "e.g. with pandas' default to_csv(path, index=False) or json.dump to a file opened "
        "with encoding='utf-8'"
    )
