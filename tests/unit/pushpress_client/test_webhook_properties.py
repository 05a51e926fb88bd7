"""Properties of webhook verification, over generated deliveries.

The signer used as the oracle here is independent of the verifier's serialiser where it can
be: for data whose JavaScript and Python serialisations coincide (no floats, no integer-like
keys, no lone surrogates), the expected signature is an HMAC of Python's compact
``json.dumps``. For general data (floats, integer-like keys, lone surrogates) the properties
compare the verifier with itself across formattings; the known-answer tests pin its output to
JavaScript's.
"""

import hashlib
import hmac
import json
import string
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pushpress_client import js_json
from pushpress_client.webhooks import (
    WebhookFailure,
    WebhookVerificationError,
    sign,
    verify_webhook,
)

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
CREATED = int(NOW.timestamp())
SAFE_INT = 2**53 - 1
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

secrets_ = st.text(min_size=1, max_size=40)
plain_keys = st.text(alphabet=string.ascii_letters + "_-éü", min_size=1, max_size=8)
texts = st.text(max_size=20)
lone_surrogates = st.integers(0xD800, 0xDFFF).map(chr)
any_keys = st.one_of(plain_keys, st.integers(0, 50).map(str), st.just("01"), texts)

simple_leaves = st.one_of(st.none(), st.booleans(), st.integers(-SAFE_INT, SAFE_INT), texts)
general_leaves = st.one_of(
    simple_leaves,
    st.floats(allow_nan=False, allow_infinity=False),
    st.builds(lambda a, s, b: a + s + b, texts, lone_surrogates, texts),
)


def json_data(
    leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[str]
) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
        ),
        max_leaves=12,
    )


simple_data = st.dictionaries(
    plain_keys, json_data(simple_leaves, plain_keys), min_size=1, max_size=5
)
general_data = st.dictionaries(
    any_keys, json_data(general_leaves, any_keys), min_size=1, max_size=5
)
formats = st.fixed_dictionaries(
    {"indent": st.sampled_from([None, 0, 2, 4]), "ensure_ascii": st.booleans()}
)


def body_of(data: Any, layout: dict[str, Any], created: Any = CREATED) -> bytes:
    """A delivery body in ``layout``; data with lone surrogates needs ``ensure_ascii=True``
    (escaped, as any sender must write them)."""
    text = json.dumps({"event": "enrollment.created", "created": created, "data": data}, **layout)
    return text.encode("utf-8")


def failure_of(headers: dict[str, str], body: bytes, secrets: list[str], **options: Any) -> Any:
    """The reason verification fails, or None when it passes."""
    try:
        verify_webhook(headers, body, secrets, now=NOW, **options)
    except WebhookVerificationError as error:
        return error.reason
    return None


def independent_signature(data: Any, secret: str) -> str:
    compact = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), compact, hashlib.sha256).hexdigest()


@PROPERTY_SETTINGS
@given(data=simple_data, secret=secrets_, layout=formats)
def test_a_signature_made_by_an_independent_signer_verifies_in_any_layout(
    data: dict[str, Any], secret: str, layout: dict[str, Any]
) -> None:
    signature = independent_signature(data, secret)

    verified = verify_webhook(
        {"webhook-signature": signature}, body_of(data, layout), [secret], now=NOW
    )

    assert verified.data == data
    assert sign(data, secret) == signature


@PROPERTY_SETTINGS
@given(data=general_data, secret=secrets_, first=formats, second=formats)
def test_the_signed_content_does_not_depend_on_the_body_layout(
    data: dict[str, Any], secret: str, first: dict[str, Any], second: dict[str, Any]
) -> None:
    first = {**first, "ensure_ascii": True}  # lone surrogates must travel escaped
    second = {**second, "ensure_ascii": True}
    parsed = js_json.parse(body_of(data, first).decode())["data"]
    signature = sign(parsed, secret)

    verify_webhook({"webhook-signature": signature}, body_of(data, first), [secret], now=NOW)
    verify_webhook({"webhook-signature": signature}, body_of(data, second), [secret], now=NOW)


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _leaf_paths(item, (*path, key))] or [path]
    if isinstance(value, list):
        return [
            p for index, item in enumerate(value) for p in _leaf_paths(item, (*path, index))
        ] or [path]
    return [path]


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copied = dict(value) if isinstance(value, dict) else list(value)
    copied[head] = _replace(value[head], tuple(rest), new)
    return copied


