"""The seed document: organisations, admins and API keys, places, locks, groups, users and
role assignments, in one JSON document (see README.md). Records name each other by `ref`
(defaulting to the name, or the email for users and admins) or by an existing id."""

import secrets
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kisi_emulator.state import EmulatorState, Organization
from kisi_emulator.wire import KisiValidationError, format_optional_timestamp

Ref = str | int


class SeedModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdminSeed(SeedModel):
    ref: str | None = None
    email: str
    name: str = "Administrator"


class ApiKeySeed(SeedModel):
    key: str | None = Field(default=None, min_length=8)
    """None: a random key is made (and returned)."""
    admin: Ref
    """An admin's ref or email from this document, or an existing admin id."""


class PlaceSeed(SeedModel):
    ref: str | None = None
    name: str
    address: str | None = None
    time_zone: str = "UTC"


class LockSeed(SeedModel):
    ref: str | None = None
    name: str
    place: Ref
    description: str | None = None
    online: bool | None = True
    configured: bool = True
    locked_down: bool = False
    time_restriction_enabled: bool = False


class GroupSeed(SeedModel):
    ref: str | None = None
    name: str
    description: str | None = None
    place: Ref | None = None
    locks: list[Ref] = Field(default_factory=list)


class UserSeed(SeedModel):
    ref: str | None = None
    email: str
    name: str | None = None
    access_enabled: bool = True
    confirmed: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)
    notes: str | None = None


class RoleAssignmentSeed(SeedModel):
    user: Ref
    group: Ref
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class OrganizationSeed(SeedModel):
    ref: str | None = None
    id: int | None = None
    """Add to this existing organisation instead of creating one."""
    name: str | None = None
    domain: str | None = None
    api_keys: list[ApiKeySeed] = Field(default_factory=list)
    places: list[PlaceSeed] = Field(default_factory=list)
    locks: list[LockSeed] = Field(default_factory=list)
    groups: list[GroupSeed] = Field(default_factory=list)
    users: list[UserSeed] = Field(default_factory=list)
    role_assignments: list[RoleAssignmentSeed] = Field(default_factory=list)


class SeedDocument(SeedModel):
    admins: list[AdminSeed] = Field(default_factory=list)
    organizations: list[OrganizationSeed] = Field(default_factory=list)


def _resolve(refs: dict[str, int], ref: Ref, what: str) -> int:
    if isinstance(ref, int):
        return ref
    if ref not in refs:
        raise KisiValidationError({what: [f"unknown ref {ref!r}"]})
    return refs[ref]


def apply_seed(state: EmulatorState, document: SeedDocument, now: datetime) -> dict[str, Any]:
    """Create everything in `document`; answer the ids by ref. Not atomic: the caller restores
    the state when this raises."""
    admin_ids: dict[str, int] = {}
    for admin_seed in document.admins:
        existing = next(
            (a for a in state.admins.values() if a.email.casefold() == admin_seed.email.casefold()),
            None,
        )
        admin = existing or state.add_admin(admin_seed.email, admin_seed.name)
        admin_ids[admin_seed.ref or admin_seed.email] = admin.id
        admin_ids.setdefault(admin_seed.email, admin.id)
    organizations: dict[str, Any] = {}
    for org_seed in document.organizations:
        if org_seed.id is not None:
            organization = state.organization(org_seed.id)
        else:
            if not org_seed.name:
                raise KisiValidationError({"organizations.name": ["can't be blank"]})
            domain = org_seed.domain or org_seed.name.lower().replace(" ", "-")
            organization = state.add_organization(org_seed.name, domain, now)
        label = org_seed.ref or organization.name
        organizations[label] = _seed_organization(state, organization, org_seed, admin_ids, now)
    return {"admins": admin_ids, "organizations": organizations}


def _seed_organization(
    state: EmulatorState,
    organization: Organization,
    seed: OrganizationSeed,
    admin_ids: dict[str, int],
    now: datetime,
) -> dict[str, Any]:
    keys: list[str] = []
    for key_seed in seed.api_keys:
        admin = state.admins.get(_resolve(admin_ids, key_seed.admin, "api_keys.admin"))
        if admin is None:
            raise KisiValidationError({"api_keys.admin": [f"unknown admin {key_seed.admin!r}"]})
        key = key_seed.key or secrets.token_hex(20)
        state.add_api_key(key, admin, organization, now)
        keys.append(key)

    places: dict[str, int] = {}
    for place_seed in seed.places:
        place = organization.add_place(
            place_seed.name, place_seed.address, place_seed.time_zone, now
        )
        places[place_seed.ref or place_seed.name] = place.id

    locks: dict[str, int] = {}
    for lock_seed in seed.locks:
        settings = lock_seed.model_dump(exclude={"ref", "name", "place"})
        lock_place_id = _resolve(places, lock_seed.place, "locks.place")
        lock = organization.add_lock(lock_seed.name, lock_place_id, now, **settings)
        locks[lock_seed.ref or lock_seed.name] = lock.id

    groups: dict[str, int] = {}
    for group_seed in seed.groups:
        group_place_id = (
            None if group_seed.place is None else _resolve(places, group_seed.place, "groups.place")
        )
        lock_ids = [_resolve(locks, ref, "groups.locks") for ref in group_seed.locks]
        group = organization.add_group(
            group_seed.name, group_place_id, lock_ids, now, group_seed.description
        )
        groups[group_seed.ref or group_seed.name] = group.id

    users: dict[str, int] = {}
    for user_seed in seed.users:
        fields = user_seed.model_dump(exclude={"ref", "confirmed"})
        fields |= {"send_emails": False, "confirm": user_seed.confirmed}
        user = organization.create_user(fields, now)
        users[user_seed.ref or user_seed.email] = user.id

    assignments: list[int] = []
    for assignment_seed in seed.role_assignments:
        fields = {
            "role_id": "group_basic",
            "user_id": _resolve(users, assignment_seed.user, "role_assignments.user"),
            "group_id": _resolve(groups, assignment_seed.group, "role_assignments.group"),
            "valid_from": format_optional_timestamp(assignment_seed.valid_from),
            "valid_until": format_optional_timestamp(assignment_seed.valid_until),
        }
        assignments.append(organization.create_role_assignment(fields, now).id)

    return {
        "id": organization.id,
        "api_keys": keys,
        "places": places,
        "locks": locks,
        "groups": groups,
        "users": users,
        "role_assignments": assignments,
    }
