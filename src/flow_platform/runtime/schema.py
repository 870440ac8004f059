"""A small JSON-Schema validator for the subset endpoints may declare.

Why not the `jsonschema` package: it brings four more dependencies whose import every
worker would pay at cold start, while endpoint schemas need only the structural
keywords below. Endpoint creation rejects any other keyword (`unsupported_keywords`), so a schema
is never silently half-enforced.
"""

from __future__ import annotations

import re
from typing import Any

ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "default", "examples", "$comment", "format"})
KEYWORDS = (
    frozenset(
        {
            "type",
            "properties",
            "required",
            "additionalProperties",
            "items",
            "enum",
            "const",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
            "pattern",
            "minItems",
            "maxItems",
            "minProperties",
            "maxProperties",
        }
    )
    | ANNOTATIONS
)

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def unsupported_keywords(schema: Any, loc: str = "") -> list[str]:
    """Keywords outside the supported subset, as JSON-pointer-ish locations."""
    if not isinstance(schema, dict):
        return [loc or "/"] if not isinstance(schema, bool) else []
    found = [f"{loc}/{key}" for key in schema if key not in KEYWORDS]
    for name, sub in (schema.get("properties") or {}).items():
        found += unsupported_keywords(sub, f"{loc}/properties/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += unsupported_keywords(schema[key], f"{loc}/{key}")
    return found


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return (
            isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, float) and value.is_integer())
        )
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    expected = _TYPES.get(name)
    if expected is bool:
        return isinstance(value, bool)
    return expected is not None and isinstance(value, expected)


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON means it: ``true`` is not ``1`` and ``false`` is not ``0``
    (Python's ``==`` says they are), while ``1`` and ``1.0`` are the same number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def validate(value: Any, schema: Any, loc: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Every violation as `{"loc": [...], "msg": "..."}`; empty when `value` conforms."""
    if schema is True or schema is None:
        return []
    if schema is False:
        return [{"loc": list(loc), "msg": "no value is allowed here"}]
    errors: list[dict[str, Any]] = []

    def fail(msg: str, where: tuple[Any, ...] = loc) -> None:
        errors.append({"loc": list(where), "msg": msg})

    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        if not any(_is_type(value, n) for n in names):
            fail(f"expected {' or '.join(names)}")
            return errors
    if "enum" in schema and not any(json_equal(value, option) for option in schema["enum"]):
        fail(f"must be one of {schema['enum']!r}")
    if "const" in schema and not json_equal(value, schema["const"]):
        fail(f"must equal {schema['const']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            fail(f"must be >= {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            fail(f"must be <= {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            fail(f"must be > {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            fail(f"must be < {schema['exclusiveMaximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            fail(f"must have at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            fail(f"must have at most {schema['maxLength']} characters")
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            fail(f"must match {schema['pattern']!r}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            fail(f"must have at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            fail(f"must have at most {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += validate(item, schema["items"], (*loc, i))
    if isinstance(value, dict):
        _validate_object(value, schema, loc, errors, fail)
    return errors


def _validate_object(
    value: dict[str, Any],
    schema: dict[str, Any],
    loc: tuple[Any, ...],
    errors: list[Any],
    fail: Any,
) -> None:
    properties = schema.get("properties") or {}
    for name in schema.get("required") or ():
        if name not in value:
            fail("field required", (*loc, name))
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        fail(f"must have at least {schema['minProperties']} properties")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        fail(f"must have at most {schema['maxProperties']} properties")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            errors += validate(item, properties[name], (*loc, name))
        elif extra is False:
            fail("extra field not permitted", (*loc, name))
        elif isinstance(extra, dict):
            errors += validate(item, extra, (*loc, name))
