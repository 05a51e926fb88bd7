"""Pure logic of the syncs: the weekly drift between what Kisi lists and what the policy decides,
and how the worker folds what a listing observed into its recorded grants. No I/O.

Who counts as managed: a Kisi user whose email is a member's current email or one we recorded a
grant for. Every other Kisi user (staff, coaches, anyone not in the platform) is unmanaged and is
never touched, whatever its assignments say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from access_core.domain.commands import KisiObservation, ObservedGrant
from access_core.domain.model import KisiGrant, Member
from access_core.membership.policy import AccessReason, MembershipDecision
from kisi_client import RoleAssignment


class DriftKind(StrEnum):
    MISSING_GRANT = "missing_grant"
    UNEXPECTED_ACCESS = "unexpected_access"
    WRONG_VALID_UNTIL = "wrong_valid_until"


DRIFT_TEXT = {
    DriftKind.MISSING_GRANT: "should have access, Kisi shows no assignment in the group",
    DriftKind.UNEXPECTED_ACCESS: "a managed user holds access the policy does not give",
    DriftKind.WRONG_VALID_UNTIL: "the assignment's valid_until differs from the decided end",
}


@dataclass(frozen=True)
class Drift:
    member_id: str
    kind: DriftKind
    email: str
    group_id: int
    reason: AccessReason
    expected_valid_until: datetime | None = None
    kisi_valid_until: datetime | None = None
    assignment_id: int | None = None

    def report(self) -> dict[str, object]:
        return {
            "member_id": self.member_id,
            "kind": self.kind.value,
            "email": self.email,
            "group_id": self.group_id,
            "reason": self.reason.value,
            "why": DRIFT_TEXT[self.kind],
            "expected_valid_until": _iso(self.expected_valid_until),
            "kisi_valid_until": _iso(self.kisi_valid_until),
            "assignment_id": self.assignment_id,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def observed_grant(assignment: RoleAssignment) -> ObservedGrant | None:
    """A listed assignment as an observation; None for one that is not a user's in a group or
    whose user has no email (nothing of ours could match it)."""
    email = normalise_email(assignment.assignee_email)
    group_id = assignment.group_id or assignment.applies_to_id
    if not email or group_id is None or assignment.assignee_type not in (None, "User"):
        return None
    return ObservedGrant(
        group_id=group_id,
        email=email,
        user_id=assignment.user_id,
        assignment_id=assignment.id,
        valid_until=assignment.valid_until,
    )


def index_by_email(observed: Iterable[ObservedGrant]) -> dict[str, list[ObservedGrant]]:
    by_email: dict[str, list[ObservedGrant]] = {}
    for grant in observed:
        by_email.setdefault(grant.email, []).append(grant)
    return by_email


def managed_emails(member: Member, decision: MembershipDecision) -> frozenset[str]:
    """The Kisi users this member makes managed: its email and every email we granted it."""
    emails = {normalise_email(member.email), normalise_email(decision.email)}
    emails |= {normalise_email(grant.email) for grant in member.kisi.grants}
    # A user we granted before and revoked (kept for the member's return) is still ours.
    emails |= {normalise_email(email) for email in member.kisi.known_users}
    return frozenset(email for email in emails if email)


def same_instant(first: datetime | None, second: datetime | None) -> bool:
    if first is None or second is None:
        return first is second
    return first == second


def member_drift(
    member_id: str,
    decision: MembershipDecision,
    emails: frozenset[str],
    observed_by_email: Mapping[str, Sequence[ObservedGrant]],
    listed_groups: frozenset[int],
) -> list[Drift]:
    """The drift between the decision and what complete listings of `listed_groups` showed for
    the member's managed `emails`. Groups not listed completely are left out of the comparison."""
    wanted_email = normalise_email(decision.email) if decision.granted else ""
    wanted_group = decision.group_id if decision.granted else None
    drifts: list[Drift] = []
    wanted_seen = False
    for email in sorted(emails | ({wanted_email} if wanted_email else set())):
        for grant in observed_by_email.get(email, ()):
            if grant.group_id not in listed_groups:
                continue
            if email == wanted_email and grant.group_id == wanted_group:
                wanted_seen = True
                if not same_instant(grant.valid_until, decision.valid_until):
                    drifts.append(
                        Drift(
                            member_id,
                            DriftKind.WRONG_VALID_UNTIL,
                            email,
                            grant.group_id,
                            decision.reason,
                            decision.valid_until,
                            grant.valid_until,
                            grant.assignment_id,
                        )
                    )
            else:
                drifts.append(
                    Drift(
                        member_id,
                        DriftKind.UNEXPECTED_ACCESS,
                        email,
                        grant.group_id,
                        decision.reason,
                        None,
                        grant.valid_until,
                        grant.assignment_id,
                    )
                )
    if wanted_group is not None and wanted_group in listed_groups and not wanted_seen:
        drifts.append(
            Drift(
                member_id,
                DriftKind.MISSING_GRANT,
                wanted_email,
                wanted_group,
                decision.reason,
                decision.valid_until,
            )
        )
    return drifts


