"""Deprecated setting names: each component's settings now share one prefix, and ``PIXIV_API_DELAY`` is retired.

:data:`RENAMED` maps each old name to its new one. :func:`apply_deprecations` is called by
pixivcrawl.addon.PixivAddon (``update_settings``, before the setting checks), once every setting given by the user
is in place at its priority (``-s``, a project's settings.py, a spider's ``custom_settings``, scrapyd):

- an old name given, and the new one not given at a higher priority: the value moves to the new name, with the
  old one's priority (the old name keeps its value, for code not renamed yet);
- both given: the new one wins.

pixivcrawl's own defaults (pixivcrawl.settings, at the project's priority) do not count as "given": an old name
set at the project's priority (``from pixivcrawl.settings import *`` in a project's settings) still moves over a
new name holding pixivcrawl's default.

``PIXIV_API_DELAY`` (seconds between two requests to an API) still sets ``PIXIV_THROTTLE_APP_RATE`` and
``PIXIV_THROTTLE_WEB_RATE`` to 1 / delay (0: unlimited) where those are not given; a value that is not a number of
0 or more is left to the add-on's check, which names it.

Each deprecated name given logs one WARNING line and issues a ScrapyDeprecationWarning, both saying which name to
use ("PIXIV_IMAGE_SIZE is deprecated: use PIXIV_FILES_IMAGE_SIZE").
"""

from __future__ import annotations

import logging
import warnings

from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import BaseSettings, get_settings_priority

from pixivcrawl import settings as default_settings

logger = logging.getLogger(__name__)

#: old setting name -> new one (one prefix per component: PIXIV_THROTTLE_, PIXIV_AUTH_, PIXIV_HEADERS_,
#: PIXIV_FILES_, PIXIV_REDIS_)
RENAMED: dict[str, str] = {
    "PIXIV_APP_RATE": "PIXIV_THROTTLE_APP_RATE",
    "PIXIV_WEB_RATE": "PIXIV_THROTTLE_WEB_RATE",
    "PIXIV_CDN_RATE": "PIXIV_THROTTLE_CDN_RATE",
    "PIXIV_RATE_BURST": "PIXIV_THROTTLE_BURST",
    "PIXIV_RATELIMIT_POLICY": "PIXIV_THROTTLE_POLICY",
    "PIXIV_RATELIMIT_STOP_AFTER": "PIXIV_THROTTLE_STOP_AFTER",
    "PIXIV_RATELIMIT_WINDOW": "PIXIV_THROTTLE_WINDOW",
    "PIXIV_RATELIMIT_SAFETY": "PIXIV_THROTTLE_SAFETY",
    "PIXIV_BACKOFF_BASE": "PIXIV_THROTTLE_BACKOFF_BASE",
    "PIXIV_BACKOFF_MAX": "PIXIV_THROTTLE_BACKOFF_MAX",
    "PIXIV_RATE_FLOOR": "PIXIV_THROTTLE_FLOOR",
    "PIXIV_RATE_INCREASE": "PIXIV_THROTTLE_INCREASE",
    "PIXIV_RATE_RECOVERY": "PIXIV_THROTTLE_RECOVERY",
    "PIXIV_TOKEN_REFRESH_MARGIN": "PIXIV_AUTH_REFRESH_MARGIN",
    "PIXIV_APP_USER_AGENT": "PIXIV_HEADERS_APP_USER_AGENT",
    "PIXIV_WEB_USER_AGENT": "PIXIV_HEADERS_WEB_USER_AGENT",
    "PIXIV_ACCEPT_LANGUAGE": "PIXIV_HEADERS_ACCEPT_LANGUAGE",
    "PIXIV_IMAGE_SIZE": "PIXIV_FILES_IMAGE_SIZE",
    "PIXIV_IMAGE_TYPES": "PIXIV_FILES_IMAGE_TYPES",
    "PIXIV_FRONTIER": "PIXIV_REDIS_FRONTIER",
    "PIXIV_LEASE_SECONDS": "PIXIV_REDIS_LEASE_SECONDS",
}

#: retired: seconds between two requests to an API; the rates it sets (requests per second) replace it
API_DELAY = "PIXIV_API_DELAY"
API_RATES = ("PIXIV_THROTTLE_APP_RATE", "PIXIV_THROTTLE_WEB_RATE")

#: the priority pixivcrawl's own defaults (pixivcrawl.settings) are loaded at by Scrapy
_DEFAULTS_PRIORITY = get_settings_priority("project")
_MISSING = object()


def apply_deprecations(settings: BaseSettings) -> None:
    """Move the values given under deprecated names in ``settings`` to the new names, and turn
    ``PIXIV_API_DELAY`` into the App API and web rates (see the module's docstring). Warns once per deprecated name
    given; raises nothing (bad values are left to the add-on's checks)."""
    moved = set()
    for old, new in RENAMED.items():
        old_priority = settings.getpriority(old)
        if old_priority is None:
            continue
        if _given(settings, new, old_priority):
            _warn(f"{old} is deprecated: use {new} (both are set: {new}={settings[new]!r} is used)")
        else:
            settings.set(new, settings[old], priority=old_priority)
            moved.add(new)
            _warn(f"{old} is deprecated: use {new}")
    _apply_api_delay(settings, moved)


def _apply_api_delay(settings: BaseSettings, moved: set[str]) -> None:
    """``PIXIV_API_DELAY``: the App API and web rates not given (nor ``moved`` from their old names) become
    1 / delay requests per second, at the delay's priority."""
    priority = settings.getpriority(API_DELAY)
    if priority is None:
        return
    use = " and ".join(API_RATES)
    try:
        delay = float(settings[API_DELAY])
    except (TypeError, ValueError):
        delay = -1.0
    if delay < 0:  # the add-on's check names the setting and what it takes
        _warn(f"{API_DELAY} is deprecated: use {use} (requests per second)")
        return
    rate = 1.0 / delay if delay > 0 else 0.0
    open_rates = [name for name in API_RATES if name not in moved and not _given(settings, name, priority)]
    for name in open_rates:
        settings.set(name, rate, priority=priority)
    if open_rates:
        _warn(f"{API_DELAY} is deprecated: use {use} (requests per second; {API_DELAY}={settings[API_DELAY]} "
              f"sets {' and '.join(open_rates)} to {rate:g}{' (no limit)' if rate == 0 else ''})")
    else:
        _warn(f"{API_DELAY} is deprecated: use {use} (both are set: {API_DELAY} is ignored)")


def _given(settings: BaseSettings, name: str, priority: int) -> bool:
    """Whether ``name`` was given at ``priority`` or higher: above it, or at it with another value than
    pixivcrawl's default (which sits at the project's priority)."""
    own = settings.getpriority(name)
    if own is None or own < priority:
        return False
    if own > priority or own != _DEFAULTS_PRIORITY:
        return True
    return settings[name] != getattr(default_settings, name, _MISSING)


def _warn(message: str) -> None:
    logger.warning("%s", message)
    warnings.warn(message, ScrapyDeprecationWarning, stacklevel=2)
