"""The monthly QA sample (pure: kefu.qa.sampling): every agent covered in generated months, the strata in order,
and the same month drawing the same tickets whatever order they come in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.qa.model import SampleReason
from kefu.qa.sampling import Candidate, sample, seed_of

PROPERTY = settings(max_examples=60, derandomize=True, deadline=None)

agent_ids = st.sampled_from([f"agent-{n}" for n in range(8)])


@st.composite
def months(draw):
    """A month: some active agents, some tickets (of active agents and of agents who left since)."""
    month = f"2026-{draw(st.integers(1, 12)):02d}"
    active = draw(st.sets(agent_ids, max_size=6))
    tickets = draw(
        st.lists(
            st.builds(
                Candidate,
                ticket_id=st.from_regex(r"TK-[0-9A-Z]{8}", fullmatch=True),
                agent_id=agent_ids,
                complaint=st.booleans(),
                low_csat=st.booleans(),
                findings=st.integers(0, 4),
            ),
            max_size=40,
            unique_by=lambda c: c.ticket_id,
        )
    )
    per_agent = draw(st.integers(1, 6))
    return month, active, tickets, per_agent, per_agent + draw(st.integers(0, 5))


@PROPERTY
@given(months())
def test_every_agent_is_covered_with_at_least_n_tickets_or_all_they_had(month_data):
    month, active, tickets, per_agent, most = month_data

    plan = sample(month, active, tickets, per_agent=per_agent, max_per_agent=most)

    by_agent = {s.agent_id: s for s in plan}
    assert set(by_agent) == set(active) | {t.agent_id for t in tickets}
    for agent, agent_sample in by_agent.items():
        theirs = {t.ticket_id for t in tickets if t.agent_id == agent}
        picked = [pick.ticket_id for pick in agent_sample.picks]
        assert set(picked) <= theirs and len(picked) == len(set(picked))
        assert len(picked) >= min(per_agent, len(theirs))
        assert len(picked) <= max(per_agent, most)
        assert agent_sample.no_tickets == (not theirs)


@PROPERTY
@given(months(), st.randoms(use_true_random=False))
def test_a_month_draws_the_same_sample_whatever_order_the_tickets_come_in(month_data, shuffler):
    month, active, tickets, per_agent, most = month_data
    shuffled = list(tickets)
    shuffler.shuffle(shuffled)

    first = sample(month, active, tickets, per_agent=per_agent, max_per_agent=most)
    again = sample(month, sorted(active, reverse=True), shuffled, per_agent=per_agent, max_per_agent=most)

    assert first == again


@PROPERTY
@given(months())
def test_complaints_and_low_csat_come_first_then_findings_then_chance(month_data):
    month, active, tickets, per_agent, most = month_data
    by_id = {t.ticket_id: t for t in tickets}

    for agent_sample in sample(month, active, tickets, per_agent=per_agent, max_per_agent=most):
        theirs = [t for t in tickets if t.agent_id == agent_sample.agent_id]
        priority = [t for t in theirs if t.complaint or t.low_csat]
        reasons = [pick.reason for pick in agent_sample.picks]
        strata = [
            0 if r in (SampleReason.COMPLAINT, SampleReason.LOW_CSAT) else 1 if r is SampleReason.FINDINGS else 2
            for r in reasons
        ]
        assert strata == sorted(strata)
        assert strata.count(0) == min(len(priority), most)
        # a random pick only once no ticket with findings is left unpicked
        picked = {pick.ticket_id for pick in agent_sample.picks}
        if SampleReason.RANDOM in reasons:
            assert all(t.ticket_id in picked for t in theirs if t.findings and not (t.complaint or t.low_csat))
        for pick in agent_sample.picks:
            if pick.reason is SampleReason.FINDINGS:
                assert by_id[pick.ticket_id].findings > 0


def test_the_seed_is_the_months_and_another_month_draws_otherwise():
    tickets = [Candidate(f"TK-{n:08d}", "agent-1") for n in range(40)]

    picks = {
        month: [p.ticket_id for p in sample(month, [], tickets, per_agent=5, max_per_agent=5)[0].picks]
        for month in ("2026-10", "2026-11")
    }

    assert seed_of("2026-11") == seed_of("2026-11") != seed_of("2026-10")
    assert picks["2026-10"] != picks["2026-11"]
    assert picks["2026-11"] == [
        p.ticket_id for p in sample("2026-11", [], tickets, per_agent=5, max_per_agent=5)[0].picks
    ]


def test_an_agent_without_tickets_is_covered_as_no_tickets():
    (only,) = sample("2026-11", ["agent-idle"], [], per_agent=5, max_per_agent=20)

    assert only.agent_id == "agent-idle" and only.no_tickets and only.picks == ()


def test_all_complaints_are_taken_up_to_the_maximum_even_past_the_minimum():
    tickets = [Candidate(f"TK-C{n:07d}", "agent-1", complaint=True) for n in range(8)]
    tickets += [Candidate(f"TK-F{n:07d}", "agent-1", findings=2) for n in range(3)]

    (agent,) = sample("2026-11", [], tickets, per_agent=5, max_per_agent=6)

    assert [p.reason for p in agent.picks] == [SampleReason.COMPLAINT] * 6
