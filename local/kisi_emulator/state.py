"""The emulated Kisi data: organisations and everything in them, with Kisi's rules.

Nothing here locks or knows about HTTP; `KisiEmulator` serialises access. Operations take the
fields of a request body (already unwrapped) and validate them the way Kisi answers: 422 with
field errors, 404 for unknown records, 409 for duplicates. The seed goes through the same
operations, so seeded data obeys the same rules.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kisi_emulator.wire import (
    KisiError,
    KisiValidationError,
    conflict,
    format_optional_timestamp,
    format_timestamp,
    not_found,
    parse_timestamp,
)

MAX_METADATA_KEYS = 50
GROUP_BASIC = "group_basic"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Kisi's unlock failure codes (docs/kisi-api.md) and the status each is answered with.
UNLOCK_ERRORS: Mapping[str, tuple[int, str]] = {
    "fcd8ef": (403, "Access denied."),
    "afc496": (403, "Access denied."),
    "fcd8ff": (403, "Your access has been disabled."),
    "34ffaa": (403, "Access is not allowed at this moment."),
    "f35ade": (403, "Your access is no longer valid."),
    "f358de": (403, "Your access is not yet valid."),
    "fad001": (409, "The door is locked down."),
    "fad10e": (404, "The door could not be found."),
    "fac001": (503, "The controller is unavailable."),
    "fac002": (503, "The controller is unavailable."),
    "fac003": (503, "The controller is unavailable."),
    "fac004": (503, "The controller is unavailable."),
    "fad107": (503, "The wireless lock is offline."),
    "ffffff": (503, "An unexpected error occurred."),
}


def unlock_error(code: str) -> KisiError:
    status, message = UNLOCK_ERRORS[code]
    return KisiError(status, code, message)


class IdSequence:
    """Ids are unique across every organisation, as Kisi's are, so a foreign id is a real id."""

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> int:
        self.last += 1
        return self.last


class FieldErrors:
    """Collects 422 field errors while a body is checked."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = fields
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise KisiValidationError(self.errors)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.fields.get(name, default)
        if isinstance(value, bool):
            return value
        self.add(name, "must be true or false")
        return default

    def optional_text(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is None or isinstance(value, str):
            return value
        self.add(name, "must be a string")
        return None

    def identifier(self, name: str) -> int | None:
        """A record id: an integer, or a string of digits (Rails casts those)."""
        value = self.fields.get(name)
        if value is None:
            self.add(name, "can't be blank")
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        self.add(name, "is not a valid id")
        return None

    def email(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is None or value == "":
            self.add(name, "can't be blank")
            return None
        if not isinstance(value, str) or not EMAIL_PATTERN.match(value):
            self.add(name, "is invalid")
            return None
        return value

    def metadata(self, name: str) -> dict[str, Any]:
        value = self.fields.get(name, {})
        if value is None:
            return {}
        if not isinstance(value, dict) or any(isinstance(v, dict | list) for v in value.values()):
            self.add(name, "must be a flat object")
            return {}
        if len(value) > MAX_METADATA_KEYS:
            self.add(name, f"must have at most {MAX_METADATA_KEYS} keys")
            return {}
        return dict(value)

    def timestamp(self, name: str) -> datetime | None:
        value = self.fields.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return parse_timestamp(value)
            except ValueError:
                pass
        self.add(name, "is not a valid time")
        return None

    def exact(self, name: str, expected: str) -> None:
        value = self.fields.get(name)
        if value is None:
            self.add(name, "can't be blank")
        elif value != expected:
            self.add(name, "is not included in the list")


@dataclass
class Admin:
    """A Kisi user who holds API keys: the identity Kisi's rate limit counts against."""

    id: int
    email: str
    name: str


@dataclass
class ApiKey:
    key: str
    admin_id: int
    organization_id: int


@dataclass
class Place:
    id: int
    name: str
    address: str | None
    time_zone: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Lock:
    id: int
    name: str
    description: str | None
    place_id: int
    online: bool | None
    configured: bool
    locked_down: bool
    time_restriction_enabled: bool
    created_at: datetime
    updated_at: datetime
    forced_unlock_error: str | None = None
    """A code from UNLOCK_ERRORS every unlock of this lock fails with (e.g. `fac002`)."""


