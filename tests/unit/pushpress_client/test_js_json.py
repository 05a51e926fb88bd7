"""JSON as JavaScript writes it: the exact bytes PushPress's HMAC covers. Expected strings were
produced by Node.js's JSON.stringify / String(number)."""

import pytest

from pushpress_client import js_json


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (2.5, "2.5"),
        (-2.5, "-2.5"),
        (100.0, "100"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e21, "1.5e+21"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.25e-7, "1.25e-7"),
        (123456789012345678901.0, "123456789012345680000"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1741964402.0, "1741964402"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (float("inf"), "null"),
        (float("nan"), "null"),
    ],
)
def test_numbers_are_written_as_javascript_writes_them(value: float, expected: str) -> None:
    assert js_json.format_number(value) == expected


def test_integer_like_keys_come_first_in_ascending_order() -> None:
    parsed = js_json.parse('{"b": 1, "10": 2, "2": 3, "01": 4, "-1": 5, "4294967295": 6, "a": 7}')

    assert js_json.stringify(parsed) == '{"2":3,"10":2,"b":1,"01":4,"-1":5,"4294967295":6,"a":7}'


def test_strings_escape_only_what_javascript_escapes() -> None:
    parsed = js_json.parse(
        '"\\u00e9\\ud83d\\ude00\\ud800\\u2028\\u001f\\b\\f\\n\\r\\t\\"\\\\/\\u007f"'
    )

    assert js_json.stringify(parsed) == '"é😀\\ud800\u2028\\u001f\\b\\f\\n\\r\\t\\"\\\\/\x7f"'


def test_nested_values_and_literals() -> None:
    parsed = js_json.parse('{"a": [true, false, null, {}, []], "b": {"c": "d"}}')

    assert js_json.stringify(parsed) == '{"a":[true,false,null,{},[]],"b":{"c":"d"}}'


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "{'a': 1}", "[1,]"])
def test_what_json_parse_refuses_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        js_json.parse(text)


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        ({}, True),
        ([], True),
        ("x", True),
        (1.0, True),
        (0.0, False),
        (-0.0, False),
        ("", False),
        (None, False),
        (False, False),
    ],
)
def test_javascript_truthiness(value: object, truthy: bool) -> None:
    assert js_json.is_truthy(value) is truthy


def test_other_python_values_are_not_json() -> None:
    with pytest.raises(TypeError):
        js_json.stringify({1, 2})
