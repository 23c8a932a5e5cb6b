"""The words that steer every dialog: one list, so "stopp" cancels everywhere alike."""

from __future__ import annotations

CANCEL_WORDS = frozenset({"abbrechen", "abbruch", "cancel", "stop", "stopp"})
BACK_WORDS = frozenset({"zurück", "zurueck", "back"})


def control_word(text: str) -> str:
    """The typed text as compared with the control words: trimmed, lower case, and without
    closing punctuation ("Abbrechen." and "abbrechen!" are the same word)."""
    return text.strip().rstrip(".!?").strip().casefold()


def is_cancel(text: str) -> bool:
    """Whether the typed text asks to cancel the dialog."""
    return control_word(text) in CANCEL_WORDS


def is_back(text: str) -> bool:
    """Whether the typed text asks to go back one step."""
    return control_word(text) in BACK_WORDS
