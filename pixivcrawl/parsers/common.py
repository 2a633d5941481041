"""Helpers shared by the parsers: typed field access with errors that name the field, and the ugoira metadata
both APIs send."""

from __future__ import annotations

from dataclasses import dataclass
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
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
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




def opt_str(value: Any) -> str | None:
    """A string value, or None for anything else (pixiv's optional text and URL fields)."""
    return value if isinstance(value, str) else None


def opt_int(value: Any) -> int | None:
    """An integer (or digit string) value, or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def iso_time(obj: Any, key: str, *, optional: bool = False, where: str = "object") -> str | None:
    """An ISO 8601 time field, checked to parse (a bad one is a ParseError, or None when optional)."""
    from datetime import datetime

    value = get_field(obj, key, str, optional=optional, where=where)
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        if optional:
            return None
        raise ParseError(f"{where}.{key} is {value[:40]!r}, not an ISO 8601 time") from None
    return value


@dataclass(frozen=True, slots=True)
class UgoiraMetadata:
    """What an ugoira's metadata says (App API ``/v1/ugoira/metadata``, web Ajax ``/ajax/illust/{id}/ugoira_meta``):
    where its frames are and how long each is shown."""

    #: the zip of its frames (App API ``zip_urls.medium``, Ajax ``src``: the 600x600 one)
    zip_url: str
    #: the frames in playing order: ``[{"file": "000000.jpg", "delay": ms}, …]``, at least one
    frames: list[dict[str, Any]]


def ugoira_frames(frames: Any, where: str) -> list[dict[str, Any]]:
    """Ugoira frames as both APIs send them (App ``ugoira_metadata.frames``, Ajax ``ugoira_meta.frames``):
    ``[{"file": "000000.jpg", "delay": ms}, …]``, checked, at least one. ParseError naming the field otherwise."""
    if not isinstance(frames, list):
        raise ParseError(f"{where}.frames is {type(frames).__name__}, not a list")
    out = [{"file": get_field(frame, "file", str, where=f"{where}.frames[{i}]"),
            "delay": get_field(frame, "delay", int, where=f"{where}.frames[{i}]")} for i, frame in enumerate(frames)]
    if not out:
        raise ParseError(f"{where} has no frames")
    return out

