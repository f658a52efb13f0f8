"""Reading a template file: JSON, or YAML with CloudFormation's short-form tags.

`!GetAtt A.B` becomes {"Fn::GetAtt": ["A", "B"]}, `!Ref X` {"Ref": "X"}, every other `!Fn`
{"Fn::Fn": value}. YAML timestamps stay strings: `AWSTemplateFormatVersion: 2010-09-09` is
a version, not a date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from lambdalite.template.errors import TemplateError

DEFAULT_NAMES = ("template.yaml", "template.yml", "template.json")
_FUNCTIONS = (
    "Base64 Cidr FindInMap GetAZs ImportValue Join Select Split Sub Transform "
    "If Equals And Or Not Length ToJsonString"
).split()


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader with the short forms; a class of its own so SafeLoader stays untouched."""


# No timestamp resolution: every unquoted date stays the string it was written as.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _function(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {f"Fn::{name}": _node_value(loader, node)}

    return construct


def _ref(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Ref": _node_value(loader, node)}


def _condition(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Condition": _node_value(loader, node)}


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _node_value(loader, node)
    if isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


_Loader.add_constructor("!Ref", _ref)
_Loader.add_constructor("!Condition", _condition)
_Loader.add_constructor("!GetAtt", _get_att)
for _name in _FUNCTIONS:
    _Loader.add_constructor(f"!{_name}", _function(_name))


def parse(text: str, source: str = "template") -> dict[str, Any]:
    """A template document from its text (JSON is YAML, but JSON errors read better)."""
    try:
        if text.lstrip().startswith("{"):
            document = json.loads(text)
        else:
            document = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except (yaml.YAMLError, ValueError) as exc:
        raise TemplateError(f"{source} does not parse: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{source} is not a template: it needs a Resources mapping")
    return document


def find_template(path: Path | None, cwd: Path) -> Path:
    """The template given, or template.yaml/.yml/.json in `cwd`."""
    if path is not None:
        if not path.is_file():
            raise TemplateError(f"template {path} does not exist")
        return path
    for name in DEFAULT_NAMES:
        if (cwd / name).is_file():
            return cwd / name
    raise TemplateError(f"no template given and none of {', '.join(DEFAULT_NAMES)} in {cwd}")


def load(path: Path) -> dict[str, Any]:
    return parse(path.read_text(encoding="utf-8"), str(path))
