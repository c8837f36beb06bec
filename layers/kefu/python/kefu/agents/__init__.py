"""Agents and groups: who answers, where, with which skills and how much they can carry."""
