"""Round robin, as a pure choice over a roster: the next qualifying agent after the last one in turn, in the order
of agent ids, wrapping round; agents offline, at capacity or of the wrong tier are passed over."""

from __future__ import annotations

from kefu.agents.assignment import choose_agent, choose_in_turn
from kefu.model.agents import AgentTier, Availability, GroupMember
from kefu.model.customers import Tier


def member(agent_id: str, *, load: int = 0, capacity: int = 5, online: bool = True, **fields) -> GroupMember:
    availability = Availability.ONLINE if online else Availability.OFFLINE
    return GroupMember(agentId=agent_id, capacity=capacity, load=load, availability=availability, **fields)


def turn(roster: list[GroupMember], after: str | None, **options) -> str | None:
    options.setdefault("skill", None)
    options.setdefault("tier", Tier.STANDARD)
    chosen, _ = choose_in_turn(roster, after=after, **options)
    return chosen.agentId if chosen else None


def test_the_first_turn_goes_to_the_first_agent_in_id_order_whatever_the_roster_order():
    assert turn([member("ag-c"), member("ag-a"), member("ag-b")], None) == "ag-a"


def test_each_turn_goes_to_the_next_agent_after_the_last_one_and_wraps_round():
    roster = [member("ag-a"), member("ag-b"), member("ag-c")]

    assert [turn(roster, after) for after in ("ag-a", "ag-b", "ag-c")] == ["ag-b", "ag-c", "ag-a"]


def test_the_turn_goes_to_the_next_agent_even_when_a_less_loaded_one_waits_further_on():
    roster = [member("ag-a", load=0), member("ag-b", load=4), member("ag-c", load=0)]

    assert turn(roster, "ag-a") == "ag-b"
    assert choose_agent(roster, skill=None, tier=Tier.STANDARD)[0].agentId == "ag-a"  # least loaded would differ


def test_an_offline_agent_and_an_agent_at_capacity_are_passed_over():
    roster = [member("ag-a"), member("ag-b", online=False), member("ag-c", load=2, capacity=2), member("ag-d")]

    assert turn(roster, "ag-a") == "ag-d"


def test_a_turn_after_an_agent_no_longer_in_the_group_goes_to_the_next_id():
    roster = [member("ag-a"), member("ag-c")]

    assert turn(roster, "ag-b") == "ag-c"


def test_nobody_free_means_the_ticket_waits_with_the_reason():
    roster = [member("ag-a", online=False), member("ag-b", load=1, capacity=1)]

    chosen, why = choose_in_turn(roster, skill=None, tier=Tier.STANDARD, after="ag-a")

    assert chosen is None
    assert why == "no online agent of the group with room under their capacity serves a standard customer"


def test_a_vip_turn_goes_round_the_second_line_agents_only():
    roster = [member("ag-a", tier=AgentTier.L1), member("ag-b", tier=AgentTier.L2), member("ag-c", tier=AgentTier.L1)]

    assert turn(roster, "ag-b", tier=Tier.VIP) == "ag-b"


def test_with_the_skill_the_turn_goes_round_those_who_have_it():
    roster = [member("ag-a", skills=["refund"]), member("ag-b"), member("ag-c", skills=["refund"])]

    assert turn(roster, "ag-a", skill="refund") == "ag-c"
    assert turn(roster, "ag-c", skill="refund") == "ag-a"


def test_an_agent_excluded_after_filling_up_meanwhile_is_passed_over():
    roster = [member("ag-a"), member("ag-b"), member("ag-c")]

    assert turn(roster, "ag-a", exclude=frozenset({"ag-b"})) == "ag-c"


def test_the_reason_says_whose_turn_followed_whose():
    chosen, why = choose_in_turn([member("ag-a"), member("ag-b", load=1)], skill=None, tier=Tier.STANDARD, after="ag-a")

    assert chosen.agentId == "ag-b"
    assert why == "next online agent in turn after ag-a (1/5)"
