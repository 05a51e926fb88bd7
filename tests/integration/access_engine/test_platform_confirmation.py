"""A webhook is a trigger (issue 13): before granting, the worker asks the club's platform API
what it says of the member now, stores that through the ordered intake path, and acts on it.
The same look-up fills in the email an enrollment event does not carry."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from access_core import bootstrap
from access_core.domain.events import (
    MemberProfileUpdated,
    MembershipStatus,
    MembershipUpserted,
    PlanUpdated,
)
from access_core.domain.model import ConnectionState, Tenant
from access_core.domain.ports import (
    DirectoryPage,
    MemberFacts,
    PlatformAccount,
    PlatformAuthError,
    PlatformDirectory,
    PlatformUnavailable,
)
from tests.integration.harness import GOLD_PLAN, T0, Club

MAYA = "maya"
MAYA_EMAIL = "maya@club.example"


@dataclass
class ClubPlatform:
    """The platform's current word on each member, as a PlatformDirectory would read it."""

    statuses: dict[str, MembershipStatus] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    failure: Exception | None = None
    asked: list[str] = field(default_factory=list)
    plans: dict[str, PlanUpdated] = field(default_factory=dict)
    plan_of: dict[str, str] = field(default_factory=dict)
    granting_statuses: tuple[str, ...] = ("active",)
    calls_made: int = 0

    def check_credentials(self) -> PlatformAccount:
        return PlatformAccount(account_id="c-1", name="Riverside")

    def member_facts(self, member_id: str, *, enrollment_id: str | None = None) -> MemberFacts:
        self.asked.append(member_id)
        self.calls_made += 2
        if self.failure is not None:
            raise self.failure
        read_at = datetime.now(UTC)
        profile = None
        if member_id in self.emails:
            profile = MemberProfileUpdated(
                event_id=f"pull-{member_id}-profile",
                member_id=member_id,
                email=self.emails[member_id],
                name=member_id.title(),
                updated_at=read_at,
            )
        membership = MembershipUpserted(
            event_id=f"pull-{member_id}",
            member_id=member_id,
            plan_id=self.plan_of.get(member_id, GOLD_PLAN),
            status=self.statuses.get(member_id, MembershipStatus.CANCELLED),
            updated_at=read_at,
        )
        return MemberFacts(
            member_id=member_id, read_at=read_at, membership=membership, profile=profile
        )

    def list_enrollments(self, *, status: str | None = None, page: int = 1) -> DirectoryPage:
        raise AssertionError("the worker lists nothing")

    def list_customers(self, *, page: int = 1) -> DirectoryPage:
        raise AssertionError("the worker lists nothing")

    def plan(self, plan_id: str) -> PlanUpdated | None:
        self.asked.append(f"plan:{plan_id}")
        return self.plans.get(plan_id)


@pytest.fixture
def platform(club: Club) -> ClubPlatform:
    """The club connected a platform API: the worker may ask it."""
    connected = ClubPlatform()

    def platform_for(tenant: Tenant) -> PlatformDirectory | None:
        return connected

    container = bootstrap.container()
    container.worker = replace(container.worker, platform_for=platform_for)
    return connected


def test_a_replayed_grant_is_not_given_when_the_platform_says_cancelled(
    club: Club, platform: ClubPlatform
) -> None:
    platform.statuses[MAYA] = MembershipStatus.CANCELLED
    club.membership(MAYA, MAYA_EMAIL, "active", T0)
    club.converge()
    assert platform.asked == [MAYA]
    assert MAYA_EMAIL not in club.group_emails()
    assert club.stored_member(MAYA).status is MembershipStatus.CANCELLED


def test_a_confirmed_grant_is_given_and_asked_once(club: Club, platform: ClubPlatform) -> None:
    platform.statuses[MAYA] = MembershipStatus.ACTIVE
    club.membership(MAYA, MAYA_EMAIL, "active", T0)
    club.converge()
    assert MAYA_EMAIL in club.group_emails()
    assert platform.asked == [MAYA]
    club.converge()
    assert platform.asked == [MAYA], "a member in sync needs no word from the platform"


def test_an_enrollment_without_email_is_looked_up(club: Club, platform: ClubPlatform) -> None:
    platform.statuses[MAYA] = MembershipStatus.ACTIVE
    platform.emails[MAYA] = MAYA_EMAIL
    club.post(
        "membership.upserted",
        {
            "member_id": MAYA,
            "plan_id": GOLD_PLAN,
            "status": "active",
            "updated_at": T0.isoformat(),
        },
    )
    club.converge()
    assert MAYA_EMAIL in club.group_emails()
    assert club.stored_member(MAYA).email == MAYA_EMAIL


def test_a_platform_outage_retries_the_command_and_loses_nothing(
    club: Club, platform: ClubPlatform
) -> None:
    platform.statuses[MAYA] = MembershipStatus.ACTIVE
    platform.failure = PlatformUnavailable("down", retry_after=1)
    club.membership(MAYA, MAYA_EMAIL, "active", T0)
    # The failed delivery is made visible again at once (instead of after the delay it asked).
    club.stack.worker_poller(retry_visibility_seconds=0).poll_once()
    assert MAYA_EMAIL not in club.group_emails()
    assert club.stack.queue_depth() == 1, "the command waits on the queue"
    platform.failure = None
    club.converge()
    assert MAYA_EMAIL in club.group_emails()


def test_a_refused_platform_key_is_marked_and_the_webhook_stands(
    club: Club, platform: ClubPlatform
) -> None:
    platform.failure = PlatformAuthError("refused")
    club.membership(MAYA, MAYA_EMAIL, "active", T0 + timedelta(minutes=1))
    club.converge()
    assert MAYA_EMAIL in club.group_emails()
    assert club.stack_tenant().platform_api_state is ConnectionState.INVALID_CREDENTIALS


def test_a_plan_the_bridge_never_heard_of_takes_the_platforms_24_hour_policy(
    club: Club, platform: ClubPlatform
) -> None:
    """PushPress sends no plan events: a member on a plan unknown to the bridge (no admin flag,
    no plan.updated) is decided on the plan's own "24-hr access" policy, read from the API."""
    new_plan = "plan-night-owl"
    platform.statuses[MAYA] = MembershipStatus.ACTIVE
    platform.plans[new_plan] = PlanUpdated(
        event_id="pull-plan",
        plan_id=new_plan,
        name="Night Owl 24/7",
        has_24h_access=True,
        updated_at=datetime.now(UTC),
    )
    platform.plan_of[MAYA] = new_plan
    club.membership(MAYA, MAYA_EMAIL, "active", T0, plan_id=new_plan)
    club.converge()
    assert f"plan:{new_plan}" in platform.asked
    assert MAYA_EMAIL in club.group_emails()