@PROPERTY_SETTINGS
@given(data=simple_data, secret=secrets_, choice=st.data(), replacement=simple_leaves)
def test_any_changed_value_is_forged(
    data: dict[str, Any], secret: str, choice: st.DataObject, replacement: Any
) -> None:
    path = choice.draw(st.sampled_from(_leaf_paths(data)))
    tampered = _replace(data, path, replacement)
    assume(json.dumps(tampered) != json.dumps(data))
    signature = independent_signature(data, secret)

    body = body_of(tampered, {"indent": None, "ensure_ascii": True})

    assert failure_of({"webhook-signature": signature}, body, [secret]) is WebhookFailure.FORGED


@PROPERTY_SETTINGS
@given(data=simple_data, secret=secrets_, others=st.lists(secrets_, min_size=1, max_size=3))
def test_a_secret_that_signed_nothing_never_verifies(
    data: dict[str, Any], secret: str, others: list[str]
) -> None:
    assume(secret not in others)
    signature = independent_signature(data, secret)
    body = body_of(data, {"indent": None, "ensure_ascii": True})

    assert failure_of({"webhook-signature": signature}, body, others) is WebhookFailure.FORGED


@PROPERTY_SETTINGS
@given(
    data=simple_data,
    accepted=st.lists(secrets_, min_size=1, max_size=4, unique=True),
    choice=st.data(),
)
def test_during_rotation_any_accepted_secret_verifies_and_is_named(
    data: dict[str, Any], accepted: list[str], choice: st.DataObject
) -> None:
    index = choice.draw(st.integers(0, len(accepted) - 1))
    signature = independent_signature(data, accepted[index])

    verified = verify_webhook(
        {"webhook-signature": signature},
        body_of(data, {"indent": 2, "ensure_ascii": False}),
        accepted,
        now=NOW,
    )

    # An earlier secret can only match if it signs identically, i.e. is the same key.
    assert accepted[verified.secret_index].encode() == accepted[index].encode()


@PROPERTY_SETTINGS
@given(
    data=simple_data,
    secret=secrets_,
    decoys=st.lists(st.binary(min_size=32, max_size=32).map(bytes.hex), max_size=5),
    position=st.integers(0, 5),
    separator=st.sampled_from([",", ", ", " "]),
)
def test_the_right_signature_anywhere_among_decoys_verifies(
    data: dict[str, Any], secret: str, decoys: list[str], position: int, separator: str
) -> None:
    entries = list(decoys)
    entries.insert(min(position, len(entries)), independent_signature(data, secret))

    verify_webhook(
        {"webhook-signature": separator.join(entries)},
        body_of(data, {"indent": None, "ensure_ascii": True}),
        [secret],
        now=NOW,
    )


@PROPERTY_SETTINGS
@given(
    data=simple_data,
    secret=secrets_,
    decoys=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=5),
)
def test_random_signatures_are_forged(
    data: dict[str, Any], secret: str, decoys: list[bytes]
) -> None:
    headers = {"webhook-signature": ",".join(d.hex() for d in decoys)}
    body = body_of(data, {"indent": None, "ensure_ascii": True})

    assert failure_of(headers, body, [secret]) is WebhookFailure.FORGED


@PROPERTY_SETTINGS
@given(
    data=simple_data,
    offset=st.integers(-(10**7), 10**7),
    tolerance=st.integers(0, 10**6),
    milliseconds=st.booleans(),
)
def test_only_deliveries_within_the_tolerance_pass_the_age_check(
    data: dict[str, Any], offset: int, tolerance: int, milliseconds: bool
) -> None:
    created = (CREATED + offset) * (1000 if milliseconds else 1)
    body = body_of(data, {"indent": None, "ensure_ascii": True}, created=created)
    headers = {"webhook-signature": independent_signature(data, "s")}

    expected = WebhookFailure.STALE if abs(offset) > tolerance else None
    assert failure_of(headers, body, ["s"], tolerance=tolerance) is expected
