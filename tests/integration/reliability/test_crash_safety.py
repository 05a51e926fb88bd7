"""The worker's write-then-record is crash-safe (issue 14, H3): Kisi answered, then the record of
what it did was lost. Whatever the member's next state, Kisi ends as the policy decides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from access_core import bootstrap
from access_core.domain.model import Member, MemberKisiState, SyncState
from access_core.infrastructure.storage import Transaction
from access_core.infrastructure.storage.members import MemberStore
from tests.integration.harness import T0, Club

MAYA = "maya"
MAYA_EMAIL = "maya@club.example"


class RecordLostOnce(MemberStore):
    """Loses the first record of a convergence that wrote an assignment: `before_loss` runs
    (the world moves on meanwhile), then DynamoDB fails as the outcome is stored."""

    def __init__(self, club: Club, before_loss: str) -> None:
        super().__init__(bootstrap.container().stores.table)
        self.club = club
        self.before_loss = before_loss
        self.lost = 0

    def add_kisi_state_to(
        self,
        transaction: Transaction,
        member: Member,
        state: MemberKisiState,
        *,
        converged_version: int | None,
    ) -> None:
        wrote_assignment = any(grant.assignment_id for grant in state.grants)
        if converged_version is not None and wrote_assignment and not self.lost:
            self.lost += 1
            if self.before_loss == "cancel":
                self.club.membership(MAYA, MAYA_EMAIL, "cancelled", T0 + timedelta(hours=1))
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "record lost"}},
                "TransactWriteItems",
            )
        super().add_kisi_state_to(transaction, member, state, converged_version=converged_version)


@pytest.mark.parametrize("before_loss", ["cancel", "nothing"])
def test_a_grant_whose_record_was_lost_ends_as_the_policy_decides(
    club: Club, monkeypatch: pytest.MonkeyPatch, before_loss: str
) -> None:
    """`cancel`: the member cancels between Kisi's answer and the lost record; the redelivered
    command must revoke the access Kisi holds (before the fix the record said nothing was
    granted, and the cancelled member kept the door for up to a week). `nothing`: the
    redelivery completes the grant without a second Kisi user or assignment."""
    stores = bootstrap.container().stores
    losing = RecordLostOnce(club, before_loss)
    monkeypatch.setattr(stores, "members", losing)

    club.membership(MAYA, MAYA_EMAIL, "active", T0)
    club.converge()

    assert losing.lost == 1
    member = club.stored_member(MAYA)
    assert member.kisi.sync_state is SyncState.IN_SYNC
    if before_loss == "cancel":
        assert MAYA_EMAIL not in club.group_emails()
        assert member.kisi.grants == []
    else:
        assert club.group_emails() >= {MAYA_EMAIL}
        assert len(club.users_by_email()[MAYA_EMAIL]) == 1
        [grant] = member.kisi.grants
        assert grant.assignment_id is not None


def test_the_intent_is_recorded_only_for_a_grant_not_yet_recorded(
    club: Club, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revoke, or a grant already recorded, needs no intent: its record lost is repaired by
    the record itself. One extra write for a new grant, none otherwise."""
    stores = bootstrap.container().stores
    writes: list[int | None] = []

    class Counting(MemberStore):
        def add_kisi_state_to(
            self,
            transaction: Transaction,
            member: Member,
            state: MemberKisiState,
            *,
            converged_version: int | None,
        ) -> None:
            writes.append(converged_version)
            super().add_kisi_state_to(
                transaction, member, state, converged_version=converged_version
            )

    monkeypatch.setattr(stores, "members", Counting(stores.table))
    club.membership(MAYA, MAYA_EMAIL, "active", T0)
    club.converge()
    assert writes[0] is None  # the intent, before Kisi is called
    assert writes[1:] == [1]
    writes.clear()
    club.membership(MAYA, MAYA_EMAIL, "cancelled", T0 + timedelta(hours=1))
    club.converge()
    assert writes == [2]
    assert MAYA_EMAIL not in club.group_emails()