@dataclass
class Group:
    id: int
    name: str
    description: str | None
    place_id: int | None
    lock_ids: list[int]
    time_restriction_enabled: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class User:
    id: int
    email: str
    name: str | None
    access_enabled: bool
    confirmed: bool
    metadata: dict[str, Any]
    notes: str | None
    created_at: datetime
    updated_at: datetime

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "access_enabled": self.access_enabled,
            "confirmed": self.confirmed,
            "metadata": dict(self.metadata),
            "notes": self.notes,
            "created_at": format_timestamp(self.created_at),
            "updated_at": format_timestamp(self.updated_at),
        }


@dataclass
class RoleAssignment:
    id: int
    role_id: str
    group_id: int
    user_id: int
    valid_from: datetime | None
    valid_until: datetime | None
    notify: bool
    created_at: datetime
    updated_at: datetime

    def in_force(self, now: datetime) -> bool:
        started = self.valid_from is None or self.valid_from <= now
        return started and (self.valid_until is None or now < self.valid_until)


@dataclass
class UnlockRecord:
    lock_id: int
    actor_id: int
    actor_email: str
    success: bool
    code: str | None
    created_at: datetime

    def to_wire(self) -> dict[str, Any]:
        return {
            "lock_id": self.lock_id,
            "actor_id": self.actor_id,
            "actor_email": self.actor_email,
            "success": self.success,
            "code": self.code,
            "created_at": format_timestamp(self.created_at),
        }


@dataclass
class SentEmail:
    """An email Kisi would have sent (sign-in instructions, access granted)."""

    to: str
    kind: str
    created_at: datetime


