"""Benchmarks: the bot's own cost next to the bare platforms, in one command.

``python -m tests.bench [--quick]`` prints one table (see ``tests/bench/__main__.py``). The
modules here are named so that pytest never collects them (no ``test_*.py``).
"""
