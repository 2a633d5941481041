"""The replica's knobs: :class:`ReplicaConfig` and how each knob's value is checked.

The same checks serve the command line (``pixivcrawl replica --fault-5xx 0.1``, :mod:`pixivcrawl.replica.cli`) and
the control API (``POST /_replica/config {"fault_5xx": 0.1}``, :mod:`pixivcrawl.replica.control`): a bad value is
one sentence saying what the knob takes (:class:`ControlError`), and a bad request changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from pixivcrawl.protocol import APP_API_HOST, IMAGE_HOST, WEB_HOST


class ControlError(ValueError):
    """A control request (or a command-line value) the replica refuses: its message is one sentence for the user."""


def show(raw: object) -> str:
    """A value as the JSON it came in (shortened), for error messages."""
    try:
        text = orjson.dumps(raw).decode()
    except TypeError:
        text = str(raw)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Knob:
    """How a knob's value is checked: ``what`` it takes (for messages), ``check`` turning a JSON value into the
    stored one (ValueError/TypeError when it is not such a value), ``numeric`` when a command-line text is a number."""

    what: str
    check: Callable[[object], object]
    numeric: bool = True


def _number(raw: object, whole: bool) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or (isinstance(raw, float) and not math.isfinite(raw)):
        raise TypeError(raw)
    if whole:
        if raw != int(raw):
            raise ValueError(raw)
        return int(raw)
    return float(raw)


def ranged(whole: bool, low: float | None = None, high: float | None = None, above: bool = False):
    """A check for a number (``whole``: an int) from ``low`` (excluded when ``above``) to ``high``."""
    def check(raw: object) -> int | float:
        value = _number(raw, whole)
        if low is not None and (value <= low if above else value < low):
            raise ValueError(raw)
        if high is not None and value > high:
            raise ValueError(raw)
        return value
    return check


def _items(raw: object) -> list[str]:
    """A list of strings, or one comma-separated string, as its non-blank items."""
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise TypeError(raw)
    return [item.strip() for item in raw if item.strip()]


def _hosts(raw: object) -> tuple[str, ...]:
    hosts = tuple(item.lower() for item in _items(raw))
    if any("/" in host or " " in host for host in hosts):
        raise ValueError(raw)
    return hosts


def _paths(raw: object) -> str:
    paths = _items(raw)
    if any(not path.startswith("/") for path in paths):
        raise ValueError(raw)
    return ",".join(paths)


def _delays(raw: object) -> tuple[int, ...]:
    if isinstance(raw, str):
        try:
            raw = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise ValueError(raw) from None
    if not isinstance(raw, list):
        raise TypeError(raw)
    delays = tuple(_number(delay, whole=True) for delay in raw)
    if any(delay < 0 for delay in delays):
        raise ValueError(raw)
    return delays


def _text(raw: object) -> str:
    if not isinstance(raw, str):
        raise TypeError(raw)
    return raw


_PROBABILITY = Knob("a probability from 0 to 1", ranged(False, 0, 1))
#: an HTTP status (the ``*_status`` knobs, a block rule's ``status``)
STATUS = Knob("an HTTP status from 100 to 599", ranged(True, 100, 599))

#: every field of ReplicaConfig and the values it takes (the same on the command line and in POST /_replica/config)
KNOBS: dict[str, Knob] = {
    "seed": Knob("a whole number", ranged(True)),
    "works": Knob("a whole number of at least 10", ranged(True, 10)),
    "accounts": Knob("a whole number of at least 1", ranged(True, 1)),
    "token_lifetime": Knob("seconds above 0", ranged(False, 0, above=True)),
    "rate_limit": Knob("a whole number of requests of at least 0 (0: no limit)", ranged(True, 0)),
    "rate_window": Knob("seconds above 0", ranged(False, 0, above=True)),
    "app_limit_status": STATUS,
    "retry_after": Knob("whole seconds of at least 0 (0: no header)", ranged(True, 0)),
    "fault_5xx": _PROBABILITY,
    "fault_reset": _PROBABILITY,
    "fault_truncate": _PROBABILITY,
    "fault_slow": _PROBABILITY,
    "fault_html": _PROBABILITY,
    "fault_html_status": STATUS,
    "slow_seconds": Knob("seconds of at least 0", ranged(False, 0)),
    "fault_seed": Knob("a whole number", ranged(True)),
    "search_page_cap": Knob("a whole number of at least 1", ranged(True, 1)),
    "app_sanity_limit": Knob("a whole number (pixiv's sanity levels are 2, 4 and 6)", ranged(True)),
    "fault_hosts": Knob("a list of host names or one comma-separated string of them", _hosts, numeric=False),
    "fault_paths": Knob("a list of path prefixes starting with / or one comma-separated string of them", _paths,
                        numeric=False),
    "fault_paths_status": STATUS,
    "log_limit": Knob("a whole number of at least 1", ranged(True, 1)),
    "image_cache": Knob("a folder name", _text, numeric=False),
    "ugoira_delays": Knob("a list of whole ms of at least 0 or one comma-separated string of them", _delays,
                          numeric=False),
}
#: the knobs fixed when the replica starts (command-line flags only)
FIXED_KNOBS = ("seed", "works", "accounts", "image_cache", "log_limit")


def check_knob(name: str, raw: object) -> object:
    """The value knob ``name`` stores for ``raw`` (a JSON value); ControlError saying what it takes when bad."""
    knob = KNOBS[name]
    try:
        return knob.check(raw)
    except (TypeError, ValueError):
        raise ControlError(f"{name} takes {knob.what}, not {show(raw)}") from None


@dataclass
class ReplicaConfig:
    """Every knob of the replica (the values each takes: KNOBS). All but FIXED_KNOBS can be changed while it runs
    (``POST /_replica/config``)."""

    seed: int = 1
    works: int = 2000
    accounts: int = 3
    token_lifetime: float = 3600.0
    #: requests per account and API family (app / web) allowed in ``rate_window`` seconds; 0 = no limit
    rate_limit: int = 0
    rate_window: float = 60.0
    #: HTTP status of the App API's "Rate Limit" error (pixiv's is not pinned down; 400 and 403 are reported)
    app_limit_status: int = 403
    #: seconds to announce in Retry-After on 429s; 0 = no header
    retry_after: int = 0
    fault_5xx: float = 0.0
    fault_reset: float = 0.0
    fault_truncate: float = 0.0
    fault_slow: float = 0.0
    #: an answer with Cloudflare's challenge page ("Just a moment...") instead of the JSON or image bytes
    fault_html: float = 0.0
    #: HTTP status of that page (Cloudflare sends its challenge with 403, its older one with 503; 200, 429 also seen)
    fault_html_status: int = 200
    slow_seconds: float = 2.0
    fault_seed: int = 0
    #: deepest search page pixiv serves (lastPage never exceeds it)
    search_page_cap: int = 1000
    #: highest sanity_level the App API shows an account (2, 4 or 6); works above it are limit_sanity_level
    #: placeholders there, while the web shows them. Per account: POST /_replica/account
    app_sanity_limit: int = 6
    #: hosts the faults apply to
    fault_hosts: tuple[str, ...] = (APP_API_HOST, WEB_HOST, IMAGE_HOST)
    #: comma-separated path prefixes (``/v1/ugoira/metadata,/webview/v2/novel``) answered with
    #: ``fault_paths_status`` and an HTML error page every time, on any host: requests that fail for good
    fault_paths: str = ""
    fault_paths_status: int = 503
    log_limit: int = 1_000_000
    #: a folder where rendered images are kept across replica runs (empty: in memory only)
    image_cache: str = ""
    #: frame delays (ms) of every ugoira: its metadata's frames and its zip's images (empty: each work's own)
    ugoira_delays: tuple[int, ...] = ()

    def checked(self, values: object) -> dict:
        """The knob values ``values`` (the JSON of ``POST /_replica/config``) would set, checked all at once:
        ControlError naming every bad or unknown knob, so that a bad request changes nothing."""
        if not isinstance(values, dict):
            raise ControlError(f'config expects a JSON object of knobs, e.g. {{"fault_5xx": 0.1}}, not {show(values)}')
        problems = []
        if unknown := sorted(set(values) - set(KNOBS)):
            problems.append(f"no knob named {', '.join(unknown)} (the knobs: "
                            f"{', '.join(k for k in KNOBS if k not in FIXED_KNOBS)})")
        if fixed := [k for k in FIXED_KNOBS if k in values]:
            problems.append(f"{', '.join(fixed)} cannot change while the replica runs (command-line flags)")
        checked = {}
        for name, raw in values.items():
            if name in KNOBS and name not in FIXED_KNOBS:
                try:
                    checked[name] = check_knob(name, raw)
                except ControlError as exc:
                    problems.append(str(exc))
        if problems:
            raise ControlError("; ".join(problems))
        return checked

    def update(self, values: object) -> None:
        """Set the knobs ``values`` names, all or none (ControlError, see :meth:`checked`)."""
        for name, value in self.checked(values).items():
            setattr(self, name, value)

    def fault_path_prefixes(self) -> tuple[str, ...]:
        """The ``fault_paths`` prefixes, as a tuple for ``str.startswith``."""
        return tuple(p.strip() for p in self.fault_paths.split(",") if p.strip())