@dataclass
class Organization:
    id: int
    name: str
    domain: str
    created_at: datetime
    ids: IdSequence
    places: dict[int, Place] = field(default_factory=dict)
    locks: dict[int, Lock] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    role_assignments: dict[int, RoleAssignment] = field(default_factory=dict)
    key_owner_ids: set[int] = field(default_factory=set)
    unlocks: list[UnlockRecord] = field(default_factory=list)
    emails: list[SentEmail] = field(default_factory=list)

    # -- look-ups (404 when the id is not in this organisation) --

    def place(self, place_id: int) -> Place:
        return _find(self.places, place_id, "Place")

    def lock(self, lock_id: int) -> Lock:
        return _find(self.locks, lock_id, "Lock")

    def group(self, group_id: int) -> Group:
        return _find(self.groups, group_id, "Group")

    def user(self, user_id: int) -> User:
        return _find(self.users, user_id, "User")

    def role_assignment(self, assignment_id: int) -> RoleAssignment:
        return _find(self.role_assignments, assignment_id, "Role assignment")

    def user_by_email(self, email: str) -> User | None:
        wanted = email.casefold()
        return next((u for u in self.users.values() if u.email.casefold() == wanted), None)

    # -- places, locks, groups (created by the seed only: the API subset cannot) --

    def add_place(self, name: str, address: str | None, time_zone: str, now: datetime) -> Place:
        place = Place(self.ids.next(), name, address, time_zone, now, now)
        self.places[place.id] = place
        return place

    def add_lock(self, name: str, place_id: int, now: datetime, **settings: Any) -> Lock:
        self.place(place_id)
        lock = Lock(
            id=self.ids.next(),
            name=name,
            description=settings.get("description"),
            place_id=place_id,
            online=settings.get("online", True),
            configured=settings.get("configured", True),
            locked_down=settings.get("locked_down", False),
            time_restriction_enabled=settings.get("time_restriction_enabled", False),
            created_at=now,
            updated_at=now,
        )
        self.locks[lock.id] = lock
        return lock

    def add_group(
        self,
        name: str,
        place_id: int | None,
        lock_ids: Iterable[int],
        now: datetime,
        description: str | None = None,
    ) -> Group:
        if place_id is not None:
            self.place(place_id)
        locks = [self.lock(lock_id).id for lock_id in lock_ids]
        group = Group(self.ids.next(), name, description, place_id, locks, False, now, now)
        self.groups[group.id] = group
        return group

    # -- users --

    def create_user(
        self, fields: Mapping[str, Any], now: datetime, user_id: int | None = None
    ) -> User:
        checks = FieldErrors(fields)
        email = checks.email("email")
        name = checks.optional_text("name")
        access_enabled = checks.boolean("access_enabled", True)
        send_emails = checks.boolean("send_emails", True)
        confirm = checks.boolean("confirm", False)
        metadata = checks.metadata("metadata")
        notes = checks.optional_text("notes")
        checks.raise_if_any()
        assert email is not None
        if self.user_by_email(email) is not None:
            raise conflict("A user with this email already exists.")
        user = User(
            id=user_id if user_id is not None else self.ids.next(),
            email=email,
            name=name,
            access_enabled=access_enabled,
            confirmed=confirm,
            metadata=metadata,
            notes=notes,
            created_at=now,
            updated_at=now,
        )
        self.users[user.id] = user
        if send_emails:
            self.emails.append(SentEmail(email, "sign_in_instructions", now))
        return user

    def update_user(self, user: User, fields: Mapping[str, Any], now: datetime) -> None:
        """Name, access_enabled, metadata (replaced whole) and notes; other fields are ignored."""
        checks = FieldErrors(fields)
        changes: dict[str, Any] = {}
        if "name" in fields:
            changes["name"] = checks.optional_text("name")
        if "access_enabled" in fields:
            changes["access_enabled"] = checks.boolean("access_enabled", user.access_enabled)
        if "metadata" in fields:
            changes["metadata"] = checks.metadata("metadata")
        if "notes" in fields:
            changes["notes"] = checks.optional_text("notes")
        checks.raise_if_any()
        for name, value in changes.items():
            setattr(user, name, value)
        user.updated_at = now

    def delete_user(self, user: User) -> None:
        if user.id in self.key_owner_ids:
            raise KisiValidationError(
                {"base": ["An administrator holding API keys cannot be deleted."]}
            )
        del self.users[user.id]
        for assignment in self.assignments_of_user(user.id):
            del self.role_assignments[assignment.id]

    # -- role assignments --

    def assignments_of_user(self, user_id: int) -> list[RoleAssignment]:
        return [a for a in self.role_assignments.values() if a.user_id == user_id]

    def assignments_of_group(self, group_id: int) -> list[RoleAssignment]:
        return [a for a in self.role_assignments.values() if a.group_id == group_id]

    def create_role_assignment(self, fields: Mapping[str, Any], now: datetime) -> RoleAssignment:
        """The current body (applies_to_*, assignee_*) or the legacy one (user_id, group_id)."""
        checks = FieldErrors(fields)
        checks.exact("role_id", GROUP_BASIC)
        current_form = any(
            name in fields
            for name in ("applies_to_type", "applies_to_id", "assignee_type", "assignee_id")
        )
        if current_form:
            checks.exact("applies_to_type", "Group")
            checks.exact("assignee_type", "User")
            group_id = checks.identifier("applies_to_id")
            user_id = checks.identifier("assignee_id")
        else:
            group_id = checks.identifier("group_id")
            user_id = checks.identifier("user_id")
        notify = checks.boolean("notify", False)
        valid_from = checks.timestamp("valid_from")
        valid_until = checks.timestamp("valid_until")
        if valid_from and valid_until and valid_until <= valid_from:
            checks.add("valid_until", "must be after valid_from")
        checks.raise_if_any()
        assert group_id is not None
        assert user_id is not None
        group = self.group(group_id)
        user = self.user(user_id)
        if any(a.group_id == group.id for a in self.assignments_of_user(user.id)):
            raise conflict("The user already has a role in this group.")
        assignment = RoleAssignment(
            self.ids.next(),
            GROUP_BASIC,
            group.id,
            user.id,
            valid_from,
            valid_until,
            notify,
            now,
            now,
        )
        self.role_assignments[assignment.id] = assignment
        if notify:
            self.emails.append(SentEmail(user.email, "access_granted", now))
        return assignment

    # -- unlocking --

    def unlock(self, lock_id: int, actor: User, now: datetime) -> None:
        """Raise the Kisi unlock error that applies, if any; log the attempt either way."""
        lock = self.locks.get(lock_id)
        if lock is None:
            raise unlock_error("fad10e")
        code = self._unlock_failure(lock, actor)
        self.unlocks.append(UnlockRecord(lock.id, actor.id, actor.email, code is None, code, now))
        if code is not None:
            raise unlock_error(code)

    @staticmethod
    def _unlock_failure(lock: Lock, actor: User) -> str | None:
        if lock.forced_unlock_error is not None:
            return lock.forced_unlock_error
        if not actor.access_enabled:
            return "fcd8ff"
        if lock.locked_down:
            return "fad001"
        if lock.online is False:
            return "fad107"
        if not lock.configured:
            return "fac001"
        return None

    # -- effective access (the control API's view of what Kisi would let a user open now) --

    def effective_access(self, user: User, now: datetime) -> dict[str, Any]:
        assigned = self.assignments_of_user(user.id)
        granting = [a.group_id for a in assigned if a.in_force(now)] if user.access_enabled else []
        lock_ids = sorted({lock for g in granting for lock in self.groups[g].lock_ids})
        return {
            "user_id": user.id,
            "email": user.email,
            "access_enabled": user.access_enabled,
            "assigned_group_ids": sorted(a.group_id for a in assigned),
            "group_ids": sorted(granting),
            "lock_ids": lock_ids,
            "at": format_timestamp(now),
        }

    # -- wire views --

    def organization_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "created_at": format_timestamp(self.created_at),
        }

    def place_wire(self, place: Place) -> dict[str, Any]:
        return {
            "id": place.id,
            "name": place.name,
            "address": place.address,
            "time_zone": place.time_zone,
            "locks_count": sum(1 for lock in self.locks.values() if lock.place_id == place.id),
            "created_at": format_timestamp(place.created_at),
            "updated_at": format_timestamp(place.updated_at),
        }

    def lock_wire(self, lock: Lock) -> dict[str, Any]:
        place = self.places[lock.place_id]
        return {
            "id": lock.id,
            "name": lock.name,
            "description": lock.description,
            "place_id": place.id,
            "place": {"id": place.id, "name": place.name},
            "online": lock.online,
            "configured": lock.configured,
            "locked_down": lock.locked_down,
            "time_restriction_enabled": lock.time_restriction_enabled,
            "created_at": format_timestamp(lock.created_at),
            "updated_at": format_timestamp(lock.updated_at),
        }

    def group_wire(self, group: Group) -> dict[str, Any]:
        return {
            "id": group.id,
            "name": group.name,
            "description": group.description,
            "place_id": group.place_id,
            "users_count": len({a.user_id for a in self.assignments_of_group(group.id)}),
            "locks_count": len(group.lock_ids),
            "time_restriction_enabled": group.time_restriction_enabled,
            "created_at": format_timestamp(group.created_at),
            "updated_at": format_timestamp(group.updated_at),
        }

    def role_assignment_wire(self, assignment: RoleAssignment) -> dict[str, Any]:
        user = self.users[assignment.user_id]
        return {
            "id": assignment.id,
            "role_id": assignment.role_id,
            "applies_to_type": "Group",
            "applies_to_id": assignment.group_id,
            "assignee_type": "User",
            "assignee_id": user.id,
            "assignee": {"id": user.id, "email": user.email, "name": user.name},
            "valid_from": format_optional_timestamp(assignment.valid_from),
            "valid_until": format_optional_timestamp(assignment.valid_until),
            "notify": assignment.notify,
            "created_at": format_timestamp(assignment.created_at),
            "updated_at": format_timestamp(assignment.updated_at),
            "user_id": user.id,
            "group_id": assignment.group_id,
        }


