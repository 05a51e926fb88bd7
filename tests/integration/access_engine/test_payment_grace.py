"""The grace policy end to end: a plan's grace days set through the Admin API, a failed payment
(webhook) and the Kisi assignment ending at paid-through + grace."""

from datetime import UTC, datetime, timedelta

from tests.integration.harness import AdminApi

from .conftest import GOLD_PLAN, T0, Club

EMAIL = "ada@example.com"


def payment_failed(club: Club, paid_through: datetime) -> None:
    data = {
        "member_id": "m1",
        "email": EMAIL,
        "plan_id": GOLD_PLAN,
        "status": "payment_failed",
        "paid_through": paid_through.isoformat(),
        "updated_at": (T0 + timedelta(hours=1)).isoformat(),
    }
    assert club.post("membership.upserted", data).status == 202
    club.converge()


def set_grace(club: Club, days: int) -> None:
    admin = AdminApi(club.stack)
    plan = {"plan_id": GOLD_PLAN, "has_24h_access": True, "payment_grace_days": days}
    answer = admin(
        "PUT", "/settings", {"platform": "canonical", "door_access_enabled": False, "plans": [plan]}
    )
    assert answer.status == 200, answer.body
    [view] = [p for p in answer.body["plans"] if p["plan_id"] == GOLD_PLAN]
    assert view["payment_grace_days"] == days
    club.converge()


def test_a_failed_payment_keeps_access_until_paid_through_plus_the_plans_grace(club: Club) -> None:
    set_grace(club, 5)
    club.membership("m1", EMAIL, "active", T0)
    club.converge()
    paid_through = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)

    payment_failed(club, paid_through)

    valid_until = club.group_assignments()[EMAIL]["valid_until"]
    assert datetime.fromisoformat(valid_until) == paid_through + timedelta(days=5)


def test_without_grace_a_failed_payment_revokes_as_before(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0)
    club.converge()

    payment_failed(club, datetime.now(UTC) + timedelta(days=3))

    assert EMAIL not in club.group_emails()


def test_setting_a_grace_re_evaluates_the_plans_members(club: Club) -> None:
    club.membership("m1", EMAIL, "active", T0)
    club.converge()
    paid_through = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    payment_failed(club, paid_through)
    assert EMAIL not in club.group_emails()

    set_grace(club, 30)  # the plan's access changed: its members are converged again

    valid_until = club.group_assignments()[EMAIL]["valid_until"]
    assert datetime.fromisoformat(valid_until) == paid_through + timedelta(days=30)
