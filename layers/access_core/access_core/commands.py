"""Commands on the FIFO queue. They say *which* member to converge, never *what* to write: the
worker reads the desired state when it runs, so retries, duplicates and reordering cannot undo a
newer decision."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from access_core.events import PlatformId


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: PlatformId


class ConvergeMember(_Command):
    kind: Literal["converge_member"] = "converge_member"
    member_id: PlatformId
    cause: str = Field(
        default="", max_length=300, description="What asked for it, e.g. member-v3 (deduplication)"
    )


class ReevaluatePlan(_Command):
    """Fan out: one ConvergeMember per member on the plan, a page at a time (resumable)."""

    kind: Literal["reevaluate_plan"] = "reevaluate_plan"
    plan_id: PlatformId
    plan_version: str = Field(description="The plan's platform updated_at (deduplication)")
    cursor: str | None = Field(default=None, description="Where the previous page stopped")


Command = Annotated[ConvergeMember | ReevaluatePlan, Field(discriminator="kind")]
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
