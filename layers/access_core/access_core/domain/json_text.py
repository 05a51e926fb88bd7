"""Reading JSON from the outside world: every way a text can fail to be JSON the bridge can use is
one error, so that no shape of body (a 5,000-digit number, 20,000 nested arrays) escapes as a
crash instead of a 400."""

from __future__ import annotations

import json
from typing import Any


class NotJson(ValueError):
    """The text is not JSON the bridge reads: not JSON at all, a number too long for Python's
    int conversion limit, or nesting too deep to parse."""


def loads(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise NotJson(f"not valid JSON ({error.msg} at line {error.lineno})") from None
    except UnicodeDecodeError:
        raise NotJson("not UTF-8 text") from None
    except RecursionError:
        raise NotJson("nested too deeply") from None
    except ValueError as error:  # int digits over sys.get_int_max_str_digits()
        raise NotJson(f"not usable JSON ({error})") from None
