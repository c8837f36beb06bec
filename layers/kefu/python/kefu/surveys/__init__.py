"""Revisit surveys: signed, expiring links (tokens), the survey shown and answered once, phone-revisit tasks whose
answers agents record the same way, and the follow-up a low score opens."""
