"""Kisi objects as the client returns them: unknown fields are ignored, most fields are optional."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

MANAGED_BY_METADATA_KEY = "managed_by"
MANAGED_BY_NOTES_PREFIX = "managed-by: "
MAX_MARKER_LENGTH = 200


class KisiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Place(KisiModel):
    id: int
    name: str | None = None


class Lock(KisiModel):
    id: int
    name: str | None = None
    description: str | None = None
    place_id: int | None = None
    place: Place | None = None
    online: bool | None = None
    configured: bool | None = None
    locked_down: bool | None = None
    time_restriction_enabled: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _place_id_from_place(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("place_id") is None:
            place = data.get("place")
            if isinstance(place, dict) and place.get("id") is not None:
                return {**data, "place_id": place["id"]}
        return data


class User(KisiModel):
    id: int
    email: str | None = None
    name: str | None = None
    access_enabled: bool | None = None
    metadata: dict[str, Any] = {}
    notes: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("metadata", mode="before")
    @classmethod
    def _null_metadata_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class Group(KisiModel):
    id: int
    name: str | None = None
    description: str | None = None
    place_id: int | None = None
    users_count: int | None = None
    locks_count: int | None = None
    time_restriction_enabled: bool | None = None


class Assignee(KisiModel):
    id: int | None = None
    email: str | None = None
    name: str | None = None


class RoleAssignment(KisiModel):
    """A role given to an assignee on a group, place or organisation.

    Kisi returns both the current fields (``applies_to_*``, ``assignee_*``) and the deprecated
    ``group_id``/``user_id``; either side may be missing, so each is filled from the other.
    """

    id: int
    role_id: str | None = None
    applies_to_type: str | None = None
    applies_to_id: int | None = None
    assignee_type: str | None = None
    assignee_id: int | None = None
    assignee: Assignee | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    created_at: datetime | None = None
    group_id: int | None = None
    user_id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_current_and_deprecated_ids(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        filled = dict(data)
        if filled.get("applies_to_id") is None and filled.get("group_id") is not None:
            filled["applies_to_id"] = filled["group_id"]
            filled["applies_to_type"] = filled.get("applies_to_type") or "Group"
        elif filled.get("group_id") is None and filled.get("applies_to_type") == "Group":
            filled["group_id"] = filled.get("applies_to_id")

        assignee = filled.get("assignee")
        assignee_object_id = assignee.get("id") if isinstance(assignee, dict) else None
        if filled.get("assignee_id") is None:
            legacy_user_id = filled.get("user_id")
            if legacy_user_id is not None:
                filled["assignee_id"] = legacy_user_id
                filled["assignee_type"] = filled.get("assignee_type") or "User"
            elif assignee_object_id is not None:
                filled["assignee_id"] = assignee_object_id
        if filled.get("user_id") is None and filled.get("assignee_type") in (None, "User"):
            filled["user_id"] = filled.get("assignee_id")
        return filled

    @property
    def assignee_email(self) -> str | None:
        return self.assignee.email if self.assignee else None


class Organization(KisiModel):
    id: int
    name: str | None = None
    domain: str | None = None


class CurrentUser(KisiModel):
    """``GET /user``: the Kisi user behind the API key."""

    id: int
    email: str | None = None
    name: str | None = None
    organization: Organization | None = None


class KisiIdentity(KisiModel):
    """Who an API key acts as: the Kisi user (the rate-limit identity) and its organisation."""

    user_id: int
    user_email: str | None
    organization: Organization

    @property
    def rate_limit_key(self) -> str:
        """Pacer key and queue message group: Kisi's rate limit is per Kisi user, not per key."""
        return f"kisi-user:{self.user_id}"


def emails_match(first: str | None, second: str | None) -> bool:
    """Exact email comparison, ignoring case and surrounding blanks."""
    if not first or not second:
        return False
    return first.strip().lower() == second.strip().lower()


def check_marker(marker: str) -> str:
    if not marker or marker != marker.strip() or "\n" in marker or len(marker) > MAX_MARKER_LENGTH:
        raise ValueError(
            f"marker must be a non-empty single line without surrounding blanks, "
            f"at most {MAX_MARKER_LENGTH} characters"
        )
    return marker


def managed_notes(marker: str) -> str:
    """The ``notes`` line that marks a user we created (shown to admins in Kisi's dashboard)."""
    return f"{MANAGED_BY_NOTES_PREFIX}{check_marker(marker)}"


def is_managed_by(user: User, marker: str) -> bool:
    """Whether ``user`` carries our marker, in ``metadata`` or as a line of ``notes``.

    Users without it were adopted (or belong to someone else) and must never be deleted.
    """
    check_marker(marker)
    if user.metadata.get(MANAGED_BY_METADATA_KEY) == marker:
        return True
    notes_lines = (user.notes or "").splitlines()
    return any(line.strip() == managed_notes(marker) for line in notes_lines)