def observation_for(
    emails: frozenset[str],
    observed_by_email: Mapping[str, Sequence[ObservedGrant]],
    user_ids: Mapping[str, int],
    listed_groups: frozenset[int],
    observed_at: datetime,
) -> KisiObservation:
    """What a repair command carries: the member's listed assignments and known user ids."""
    return KisiObservation(
        observed_at=observed_at,
        group_ids=tuple(sorted(listed_groups)),
        assignments=tuple(
            grant
            for email in sorted(emails)
            for grant in observed_by_email.get(email, ())
            if grant.group_id in listed_groups
        ),
        user_ids={email: user_ids[email] for email in sorted(emails) if email in user_ids},
    )


def apply_observation(
    recorded: Sequence[KisiGrant],
    observation: KisiObservation,
    decision: MembershipDecision,
    emails: frozenset[str],
) -> list[KisiGrant]:
    """The recorded grants corrected by what Kisi showed, for the worker to plan against.

    In the observed groups Kisi is the truth: a recorded grant Kisi does not list loses its
    assignment (kept as a user id hint only where the decision still wants that slot, dropped
    otherwise: there is nothing to remove), a listed assignment of a managed email is taken with
    Kisi's id and dates, and a known user id spares the worker a lookup for a wanted slot. A user
    we did not record is never marked as created by us, so it is never deleted.
    """
    groups = set(observation.group_ids)
    wanted = (
        (normalise_email(decision.email), decision.group_id) if decision.granted else (None, None)
    )
    listed = {
        (grant.email, grant.group_id): grant
        for grant in observation.assignments
        if grant.group_id in groups and grant.email in emails | {wanted[0]}
    }
    result: list[KisiGrant] = []
    for grant in recorded:
        slot = (normalise_email(grant.email), grant.group_id)
        if grant.group_id not in groups:
            result.append(grant)
            continue
        seen = listed.pop(slot, None)
        if seen is not None:
            result.append(
                grant.model_copy(
                    update={
                        "assignment_id": seen.assignment_id,
                        "valid_until": seen.valid_until,
                        "user_id": seen.user_id or grant.user_id,
                    }
                )
            )
        elif slot == wanted:
            result.append(grant.model_copy(update={"assignment_id": None}))
    for (email, group_id), seen in sorted(listed.items(), key=lambda item: item[0]):
        result.append(
            KisiGrant(
                email=email,
                group_id=group_id,
                user_id=seen.user_id,
                assignment_id=seen.assignment_id,
                valid_until=seen.valid_until,
            )
        )
    wanted_email, wanted_group = wanted
    if wanted_email and wanted_group is not None:
        has_user = any(
            normalise_email(g.email) == wanted_email and g.user_id is not None for g in result
        )
        hint = observation.user_ids.get(wanted_email)
        if not has_user and hint is not None:
            stub = KisiGrant(email=wanted_email, group_id=wanted_group, user_id=hint)
            result = [
                g
                for g in result
                if (normalise_email(g.email), g.group_id) != (wanted_email, wanted_group)
            ] + [stub]
    return result
