"""Group role assignments: create, recover by lookup, remove idempotently, replace."""

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from kisi_client import KisiConflict, KisiUnavailable, RoleAssignment, kisi_timestamp

from .kisi_fakes import FakeKisi, body_of, kisi_error, kisi_json

USER_ID, GROUP_ID = 31, 9
UNTIL = datetime(2025, 3, 31, 23, 59, 59, tzinfo=UTC)


def assignment(assignment_id: int, user_id: int = USER_ID, **fields: object) -> dict[str, object]:
    return {
        "id": assignment_id,
        "role_id": "group_basic",
        "applies_to_type": "Group",
        "applies_to_id": GROUP_ID,
        "assignee_type": "User",
        "assignee_id": user_id,
        **fields,
    }


def test_ensure_group_assignment_posts_the_documented_body(kisi: FakeKisi) -> None:
    kisi.route("POST", "/role_assignments", kisi_json(200, assignment(70)))

    made = kisi.client().ensure_group_assignment(USER_ID, GROUP_ID, valid_until=UNTIL)

    assert made.id == 70
    assert body_of(kisi.requests[0]) == {
        "role_assignment": {
            "role_id": "group_basic",
            "applies_to_type": "Group",
            "applies_to_id": GROUP_ID,
            "assignee_type": "User",
            "assignee_id": USER_ID,
            "notify": False,
            "valid_from": None,
            "valid_until": "2025-03-31T23:59:59.000Z",
        }
    }


def test_a_409_recovers_by_finding_the_users_assignment_in_the_group(kisi: FakeKisi) -> None:
    kisi.route("POST", "/role_assignments", kisi_error(409, "0c0c0c", "Already assigned"))
    kisi.collection("/role_assignments", [assignment(71)])

    found = kisi.client().ensure_group_assignment(USER_ID, GROUP_ID, valid_until=None)

    assert found.id == 71
    assert len(kisi.sent("POST", "/role_assignments")) == 1
    lookup = kisi.sent("GET", "/role_assignments")[0].url.params
    assert lookup["applies_to_type"] == "Group"
    assert lookup["applies_to_id"] == str(GROUP_ID)
    assert lookup["assignee_id"] == str(USER_ID)


def test_the_lookup_checks_results_itself_when_kisi_ignores_the_assignee_filter(
    kisi: FakeKisi,
) -> None:
    kisi.route("POST", "/role_assignments", kisi_error(409, "0c0c0c", "Already assigned"))
    others = [assignment(100 + n, user_id=1000 + n) for n in range(300)]
    kisi.collection(
        "/role_assignments",
        [*others, assignment(80, role_id="group_manager"), assignment(81), assignment(82)],
    )

    found = kisi.client().ensure_group_assignment(USER_ID, GROUP_ID, valid_until=None)

    assert found.id == 81


def test_an_assignment_in_another_group_is_not_taken_for_this_one(kisi: FakeKisi) -> None:
    kisi.route("POST", "/role_assignments", kisi_error(409, "0c0c0c", "Already assigned"))
    kisi.collection("/role_assignments", [assignment(90, applies_to_id=GROUP_ID + 1)])

    with pytest.raises(KisiConflict):
        kisi.client().ensure_group_assignment(USER_ID, GROUP_ID, valid_until=None)


def test_a_timeout_on_create_is_not_reposted_and_finds_the_assignment(kisi: FakeKisi) -> None:
    kisi.route(
        "POST", "/role_assignments", httpx.ReadTimeout("simulated"), kisi_json(200, assignment(1))
    )
    kisi.collection("/role_assignments", [assignment(72, valid_until="2025-03-31T23:59:59Z")])

    found = kisi.client().ensure_group_assignment(USER_ID, GROUP_ID, valid_until=UNTIL)

    assert found.id == 72
    assert found.valid_until == UNTIL
    assert len(kisi.sent("POST", "/role_assignments")) == 1


def test_an_ambiguous_failure_with_nothing_to_find_is_raised(kisi: FakeKisi) -> None:
    kisi.route("POST", "/role_assignments", httpx.Response(502), kisi_json(200, assignment(1)))
    kisi.collection("/role_assignments", [])

    with pytest.raises(KisiUnavailable):
        kisi.client().ensure_group_assignment(USER_ID, GROUP_ID, valid_until=None)

    assert len(kisi.sent("POST", "/role_assignments")) == 1


