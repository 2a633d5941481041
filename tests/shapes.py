"""Key trees of JSON values, and their comparison against pixiv's captures."""

from __future__ import annotations

from typing import Any

NULL = "null"
#: objects whose keys are data (tag names, ids, language codes), compared by the shape of their values
MAP_KEYS = frozenset({"tagTranslation", "illusts", "images", "planTranslationTitle", "planTranslationDescription",
                      "userIllusts", "userNovels"})


def key_tree(value: Any, _key: str | None = None, maps: frozenset[str] = MAP_KEYS) -> Any:
    """A value's shape: dicts keep their keys, lists merge their elements' shapes, scalars become type names;
    the maps named in ``maps`` (MAP_KEYS, or more for one answer) become ``["map", merged value shape]``."""
    if isinstance(value, dict):
        if _key in maps:
            merged: Any = None
            for v in value.values():
                merged = _merge(merged, key_tree(v, maps=maps))
            return ["map", merged]
        return {k: key_tree(v, k, maps) for k, v in value.items()}
    if isinstance(value, list):
        merged = None
        for element in value:
            merged = _merge(merged, key_tree(element, maps=maps))
        return ["list", merged]
    if value is None:
        return NULL
    return type(value).__name__


def _merge(a: Any, b: Any) -> Any:
    if a is None or a == NULL:
        return b
    if b is None or b == NULL:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge(out.get(k), v)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if a[1] is None and a[0] != b[0]:
            return b
        return [a[0], _merge(a[1], b[1])]
    return a


def _is_empty_list(t: Any) -> bool:
    """An empty list or map (pixiv sends ``[]`` for an empty map)."""
    return isinstance(t, list) and t[1] is None


def compare(replica: Any, fixture: Any, extra_ok: frozenset[str] = frozenset(), path: str = "$") -> list[str]:
    """Differences between the replica's key tree and a capture's.

    Every key of the capture must be in the replica's object, with a compatible type; the replica may
    only add keys named in ``extra_ok`` (fields newer captures document). ``null`` is compatible with any
    type (pixiv's optional values), and an empty list with an object (pixiv sends ``[]`` for empty maps).
    """
    if NULL in (replica, fixture) or replica is None or fixture is None:
        return []
    if isinstance(replica, dict) and isinstance(fixture, dict):
        problems = [f"{path}.{k}: missing in the replica" for k in fixture if k not in replica]
        problems += [f"{path}.{k}: not in the capture" for k in replica if k not in fixture and k not in extra_ok]
        for k in fixture:
            if k in replica:
                problems += compare(replica[k], fixture[k], extra_ok, f"{path}.{k}")
        return problems
    if isinstance(replica, list) and isinstance(fixture, list):
        if replica[0] != fixture[0] and not (_is_empty_list(replica) or _is_empty_list(fixture)):
            return [f"{path}: replica has a {replica[0]}, capture has a {fixture[0]}"]
        return compare(replica[1], fixture[1], extra_ok, f"{path}[]")
    if ((isinstance(replica, dict) and _is_empty_list(fixture))
            or (isinstance(fixture, dict) and _is_empty_list(replica))):
        return []
    if replica != fixture:
        return [f"{path}: replica has {_describe(replica)}, capture has {_describe(fixture)}"]
    return []


def _describe(t: Any) -> str:
    if isinstance(t, dict):
        return "an object"
    if isinstance(t, list):
        return "a list"
    return t
