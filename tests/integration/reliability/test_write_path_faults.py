"""Faults on each write path lose nothing (issue 14): DynamoDB throttling a webhook's state write,
an admin's settings or the worker's record, SQS failing after the state was stored, and commands
that expired on the queue. Each ends with the member converged to the policy's Kisi state; an
HTTP caller gets 503 with Retry-After (its request was fine), never a 500, and nothing half
written. (The unlock's write paths: tests/integration/unlock/test_write_faults.py.)"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from access_core import bootstrap
from access_core.domain.commands import QueuedCommand
from access_core.domain.events import MembershipUpserted
from access_core.domain.model import Member, MemberKisiState, SyncState, Tenant
from access_core.domain.ports import CommandQueue
from access_core.infrastructure.storage import AdminPlanWrite, Transaction, WriteOutcome
from access_core.infrastructure.storage.members import MemberStore
from access_core.infrastructure.storage.sync_runs import SyncRunStore
from access_core.infrastructure.storage.tenants import TenantStore
from tests.fakes import aws_throttled
from tests.integration.harness import (
    T0,
    AdminApi,
    Club,
    run_schedule,
    stack_contents,
    stack_state,
)

ADA = "ada@example.com"


@dataclass
class SendFailsOnce:
    """The command queue, whose first send fails (SQS unreachable after the state was stored)."""

    inner: CommandQueue
    failed: list[int] = field(default_factory=list)

    def send(self, commands: Sequence[QueuedCommand]) -> None:
        if not self.failed:
            self.failed.append(len(commands))
            raise ClientError(
                {"Error": {"Code": "ServiceUnavailable", "Message": "SQS is down"}},
                "SendMessageBatch",
            )
        self.inner.send(commands)

    def delay_retry(self, receipt_handle: str, delay_seconds: int) -> None:
        self.inner.delay_retry(receipt_handle, delay_seconds)

    def requeue(self, body: str, message_group_id: str) -> None:
        self.inner.requeue(body, message_group_id)

    def dead_letter(self, body: str, message_group_id: str, reason: str) -> None:
        self.inner.dead_letter(body, message_group_id, reason)


def test_a_webhook_stored_but_not_queued_converges_on_the_platforms_retry(club: Club) -> None:
    container = bootstrap.container()
    failing = SendFailsOnce(container.webhook.queue)
    container.webhook = replace(container.webhook, queue=failing)
    data = {
        "member_id": "m1",
        "email": ADA,
        "plan_id": "gold-24h",
        "status": "active",
        "updated_at": T0.isoformat(),
    }
    # The function answers 503 and the platform retries the delivery.
    refused = club.post("membership.upserted", data, event_id="evt-sqs-down")
    assert refused.status == 503, refused.body
    assert refused.body["error"] == "service_unavailable"
    assert refused.headers["Retry-After"] == "2"
    assert failing.failed == [1]
    assert club.stored_member("m1").status.value == "active", "the state was stored"
    assert club.stack.queue_depth() == 0, "but no command was sent"

    again = club.post("membership.upserted", data, event_id="evt-sqs-down")
    assert again.status == 202, again.body
    assert json.dumps(again.body)
    club.converge()
    assert ADA in club.group_emails()


class ThrottledOnce(MemberStore):
    """DynamoDB throttles the first record of a convergence that wrote an assignment."""

    throttled = 0

    def add_kisi_state_to(
        self,
        transaction: Transaction,
        member: Member,
        state: MemberKisiState,
        *,
        converged_version: int | None,
    ) -> None:
        wrote = any(grant.assignment_id for grant in state.grants)
        if converged_version is not None and wrote and not ThrottledOnce.throttled:
            ThrottledOnce.throttled += 1
            raise aws_throttled("TransactWriteItems")
        super().add_kisi_state_to(transaction, member, state, converged_version=converged_version)


def test_dynamodb_throttling_the_workers_record_is_retried_not_a_failure(club: Club) -> None:
    stores = bootstrap.container().stores
    ThrottledOnce.throttled = 0
    stores.members = ThrottledOnce(stores.table)
    club.membership("m2", ADA, "active", T0)
    club.converge()
    assert ThrottledOnce.throttled == 1
    member = club.stored_member("m2")
    assert member.kisi.sync_state is SyncState.IN_SYNC
    assert ADA in club.group_emails()
    assert len(club.users_by_email()[ADA]) == 1


class StateWriteThrottledOnce(MemberStore):
    """DynamoDB throttles the first conditional write of a member's state."""

    throttled = 0

    def upsert(self, tenant_id: str, event: MembershipUpserted) -> WriteOutcome:
        if not StateWriteThrottledOnce.throttled:
            StateWriteThrottledOnce.throttled += 1
            raise aws_throttled("UpdateItem")
        return super().upsert(tenant_id, event)


