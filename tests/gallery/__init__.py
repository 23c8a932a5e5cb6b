"""The gallery: every kind of notice the bot sends, rendered as Teams, Element and the local
chat show it (issue 15). `python -m tests.gallery --out DIR` writes the PNGs and an index."""
