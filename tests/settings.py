"""pixivcrawl's project settings as the tests' crawlers get them (in-process crawls and component tests alike)."""

from __future__ import annotations

from typing import Any

from scrapy.settings import BaseSettings

#: settings that pixivcrawl.settings takes from the environment when it is imported, i.e. once per test process:
#: each crawler is given its own value (empty unless a test sets one)
FROM_ENVIRONMENT = ("DATABASE_URL", "PIXIV_MIRROR", "PIXIV_REDIS_URL")


def project_settings(overrides: dict[str, Any]) -> BaseSettings:
    """pixivcrawl's project settings, then ``overrides`` at the command line's priority (as ``-s K=V``); without
    Scrapy's defaults, which a crawler adds below them."""
    settings = BaseSettings()
    settings.setmodule("pixivcrawl.settings", priority="project")
    settings.update({**dict.fromkeys(FROM_ENVIRONMENT, ""), **overrides}, priority="cmdline")
    return settings
