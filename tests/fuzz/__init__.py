"""Hostile-input fuzz of the engine (issue 14): `python -m tests.fuzz --messages 5000
--store sqlite|postgres`; tests/service/test_fuzz.py runs a short seeded version."""
