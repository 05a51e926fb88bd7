"""Pure planning of the Kisi writes that bring a member's Kisi access to the decided state.

Inputs are the policy's decision and what we last wrote to Kisi (the recorded grants); the output is
the ordered list of steps. Grants come before revokes, so an email or group change never leaves a
paying member without access in between.

Members can share an email (a family on one address): Kisi has one user per email and one
assignment per user and group, so they share it. The access of an email in a group ends only when
no member with that email is entitled to it, and lasts until the latest of their ends: the
`family` (the decisions of the tenant's other members with the member's email) shapes the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from access_core.domain.model import KisiGrant, RevokeMode
from access_core.membership.policy import MembershipDecision


@dataclass(frozen=True)
class EnsureGrant:
    """Make sure a user with `email` exists and holds group `group_id` until `valid_until`.

    `replaces` is a recorded grant of the same user and group whose end date is wrong: Kisi refuses
    a second assignment of a user to a group, so that one is removed first.
    """

    email: str
    name: str
    group_id: int
    valid_until: datetime | None
    replaces: KisiGrant | None = None


@dataclass(frozen=True)
class SharedAccess:
    """Another member with the same email is entitled to the grant's group, until `valid_until`
    (None: open-ended): the assignment stays in Kisi, with that end."""

    valid_until: datetime | None


@dataclass(frozen=True)
class RevokeGrant:
    """Remove a grant we made; delete the user too when we created it and the tenant asks for it.

    `shared`: the grant leaves this member's record, but the assignment stays in Kisi for another
    member with the email (its end set to theirs)."""

    grant: KisiGrant
    delete_user: bool
    shared: SharedAccess | None = None


ConvergenceStep = EnsureGrant | RevokeGrant


def grant_matches(grant: KisiGrant, decision: MembershipDecision) -> bool:
    """True when a recorded grant is exactly the access the decision asks for."""
    return (
        decision.granted
        and grant.assignment_id is not None
        and grant.email == decision.email
        and grant.group_id == decision.group_id
        and grant.valid_until == decision.valid_until
    )


def family_access(
    email: str, group_id: int, family: Sequence[MembershipDecision]
) -> SharedAccess | None:
    """What the family is entitled to for `email` in `group_id`: until the latest end among the
    members granted it (None wins: open-ended); None when no one is."""
    ends = [
        d.valid_until
        for d in family
        if d.granted and d.email == email and d.group_id == group_id and email
    ]
    if not ends:
        return None
    return SharedAccess(None if None in ends else max(e for e in ends if e is not None))


def with_family(
    decision: MembershipDecision, family: Sequence[MembershipDecision]
) -> MembershipDecision:
    """The decision, its end moved to the family's latest for the same email and group: the
    shared assignment must not end while another member is still entitled to it."""
    if not decision.granted or decision.group_id is None or decision.valid_until is None:
        return decision
    shared = family_access(decision.email, decision.group_id, family)
    if shared is None:
        return decision
    until = None if shared.valid_until is None else max(shared.valid_until, decision.valid_until)
    return replace(decision, valid_until=until)


def plan_convergence(
    decision: MembershipDecision,
    recorded: list[KisiGrant],
    revoke_mode: RevokeMode,
    name: str = "",
    family: Sequence[MembershipDecision] = (),
) -> list[ConvergenceStep]:
    """The steps that turn `recorded` into the decided access; empty when already converged.
    `family`: the decisions of the tenant's other members with the same email."""
    decision = with_family(decision, family)
    steps: list[ConvergenceStep] = []
    kept: KisiGrant | None = None
    if decision.granted:
        assert decision.group_id is not None, "a granted decision always names its group"
        kept = next((g for g in recorded if grant_matches(g, decision)), None)
        if kept is None:
            same_user_and_group = next(
                (
                    g
                    for g in recorded
                    if g.email == decision.email
                    and g.group_id == decision.group_id
                    and g.assignment_id is not None
                ),
                None,
            )
            steps.append(
                EnsureGrant(
                    email=decision.email,
                    name=name,
                    group_id=decision.group_id,
                    valid_until=decision.valid_until,
                    replaces=same_user_and_group,
                )
            )
            kept = same_user_and_group
    emails_still_granted = {decision.email} if decision.granted else set()
    emails_still_granted |= {d.email for d in family if d.granted}
    for grant in recorded:
        if grant is kept or (decision.granted and _same_slot(grant, decision)):
            continue
        delete_user = (
            revoke_mode is RevokeMode.DELETE_CREATED_USERS
            and grant.user_created_by_us
            and grant.email not in emails_still_granted
        )
        shared = family_access(grant.email, grant.group_id, family)
        steps.append(RevokeGrant(grant=grant, delete_user=delete_user, shared=shared))
    return steps


def _same_slot(grant: KisiGrant, decision: MembershipDecision) -> bool:
    """A recorded grant for the same email and group is taken over by the EnsureGrant step."""
    return grant.email == decision.email and grant.group_id == decision.group_id
