"""Contacts from phone/IVR, chat, social and app-feedback systems, taken off the intake queue (docs/architecture.md,
"Intake queue message")."""
