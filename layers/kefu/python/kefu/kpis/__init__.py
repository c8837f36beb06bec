"""Service KPIs: each ticket's facts (facts), the day x dimension counters they add up to (counters), the report's
fields (figures), keeping the aggregates in step (service), reading reports (reports), recorded work time (work)."""
