"""Properties that hold for any JSON body: the adapter contract and stable derived event ids."""

import copy
import json
from collections.abc import Collection, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access_core.ingest.platforms import (
    ADAPTERS,
    FieldError,
    PayloadInvalid,
    PlatformAdapter,
    Translation,
)
from access_core.ingest.platforms.base import derive_event_id

from .adapter_samples import load, valid_samples

Location = tuple[str | int, ...]  # keys and indexes into a JSON value
Sample = tuple[str, Any]  # (platform, a JSON body)

# Keys the adapters read, so that random objects reach past the envelope checks.
KNOWN_KEYS = [
    "id", "type", "data", "event", "created", "created_at", "webhook_id", "customer",
    "customerId", "planId", "status", "endDate", "email", "name", "reservation", "user",
    "players", "start_time", "end_time", "updated_at", "member_id", "player_ids", "start", "end",
]  # fmt: skip
EVENT_NAMES = [
    "membership.upserted", "membership.deleted", "plan.updated", "reservation.upserted",
    "reservation.cancelled", "enrollment.created", "enrollment.status.changed",
    "enrollment.deleted", "customer.deleted", "customer.created", "reservation_created",
    "reservation_updated", "reservation_cancelled",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=946_684_800, max_value=4_102_444_799)  # plausible epoch seconds
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(EVENT_NAMES)
    | st.sampled_from(["2025-03-14T15:02:11Z", "2025-03-14T15:02:11", "a@b.co", "active"])
    | st.sampled_from(
        [10**30, -(10**30), 2**63, 1e300, -1e300, 5e-324, "9999-12-31T23:59:59-23:59"]
    )
    | st.sampled_from(["\ud800", "a\udfff@example.com", "Ma\ud83dya"])  # unpaired surrogates
)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)
SAMPLES: list[Sample] = [(platform, load(platform, name)) for platform, name in valid_samples()]


def paths_in(value: object, prefix: Location = ()) -> Iterator[Location]:
    """Every location inside a JSON value, as key/index tuples."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths_in(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths_in(child, (*prefix, index))


TIME_KEYS = {
    "created", "created_at", "updated_at", "start_time", "end_time", "endDate", "start", "end",
    "cancellation_at",
}  # fmt: skip
SAMPLES_WITH_TIMES = [
    (platform, body)
    for platform, body in SAMPLES
    if any(path and path[-1] in TIME_KEYS for path in paths_in(body))
]


@st.composite
def mutated_samples(draw: st.DrawFn, keys: Collection[str] | None = None) -> Sample:
    """A valid sample with one location (under one of `keys`, if given) damaged."""
    platform, sample = draw(st.sampled_from(SAMPLES_WITH_TIMES if keys else SAMPLES))
    body = copy.deepcopy(sample)
    paths = [path for path in paths_in(body) if path and (keys is None or path[-1] in keys)]
    read_by_adapters = [path for path in paths if path[-1] in KNOWN_KEYS]
    path = draw(st.sampled_from(read_by_adapters) | st.sampled_from(paths))
    parent: Any = body
    for step in path[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "replace", "delete", "unpaired surrogate"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "unpaired surrogate" and isinstance(parent[path[-1]], str):
        parent[path[-1]] = "\udfff" + parent[path[-1]]
    else:
        parent[path[-1]] = draw(scalars | json_values)
    return platform, body


def assert_translation_or_payload_invalid(adapter: PlatformAdapter, payload: object) -> None:
    errors: list[FieldError] | None
    try:
        translation = adapter.translate(payload)
    except PayloadInvalid as invalid:
        errors = invalid.errors
    else:
        errors = None
    if errors is not None:
        assert errors
        assert all(error.field and error.message for error in errors)
        return
    assert isinstance(translation, Translation)
    assert translation.source_event_id
    assert translation.source_event_type
    if translation.ignored_reason is None:
        assert translation.events
        for event in translation.events:
            assert event.event_id == translation.source_event_id
            # Storable as it is: every text encodes as UTF-8.
            json.dumps(event.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
    else:
        assert translation.events == []


@pytest.mark.parametrize("platform", sorted(ADAPTERS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=json_values)
def test_any_json_value_translates_or_is_payload_invalid(platform: str, payload: object) -> None:
    assert_translation_or_payload_invalid(ADAPTERS[platform], payload)


@settings(max_examples=400, deadline=None)
@given(sample=mutated_samples())
def test_any_damage_to_a_sample_translates_or_is_payload_invalid(sample: Sample) -> None:
    platform, body = sample
    assert_translation_or_payload_invalid(ADAPTERS[platform], body)


@settings(max_examples=300, deadline=None)
@given(sample=mutated_samples(keys=TIME_KEYS))
def test_any_time_in_a_sample_translates_or_is_payload_invalid(sample: Sample) -> None:
    platform, body = sample
    assert_translation_or_payload_invalid(ADAPTERS[platform], body)


@given(payload=json_values)
def test_derived_event_id_is_stable_across_serialisation(payload: object) -> None:
    # NaN never equals itself, but serialises identically: the id is still stable.
    reparsed = json.loads(json.dumps(payload))
    assert derive_event_id(reparsed) == derive_event_id(payload)
    assert derive_event_id(copy.deepcopy(payload)) == derive_event_id(payload)


@given(payload=st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_derived_event_id_ignores_key_order(payload: dict[str, object]) -> None:
    reversed_order = dict(reversed(list(payload.items())))
    assert derive_event_id(reversed_order) == derive_event_id(payload)


@pytest.mark.parametrize(("platform", "sample"), SAMPLES, ids=[p for p, _ in SAMPLES])
def test_same_sample_body_same_translation(platform: str, sample: object) -> None:
    adapter = ADAPTERS[platform]
    assert adapter.translate(copy.deepcopy(sample)) == adapter.translate(copy.deepcopy(sample))
