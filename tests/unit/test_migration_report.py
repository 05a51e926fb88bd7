"""The migration report's sorting of Kisi users (`admin/tools.py: sort_kisi_users`), checked
against a plain restatement of its rules over generated listings and members."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from access_core.admin.tools import sort_kisi_users
from access_core.domain.commands import ObservedGrant

EMAILS = [f"{name}@example.com" for name in ("ada", "bo", "cy", "dee", "eve")]

grants = st.lists(
    st.builds(
        ObservedGrant,
        group_id=st.sampled_from([5, 6]),
        email=st.sampled_from(EMAILS),
        user_id=st.one_of(st.none(), st.integers(1, 3)),
        assignment_id=st.integers(1, 10_000),
    ),
    max_size=12,
)
members = st.dictionaries(
    st.sampled_from([f"m{n}" for n in range(6)]),
    st.tuples(st.sets(st.sampled_from(EMAILS), max_size=2), st.booleans()),
    max_size=6,
)


@given(listed=grants, club=members)
def test_every_listed_user_is_adopted_or_unmanaged_and_duplicates_are_shared_emails(
    listed: list[ObservedGrant], club: dict[str, tuple[set[str], bool]]
) -> None:
    members_of: dict[str, list[str]] = {}
    for member_id, (emails, _) in club.items():
        for email in emails:
            members_of.setdefault(email, []).append(member_id)
    granted = {m: min(emails) for m, (emails, grants_now) in club.items() if grants_now and emails}

    found = sort_kisi_users(listed, members_of, granted)

    listed_emails = {grant.email for grant in listed}
    adopted = {user.email for user in found.adopted}
    unmanaged = {user.email for user in found.unmanaged}
    assert adopted | unmanaged == listed_emails
    assert adopted == listed_emails & set(members_of)
    assert not adopted & unmanaged
    for user in found.adopted:
        assert user.member_ids == sorted(members_of[user.email])
        assert user.would_be_granted == (user.email in granted.values())
        assert set(user.kisi_group_ids) == {g.group_id for g in listed if g.email == user.email}
    users_of = {
        email: {g.user_id for g in listed if g.email == email and g.user_id is not None}
        for email in listed_emails
    }
    shared = {
        email
        for email in set(members_of) | listed_emails
        if len(members_of.get(email, [])) > 1 or len(users_of.get(email, set())) > 1
    }
    assert {d.email for d in found.duplicates} == shared
    assert found.members_to_invite == sum(1 for e in granted.values() if e not in listed_emails)


def test_a_family_in_kisi_is_one_adopted_user_and_one_duplicate() -> None:
    ada = ObservedGrant(group_id=5, email="ada@example.com", user_id=11, assignment_id=1)

    found = sort_kisi_users([ada], {"ada@example.com": ["m1", "m2"]}, {"m1": "ada@example.com"})

    (adopted,) = found.adopted
    assert (adopted.member_ids, adopted.would_be_granted, adopted.kisi_user_id) == (
        ["m1", "m2"],
        True,
        11,
    )
    assert [d.email for d in found.duplicates] == ["ada@example.com"]
    assert (found.unmanaged, found.members_to_invite) == ([], 0)
