"""The syncs' pull from PushPress on an in-process stack: the real handlers on moto, the Kisi
emulator, and the PushPress emulator on loopback, holding the club's company.

The stack builds its PushPress clients as deployed (`Container.platform_directory`: the tenant's
fields and its key in SSM), except that they are paced on a fake clock (pacing and the retries'
waits take no time) and read `PAGE_SIZE` records a page, so that a handful of members spans
several pages. A test may watch the pages read (`PlatformTestContainer.after_page`) to change
the platform while a sync is listing it.

`connect_pushpress` is the one place that connects the tenant's PushPress key: it writes the
tenant's fields and the SSM parameter as the Admin API's platform-credentials route stores them
(that route also checks the key with PushPress first); a switch to the route belongs there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from access_core import bootstrap
from access_core.domain.events import PlanUpdated, utc_iso
from access_core.domain.model import ConnectionState
from access_core.domain.ports import (
    DirectoryPage,
    MemberFacts,
    PlatformAccount,
    PlatformDirectory,
)
from access_core.pushpress.directory import PushPressDirectory
from kisi_emulator.server import RunningEmulator as RunningKisi
from local_runtime.in_process import HttpResult
from local_runtime.lambda_events import LocalLambdaContext
from pushpress_client import PacerRegistry, PushPressClient, RetryPolicy
from pushpress_emulator import PushPressEmulator
from pushpress_emulator.testing import running_emulator
from tests.fakes import FakeClock
from tests.integration.harness import (
    DAY_PASS_PLAN,
    GOLD_PLAN,
    PUSHPRESS_SIGNING_SECRET,
    TENANT_ID,
    Club,
    make_club,
    restored_environment,
)

PUSHPRESS_KEY = "pp-platform-sync-key-0123456789abcdef"
PAGE_SIZE = 2
# Deliveries are recorded, not sent (the stack has no socket): `deliver_webhooks` posts them.
UNUSED_WEBHOOK_URL = "http://127.0.0.1:9/webhooks/pushpress/club-1"

PageWatcher = Callable[[str | None, DirectoryPage], None]


class WatchedDirectory:
    """A PlatformDirectory that tells `watch` of every enrollments page it read."""

    def __init__(self, inner: PlatformDirectory, watch: PageWatcher) -> None:
        self._inner = inner
        self._watch = watch

    @property
    def granting_statuses(self) -> tuple[str, ...]:
        return self._inner.granting_statuses

    @property
    def calls_made(self) -> int:
        return self._inner.calls_made

    def check_credentials(self) -> PlatformAccount:
        return self._inner.check_credentials()

    def member_facts(self, member_id: str, *, enrollment_id: str | None = None) -> MemberFacts:
        return self._inner.member_facts(member_id, enrollment_id=enrollment_id)

    def list_enrollments(self, *, status: str | None = None, page: int = 1) -> DirectoryPage:
        listed = self._inner.list_enrollments(status=status, page=page)
        self._watch(status, listed)
        return listed

    def list_customers(self, *, page: int = 1) -> DirectoryPage:
        return self._inner.list_customers(page=page)

    def plan(self, plan_id: str) -> PlanUpdated | None:
        return self._inner.plan(plan_id)


@dataclass
class PlatformTestContainer(bootstrap.Container):
    """The stack's container, with PushPress clients paced on a fake clock."""

    pushpress_clock: FakeClock = field(default_factory=FakeClock)
    page_size: int = PAGE_SIZE
    after_page: PageWatcher | None = None

    def pushpress_directory(
        self,
        api_key: str,
        company_id: str | None,
        access_plan_ids: Collection[str] | None = None,
    ) -> PlatformDirectory:
        clock = self.pushpress_clock
        client = PushPressClient(
            api_key,
            company_id=company_id or None,
            base_url=self.settings.pushpress_base_url,
            pacers=PacerRegistry(clock=clock.monotonic, sleep=clock.sleep),
            retry=RetryPolicy(jitter=lambda: 0.0),
            page_size=self.page_size,
        )
        directory = PushPressDirectory(client, clock=self.clock, access_plan_ids=access_plan_ids)
        if self.after_page is None:
            return directory
        return WatchedDirectory(directory, self.after_page)


def stack_container() -> PlatformTestContainer:
    container = bootstrap.container()
    assert isinstance(container, PlatformTestContainer)
    return container


