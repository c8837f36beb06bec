"""Tickets: the lifecycle, the timeline and the services that change them."""