def test_a_throttled_webhook_state_write_is_a_503_and_the_retry_converges(club: Club) -> None:
    stores = bootstrap.container().stores
    StateWriteThrottledOnce.throttled = 0
    stores.members = StateWriteThrottledOnce(stores.table)
    data = {
        "member_id": "m3",
        "email": ADA,
        "plan_id": "gold-24h",
        "status": "active",
        "updated_at": T0.isoformat(),
    }
    before = stack_contents(club.stack)
    refused = club.post("membership.upserted", data, event_id="evt-throttled")
    assert refused.status == 503, refused.body
    assert refused.headers["Retry-After"] == "2"
    assert stack_contents(club.stack) == before, "nothing stored, nothing queued"

    again = club.post("membership.upserted", data, event_id="evt-throttled")
    assert again.status == 202, again.body
    club.converge()
    assert ADA in club.group_emails()


class SettingsThrottled(TenantStore):
    def save_settings(
        self,
        tenant: Tenant,
        *,
        created: bool,
        fields: Collection[str],
        plans: Sequence[AdminPlanWrite],
    ) -> bool:
        raise aws_throttled("TransactWriteItems")


SETTINGS = {
    "platform": "canonical",
    "door_access_enabled": True,
    "pre_reservation_window_minutes": 45,
}


def test_a_throttled_admin_write_is_a_503_and_changes_nothing(club: Club) -> None:
    admin = AdminApi(club.stack)
    stores = bootstrap.container().stores
    working = stores.tenants
    stores.tenants = SettingsThrottled(stores.table)
    before = stack_state(club.stack)
    refused = admin("PUT", "/settings", SETTINGS)
    assert refused.status == 503, refused.body
    assert refused.body["error"] == "service_unavailable"
    assert refused.headers["Retry-After"] == "2"
    assert stack_state(club.stack) == before

    stores.tenants = working
    saved = admin("PUT", "/settings", SETTINGS)
    assert saved.status == 200, saved.body
    assert club.stack_tenant().pre_reservation_window_minutes == 45


def test_any_other_aws_error_is_still_an_opaque_500(club: Club) -> None:
    class Broken(TenantStore):
        def save_settings(self, tenant: Tenant, **_: Any) -> bool:
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "x"}}, "T")

    stores = bootstrap.container().stores
    stores.tenants = Broken(stores.table)
    answer = AdminApi(club.stack)("PUT", "/settings", SETTINGS)
    assert answer.status == 500, answer.body
    assert answer.body["error"] == "internal_error"
    assert "ValidationException" not in json.dumps(answer.body)


# ---- commands that expired on the queue (4 days' retention) -------------------------------------


def expire_commands(club: Club) -> None:
    """Every waiting command is gone, as SQS deletes a message older than its retention."""
    sqs, url = club.stack.sqs, club.stack.resources.queue_urls["CommandQueue"]
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_an_expired_cancellation_is_applied_by_the_next_daily_sync(club: Club) -> None:
    club.membership("m4", ADA, "active", T0)
    club.converge()
    assert ADA in club.group_emails()

    club.membership("m4", ADA, "cancelled", T0 + timedelta(hours=1))
    expire_commands(club)
    assert ADA in club.group_emails(), "the cancellation's command never reached the worker"

    run_schedule(club, "SyncDailyFunction")
    club.converge()
    assert ADA not in club.group_emails()
    assert club.stored_member("m4").kisi.sync_state is SyncState.IN_SYNC


def test_an_expired_plan_re_evaluation_is_applied_by_the_next_weekly_sync(club: Club) -> None:
    club.membership("m5", ADA, "active", T0)
    club.converge()
    assert ADA in club.group_emails()

    club.plan("gold-24h", False, T0 + timedelta(hours=1))
    expire_commands(club)
    assert ADA in club.group_emails(), "the plan's re-evaluation never reached the worker"

    run_schedule(club, "SyncWeeklyFunction")
    club.converge()
    assert ADA not in club.group_emails()


class DailyRecordThrottledOnce(SyncRunStore):
    """DynamoDB throttles the first write of a daily run's record."""

    throttled = 0

    def record_run(self, tenant_id: str, name: str, body: Mapping[str, Any]) -> None:
        if name == "daily" and body.get("status") == "succeeded" and not self.throttled:
            DailyRecordThrottledOnce.throttled += 1
            raise aws_throttled("BatchWriteItem")
        super().record_run(tenant_id, name, body)


def test_a_daily_run_whose_record_is_throttled_does_not_advance_its_window(club: Club) -> None:
    stores = bootstrap.container().stores
    run_schedule(club, "SyncDailyFunction")  # the window starts here
    DailyRecordThrottledOnce.throttled = 0
    stores.sync_runs = DailyRecordThrottledOnce(stores.table)
    club.membership("m6", ADA, "active", T0)
    expire_commands(club)

    [failed] = run_schedule(club, "SyncDailyFunction")["results"]
    assert failed["status"] == "failed", "its record could not be written: reported, not hidden"
    assert DailyRecordThrottledOnce.throttled == 1
    expire_commands(club)  # and whatever it queued is lost as well

    [again] = run_schedule(club, "SyncDailyFunction")["results"]
    assert again["status"] == "succeeded"
    assert again["commands_enqueued"] == 1, "the same window again: the member is queued"
    club.converge()
    assert ADA in club.group_emails()
