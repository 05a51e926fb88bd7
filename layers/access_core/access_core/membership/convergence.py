"""Pure planning of the Kisi writes that bring a member's Kisi access to the decided state.

Inputs are the policy's decision and what we last wrote to Kisi (the recorded grants); the output is
the ordered list of steps. Grants come before revokes, so an email or group change never leaves a
paying member without access in between.
"""

from __future__ import annotations

from dataclasses import dataclass
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
class RevokeGrant:
    """Remove a grant we made; delete the user too when we created it and the tenant asks for it."""

    grant: KisiGrant
    delete_user: bool


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


def plan_convergence(
    decision: MembershipDecision,
    recorded: list[KisiGrant],
    revoke_mode: RevokeMode,
    name: str = "",
) -> list[ConvergenceStep]:
    """The steps that turn `recorded` into the decided access; empty when already converged."""
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
    for grant in recorded:
        if grant is kept or (decision.granted and _same_slot(grant, decision)):
            continue
        delete_user = (
            revoke_mode is RevokeMode.DELETE_CREATED_USERS
            and grant.user_created_by_us
            and grant.email not in emails_still_granted
        )
        steps.append(RevokeGrant(grant=grant, delete_user=delete_user))
    return steps


def _same_slot(grant: KisiGrant, decision: MembershipDecision) -> bool:
    """A recorded grant for the same email and group is taken over by the EnsureGrant step."""
    return grant.email == decision.email and grant.group_id == decision.group_id