@dataclass
class PushPressClub:
    """A club whose members live in PushPress: the stack, its Kisi, and the PushPress company."""

    club: Club
    pushpress: PushPressEmulator
    company_id: str
    enrollments: dict[str, str]
    posted: set[int] = field(default_factory=set)

    # ---- the platform ------------------------------------------------------------------------

    def add_member(
        self, ref: str, *, status: str = "active", plan: str = GOLD_PLAN, **enrollment: Any
    ) -> None:
        """A new customer `ref` (id and first name) with one enrollment (`<ref>-sub`)."""
        self.pushpress.create_customer(
            self.company_id, id=ref, email=email_of(ref), first=ref.title()
        )
        created = self.pushpress.create_enrollment(
            self.company_id,
            id=f"{ref}-sub",
            customer_id=ref,
            plan_id=plan,
            status=status,
            **enrollment,
        )
        self.enrollments[ref] = str(created["id"])

    def set_status(self, ref: str, status: str, **fields: Any) -> None:
        self.pushpress.update_enrollment(
            self.company_id, self.enrollments[ref], status=status, **fields
        )

    def lose_webhooks(self) -> None:
        """Every delivery recorded so far never reaches the bridge."""
        self.posted |= {wire["id"] for wire in self.pushpress.deliveries()}

    def deliver_webhooks(self) -> list[HttpResult]:
        """Post every delivery PushPress recorded (and did not drop) to the bridge's native
        endpoint, as PushPress would, once each."""
        answers = []
        for wire in self.pushpress.deliveries():
            if wire["status"] != "pending" or wire["id"] in self.posted:
                continue
            delivery = self.pushpress.delivery(wire["id"])
            self.posted.add(delivery.id)
            answers.append(
                self.club.stack.post_webhook(
                    "pushpress",
                    TENANT_ID,
                    delivery.body,
                    secret=None,
                    extra_headers=delivery.headers,
                )
            )
        return answers

    # ---- the syncs ---------------------------------------------------------------------------

    def daily(self, **event: Any) -> dict[str, Any]:
        return self._only_result("SyncDailyFunction", {"tenant_id": TENANT_ID, **event})

    def weekly(self, **event: Any) -> dict[str, Any]:
        return self._only_result("SyncWeeklyFunction", {"tenant_id": TENANT_ID, **event})

    def _only_result(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        summary = self.club.stack.handler(function)(
            event, LocalLambdaContext(function_name=function, timeout_seconds=900)
        )
        [result] = summary["results"]
        assert isinstance(result, dict)
        return result

    def calls(self, endpoint: str | None = None) -> int:
        """PushPress API calls so far (`GET /v3/enrollments`, ...)."""
        return self.pushpress.call_count(endpoint)


def email_of(ref: str) -> str:
    return f"{ref}@example.com"


def connect_pushpress(company_id: str, api_key: str = PUSHPRESS_KEY) -> None:
    """Connect the tenant's PushPress key as PUT /v1/admin/tenants/{t}/platform-credentials
    stores it: the key in SSM, the tenant's platform fields in its item."""
    container = bootstrap.container()
    container.secret_store.put_platform_api_key(TENANT_ID, "pushpress", api_key)
    container.stores.tenants.update(
        TENANT_ID,
        {
            "platform": "pushpress",
            "platform_api_state": ConnectionState.CONNECTED.value,
            "platform_api_checked_at": utc_iso(datetime.now(UTC)),
            "platform_api_key_hint": api_key[-4:],
            "platform_company_id": company_id,
            "platform_account_name": "Riverside Barbell",
        },
    )


SEED: dict[str, Any] = {
    "companies": [
        {
            "ref": "club",
            "name": "Riverside Barbell",
            "api_keys": [PUSHPRESS_KEY],
            "plans": [
                {
                    "ref": "gold",
                    "id": GOLD_PLAN,
                    "name": "Unlimited 24/7",
                    "allow_24_hour_access": True,
                },
                {"ref": "day", "id": DAY_PASS_PLAN, "name": "Day pass"},
            ],
            # Customers who are not members (no enrollment): never fed, never fetched.
            "customers": [
                {"ref": "coach", "id": "coach", "email": "kim@example.com", "role": "coach"}
            ],
            "webhooks": [
                {
                    "ref": "bridge",
                    "url": UNUSED_WEBHOOK_URL,
                    "signing_secret": PUSHPRESS_SIGNING_SECRET,
                }
            ],
        }
    ]
}


@pytest.fixture
def platform(aws: None, kisi: RunningKisi) -> Iterator[PushPressClub]:
    """A club connected to Kisi and to its PushPress company (no member yet)."""
    with restored_environment(), running_emulator() as pushpress:
        emulator = pushpress.emulator
        emulator.configure(deliver_webhooks=False)
        company_id = str(emulator.seed(SEED)["companies"]["club"]["id"])
        os.environ["PUSHPRESS_BASE_URL"] = pushpress.api_url
        club = make_club(kisi)
        bootstrap.start(PlatformTestContainer.from_environment())
        connect_pushpress(company_id)
        emulator.reset_counts()
        yield PushPressClub(club=club, pushpress=emulator, company_id=company_id, enrollments={})
