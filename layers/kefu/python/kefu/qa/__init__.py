"""Quality inspection (质检): rubric, automatic checks, monthly sampling, reviews and agent scorecards (issue 18)."""
