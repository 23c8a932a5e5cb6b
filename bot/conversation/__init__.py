"""The conversation layer: the engine, the router table, the command runner and every
conversation that keeps state between messages (intake runner, rating, replies, forms).

It uses the services and the pure dialogs below it; adapters never import it, only the
composition root (bot.app) wires it to them.
"""
