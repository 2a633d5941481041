"""Spider arguments: parsing and checking, with one-sentence errors that name the argument."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


class SpiderArgumentError(ValueError):
    """A spider argument is missing or malformed; the message is one sentence naming it."""


def positive_int(name: str, value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SpiderArgumentError(f"Argument {name} must be a positive number, not {value!r}.") from None
    if number <= 0:
        raise SpiderArgumentError(f"Argument {name} must be a positive number, not {value!r}.")
    return number


def non_negative_int(name: str, value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise SpiderArgumentError(f"Argument {name} must be a whole number of 0 or more, not {value!r}.")
    return number


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SpiderArgumentError(f"Argument {name} must be one of {', '.join(allowed)}, not {value!r}.")
    return value


def day(name: str, value: Any) -> date:
    """A date argument: YYYY-MM-DD or YYYYMMDD."""
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no instant
        except ValueError:
            continue
    raise SpiderArgumentError(f"Argument {name} must be a date like 2024-01-31 or 20240131, not {value!r}.")


def flag(name: str, value: Any) -> bool:
    return choice(name, str(value).strip().lower(), ("0", "1", "true", "false", "yes", "no")) in ("1", "true", "yes")


def check_known(kwargs: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse arguments the spider does not know (scrapyd's own start with ``_`` and are let through)."""
    unknown = sorted(k for k in kwargs if k not in allowed and not k.startswith("_"))
    if unknown:
        raise SpiderArgumentError(
            f"Unknown argument {unknown[0]!r}; this spider takes: {', '.join(allowed)}.")
