"""Handlers of the Kisi endpoints (docs/kisi-api.md), one function per route in `routes.ROUTES`."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from emulator_kit.wire import EmulatorResponse, no_content_response, ok_response
from kisi_emulator.call import Call
from kisi_emulator.wire import PageLimits, bad_request, paginate

USERS_PAGE = PageLimits(default=50, maximum=100)
LOCKS_PAGE = PageLimits(default=50, maximum=250)
PLACES_PAGE = PageLimits(default=50, maximum=250)
GROUPS_PAGE = PageLimits(default=10, maximum=250)
ROLE_ASSIGNMENTS_PAGE = PageLimits(default=10, maximum=250)

Record = dict[str, Any]


def _integer_filter(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise bad_request(f"{name} must be an id")
    return int(raw)


def _ids_filter(query: Mapping[str, str]) -> set[int] | None:
    raw = query.get("ids")
    if raw is None or raw == "":
        return None
    tokens = [token.strip() for token in raw.split(",") if token.strip()]
    if not all(token.isdigit() for token in tokens):
        raise bad_request("ids must be a comma-separated list of ids")
    return {int(token) for token in tokens}


def _fuzzy_match(text: str, fields: Iterable[Any]) -> bool:
    """Kisi's `query` is a loose search: every word of it occurs somewhere in the fields."""
    haystack = " ".join(str(value) for value in fields if value is not None).casefold()
    return all(word in haystack for word in text.casefold().split())


def _sorted(records: list[Record], sort: str | None) -> list[Record]:
    if not sort:
        return records
    field = sort.removeprefix("-")
    if records and (field not in records[0] or isinstance(records[0][field], dict | list)):
        raise bad_request(f"sort by {field} is not supported")
    present = [r for r in records if r[field] is not None]
    missing = [r for r in records if r[field] is None]
    ordered = sorted(present, key=lambda r: r[field], reverse=sort.startswith("-"))
    return missing + ordered


def _collection(
    call: Call,
    records: Sequence[Record],
    limits: PageLimits,
    searched_fields: Sequence[str],
    keep: Callable[[Record], bool] = lambda _: True,
) -> EmulatorResponse:
    """The shared list behaviour: `ids`, `query`, `sort`, then one page of what is left."""
    query = call.request.query
    ids = _ids_filter(query)
    text = query.get("query", "")
    selected = [
        record
        for record in records
        if keep(record)
        and (ids is None or record["id"] in ids)
        and _fuzzy_match(text, (record[name] for name in searched_fields))
    ]
    return paginate(_sorted(selected, query.get("sort")), query, limits)


# -- current user and organisation --


def current_user(call: Call) -> EmulatorResponse:
    return ok_response({**call.caller.to_wire(), "organization": call.org.organization_wire()})


def current_organization(call: Call) -> EmulatorResponse:
    return ok_response(call.org.organization_wire())


# -- places --


def list_places(call: Call) -> EmulatorResponse:
    records = [call.org.place_wire(place) for place in call.org.places.values()]
    return _collection(call, records, PLACES_PAGE, ("name", "address"))


def show_place(call: Call) -> EmulatorResponse:
    return ok_response(call.org.place_wire(call.org.place(call.record_id(what="Place"))))


# -- locks --


def list_locks(call: Call) -> EmulatorResponse:
    place_id = _integer_filter(call.request.query, "place_id")
    records = [call.org.lock_wire(lock) for lock in call.org.locks.values()]
    return _collection(
        call,
        records,
        LOCKS_PAGE,
        ("name", "description"),
        lambda lock: place_id is None or lock["place_id"] == place_id,
    )


def show_lock(call: Call) -> EmulatorResponse:
    return ok_response(call.org.lock_wire(call.org.lock(call.record_id(what="Lock"))))


def unlock_lock(call: Call) -> EmulatorResponse:
    call.json_body()  # the optional geofencing context only matters to geofenced locks
    lock_id = int(call.params["id"]) if call.params["id"].isdigit() else -1
    call.org.unlock(lock_id, call.caller, call.now)
    return ok_response({"message": "Unlocked!"})


# -- users --


def list_users(call: Call) -> EmulatorResponse:
    email = call.request.query.get("email")
    wanted = email.casefold() if email else None
    records = [user.to_wire() for user in call.org.users.values()]
    return _collection(
        call,
        records,
        USERS_PAGE,
        ("email", "name", "notes"),
        lambda user: wanted is None or user["email"].casefold() == wanted,
    )


def create_user(call: Call) -> EmulatorResponse:
    user = call.org.create_user(call.wrapped_body("user"), call.now)
    return ok_response(user.to_wire())


def show_user(call: Call) -> EmulatorResponse:
    return ok_response(call.org.user(call.record_id(what="User")).to_wire())


def update_user(call: Call) -> EmulatorResponse:
    user = call.org.user(call.record_id(what="User"))
    call.org.update_user(user, call.wrapped_body("user"), call.now)
    return no_content_response()


def delete_user(call: Call) -> EmulatorResponse:
    call.org.delete_user(call.org.user(call.record_id(what="User")))
    return no_content_response()


# -- groups --


def list_groups(call: Call) -> EmulatorResponse:
    place_id = _integer_filter(call.request.query, "place_id")
    records = [call.org.group_wire(group) for group in call.org.groups.values()]
    return _collection(
        call,
        records,
        GROUPS_PAGE,
        ("name", "description"),
        lambda group: place_id is None or group["place_id"] == place_id,
    )


def show_group(call: Call) -> EmulatorResponse:
    return ok_response(call.org.group_wire(call.org.group(call.record_id(what="Group"))))


# -- role assignments --


def list_role_assignments(call: Call) -> EmulatorResponse:
    """Filters: applies_to_type/applies_to_id (or legacy group_id), assignee_type/assignee_id
    (or legacy user_id), role_id."""
    query = call.request.query
    group_id = _integer_filter(query, "applies_to_id") or _integer_filter(query, "group_id")
    user_id = _integer_filter(query, "assignee_id") or _integer_filter(query, "user_id")
    wanted = {
        "applies_to_type": query.get("applies_to_type") or None,
        "group_id": group_id,
        "assignee_type": query.get("assignee_type") or None,
        "user_id": user_id,
        "role_id": query.get("role_id") or None,
    }
    records = [call.org.role_assignment_wire(a) for a in call.org.role_assignments.values()]
    return _collection(
        call,
        records,
        ROLE_ASSIGNMENTS_PAGE,
        (),
        lambda record: all(v is None or record[k] == v for k, v in wanted.items()),
    )


def create_role_assignment(call: Call) -> EmulatorResponse:
    assignment = call.org.create_role_assignment(call.wrapped_body("role_assignment"), call.now)
    return ok_response(call.org.role_assignment_wire(assignment))


def delete_role_assignment(call: Call) -> EmulatorResponse:
    assignment = call.org.role_assignment(call.record_id(what="Role assignment"))
    del call.org.role_assignments[assignment.id]
    return no_content_response()
