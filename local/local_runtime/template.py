"""Reading template.yaml: the one definition of the stack's resources, routes and environment."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"


class _TemplateLoader(yaml.SafeLoader):
    """PyYAML loader that turns CloudFormation's short intrinsic tags into their long form."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def load_template_text(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return load_template_text(path.read_text())


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def function_handler(logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
    """The handler a function of the template names, imported as Lambda does: its CodeUri is the
    import root (the layers' content must already be importable)."""
    properties = load_template()["Resources"][logical_id]["Properties"]
    code_root = str((PROJECT_ROOT / properties["CodeUri"]).resolve())
    if code_root not in sys.path:
        sys.path.append(code_root)
    module_name, attribute = properties["Handler"].rsplit(".", 1)
    handler: Callable[[dict[str, Any], Any], Any] = getattr(
        importlib.import_module(module_name), attribute
    )
    return handler
