"""Commands on the FIFO queue. They say *which* member to converge, never *what* to write: the
worker reads the desired state when it runs, so retries, duplicates and reordering cannot undo a
newer decision."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from access_core.domain.events import PlatformId


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: PlatformId


class ObservedGrant(BaseModel):
    """A group assignment a weekly listing showed for one of the member's emails."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group_id: int
    email: str
    user_id: int | None = None
    assignment_id: int
    valid_until: AwareDatetime | None = None


class KisiObservation(BaseModel):
    """What the weekly sync's listing of `group_ids` showed for a member, at `observed_at`.

    The worker trusts it over its own recorded grants (unless it wrote to Kisi for the member
    after `observed_at`), so a hand-made change in Kisi is really rewritten. `user_ids` are
    Kisi user ids the listing tied to the member's emails: no lookup is needed for them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    observed_at: AwareDatetime
    group_ids: tuple[int, ...]
    assignments: tuple[ObservedGrant, ...] = ()
    user_ids: dict[str, int] = Field(default_factory=dict)


class ConvergeMember(_Command):
    kind: Literal["converge_member"] = "converge_member"
    member_id: PlatformId
    cause: str = Field(
        default="", max_length=300, description="What asked for it, e.g. member-v3 (deduplication)"
    )
    observed: KisiObservation | None = Field(
        default=None, description="A weekly sync's repair: what Kisi showed for the member"
    )


class ReevaluatePlan(_Command):
    """Fan out: one ConvergeMember per member on the plan, a page at a time (resumable)."""

    kind: Literal["reevaluate_plan"] = "reevaluate_plan"
    plan_id: PlatformId
    plan_version: str = Field(description="The plan's platform updated_at (deduplication)")
    cursor: str | None = Field(default=None, description="Where the previous page stopped")


class WeeklySyncStep(_Command):
    """Continue a weekly reconciliation where its stored cursor stopped (one bounded step).

    Runs in the tenant's message group, so its Kisi listing never competes with the worker's
    writes for the same Kisi rate budget."""

    kind: Literal["weekly_sync_step"] = "weekly_sync_step"
    run_id: str = Field(max_length=100)
    step: int = Field(ge=1, description="The cursor's step this message continues (dedup)")


Command = Annotated[ConvergeMember | ReevaluatePlan | WeeklySyncStep, Field(discriminator="kind")]
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)


@dataclass(frozen=True)
class QueuedCommand:
    """A command with the FIFO message group it belongs to (the tenant's Kisi rate budget)."""

    command: Command
    message_group_id: str

    @property
    def body(self) -> str:
        return self.command.model_dump_json()

    @property
    def deduplication_id(self) -> str:
        # Same command for the same state version within SQS's 5-minute window is sent once;
        # a newer version is a different message.
        return hashlib.sha256(self.body.encode()).hexdigest()


def parse_command(body: str) -> Command:
    return COMMAND_ADAPTER.validate_json(body)
