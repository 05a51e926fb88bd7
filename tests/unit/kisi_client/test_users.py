"""Users: exact email lookup, ensure_user (adopt, create, recover without re-posting), updates."""

import httpx
import pytest

from kisi_client import KisiConflict, KisiUnavailable, KisiValidationError, User, is_managed_by

from .kisi_fakes import FakeKisi, body_of, kisi_error, kisi_json

MARKER = "kisi-access-bridge:tenant-1"
OURS = {"managed_by": MARKER}


def user(user_id: int, email: str, **fields: object) -> dict[str, object]:
    return {"id": user_id, "email": email, "name": f"User {user_id}", **fields}


def test_find_user_by_email_asks_for_the_exact_email(kisi: FakeKisi) -> None:
    kisi.collection("/users", [user(1, "ana@club.test")])

    found = kisi.client().find_user_by_email(" ana@club.test ")

    assert found is not None
    assert found.id == 1
    assert kisi.requests[0].url.params["email"] == "ana@club.test"
    assert kisi.requests[0].url.params["limit"] == "100"


def test_find_user_by_email_ignores_case(kisi: FakeKisi) -> None:
    kisi.collection("/users", [user(1, "Ana.Silva@Club.Test")])

    found = kisi.client().find_user_by_email("ana.silva@club.test")

    assert found is not None
    assert found.id == 1


def test_find_user_by_email_never_binds_a_fuzzy_first_result(kisi: FakeKisi) -> None:
    kisi.collection(
        "/users",
        [user(1, "ana@club.test.example"), user(2, "xana@club.test"), user(3, "ANA@club.test")],
    )

    found = kisi.client().find_user_by_email("ana@club.test")

    assert found is not None
    assert found.id == 3


def test_find_user_by_email_returns_none_when_only_near_misses_exist(kisi: FakeKisi) -> None:
    kisi.collection("/users", [user(1, "ana@club.tes"), user(2, "an@club.test")])

    assert kisi.client().find_user_by_email("ana@club.test") is None


def test_ensure_user_adopts_an_existing_user_untouched(kisi: FakeKisi) -> None:
    kisi.collection("/users", [user(1, "ana@club.test", notes="VIP")])

    found, created = kisi.client().ensure_user(
        "ana@club.test", "Ana", send_emails=True, marker=MARKER
    )

    assert (found.id, created) == (1, False)
    assert not is_managed_by(found, MARKER)
    assert [r.method for r in kisi.requests] == ["GET"]


def test_ensure_user_creates_a_managed_user_marked_as_ours(kisi: FakeKisi) -> None:
    kisi.collection("/users", [])
    kisi.route(
        "POST", "/users", lambda request: kisi_json(200, {"id": 5, **body_of(request)["user"]})
    )

    made, created = kisi.client().ensure_user(
        "bo@club.test", "Bo", send_emails=False, marker=MARKER
    )

    assert (made.id, created) == (5, True)
    assert is_managed_by(made, MARKER)
    assert body_of(kisi.sent("POST", "/users")[0]) == {
        "user": {
            "email": "bo@club.test",
            "name": "Bo",
            "send_emails": False,
            "confirm": True,
            "access_enabled": True,
            "metadata": {"managed_by": MARKER},
            "notes": f"managed-by: {MARKER}",
        }
    }


def test_ensure_user_with_emails_creates_a_regular_invited_user(kisi: FakeKisi) -> None:
    kisi.collection("/users", [])
    kisi.route("POST", "/users", kisi_json(200, user(5, "bo@club.test", metadata=OURS)))

    kisi.client().ensure_user("bo@club.test", "Bo", send_emails=True, marker=MARKER)

    sent = body_of(kisi.sent("POST", "/users")[0])["user"]
    assert sent["send_emails"] is True
    assert "confirm" not in sent


def test_a_409_on_create_recovers_by_looking_the_user_up(kisi: FakeKisi) -> None:
    kisi.route(
        "GET",
        "/users",
        kisi_json(200, [], **{"X-Collection-Range": "*/0"}),
        kisi_json(200, [user(8, "cy@club.test")], **{"X-Collection-Range": "0-0/1"}),
    )
    kisi.route("POST", "/users", kisi_error(409, "a1b2c3", "Email has already been taken"))

    found, created = kisi.client().ensure_user(
        "cy@club.test", "Cy", send_emails=False, marker=MARKER
    )

    assert (found.id, created) == (8, False)
    assert len(kisi.sent("POST", "/users")) == 1


def test_a_409_recovery_falls_back_to_kisis_search_compared_exactly(kisi: FakeKisi) -> None:
    def users(request: httpx.Request) -> httpx.Response:
        if "query" in request.url.params:
            return kisi_json(200, [user(7, "cy@club.test.old"), user(8, "CY@club.test")])
        return kisi_json(200, [])

    kisi.route("GET", "/users", users)
    kisi.route("POST", "/users", kisi_error(409, "a1b2c3", "Email has already been taken"))

    found, created = kisi.client().ensure_user(
        "cy@club.test", "Cy", send_emails=False, marker=MARKER
    )

    assert (found.id, created) == (8, False)


def test_a_409_with_no_user_to_find_is_raised(kisi: FakeKisi) -> None:
    kisi.collection("/users", [])
    kisi.route("POST", "/users", kisi_error(409, "a1b2c3", "Email has already been taken"))

    with pytest.raises(KisiConflict) as raised:
        kisi.client().ensure_user("cy@club.test", "Cy", send_emails=False, marker=MARKER)

    assert raised.value.code == "a1b2c3"
    assert len(kisi.sent("POST", "/users")) == 1


