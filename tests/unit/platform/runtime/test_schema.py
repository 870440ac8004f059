"""The runtime's JSON-Schema subset agrees with the ``jsonschema`` package on the subset."""

from __future__ import annotations

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flow_platform.runtime.schema import unsupported_keywords, validate


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"enum": [1]}, True),
        ({"enum": [0]}, False),
        ({"const": 0}, False),
        ({"const": 1}, True),
        ({"const": [1, {"a": 0}]}, [True, {"a": False}]),
        ({"enum": [True]}, 1),
        ({"const": {"a": 1}}, {"a": True}),
    ],
)
def test_booleans_are_not_numbers(schema, value):
    assert validate(value, schema) != []
    assert not jsonschema.Draft202012Validator(schema).is_valid(value)


def test_numbers_compare_by_value():
    assert validate(1.0, {"enum": [1]}) == [] and validate(2, {"const": 2.0}) == []


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(-5, 5, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 1)),
    st.sampled_from(["", "a", "ab", "abc", "b1", "10"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
    max_leaves=8,
)
type_names = st.sampled_from(["object", "array", "string", "boolean", "null", "integer", "number"])
small = st.integers(0, 3)
bound = st.integers(-3, 3) | st.floats(-3, 3, allow_nan=False).map(lambda f: round(f, 1))


def _schemas(inner: st.SearchStrategy) -> st.SearchStrategy:
    keywords = st.fixed_dictionaries(
        {},
        optional={
            "type": type_names | st.lists(type_names, min_size=1, max_size=3, unique=True),
            "enum": st.lists(json_values, min_size=1, max_size=3),
            "const": json_values,
            "minimum": bound,
            "maximum": bound,
            "exclusiveMinimum": bound,
            "exclusiveMaximum": bound,
            "minLength": small,
            "maxLength": small,
            "pattern": st.sampled_from(["^a", "b", "[0-9]+$", "^$"]),
            "minItems": small,
            "maxItems": small,
            "minProperties": small,
            "maxProperties": small,
            "items": inner,
            "properties": st.dictionaries(st.sampled_from("abc"), inner, max_size=2),
            "required": st.lists(st.sampled_from("abc"), max_size=2, unique=True),
            "additionalProperties": st.booleans() | inner,
            "title": st.just("annotations are ignored"),
        },
    )
    return keywords


schemas = st.recursive(st.booleans() | _schemas(st.just({})), _schemas, max_leaves=6)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=schemas, value=json_values)
def test_agrees_with_jsonschema(schema, value):
    assert unsupported_keywords(schema) == []
    expected = jsonschema.Draft202012Validator(schema).is_valid(value)
    assert (validate(value, schema) == []) == expected, (schema, value)
