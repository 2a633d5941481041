"""Helpers shared by the parsers: typed field access with errors that name the field."""

from __future__ import annotations

from typing import Any


class ParseError(ValueError):
    pass


def get_field(obj: Any, key: str, kind: type | tuple[type, ...], *, optional: bool = False, where: str = "object"):
    if not isinstance(obj, dict):
        raise ParseError(f"{where} is {type(obj).__name__}, not an object")
    if key not in obj or obj[key] is None:
        if optional:
            return None
        raise ParseError(f"{where} has no {key!r}")
    value = obj[key]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        if kind is int and isinstance(value, str) and value.isdigit():
            return int(value)
        raise ParseError(f"{where}.{key} is {type(value).__name__} {str(value)[:40]!r}, expected {_kind_name(kind)}")
    return value


def _kind_name(kind) -> str:
    return "/".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


def get_id(obj: Any, key: str = "id", where: str = "object") -> int:
    value = get_field(obj, key, int, where=where)
    if value <= 0:
        raise ParseError(f"{where}.{key} is {value}, not a pixiv id")
    return value


