"""What a refusal names: shared by every API's error bodies (and the domain errors to come)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FieldProblem(BaseModel):
    """One offending field of a refused request."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="Where: body.plans.0.plan_id, query.dry_run, path.tenant_id")
    message: str
    type: str = Field(description="Machine-readable kind, e.g. missing, int_parsing")
