"""Load runs that break things on purpose (kill -9, a stopped database) and count what users
would notice: messages lost or answered twice. `python -m tests.chaos --help`."""
