"""What a browser login needs: its options, the Chromium to drive, and :class:`LoginError`, the one-sentence
failure every step of the login raises. Reads ``PIXIV_CHROMIUM_PATH``."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

#: Seconds a login may take before it is given up (``--timeout``).
DEFAULT_TIMEOUT = 300.0


class LoginError(Exception):
    """The login did not produce credentials; the message is one sentence saying why and what to do."""


@dataclass(frozen=True)
class LoginOptions:
    """One login: where the credentials go, the Chromium executable, whether it has a window, how many seconds
    the person (or the form filled from ``username``/``password``) has, the replica origin to log in to
    (``mirror``, None: pixiv itself) and whether the web session cookie is wanted too (``cookie``)."""

    credentials_file: Path
    chromium: str
    headless: bool = False
    timeout: float = DEFAULT_TIMEOUT
    username: str | None = None
    password: str | None = None
    mirror: str | None = None
    cookie: bool = False


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to drive: ``--chromium``, else ``PIXIV_CHROMIUM_PATH``, else ``chromium`` on the PATH."""
    candidate = explicit or os.environ.get("PIXIV_CHROMIUM_PATH") or shutil.which("chromium")
    if not candidate:
        raise LoginError("No Chromium found: install it (Debian: apt-get install chromium) or give its path with "
                         "--chromium or PIXIV_CHROMIUM_PATH.")
    path = shutil.which(candidate) or candidate
    if not os.access(path, os.X_OK):
        raise LoginError(f"Chromium at {candidate} is not an executable file; fix --chromium or PIXIV_CHROMIUM_PATH.")
    return path
