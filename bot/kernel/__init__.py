"""The neutral kernel: what every layer may import (clock, notices, button actions, markup).

It imports nothing above itself: no storage, no services, no conversations, no adapters.
The other kernel packages stay where they were: bot.config, bot.i18n, bot.domain, bot.sla.
"""
