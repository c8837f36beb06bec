"""Tickets: the lifecycle, the timeline and the services that change them, one module per thing that changes
together (queries, opening, conversation, transitions, handover; writes is the read-decide-write path they share).
`kefu.tickets.service` gathers what handlers and other capabilities call."""