def _find[Record](records: Mapping[int, Record], record_id: int, what: str) -> Record:
    record = records.get(record_id)
    if record is None:
        raise not_found(what)
    return record


class EmulatorState:
    """Every organisation, admin and API key the emulator knows."""

    def __init__(self) -> None:
        self.ids = IdSequence()
        self.organizations: dict[int, Organization] = {}
        self.admins: dict[int, Admin] = {}
        self.api_keys: dict[str, ApiKey] = {}

    def organization(self, organization_id: int) -> Organization:
        return _find(self.organizations, organization_id, "Organization")

    def add_organization(self, name: str, domain: str, now: datetime) -> Organization:
        organization = Organization(self.ids.next(), name, domain, now, self.ids)
        self.organizations[organization.id] = organization
        return organization

    def add_admin(self, email: str, name: str) -> Admin:
        admin = Admin(self.ids.next(), email, name)
        self.admins[admin.id] = admin
        return admin

    def add_api_key(
        self, key: str, admin: Admin, organization: Organization, now: datetime
    ) -> ApiKey:
        """The admin becomes a user of the organisation (same id in every organisation)."""
        if key in self.api_keys:
            raise conflict("This API key already exists.")
        if admin.id not in organization.users:
            organization.create_user(
                {"email": admin.email, "name": admin.name, "send_emails": False, "confirm": True},
                now,
                user_id=admin.id,
            )
        organization.key_owner_ids.add(admin.id)
        api_key = ApiKey(key, admin.id, organization.id)
        self.api_keys[key] = api_key
        return api_key

    def revoke_api_key(self, key: str) -> None:
        """The key stops working at once (401), as when its user loses admin rights."""
        revoked = self.api_keys.pop(key, None)
        if revoked is None:
            raise not_found("API key")
        still_held = any(
            k.admin_id == revoked.admin_id and k.organization_id == revoked.organization_id
            for k in self.api_keys.values()
        )
        if not still_held:
            self.organizations[revoked.organization_id].key_owner_ids.discard(revoked.admin_id)
