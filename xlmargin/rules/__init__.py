"""Rule parameters as data: versioned TOML files beside this module, loaded frozen.

Each file has an ``id`` (printed by ``XLM_VERSION()`` so a saved workbook shows what made it) and
tables that carry the ``source`` they come from and a ``confidence`` tag (H, M, L as in
``margin-rules.md``). Engine code reads numbers from here; it never types them in.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from xlmargin.errors import RuleError

RULE_FILES = ("regt", "symbols", "pm", "span", "esma", "stress")


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class RuleSet:
    """One rule file, read-only. ``rules["naked"]["equity"]["pct"]`` or ``rules.get("naked.equity.pct")``."""

    def __init__(self, name: str, data: Mapping[str, Any]):
        self.name = name
        self._data: Mapping[str, Any] = _freeze(dict(data))
        if not isinstance(self._data.get("id"), str):
            raise RuleError(f"rule file {name}.toml has no id")

    @property
    def id(self) -> str:
        return str(self._data["id"])

    def __getitem__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            raise RuleError(f"rule file {self.name}.toml has no table '{key}'") from None

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, dotted: str) -> Any:
        """A value by its dotted path; a missing path is a :class:`RuleError`, never a default."""
        node: Any = self._data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise RuleError(f"rule file {self.name}.toml has no '{dotted}'")
            node = node[part]
        return node

    def tables(self) -> dict[str, Mapping[str, Any]]:
        """Every leaf table (one holding scalar values), by dotted name, for audits and tests."""
        found: dict[str, Mapping[str, Any]] = {}

        def walk(prefix: str, node: Mapping[str, Any]) -> None:
            scalars = any(not isinstance(v, Mapping | tuple) for v in node.values())
            if scalars and prefix:
                found[prefix] = node
            for key, value in node.items():
                if isinstance(value, Mapping):
                    walk(f"{prefix}.{key}" if prefix else key, value)
                elif isinstance(value, tuple) and value and isinstance(value[0], Mapping):
                    for i, item in enumerate(value):
                        walk(f"{prefix}.{key}[{i}]" if prefix else f"{key}[{i}]", item)

        walk("", self._data)
        return found

    def with_overrides(self, overrides: Mapping[str, Any]) -> RuleSet:
        """A copy with some dotted paths replaced (user overrides from a parameter range)."""
        data = _thaw(self._data)
        for dotted, value in overrides.items():
            node = data
            *parents, leaf = dotted.split(".")
            for part in parents:
                if part not in node or not isinstance(node[part], dict):
                    raise RuleError(f"cannot override '{dotted}': no such rule")
                node = node[part]
            if leaf not in node:
                raise RuleError(f"cannot override '{dotted}': no such rule")
            node[leaf] = value
        return RuleSet(self.name, data)


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@cache
def load(name: str) -> RuleSet:
    """The rule file ``<name>.toml`` shipped with xlmargin, parsed once."""
    if name not in RULE_FILES:
        raise RuleError(f"unknown rule file '{name}'; known: {', '.join(RULE_FILES)}")
    try:
        text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleError(f"rule file {name}.toml is missing from the installation") from None
    try:
        return RuleSet(name, tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"rule file {name}.toml is malformed: {exc}") from None


def rule_set_ids() -> dict[str, str]:
    """The id of every rule file that is installed, for ``XLM_VERSION()``."""
    ids = {}
    for name in RULE_FILES:
        if resources.files(__package__).joinpath(f"{name}.toml").is_file():
            ids[name] = load(name).id
    return ids
