"""No DM storms: held sweep DMs go out alone, folded into one message, or after a window.

Below the services, beside the outbox sender (which the adapters import), so it knows
nothing of tickets beyond what the held rows carry.
"""
