"""Bad input changes nothing: hundreds of generated malformed, oversized, wrongly signed, replayed
and schema-breaking webhooks, and malformed or unauthorized Admin and Unlock API requests, get a
4xx answer each, and the stored state (both tables, the SSM parameters, every queue's messages)
is exactly what it was before them."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from access_core.ingest.service import MAX_WEBHOOK_BODY_BYTES
from access_core.ingest.signature import TOLERANCE_SECONDS, signature_headers
from local_runtime.in_process import HttpResult
from tests.integration.harness import (
    T0,
    TENANT_ID,
    AdminApi,
    Club,
    UnlockApi,
    admin_claims,
    player_claims,
    stack_contents,
)

CORPUS_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)


@dataclass
class Corpus:
    """The answers a generated corpus got, by category."""

    answers: list[tuple[str, HttpResult]] = field(default_factory=list)

    def record(self, category: str, result: HttpResult) -> None:
        self.answers.append((category, result))
        assert 400 <= result.status < 500, (category, result.status, result.body)

    def categories(self) -> set[str]:
        return {category for category, _ in self.answers}


@pytest.fixture
def unconverged(club: Club) -> Club:
    """The club with a command still waiting on the queue: its message must stay as it is too."""
    club.membership("m1", "ada@example.com", "active", T0)
    club.plan("gold-24h", True, T0)
    return club


# ---- webhooks ---------------------------------------------------------------------------------

VALID_EVENTS: dict[str, dict[str, Any]] = {
    "membership.upserted": {
        "member_id": "m7",
        "email": "new@example.com",
        "plan_id": "gold-24h",
        "status": "active",
        "updated_at": "2026-11-02T10:00:00Z",
    },
    "membership.deleted": {"member_id": "m1", "updated_at": "2026-11-02T10:00:00Z"},
    "plan.updated": {
        "plan_id": "gold-24h",
        "has_24h_access": False,
        "updated_at": "2026-11-02T10:00:00Z",
    },
    "reservation.upserted": {
        "reservation_id": "r1",
        "player_ids": ["p1"],
        "start": "2026-11-02T10:00:00Z",
        "end": "2026-11-02T11:00:00Z",
        "updated_at": "2026-11-02T10:00:00Z",
    },
    "reservation.cancelled": {"reservation_id": "r1", "updated_at": "2026-11-02T10:00:00Z"},
}
BAD_IDS = ["", "has space", "x" * 129, "slash/inside", 5, [], {}, True]
BAD_TIMES = ["yesterday", "2026-11-02T10:00:00", "2026-13-45T99:00:00Z", "", [], {}, True]
# Values every event field refuses (optional fields are only given values they refuse).
BAD_VALUES: dict[str, list[Any]] = {
    "member_id": [*BAD_IDS, None],
    "reservation_id": [*BAD_IDS, None],
    "plan_id": BAD_IDS,
    "email": ["not-an-email", "a@b", "", "two@@example.com", 5, [], {"a": 1}],
    "status": ["frozen", "ACTIVE!", "", 3, None, []],
    "updated_at": [*BAD_TIMES, None],
    "start": [*BAD_TIMES, None],
    "end": [*BAD_TIMES, None, "2026-11-02T09:00:00Z"],
    "has_24h_access": ["maybe", [], {}, None, 2],
    "player_ids": [[], "p1", [""], ["has space"], ["p"] * 51, None, [5]],
}
REQUIRED = {
    kind: [name for name in data if name in BAD_VALUES and name not in {"email", "plan_id"}]
    for kind, data in VALID_EVENTS.items()
}


def envelope(kind: str, data: dict[str, Any], event_id: Any = "evt-bad") -> bytes:
    return json.dumps({"id": event_id, "type": kind, "data": data}).encode()


@st.composite
def schema_breaking_bodies(draw: st.DrawFn) -> bytes:
    """A known canonical event broken in one way: a required field missing, a field with a value
    it refuses, an unknown field, a bad event id, or data that is not an object."""
    kind = draw(st.sampled_from(sorted(VALID_EVENTS)))
    data = dict(VALID_EVENTS[kind])
    how = draw(st.sampled_from(("missing", "bad-value", "unknown-field", "bad-id", "bad-data")))
    match how:
        case "missing":
            del data[draw(st.sampled_from(REQUIRED[kind]))]
        case "bad-value":
            name = draw(st.sampled_from(sorted(n for n in data if n in BAD_VALUES)))
            data[name] = draw(st.sampled_from(BAD_VALUES[name]))
        case "unknown-field":
            data[draw(st.text(PRINTABLE, min_size=1).filter(lambda n: n not in data))] = 1
        case "bad-id":
            return envelope(kind, data, draw(st.sampled_from(BAD_IDS[1:])))
        case "bad-data":
            return json.dumps({"id": "evt-bad", "type": kind, "data": draw(json_scalars)}).encode()
    return envelope(kind, data)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(PRINTABLE, max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(PRINTABLE, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
not_json = st.binary(max_size=200).filter(lambda raw: not _parses(raw))
valid_body = envelope("membership.upserted", VALID_EVENTS["membership.upserted"])


def _parses(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class WebhookRequest:
    category: str
    body: bytes
    sign_with: str | None  # "secret" for the club's own secret, None for unsigned
    clock_skew: int = 0  # the signature's timestamp, in seconds from the time of sending
    tenant_id: str = TENANT_ID
    platform: str = "canonical"
    extra_headers: tuple[tuple[str, str], ...] = ()
    expected: frozenset[int] = frozenset()


VALID_BODY = st.just(valid_body)
OWN_SECRET: st.SearchStrategy[str | None] = st.just("secret")


def case(
    category: str,
    expected: set[int],
    body: st.SearchStrategy[bytes] = VALID_BODY,
    sign_with: st.SearchStrategy[str | None] = OWN_SECRET,
    **fields: st.SearchStrategy[Any],
) -> st.SearchStrategy[WebhookRequest]:
    """Requests of one category; unless told otherwise a valid event signed with the club's
    secret, so that exactly one thing is wrong with it."""
    return st.builds(
        WebhookRequest,
        st.just(category),
        body,
        sign_with,
        expected=st.just(frozenset(expected)),
        **fields,
    )


# One path segment, as API Gateway hands a path parameter on (no "/").
ids = st.text(PRINTABLE, min_size=1, max_size=40).filter(lambda text: "/" not in text)
platform_ids = st.from_regex(r"[\w.:@-]{1,40}", fullmatch=True)
headers_of_text = st.tuples(
    st.tuples(st.just("x-bridge-timestamp"), st.text(PRINTABLE, max_size=20)),
    st.tuples(st.just("x-bridge-signature"), st.text(PRINTABLE, max_size=80)),
)
# Outside the tolerance window by more than the longest this test could take.
stale_or_future = st.one_of(
    st.integers(-(10**9), -TOLERANCE_SECONDS - 60), st.integers(TOLERANCE_SECONDS + 60, 10**9)
)
oversized = st.integers(MAX_WEBHOOK_BODY_BYTES + 1, MAX_WEBHOOK_BODY_BYTES + 4096).map(
    lambda size: b'{"pad": "' + b" " * size + b'"}'
)
not_objects = json_values.filter(lambda v: not isinstance(v, dict)).map(
    lambda v: json.dumps(v).encode()
)
bad_webhooks = st.one_of(
    case("unsigned", {401}, sign_with=st.none()),
    case("wrong-secret", {401}, sign_with=st.text(PRINTABLE, min_size=1, max_size=64)),
    case("garbage-signature", {401}, sign_with=st.none(), extra_headers=headers_of_text),
    case("replayed", {401}, clock_skew=stale_or_future),
    case("unknown-tenant", {401}, tenant_id=platform_ids.filter(lambda t: t != TENANT_ID)),
    # Not a possible tenant id: refused the same, or not routed at all (Powertools' 404).
    case("odd-tenant-id", {401, 404}, tenant_id=ids.filter(lambda t: t != TENANT_ID)),
    case("oversized", {413}, oversized, sign_with=st.sampled_from(("secret", None))),
    case("not-json", {400}, not_json),
    case("not-an-object", {422}, not_objects),
    case("schema-breaking", {422}, schema_breaking_bodies()),
    case(
        "unknown-platform",
        {404},
        platform=ids.filter(lambda p: p not in {"canonical", "pushpress", "playbypoint"}),
    ),
)


def post(club: Club, request: WebhookRequest) -> HttpResult:
    headers = dict(request.extra_headers)
    if request.sign_with is not None:
        secret = club.webhook_secret if request.sign_with == "secret" else request.sign_with
        timestamp = int(time.time()) + request.clock_skew
        headers |= signature_headers(secret, timestamp, request.body)
    return club.stack.post_webhook(
        request.platform, request.tenant_id, request.body, secret=None, extra_headers=headers
    )


def test_hundreds_of_bad_webhooks_get_4xx_and_change_nothing(unconverged: Club) -> None:
    club = unconverged
    before = stack_contents(club.stack)
    corpus = Corpus()

    @settings(CORPUS_SETTINGS, max_examples=300)
    @given(request=bad_webhooks)
    def deliver(request: WebhookRequest) -> None:
        response = post(club, request)
        corpus.record(request.category, response)
        assert response.status in request.expected, (request, response.body)

    deliver()
    assert len(corpus.answers) >= 300
    assert len(corpus.categories()) == 11
    assert stack_contents(club.stack) == before


# ---- the Admin and Unlock APIs ----------------------------------------------------------------

ADMIN_ROUTES = [
    ("GET", "/settings"),
    ("PUT", "/settings"),
    ("PUT", "/kisi-credentials"),
    ("DELETE", "/kisi-credentials"),
    ("POST", "/webhook-secret"),
    ("GET", "/locks"),
    ("POST", "/locks/sync"),
    ("PUT", "/locks/enabled"),
    ("GET", "/status"),
    ("POST", "/sync"),
    ("GET", "/members/m1/access"),
    ("GET", "/reservations/r1/access"),
    ("GET", "/members"),
    ("GET", "/reservations"),
    ("GET", "/kisi-groups"),
    ("GET", "/dead-letters"),
    ("POST", "/dead-letters/redrive"),
    ("GET", "/health"),
    ("GET", "/sync-runs"),
    ("GET", "/sync-runs/daily-x"),
]
BODY_ROUTES = [("PUT", "/settings"), ("PUT", "/kisi-credentials"), ("PUT", "/locks/enabled")]
BODY_ROUTES += [("POST", "/sync"), ("POST", "/dead-letters/redrive")]

# Claims no admin route accepts: none, no subject, no tenant, a player, another club's admin.
refused_claims = st.one_of(
    st.none(),
    st.just({}),
    st.builds(lambda s: {"sub": s, "roles": "[admin]"}, ids),
    st.builds(lambda t: {"tenant_id": t, "roles": "[admin]"}, ids),
    st.builds(lambda s: player_claims(subject=s), ids.filter(str.strip)),
    st.builds(
        lambda roles: {**admin_claims(), "roles": roles},
        st.sampled_from(["", "[]", "[player]", "[Admin]", "[administrator]", "admins"]),
    ),
    st.builds(
        lambda t: admin_claims(tenant_id=t),
        ids.filter(lambda t: t.strip() and t.strip() != TENANT_ID),
    ),
)
bad_bodies = st.one_of(
    not_json,
    not_objects,
    st.dictionaries(
        st.text(PRINTABLE, min_size=1, max_size=12).map(lambda k: "x_" + k),
        json_values,
        min_size=1,
        max_size=3,
    ).map(lambda v: json.dumps(v).encode()),
)


@dataclass(frozen=True)
class ApiRequest:
    category: str
    call: Callable[[AdminApi, UnlockApi], HttpResult]


def admin_request(
    category: str, route: tuple[str, str], claims: Any, body: bytes | None = None
) -> ApiRequest:
    method, path = route
    return ApiRequest(
        category, lambda admin, _: admin(method, path, raw_body=body or b"{}", claims=claims)
    )


unlock_ids = st.one_of(st.sampled_from(["r1", "res-1"]), ids)
lock_ids = st.one_of(st.sampled_from(["1", "2"]), st.text(PRINTABLE, min_size=1, max_size=12))
bad_api_requests = st.one_of(
    st.builds(
        admin_request,
        st.just("admin-refused-caller"),
        st.sampled_from(ADMIN_ROUTES),
        refused_claims,
    ),
    st.builds(
        admin_request,
        st.just("admin-bad-body"),
        st.sampled_from(BODY_ROUTES),
        st.just("admin"),
        bad_bodies,
    ),
    st.builds(
        lambda route, claims: admin_request("admin-unknown-route", route, claims),
        st.tuples(
            st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
            st.sampled_from(["/nope", "/settings/x", "/locks/1/unlock", "/members/m1", "/"]),
        ),
        st.just("admin"),
    ),
    st.builds(
        lambda route, claims: admin_request("admin-wrong-method", route, claims),
        st.sampled_from([("DELETE", "/settings"), ("PATCH", "/status"), ("POST", "/locks")]),
        st.just("admin"),
    ),
    st.builds(
        lambda reservation, unlock, claims: ApiRequest(
            "unlock-refused-caller",
            lambda _, player: (
                player.unlock(reservation, 1, claims=claims)
                if unlock
                else player.doors(reservation, claims=claims)
            ),
        ),
        unlock_ids,
        st.booleans(),
        st.one_of(
            st.none(),
            st.just({}),
            st.builds(lambda s: {"sub": s}, ids),
            st.builds(lambda t: {"tenant_id": t}, ids),
            st.builds(lambda s: player_claims(subject=s), st.sampled_from(["a b", "", "x" * 200])),
        ),
    ),
    st.builds(
        lambda reservation, lock: ApiRequest(
            "unlock-malformed", lambda _, player: player.unlock(reservation, lock)
        ),
        st.sampled_from(["", "has space", "x" * 129, "semi;colon"]),
        lock_ids,
    ),
    st.builds(
        lambda lock: ApiRequest("unlock-bad-lock-id", lambda _, player: player.unlock("r1", lock)),
        st.sampled_from(["0", "-1", "abc", "1.5", str(2**53 + 1), "", "1e3"]),
    ),
)


def test_hundreds_of_bad_api_requests_get_4xx_and_change_nothing(unconverged: Club) -> None:
    club = unconverged
    admin, player = AdminApi(club.stack), UnlockApi(club.stack)
    before = stack_contents(club.stack)
    corpus = Corpus()

    @settings(CORPUS_SETTINGS, max_examples=300)
    @given(request=bad_api_requests)
    def send(request: ApiRequest) -> None:
        corpus.record(request.category, request.call(admin, player))

    send()
    assert len(corpus.answers) >= 300
    assert len(corpus.categories()) == 7
    assert stack_contents(club.stack) == before
