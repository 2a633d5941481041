"""What pixivcrawl's code uses, for tests/test_reference_docs.py: every setting, environment variable,
``Request.meta`` key and ``pixiv/…`` stat, each :class:`Use` with its file and line.

The code is read with :mod:`ast`, not run, so a use is found wherever it is written, whether or not a test
exercises it:

- settings: ``<…settings>.get*("X")``, ``getpriority``, ``set``/``setdefault``, ``settings["X"]``, ``"X" in settings``
  (``settings`` being a name or attribute called so, or a local alias of one such as ``s = crawler.settings``);
  environment variables: ``os.environ.get("X")``, ``os.environ["X"]``, ``os.getenv("X")``; and every setting
  ``pixivcrawl/settings.py`` assigns;
- ``Request.meta`` keys: ``….meta["k"]`` (read, written, deleted), ``….meta.get|pop|setdefault("k")``,
  ``"k" in ….meta``, and the keys of a dict given as ``meta=`` or assigned to a name ``meta``;
- stats: the first argument of ``inc_value``/``set_value``/``max_value``/``min_value``, a spider's
  ``self.count("x")`` (which writes ``pixiv/x``), and any other string starting with ``pixiv/`` (a stat read).
  An f-string is a pattern: ``f"pixiv/errors/{key}"`` is ``pixiv/errors/<…>``, matched by a documented pattern of
  the same shape whatever its placeholders' names.

A key given as a name is resolved through the package's module-level string constants (``ENDPOINT_META``), a loop
over a literal tuple (``for name in ("ITEM_PIPELINES", …)``) or a keyword argument of the same name elsewhere
(``api.concurrency`` ← ``Api(concurrency="PIXIV_API_CONCURRENCY")``). What cannot be resolved is listed in
:data:`DYNAMIC` with the names it stands for, or the test fails naming it.

The replica (``pixivcrawl/replica/``) is not scanned: it is a separate program with its own knobs (README, "The pixiv
replica"), and reads no Scrapy setting, meta key or stat.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pixivcrawl"
SKIPPED = (PACKAGE / "replica", PACKAGE / "db" / "migrations")

_SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SETTINGS_METHODS = {"get", "getbool", "getint", "getfloat", "getlist", "getdict", "getdictorlist", "getwithbase",
                     "getpriority", "set", "setdefault", "delete", "__getitem__"}
_META_METHODS = {"get", "pop", "setdefault"}
_STATS_METHODS = {"inc_value", "set_value", "max_value", "min_value", "get_value"}
_STATS_WRITES = {"inc_value", "set_value", "max_value", "min_value"}


def _deprecated_names() -> list[str]:
    from pixivcrawl.deprecations import API_DELAY, API_RATES, RENAMED

    return [*RENAMED, *RENAMED.values(), API_DELAY, *API_RATES]


def _checked_settings() -> list[str]:
    from pixivcrawl.addon import _checks

    return list(_checks())


#: uses the scanner cannot resolve by itself: "<module>:<function>" -> what the names are, and a function giving them
DYNAMIC: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "pixivcrawl.addon:setting_problems": ("every setting the add-on checks (_checks)", _checked_settings),
    "pixivcrawl.deprecations:apply_deprecations": ("the deprecated names and their new ones", _deprecated_names),
    "pixivcrawl.deprecations:_apply_api_delay": ("the rates PIXIV_API_DELAY sets", _deprecated_names),
    "pixivcrawl.deprecations:_given": ("a new name of a deprecated one", _deprecated_names),
}
#: modules that use settings on behalf of another component, and need not be named in each entry's "Read by"
ALIAS_LAYERS = {"pixivcrawl.deprecations"}


# -- the scanner -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One use of a name in the code: ``kind`` (setting, env, meta, stat), the ``name`` (a stat pattern has
    ``<>`` placeholders), ``how`` (read, write) and where."""

    kind: str
    name: str
    how: str
    module: str
    path: str
    line: int
    #: a setting read with a fallback (``getint("X", 30)``): the fallback, as a Python literal's text
    default: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Scan:
    uses: list[Use] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    dynamic_used: set[str] = field(default_factory=set)

    def of(self, kind: str) -> dict[str, list[Use]]:
        found: dict[str, list[Use]] = defaultdict(list)
        for use in self.uses:
            if use.kind == kind:
                found[use.name].append(use)
        return found