@pytest.mark.parametrize(("status", "removed"), [(204, True), (404, False)])
def test_remove_assignment_treats_already_gone_as_success(
    kisi: FakeKisi, status: int, removed: bool
) -> None:
    kisi.route("DELETE", "/role_assignments/70", httpx.Response(status))

    assert kisi.client().remove_assignment(70) is removed


def test_remove_assignment_is_retried_after_a_5xx(kisi: FakeKisi) -> None:
    kisi.route("DELETE", "/role_assignments/70", httpx.Response(503), httpx.Response(204))

    assert kisi.client().remove_assignment(70) is True
    assert len(kisi.requests) == 2


def test_replace_deletes_then_creates_with_the_new_dates(kisi: FakeKisi) -> None:
    old = RoleAssignment.model_validate(assignment(70, valid_until="2025-01-01T00:00:00Z"))
    kisi.route("DELETE", "/role_assignments/70", httpx.Response(204))
    kisi.route("POST", "/role_assignments", kisi_json(200, assignment(71)))
    later = UNTIL + timedelta(days=30)

    new = kisi.client().replace_group_assignment(old, valid_until=later)

    assert new.id == 71
    assert [(r.method, r.url.path) for r in kisi.requests] == [
        ("DELETE", "/role_assignments/70"),
        ("POST", "/role_assignments"),
    ]
    sent = body_of(kisi.requests[1])["role_assignment"]
    assert (sent["assignee_id"], sent["applies_to_id"]) == (USER_ID, GROUP_ID)
    assert sent["valid_until"] == "2025-04-30T23:59:59.000Z"


def test_replace_refuses_an_assignment_that_is_not_a_users_in_a_group(kisi: FakeKisi) -> None:
    place_role = RoleAssignment.model_validate(
        {"id": 5, "applies_to_type": "Place", "applies_to_id": 3, "assignee_id": USER_ID}
    )

    with pytest.raises(ValueError, match="group"):
        kisi.client().replace_group_assignment(place_role, valid_until=None)

    assert kisi.requests == []


def test_a_naive_datetime_is_refused_before_any_call(kisi: FakeKisi) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        kisi.client().ensure_group_assignment(
            USER_ID, GROUP_ID, valid_until=datetime(2025, 1, 1, 12, 0)
        )

    assert kisi.requests == []


def test_timestamps_are_sent_in_utc() -> None:
    paris_winter = timezone(timedelta(hours=1))

    assert kisi_timestamp(datetime(2025, 1, 1, 1, 30, tzinfo=paris_winter)) == (
        "2025-01-01T00:30:00.000Z"
    )
    assert kisi_timestamp(None) is None


def test_current_fields_fill_the_deprecated_ones() -> None:
    parsed = RoleAssignment.model_validate(
        assignment(1, assignee={"id": USER_ID, "email": "m@club.test", "name": "M"})
    )

    assert (parsed.group_id, parsed.user_id) == (GROUP_ID, USER_ID)
    assert parsed.assignee_email == "m@club.test"


def test_deprecated_fields_fill_the_current_ones() -> None:
    parsed = RoleAssignment.model_validate(
        {"id": 1, "role_id": "group_basic", "user_id": USER_ID, "group_id": GROUP_ID}
    )

    assert (parsed.applies_to_type, parsed.applies_to_id) == ("Group", GROUP_ID)
    assert (parsed.assignee_type, parsed.assignee_id) == ("User", USER_ID)


def test_the_assignee_object_alone_gives_the_user_id() -> None:
    parsed = RoleAssignment.model_validate(
        {"id": 1, "applies_to_type": "Group", "applies_to_id": GROUP_ID, "assignee": {"id": 4}}
    )

    assert parsed.user_id == 4
    assert parsed.assignee_id == 4


def test_a_place_assignment_has_no_group_id() -> None:
    parsed = RoleAssignment.model_validate(
        {"id": 1, "applies_to_type": "Place", "applies_to_id": 3, "assignee_id": USER_ID}
    )

    assert parsed.group_id is None
    assert parsed.applies_to_id == 3


def test_a_non_user_assignee_has_no_user_id() -> None:
    parsed = RoleAssignment.model_validate(assignment(1, assignee_type="ApiKey", assignee_id=12))

    assert parsed.user_id is None