def test_a_timeout_on_create_is_not_reposted_and_finds_the_user_it_made(kisi: FakeKisi) -> None:
    kisi.route(
        "GET",
        "/users",
        kisi_json(200, []),
        kisi_json(200, [user(9, "di@club.test", metadata=OURS)]),
    )
    kisi.route("POST", "/users", httpx.ReadTimeout("simulated"), kisi_json(200, user(10, "x")))

    found, created = kisi.client().ensure_user(
        "di@club.test", "Di", send_emails=False, marker=MARKER
    )

    assert (found.id, created) == (9, True)
    assert len(kisi.sent("POST", "/users")) == 1


def test_a_timeout_then_finding_someone_elses_user_is_an_adoption(kisi: FakeKisi) -> None:
    kisi.route("GET", "/users", kisi_json(200, []), kisi_json(200, [user(9, "di@club.test")]))
    kisi.route("POST", "/users", httpx.Response(500))

    found, created = kisi.client().ensure_user(
        "di@club.test", "Di", send_emails=False, marker=MARKER
    )

    assert (found.id, created) == (9, False)


def test_an_ambiguous_failure_with_nothing_to_find_is_raised_not_reposted(kisi: FakeKisi) -> None:
    kisi.collection("/users", [])
    kisi.route("POST", "/users", httpx.Response(503), kisi_json(200, user(10, "ed@club.test")))

    with pytest.raises(KisiUnavailable):
        kisi.client().ensure_user("ed@club.test", "Ed", send_emails=False, marker=MARKER)

    assert len(kisi.sent("POST", "/users")) == 1


def test_a_rejected_create_is_raised_without_a_lookup(kisi: FakeKisi) -> None:
    kisi.collection("/users", [])
    kisi.route("POST", "/users", kisi_json(422, {"errors": {"email": ["is invalid"]}}))

    with pytest.raises(KisiValidationError):
        kisi.client().ensure_user("not-an-email", "Ed", send_emails=False, marker=MARKER)

    assert [r.method for r in kisi.requests] == ["GET", "POST"]


@pytest.mark.parametrize("marker", ["", " padded", "two\nlines", "x" * 201])
def test_a_bad_marker_is_refused_before_any_call(kisi: FakeKisi, marker: str) -> None:
    with pytest.raises(ValueError, match="marker"):
        kisi.client().ensure_user("a@club.test", "A", send_emails=False, marker=marker)

    assert kisi.requests == []


def test_update_user_patches_the_wrapped_fields(kisi: FakeKisi) -> None:
    kisi.route("PATCH", "/users/5", httpx.Response(204))

    kisi.client().update_user(5, access_enabled=False, name="Bo B.")

    assert body_of(kisi.requests[0]) == {"user": {"access_enabled": False, "name": "Bo B."}}


def test_update_user_needs_a_field(kisi: FakeKisi) -> None:
    with pytest.raises(ValueError, match="at least one field"):
        kisi.client().update_user(5)


@pytest.mark.parametrize(("answer", "deleted"), [(204, True), (404, False)])
def test_delete_user_treats_already_gone_as_done(
    kisi: FakeKisi, answer: int, deleted: bool
) -> None:
    kisi.route("DELETE", "/users/5", httpx.Response(answer))

    assert kisi.client().delete_user(5) is deleted


def test_get_user_parses_the_fields_used(kisi: FakeKisi) -> None:
    kisi.route(
        "GET",
        "/users/5",
        kisi_json(
            200,
            user(
                5,
                "bo@club.test",
                access_enabled=False,
                metadata=None,
                notes=None,
                created_at="2024-05-01T10:00:00.000Z",
                unknown_field={"nested": True},
            ),
        ),
    )

    found = kisi.client().get_user(5)

    assert found.access_enabled is False
    assert found.metadata == {}
    assert found.created_at is not None
    assert found.created_at.year == 2024


@pytest.mark.parametrize(
    ("fields", "managed"),
    [
        ({"metadata": {"managed_by": MARKER}}, True),
        ({"notes": f"Front desk note\nmanaged-by: {MARKER}\n"}, True),
        ({"metadata": {"managed_by": "kisi-access-bridge:tenant-2"}}, False),
        ({"notes": f"managed-by: {MARKER}-and-more"}, False),
        ({"notes": f"see managed-by: {MARKER}"}, False),
        ({}, False),
    ],
)
def test_is_managed_by_reads_the_marker_exactly(fields: dict[str, object], managed: bool) -> None:
    assert is_managed_by(User.model_validate({"id": 1, **fields}), MARKER) is managed


def test_create_first_costs_one_call_for_a_new_user(kisi: FakeKisi) -> None:
    kisi.route("POST", "/users", kisi_json(200, user(5, "bo@club.test", metadata=OURS)))

    made, created = kisi.client().ensure_user(
        "bo@club.test", "Bo", send_emails=True, marker=MARKER, lookup_first=False
    )

    assert (made.id, created) == (5, True)
    assert [(r.method, r.url.path) for r in kisi.requests] == [("POST", "/users")]


def test_create_first_adopts_an_existing_user_after_kisis_409(kisi: FakeKisi) -> None:
    kisi.route("POST", "/users", kisi_error(409, "a1b2c3", "Email has already been taken"))
    kisi.collection("/users", [user(1, "Bo@Club.Test", notes="VIP")])

    found, created = kisi.client().ensure_user(
        "bo@club.test", "Bo", send_emails=True, marker=MARKER, lookup_first=False
    )

    assert (found.id, created) == (1, False)
    assert not is_managed_by(found, MARKER)
    assert [r.method for r in kisi.requests] == ["POST", "GET"]
    assert len(kisi.sent("POST", "/users")) == 1