def package_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if not any(path.is_relative_to(skipped) for skipped in SKIPPED):
            yield path


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def string_constants(trees: dict[Path, ast.Module]) -> dict[str, set[str]]:
    """Module-level ``NAME = "text"`` of the package, by name (a name bound to several texts is ambiguous)."""
    constants: dict[str, set[str]] = defaultdict(set)
    for tree in trees.values():
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, ast.AnnAssign) else [])
            value = getattr(node, "value", None)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for target in targets:
                    if isinstance(target, ast.Name):
                        constants[target.id].add(value.value)
    return constants


def keyword_strings(trees: dict[Path, ast.Module]) -> dict[str, set[str]]:
    """String values given to each keyword argument in the package (``concurrency="PIXIV_API_CONCURRENCY"``)."""
    found: dict[str, set[str]] = defaultdict(set)
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                        found[keyword.arg].add(keyword.value.value)
    return found


class Scanner(ast.NodeVisitor):
    """Walks one module, recording :class:`Use` entries in ``scan``."""

    def __init__(self, scan: Scan, path: Path, constants: dict[str, set[str]], keywords: dict[str, set[str]]):
        self.scan = scan
        self.path = path
        self.rel = str(path.relative_to(ROOT))
        self.module = module_name(path)
        self.constants = constants
        self.keywords = keywords
        self.functions: list[ast.AST] = []
        self.loops: list[ast.For] = []
        self.settings_aliases = {"settings"}
        self.docstrings: set[int] = set()
        self.in_spider = path.is_relative_to(PACKAGE / "spiders")

    # -- bookkeeping ---------------------------------------------------------------------------------------------

    def run(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    self.docstrings.add(id(first.value))
            if isinstance(node, ast.Assign) and _is_settings(node.value, {"settings"}):
                self.settings_aliases |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        self.visit(tree)

    def _function(self) -> str:
        return getattr(self.functions[-1], "name", "") if self.functions else ""

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_For(self, node: ast.For) -> None:
        self.loops.append(node)
        self.generic_visit(node)
        self.loops.pop()

    def add(self, kind: str, names: list[str] | None, how: str, node: ast.AST, what: str = "",
            default: str | None = None) -> None:
        if names is None:
            key = f"{self.module}:{self._function()}"
            if key in DYNAMIC:
                self.scan.dynamic_used.add(key)
                names = [n for n in DYNAMIC[key][1]() if kind != "setting" or _SETTING_NAME.match(n)]
            else:
                self.scan.unresolved.append(f"{self.rel}:{node.lineno}: {kind} {what or ast.unparse(node)}")
                return
        for name in names:
            self.scan.uses.append(Use(kind, name, how, self.module, self.rel, node.lineno, default))

    # -- resolving a name ----------------------------------------------------------------------------------------

    def strings(self, node: ast.AST) -> list[str] | None:
        """The texts ``node`` stands for, or None when they cannot be told."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            body, orelse = self.strings(node.body), self.strings(node.orelse)
            return None if body is None or orelse is None else body + orelse
        if isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if isinstance(node, ast.Name):
                looped = self._loop_values(name)
                if looped is not None:
                    return looped
            values = self.constants.get(name)
            if values and len(values) == 1:
                return sorted(values)
            if isinstance(node, ast.Attribute) and self.keywords.get(name):
                return sorted(self.keywords[name])
        return None

    def _loop_values(self, name: str) -> list[str] | None:
        """The setting-like texts of the literal tuple an enclosing ``for`` over ``name`` walks."""
        for loop in reversed(self.loops):
            if name in {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}:
                if not isinstance(loop.iter, ast.Tuple | ast.List):
                    return None
                return [n.value for n in ast.walk(loop.iter) if isinstance(n, ast.Constant)
                        and isinstance(n.value, str) and _SETTING_NAME.match(n.value)]
        return None

    def pattern(self, node: ast.AST) -> list[str] | None:
        """A stat key: its texts, or the pattern of an f-string (``{…}`` becomes ``<>``)."""
        if isinstance(node, ast.JoinedStr):
            return ["".join(v.value if isinstance(v, ast.Constant) else "<>" for v in node.values)]
        return self.strings(node)

    # -- the uses ------------------------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            self._settings_call(node, func)
            self._env_call(node, func)
            self._meta_call(node, func)
            self._stats_call(node, func)
        for keyword in node.keywords:
            if keyword.arg == "meta" and isinstance(keyword.value, ast.Dict):
                self._meta_dict(keyword.value)
        self.generic_visit(node)

    def _settings_call(self, node: ast.Call, func: ast.Attribute) -> None:
        if func.attr in _SETTINGS_METHODS and node.args and _is_settings(func.value, self.settings_aliases):
            how = "write" if func.attr in ("set", "setdefault", "delete") else "read"
            default = None
            if how == "read" and len(node.args) > 1:
                try:
                    default = repr(ast.literal_eval(node.args[1]))
                except ValueError:  # a name or an expression: not a fallback to compare
                    default = None
            self.add("setting", self.strings(node.args[0]), how, node, default=default)

    def _env_call(self, node: ast.Call, func: ast.Attribute) -> None:
        source = ast.unparse(func)
        if source in ("os.environ.get", "os.getenv") and node.args:
            self.add("env", self.strings(node.args[0]), "read", node)

    def _meta_call(self, node: ast.Call, func: ast.Attribute) -> None:
        if func.attr in _META_METHODS and node.args and _is_meta(func.value):
            how = "write" if func.attr == "setdefault" else "read"
            self.add("meta", self.strings(node.args[0]), how, node)

    def _stats_call(self, node: ast.Call, func: ast.Attribute) -> None:
        if func.attr in _STATS_METHODS and node.args:
            keys = self.pattern(node.args[0])
            if keys is None or any(k.startswith("pixiv/") for k in keys):
                self.add("stat", keys, "write" if func.attr in _STATS_WRITES else "read", node)
        elif (func.attr == "count" and self.in_spider and isinstance(func.value, ast.Name)
              and func.value.id == "self" and node.args):
            keys = self.pattern(node.args[0])
            self.add("stat", None if keys is None else [f"pixiv/{k}" for k in keys], "write", node)

    def _meta_dict(self, node: ast.Dict) -> None:
        for key in node.keys:
            if key is not None:  # None: a ``**other`` merged in
                self.add("meta", self.strings(key), "write", key)

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Dict) and any(isinstance(t, ast.Name) and t.id == "meta" for t in node.targets):
            self._meta_dict(node.value)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        how = "read" if isinstance(node.ctx, ast.Load) else "write"
        if _is_settings(node.value, self.settings_aliases):
            self.add("setting", self.strings(node.slice), how, node)
        elif ast.unparse(node.value) == "os.environ":
            self.add("env", self.strings(node.slice), how, node)
        elif _is_meta(node.value):
            self.add("meta", self.strings(node.slice), how, node)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if _is_settings(right, self.settings_aliases):
                    self.add("setting", self.strings(node.left), "read", node)
                elif ast.unparse(right) == "os.environ":
                    self.add("env", self.strings(node.left), "read", node)
                elif _is_meta(right):
                    self.add("meta", self.strings(node.left), "read", node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        """Any other ``pixiv/…`` string is a stat read (the summary's tables); a prefix (``pixiv/errors/``) is not."""
        value = node.value
        if (isinstance(value, str) and value.startswith("pixiv/") and not value.endswith("/")
                and id(node) not in self.docstrings and " " not in value):
            self.scan.uses.append(Use("stat", value, "mention", self.module, self.rel, node.lineno))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        keys = self.pattern(node)
        if keys and keys[0].startswith("pixiv/") and " " not in keys[0]:
            self.scan.uses.append(Use("stat", keys[0], "mention", self.module, self.rel, node.lineno))
        # the parts of an f-string are not stats of their own
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value)


def _is_settings(node: ast.AST, aliases: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in aliases
    return isinstance(node, ast.Attribute) and node.attr == "settings"


def _is_meta(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "meta"


@functools.cache
def scan_package() -> Scan:
    """Every use in ``pixivcrawl/`` (see the module's docstring), scanned once per test process."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in package_files()}
    constants, keywords = string_constants(trees), keyword_strings(trees)
    scan = Scan()
    for path, tree in trees.items():
        Scanner(scan, path, constants, keywords).run(tree)
    scan.uses = [u for u in scan.uses if not _is_count_helper(u)]
    return scan


def _is_count_helper(use: Use) -> bool:
    """``PixivSpider.count``'s own ``f"pixiv/{key}"``: its callers are scanned instead."""
    return use.kind == "stat" and use.name == "pixiv/<>"


def settings_module_assignments() -> dict[str, tuple[ast.expr, int]]:
    """Every setting ``pixivcrawl/settings.py`` assigns: name -> (value expression, line)."""
    tree = ast.parse((PACKAGE / "settings.py").read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and _SETTING_NAME.match(target.id):
                    found[target.id] = (node.value, node.lineno)
    return found


@functools.cache
def package_constants() -> dict[str, set[str]]:
    """Module-level string constants of the scanned package, by name."""
    return string_constants({path: ast.parse(path.read_text(encoding="utf-8")) for path in package_files()})
