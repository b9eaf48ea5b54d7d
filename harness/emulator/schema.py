"""Deterministic JSON values that satisfy a JSON Schema, for tool arguments and json_schema output.

Covers the schema features that function definitions and structured outputs use in practice:
object/properties/required, arrays with items and minItems, enum/const, string formats, numeric
bounds, anyOf/oneOf, nullable type lists and local `$ref` into `$defs`/`definitions`.
"""

from __future__ import annotations

import random
from typing import Any

_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")
_FORMATS = {
    "date": "2024-08-06",
    "date-time": "2024-08-06T12:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/resource",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def instance(schema: Any, rng: random.Random, root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """Return a value valid against `schema`; `rng` makes it deterministic per request."""
    if not isinstance(schema, dict):
        return None
    root = root if root is not None else schema
    if depth > 8:
        return None
    if "$ref" in schema:
        return instance(_resolve(schema["$ref"], root), rng, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [o for o in schema[key] if isinstance(o, dict) and o.get("type") != "null"]
            return instance(rng.choice(options or schema[key]), rng, root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                merged.update(part)
        return instance(merged, rng, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else "null"
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties") or {}
        required = schema.get("required")
        names = (
            list(props)
            if required is None or schema.get("additionalProperties") is False
            else [n for n in props if n in required or rng.random() < 0.5]
        )
        return {name: instance(props[name], rng, root, depth + 1) for name in names}
    if kind == "array":
        low = int(schema.get("minItems", 1))
        high = max(low, min(int(schema.get("maxItems", low + 2)), low + 2))
        return [instance(schema.get("items", {}), rng, root, depth + 1) for _ in range(rng.randint(low, high))]
    if kind == "integer":
        low = int(schema.get("minimum", 0))
        high = int(schema.get("maximum", low + 100))
        return rng.randint(low, max(low, high))
    if kind == "number":
        low = float(schema.get("minimum", 0))
        high = float(schema.get("maximum", low + 100))
        return round(rng.uniform(low, max(low, high)), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    text = text.ljust(low, "x")
    return text[: int(high)] if high is not None else text
