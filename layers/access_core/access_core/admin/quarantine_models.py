"""Request and response bodies of the Admin API's quarantine routes (`/quarantine`): the revokes
the mass-revoke circuit breaker holds, and an admin's approval or rejection of them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from access_core.domain.events import PlatformId

MAX_MEMBER_IDS_PER_DECISION = 1000


class QuarantinedRevokeView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: str
    email: str = Field(description="The email whose access would be revoked")
    reason: str = Field(description="Why the policy revokes it (an access reason, e.g. cancelled)")
    held_at: AwareDatetime = Field(description="When the breaker held it")


class QuarantinePageResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    threshold_percent: int = Field(
        description="The tenant's mass-revoke threshold (settings; 0: the breaker is off)"
    )
    revokes: list[QuarantinedRevokeView] = Field(description="Held revokes, by member id")
    next: str | None = Field(description="Pass as `after` for the next page; null: the last page")


class QuarantineDecisionRequest(BaseModel):
    """Which held revokes the admin approves or rejects: the ones named, or all (null)."""

    model_config = ConfigDict(extra="forbid")

    member_ids: (
        Annotated[list[PlatformId], Field(min_length=1, max_length=MAX_MEMBER_IDS_PER_DECISION)]
        | None
    ) = Field(default=None, description="Members whose held revoke to decide; null: every one")

    @field_validator("member_ids")
    @classmethod
    def _unique(cls, member_ids: list[str] | None) -> list[str] | None:
        if member_ids is not None and len(set(member_ids)) != len(member_ids):
            raise ValueError("member_ids lists a member more than once")
        return member_ids


class QuarantineDecisionResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    decision: Literal["approved", "rejected"]
    member_ids: list[str] = Field(description="The members whose held revoke was decided")
    still_held: int = Field(description="Held revokes left after this decision")
