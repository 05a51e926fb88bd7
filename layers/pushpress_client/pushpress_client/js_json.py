"""JSON as JavaScript's ``JSON.parse`` then ``JSON.stringify`` would write it.

PushPress signs a webhook's ``JSON.stringify(body.data)``, not the bytes it sent
(docs/pushpress-api.md), so a verifier must re-serialise ``data`` exactly as JavaScript does:

- no whitespace; keys in JavaScript's property order: integer-like keys (``"0"``,
  ``"10"``, not ``"01"``) ascending first, then the others in first-seen order; a repeated key
  keeps its first position and its last value;
- every number is a double, written the way ``Number.prototype.toString`` writes it
  (``1.0`` -> ``1``, ``1e20`` -> ``100000000000000000000``, ``1e21`` -> ``1e+21``, ``-0`` ->
  ``0``; integers beyond 2**53 lose precision as in JavaScript);
- strings escape only ``"``, ``\\``, control characters and lone surrogates; everything else,
  non-ASCII included, is written as is (then encoded as UTF-8).
"""

import json
import math
from typing import Any

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_MAX_ARRAY_INDEX = 2**32 - 2


class JsObject(dict[str, Any]):
    """A parsed JSON object: Python's dict keeps JSON.parse's first-seen key order as is."""


def _reject_constant(name: str) -> Any:
    # NaN, Infinity and -Infinity are not JSON; JSON.parse refuses them.
    raise ValueError(f"{name} is not valid JSON")


def parse(text: str) -> Any:
    """``JSON.parse(text)``: numbers become floats (JavaScript's doubles)."""
    return json.loads(
        text,
        parse_int=float,
        parse_float=float,
        parse_constant=_reject_constant,
        object_pairs_hook=_object,
    )


def _object(pairs: list[tuple[str, Any]]) -> JsObject:
    result = JsObject()
    for key, value in pairs:
        result[key] = value  # a repeated key keeps its first position, takes the last value
    return result


def _is_array_index(key: str) -> bool:
    if not key.isascii() or not key.isdigit() or (len(key) > 1 and key[0] == "0"):
        return False
    return int(key) <= _MAX_ARRAY_INDEX


def _ordered_keys(keys: list[str]) -> list[str]:
    indexes = sorted((k for k in keys if _is_array_index(k)), key=int)
    return indexes + [k for k in keys if not _is_array_index(k)]


def format_number(value: float) -> str:
    """``String(value)`` for a JavaScript number (``JSON.stringify`` writes non-finite ones as
    ``null``)."""
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(float(value))).partition("e")
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    significant = all_digits.lstrip("0")
    leading_zeros = len(all_digits) - len(significant)
    # value = 0.<digits> * 10**point
    point = len(whole) + (int(exponent) if exponent else 0) - leading_zeros
    digits = significant.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        power_text = f"+{power}" if power >= 0 else str(power)
        text = (digits if count == 1 else f"{digits[0]}.{digits[1:]}") + "e" + power_text
    return sign + text


def quote_string(value: str) -> str:
    """A JSON string literal as ``JSON.stringify`` writes it (well-formed since ES2019)."""
    out = ['"']
    for char in value:
        escaped = _SHORT_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
            continue
        code = ord(char)
        if code < 0x20 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` for a value ``parse`` returned (or plain Python JSON data)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return format_number(float(value))
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(stringify(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = _ordered_keys([str(key) for key in value])
        by_text = {str(key): item for key, item in value.items()}
        return "{" + ",".join(f"{quote_string(k)}:{stringify(by_text[k])}" for k in keys) + "}"
    raise TypeError(f"{type(value).__name__} is not JSON data")


def is_truthy(value: Any) -> bool:
    """JavaScript truthiness of a parsed JSON value (``{}`` and ``[]`` are truthy)."""
    if isinstance(value, dict | list):
        return True
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return bool(value)
