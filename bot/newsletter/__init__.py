"""The newsletter per customer group: subscriptions (/newsletter), Team BK's send dialog
(/newsletter senden) and the throttled, resumable dispatch into the outbox."""
