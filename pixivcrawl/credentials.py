"""Where pixiv credentials come from, and a wrapper that keeps them out of logs and tracebacks.

Order of precedence for each credential: the Scrapy setting (``-s PIXIV_REFRESH_TOKEN=…``), the
environment variable of the same name, then the credentials file: ``PIXIV_CREDENTIALS_FILE`` (setting or
environment), by default ``~/.config/pixivcrawl/credentials.json``, a JSON object with the keys
``refresh_token`` and/or ``phpsessid``. The file must not be readable by other users (mode 0600).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from scrapy.settings import BaseSettings

DEFAULT_CREDENTIALS_FILE = Path("~/.config/pixivcrawl/credentials.json")


class CredentialsError(Exception):
    """A credential source exists but cannot be used; the message is one sentence saying what to fix."""


class Secret:
    """A credential value that never shows itself in ``str``, ``repr`` or formatting."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):
        raise TypeError("credentials must not be pickled")


@dataclass(frozen=True)
class Credentials:
    refresh_token: Secret | None = None
    phpsessid: Secret | None = None


def credentials_file(settings: BaseSettings) -> Path:
    name = settings.get("PIXIV_CREDENTIALS_FILE") or os.environ.get("PIXIV_CREDENTIALS_FILE")
    return Path(name).expanduser() if name else DEFAULT_CREDENTIALS_FILE.expanduser()


def read_credentials_file(path: Path) -> dict[str, str]:
    """The credentials in ``path`` ({} if it does not exist); refuses a file others can read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(
            f"The credentials file {path} is readable by other users (mode {stat.S_IMODE(mode):04o}); "
            f"run: chmod 600 {path}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CredentialsError(
            f"The credentials file {path} is not a readable JSON object ({type(exc).__name__}).") from exc
    if not isinstance(data, dict):
        raise CredentialsError(f"The credentials file {path} must hold a JSON object with refresh_token/phpsessid.")
    return {k: v for k, v in data.items() if isinstance(v, str) and v}


def write_credentials_file(path: Path, **values: str) -> None:
    """Merge ``values`` into the credentials file, creating it (and its folder) with mode 0600."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    current = read_credentials_file(path) if path.exists() else {}
    current.update({k: v for k, v in values.items() if v})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(current, fh)
    path.chmod(0o600)


def load_credentials(settings: BaseSettings) -> Credentials:
    found: dict[str, str] = {}
    for key, setting in (("refresh_token", "PIXIV_REFRESH_TOKEN"), ("phpsessid", "PIXIV_PHPSESSID")):
        value = settings.get(setting) or os.environ.get(setting)
        if value:
            found[key] = value.strip()
    if len(found) < 2:
        for key, value in read_credentials_file(credentials_file(settings)).items():
            found.setdefault(key, value.strip())
    return Credentials(
        refresh_token=Secret(found["refresh_token"]) if found.get("refresh_token") else None,
        phpsessid=Secret(_bare_session(found["phpsessid"])) if found.get("phpsessid") else None,
    )


def _bare_session(value: str) -> str:
    """Accept either the bare PHPSESSID value or a whole cookie string that contains it."""
    for part in value.split(";"):
        name, _, val = part.strip().partition("=")
        if name == "PHPSESSID" and val:
            return val
    return value
