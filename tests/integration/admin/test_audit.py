"""GET /audit (issue 16's audit log): the tenant's trail newest first, paged, filtered by time
and action prefix; never another tenant's; a forged page position is 422."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.harness import T0, TENANT_ID, AdminApi, Club, admin_claims


def test_the_trail_is_newest_first_paged_and_filtered(club: Club, admin: AdminApi) -> None:
    for n in range(3):
        club.membership(f"m{n}", f"m{n}@example.com", "active", T0)
    club.converge()
    assert admin("POST", "/locks/sync").status == 200

    first = admin("GET", "/audit", query={"limit": "2"})
    assert first.status == 200, first.body
    entries = first.body["entries"]
    assert len(entries) == 2
    assert entries[0]["at"] >= entries[1]["at"]
    assert first.body["next"] is not None
    second = admin("GET", "/audit", query={"limit": "2", "after": first.body["next"]})
    assert second.status == 200
    assert {e["at"] + e["action"] for e in second.body["entries"]}.isdisjoint(
        {e["at"] + e["action"] for e in entries}
    )

    grants = admin("GET", "/audit", query={"action": "kisi.grant", "limit": "200"})
    assert {e["subject"] for e in grants.body["entries"]} >= {"m0", "m1", "m2"}
    assert all(e["action"].startswith("kisi.grant") for e in grants.body["entries"])

    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert admin("GET", "/audit", query={"since": future}).body["entries"] == []


def test_a_forged_position_or_a_naive_time_is_422(admin: AdminApi) -> None:
    forged = admin("GET", "/audit", query={"after": "TENANT#other-club"})
    assert forged.status == 422
    assert forged.body["fields"][0]["field"] == "query.after"
    naive = admin("GET", "/audit", query={"since": "2026-01-01T00:00:00"})
    assert naive.status == 422


def test_another_tenants_trail_is_not_found(club: Club, admin: AdminApi) -> None:
    other = AdminApi(club.stack, tenant_id="other-club")
    answer = other("GET", "/audit", claims=admin_claims(TENANT_ID))  # club-1's admin
    assert answer.status == 404
    assert answer.body["error"] == "tenant_not_found"
