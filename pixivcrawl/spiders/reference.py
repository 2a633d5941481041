"""Every spider's arguments, read from their declared models (``get_spider_metadata``'s JSON schema): the text
of ``pixivcrawl spiders``, its ``--json`` schema, and README.md's argument tables.

README.md holds one generated table per spider between ``<!-- spider-arguments NAME -->`` and
``<!-- /spider-arguments -->``; :func:`update_readme` rewrites them (``python scripts/update_readme_arguments.py``)
and a test fails when one differs from the models, so README cannot drift from the code.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy_spider_metadata import get_spider_metadata

from .arguments import allowed_values
from .params import REF_FORMAT

BLOCK = re.compile(r"(<!-- spider-arguments (\w+) -->\n)(.*?)(<!-- /spider-arguments -->)", re.DOTALL)
#: JSON-schema types, as the tables name them
TYPES = {"integer": "number", "number": "decimal", "boolean": "flag", "string": "text", "array": "list"}


@dataclass(frozen=True)
class Argument:
    """One spider argument as the schema declares it; ``default`` is None when there is none (or it is
    null), ``values`` the allowed values ([] for free values)."""

    name: str
    type: str
    required: bool
    default: Any
    values: list[Any]
    description: str


def spider_classes() -> dict[str, type]:
    """Every spider of the project (``SPIDER_MODULES``), by name."""
    from pixivcrawl import settings

    loader = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": settings.SPIDER_MODULES}))
    return {name: loader.load(name) for name in sorted(loader.list())}


def param_schema(spidercls: type) -> dict[str, Any]:
    """The JSON schema of a spider's arguments (``{}`` for a spider that declares none)."""
    return get_spider_metadata(spidercls).get("param_schema", {})


def arguments(spidercls: type) -> list[Argument]:
    """A spider's arguments, in declaration order."""
    schema = param_schema(spidercls)
    required = set(schema.get("required", ()))
    return [Argument(name, _type(prop), name in required, prop.get("default"), allowed_values(prop),
                     prop.get("description", ""))
            for name, prop in schema.get("properties", {}).items()]


def _type(prop: dict[str, Any]) -> str:
    options = [option for option in prop.get("anyOf", [prop]) if option.get("type") != "null"] or [prop]
    if options[0].get("format") == "date":
        return "date"
    if options[0].get("format") == REF_FORMAT:
        return "id or URL"
    if options[0].get("items", {}).get("format") == REF_FORMAT:
        return "ids or URLs"
    return TYPES.get(options[0].get("type", "string"), "text")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def summary(spidercls: type) -> str:
    """The first line of the spider module's docstring, without its ````name``:`` prefix."""
    doc = inspect.getdoc(sys.modules[spidercls.__module__]) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    return re.sub(r"^``\w+``:\s*", "", first)


def describe(spidercls: type) -> str:
    """The text of one spider for ``pixivcrawl spiders``: its name and summary, then each argument with its
    type, default and allowed values, and its description on the next line."""
    lines = [f"{spidercls.name}: {summary(spidercls)}"]
    for arg in arguments(spidercls):
        facts = [arg.type, "required" if arg.required else
                 (f"default {_value(arg.default)}" if arg.default is not None else "optional")]
        if arg.values:
            facts.append(f"one of {', '.join(map(str, arg.values))}")
        lines.append(f"  {arg.name} ({'; '.join(facts)})")
        lines.append(f"      {arg.description.replace('`', '')}")
    return "\n".join(lines)


def markdown_table(spidercls: type) -> str:
    """README.md's argument table of one spider (ending with a newline)."""
    rows = ["| argument | type | default | values | description |", "|---|---|---|---|---|"]
    for arg in arguments(spidercls):
        default = "required" if arg.required else (f"`{_value(arg.default)}`" if arg.default is not None else "")
        values = ", ".join(f"`{value}`" for value in arg.values)
        description = arg.description.replace("|", "\\|")
        rows.append(f"| `{arg.name}` | {arg.type} | {default} | {values} | {description} |")
    return "\n".join(rows) + "\n"


def update_readme(text: str, spiders: dict[str, type] | None = None) -> str:
    """``text`` (README.md) with every ``spider-arguments`` block holding its spider's current table."""
    spiders = spider_classes() if spiders is None else spiders

    def table(match: re.Match[str]) -> str:
        return match.group(1) + markdown_table(spiders[match.group(2)]) + match.group(4)

    return BLOCK.sub(table, text)


def readme_blocks(text: str) -> dict[str, str]:
    """The content of every ``spider-arguments`` block of README.md's ``text``, by spider name."""
    return {match.group(2): match.group(3) for match in BLOCK.finditer(text)}


def render(names: list[str], fmt: str = "text") -> str:
    """What ``pixivcrawl spiders [NAME …] [--json | --markdown]`` prints; raises KeyError for an unknown name."""
    spiders = spider_classes()
    chosen = {name: spiders[name] for name in names} if names else spiders
    if fmt == "json":
        return json.dumps({name: get_spider_metadata(cls) for name, cls in chosen.items()}, ensure_ascii=False,
                          indent=2)
    if fmt == "markdown":
        return "\n".join(f"**`{name}`**\n\n{markdown_table(cls)}" for name, cls in chosen.items())
    return "\n\n".join(describe(cls) for cls in chosen.values())
