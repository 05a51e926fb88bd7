"""Faults on the unlock's write paths (issue 14): DynamoDB throttling the door's claim is a 503
before Kisi is called (the door stays shut, the retry opens it); throttling the audit entry after
the door opened answers the opening and keeps the entry, whole, in the log."""

from __future__ import annotations

from collections.abc import Sequence

from access_core import bootstrap
from access_core.infrastructure.storage import AuditEntry, RecentUnlock
from access_core.infrastructure.storage.audit import AuditStore
from access_core.infrastructure.storage.reservations import ReservationStore
from tests.fakes import aws_throttled
from tests.integration.conftest import LogCapture
from tests.integration.harness import Club, UnlockApi
from tests.integration.unlock.conftest import Doors, book, kisi_unlocks


class ClaimThrottled(ReservationStore):
    def claim_recent_unlock(
        self,
        tenant_id: str,
        reservation_id: str,
        player_id: str,
        lock_id: int,
        unlock: RecentUnlock,
    ) -> bool:
        raise aws_throttled("PutItem")


class AuditThrottled(AuditStore):
    def put(self, entries: Sequence[AuditEntry]) -> None:
        raise aws_throttled("BatchWriteItem")


def test_a_throttled_claim_is_a_503_and_the_door_stays_shut(
    club: Club, doors: Doors, player: UnlockApi
) -> None:
    book(club)
    stores = bootstrap.container().stores
    working = stores.reservations
    stores.reservations = ClaimThrottled(stores.table)
    refused = player.unlock("res-1", doors.court)
    assert refused.status == 503, refused.body
    assert refused.body["error"] == "service_unavailable"
    assert refused.headers["Retry-After"] == "2"
    assert kisi_unlocks(club) == [], "Kisi was not called"

    stores.reservations = working
    opened = player.unlock("res-1", doors.court)
    assert opened.status == 200, opened.body
    assert [record["lock_id"] for record in kisi_unlocks(club)] == [doors.court]


def test_a_throttled_audit_after_the_door_opened_keeps_the_entry_in_the_log(
    club: Club, doors: Doors, player: UnlockApi, all_logs: LogCapture
) -> None:
    book(club)
    stores = bootstrap.container().stores
    stores.audit = AuditThrottled(stores.table)
    opened = player.unlock("res-1", doors.court)
    assert opened.status == 200, opened.body
    assert opened.body["unlocked"] is True
    # (each handler of the capture sees the record: the same line may be there more than once)
    [line] = {line for line in all_logs.lines if "audit entry could not be stored" in line}
    assert "'action': 'unlock.opened'" in line
    assert "'actor': 'player:player-3'" in line
    assert f"'lock_id': {doors.court}" in line
