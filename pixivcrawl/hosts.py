"""pixiv's host names and base URLs (a re-export of :mod:`pixivcrawl.protocol`, where they are defined and
documented; new code imports them from there)."""

from __future__ import annotations

from pixivcrawl.protocol import (
    ACCOUNTS_HOST,
    APP_API,
    APP_API_HOST,
    CDN_HOSTS,
    CLIENT_ID,
    CLIENT_SECRET,
    HASH_SECRET,
    IMAGE_HOST,
    OAUTH_HOST,
    OAUTH_TOKEN_URL,
    PIXIV_HOSTS,
    STATIC_HOST,
    WEB,
    WEB_HOST,
)

__all__ = [
    "ACCOUNTS_HOST",
    "APP_API",
    "APP_API_HOST",
    "CDN_HOSTS",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "HASH_SECRET",
    "IMAGE_HOST",
    "OAUTH_HOST",
    "OAUTH_TOKEN_URL",
    "PIXIV_HOSTS",
    "STATIC_HOST",
    "WEB",
    "WEB_HOST",
]
