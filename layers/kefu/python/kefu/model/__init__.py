"""The values every capability shares, at the bottom of kefu's dependency graph: enums, request and view models,
and the entities (ticket, timeline entry, agent, group, customer, survey) the domain and the store both speak.

It imports no other kefu package, so any package may import it without a cycle; the pynamodb items that store
these entities are in `kefu.store.models`, and the one mapping between the two is in each `kefu.store` module.
"""
