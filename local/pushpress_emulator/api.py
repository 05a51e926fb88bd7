"""Handlers of the emulated PushPress Platform API v3 (the read endpoints the bridge uses)."""

from emulator_kit.wire import EmulatorResponse, ok_response
from pushpress_emulator.call import Call
from pushpress_emulator.state import ENROLLMENT_STATUSES
from pushpress_emulator.wire import bad_request, paginate

# The values the SDK's ListCustomersRequest.role filter takes.
ROLE_FILTERS = frozenset({"admin", "frontdesk", "coach", "member"})


def get_company(call: Call) -> EmulatorResponse:
    return ok_response(call.org.to_wire())


def list_customers(call: Call) -> EmulatorResponse:
    """Filters: ``email`` (exact, ignoring case), ``role``; listed in creation order."""
    query = call.request.query
    email = (query.get("email") or "").strip().casefold() or None
    role = query.get("role") or None
    if role is not None and role not in ROLE_FILTERS:
        raise bad_request(f"role must be one of {', '.join(sorted(ROLE_FILTERS))}")
    records = [
        customer.to_wire()
        for customer in call.org.customers.values()
        if (email is None or customer.email.casefold() == email)
        and (role is None or customer.role == role)
    ]
    return paginate(records, query)


def get_customer(call: Call) -> EmulatorResponse:
    return ok_response(call.org.customer(call.params["uuid"]).to_wire())


def list_enrollments(call: Call) -> EmulatorResponse:
    """Filters: ``customerId``, ``status``; listed in creation order."""
    query = call.request.query
    customer_id = query.get("customerId") or None
    status = query.get("status") or None
    if status is not None and status not in ENROLLMENT_STATUSES:
        raise bad_request(f"status must be one of {', '.join(sorted(ENROLLMENT_STATUSES))}")
    records = [
        call.org.enrollment_wire(enrollment)
        for enrollment in call.org.enrollments.values()
        if (customer_id is None or enrollment.customer_id == customer_id)
        and (status is None or enrollment.status == status)
    ]
    return paginate(records, query)


def get_enrollment(call: Call) -> EmulatorResponse:
    return ok_response(call.org.enrollment_wire(call.org.enrollment(call.params["uuid"])))


def get_plan(call: Call) -> EmulatorResponse:
    return ok_response(call.org.plan(call.params["id"]).to_wire())
