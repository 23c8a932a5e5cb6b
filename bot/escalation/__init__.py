"""Deadlines at work: reminders, escalation to the leadership, digests, the sweep that runs them."""
