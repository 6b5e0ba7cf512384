"""A small JSON Schema check, enough for the keywords our OpenAPI document uses, so a test can
hold a real response against the schema the document promises for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def schema_problems(
    value: Any, schema: dict[str, Any], components: dict[str, Any], where: str = "$"
) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return schema_problems(value, components[name], components, where)
    types = schema.get("type")
    if types is not None:
        wanted = [types] if isinstance(types, str) else types
        if not any(_TYPE_CHECKS[name](value) for name in wanted):
            return [f"{where}: {value!r} is not of type {types}"]
    problems: list[str] = []
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        problems += [
            f"{where}: missing {key}" for key in schema.get("required", ()) if key not in value
        ]
        for key, inner in schema.get("properties", {}).items():
            if key in value:
                problems += schema_problems(value[key], inner, components, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += schema_problems(item, schema["items"], components, f"{where}[{index}]")
    return problems
