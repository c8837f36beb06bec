"""Who is calling: a Caller read from JWT claims as API Gateway v2 hands them over."""

from __future__ import annotations

import pytest

from kefu.errors import Forbidden, Unauthenticated
from kefu.identity import Caller, Role

# Claims exactly as the HTTP API JWT authorizer renders them: every value a string, arrays as "[a b]".
BASE_CLAIMS = {
    "sub": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI",
    "client_id": "4q7n1example2client3id",
    "token_use": "access",
    "exp": "1732373600",
    "iat": "1732370000",
}


def claims(**extra: object) -> dict:
    return {**BASE_CLAIMS, **extra}


def with_groups(groups: object) -> dict:
    return claims(**{"cognito:groups": groups})


def test_the_caller_is_identified_by_the_sub_claim():
    # Given claims with a sub, when read, then the caller's sub is that claim
    assert Caller.from_claims(claims()).sub == BASE_CLAIMS["sub"]


def test_groups_rendered_by_api_gateway_as_a_bracketed_string_are_split_into_groups():
    # Given API Gateway v2's rendering of a two-group array, when read, then both groups are known
    caller = Caller.from_claims(with_groups("[agent supervisor]"))
    assert caller.groups == frozenset({"agent", "supervisor"})


def test_a_single_group_rendered_as_a_bracketed_string_makes_an_agent():
    # Given "[agent]", when read, then the caller is an agent
    assert Caller.from_claims(with_groups("[agent]")).role is Role.AGENT


def test_a_caller_without_a_groups_claim_is_a_customer():
    # Given no cognito:groups claim (Cognito leaves it out for users in no group), when read, then a customer
    caller = Caller.from_claims(claims())
    assert caller.role is Role.CUSTOMER
    assert caller.is_customer and not caller.is_staff


def test_an_empty_bracketed_group_list_makes_a_customer():
    # Given "[]", when read, then no group and a customer
    caller = Caller.from_claims(with_groups("[]"))
    assert caller.groups == frozenset()
    assert caller.role is Role.CUSTOMER


def test_groups_given_as_a_real_list_are_read_too():
    # Given a JSON list (as a token decoded locally carries it), when read, then the groups are the list's
    caller = Caller.from_claims(with_groups(["agent", "supervisor"]))
    assert caller.groups == frozenset({"agent", "supervisor"})
    assert caller.role is Role.SUPERVISOR


@pytest.mark.parametrize("groups", ["[x,admin]", "[billing,admin agent]", "x,admin", "[agent,supervisor]"], ids=str)
def test_a_comma_never_separates_groups(groups):
    # Given a group whose name holds a comma and a role's name, when read, then it is that one group, no role
    caller = Caller.from_claims(with_groups(groups))
    assert "admin" not in caller.groups and "supervisor" not in caller.groups
    assert caller.role in (Role.CUSTOMER, Role.AGENT)


def test_a_comma_is_part_of_the_group_name():
    # Given "[x,admin agent]", when read, then the groups are exactly "x,admin" and "agent"
    assert Caller.from_claims(with_groups("[x,admin agent]")).groups == frozenset({"x,admin", "agent"})


@pytest.mark.parametrize("plain, role", [("agent", Role.AGENT), ("admin", Role.ADMIN), ("", Role.CUSTOMER)], ids=str)
def test_a_plain_single_value_is_one_group(plain, role):
    # Given the claim as a plain string without brackets, when read, then it is one group
    assert Caller.from_claims(with_groups(plain)).role is role


@pytest.mark.parametrize(
    "groups, strongest",
    [
        ("[agent supervisor]", Role.SUPERVISOR),
        ("[supervisor agent]", Role.SUPERVISOR),
        ("[agent admin]", Role.ADMIN),
        ("[admin supervisor agent]", Role.ADMIN),
        ("[billing agent]", Role.AGENT),
        (["supervisor", "admin"], Role.ADMIN),
    ],
    ids=str,
)
def test_the_strongest_role_among_the_groups_wins(groups, strongest):
    # Given several groups, when read, then the role is the strongest one whatever the order
    assert Caller.from_claims(with_groups(groups)).role is strongest


@pytest.mark.parametrize("groups", ["[agents]", "[supervisor-trainee]", "[Admin]", "[billing]"], ids=str)
def test_a_group_that_only_resembles_a_role_grants_nothing(groups):
    # Given a group whose name contains or capitalises a role, when read, then the caller is still a customer
    assert Caller.from_claims(with_groups(groups)).role is Role.CUSTOMER


@pytest.mark.parametrize("role_group", ["[supervisor]", "[admin]"], ids=str)
def test_supervisors_and_admins_oversee_every_group(role_group):
    # Given a supervisor or an admin, when read, then they oversee all groups' tickets
    assert Caller.from_claims(with_groups(role_group)).oversees_all


def test_an_agent_does_not_oversee_every_group():
    # Given a plain agent, when read, then they do not oversee other groups
    assert not Caller.from_claims(with_groups("[agent]")).oversees_all


def test_email_and_name_come_from_their_claims():
    # Given email and name claims, when read, then the caller carries them
    caller = Caller.from_claims(claims(email="li.wei@example.com", name="Li Wei"))
    assert (caller.email, caller.name) == ("li.wei@example.com", "Li Wei")


def test_an_empty_email_claim_is_no_email():
    # Given an empty email claim, when read, then the caller has no email rather than ""
    assert Caller.from_claims(claims(email="")).email is None


@pytest.mark.parametrize(
    "raw",
    [None, {}, {"cognito:groups": "[admin]"}, claims(sub=""), claims(sub=None)],
    ids=["no-claims", "empty-claims", "groups-but-no-sub", "empty-sub", "null-sub"],
)
def test_claims_without_a_subject_are_unauthenticated(raw):
    # Given no claims or claims without a sub, when read, then Unauthenticated (401), even with an admin group
    with pytest.raises(Unauthenticated):
        Caller.from_claims(raw)


def test_a_caller_without_the_role_asked_for_is_forbidden():
    # Given an agent, when an admin-only action checks the role, then Forbidden
    agent = Caller.from_claims(with_groups("[agent]"))
    with pytest.raises(Forbidden):
        agent.require(Role.ADMIN)


def test_a_customer_is_not_staff():
    # Given a customer, when a staff-only action checks the role, then Forbidden
    with pytest.raises(Forbidden):
        Caller.from_claims(claims()).require_staff()


@pytest.mark.parametrize(
    ("raw", "verified"),
    [("true", True), ("True", True), (True, True), ("false", False), (False, False), (None, False), ("yes", False)],
)
def test_email_verified_is_read_as_api_gateway_renders_it(raw, verified):
    # Given email_verified as a JSON boolean or the string API Gateway v2 renders every claim as, when read, then
    # only a true one counts as verified
    assert Caller.from_claims(claims(email="a@example.com", email_verified=raw)).email_verified is verified


def test_a_verified_phone_comes_from_its_claims():
    caller = Caller.from_claims(claims(phone_number="+8613800138000", phone_number_verified="true"))
    assert (caller.phone, caller.phone_verified) == ("+8613800138000", True)


def test_a_caller_written_as_claims_reads_back_the_same():
    caller = Caller.from_claims(claims(email="a@example.com", email_verified="true", name="A"))
    assert Caller.from_claims(caller.claims()) == caller
