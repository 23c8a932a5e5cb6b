"""Which of the hotline's languages a message is written in, for platforms that give no
locale (Matrix): counts of very common German and English words, no dependency.

A statistical detector (langdetect, lingua) is much larger than the question: the hotline
only tells German from English, and only once, on someone's first message, so the short
word lists below decide well enough; anything undecided stays German (the hotline's
language) and is asked again on the next message. A menu number ("2") or "ja" decides
nothing, words both languages spell alike ("was", "will", "also", "an") count for neither,
and only plain words count: ids, user names and numbers ("b6ac6c", "@room") are skipped.
"""

from __future__ import annotations

_EDGES = "\"'.,;:!?()[]{}«»„“”‚‘’…-"
_GERMAN_WORDS = """
    ich du sie wir ihr mein meine mir mich bitte danke guten tag morgen abend hallo
    und oder aber nicht kein keine ist sind habe hat haben wird werden kann können
    muss müssen frage anliegen rechnung zahlung wie wo wann warum wer welche welcher
    der die das den dem des ein eine einen einem einer zu mit von für auf bei nach aus
    schon auch nur sehr gibt es wurde meiner unsere unser noch leider geht
    """
_ENGLISH_WORDS = """
    i you we my me please thanks thank hello hi good morning evening the a and or
    but not no is are have has would can could must question invoice payment
    how what where when why who which to with of for on at from about still already
    only very there it this that i'm don't can't doesn't isn't our need help
    get got been do does did
    """
_GERMAN = frozenset(_GERMAN_WORDS.split())
_ENGLISH = frozenset(_ENGLISH_WORDS.split())
MIN_SCORE = 2  # fewer known words than this: undecided


def _word(token: str) -> str | None:
    """A whitespace-separated token as a word, without the punctuation around it; None for
    anything that is no plain word (ids, user names, numbers: "b6ac6c", "@room", "4711")."""
    word = token.strip(_EDGES).replace("’", "'")
    return word if word and word.replace("'", "").isalpha() else None


def guess_language(text: str) -> str | None:
    """ "de" or "en" when the text's common words say so clearly, else None."""
    words = [word for word in map(_word, text.casefold().split()) if word]
    german = sum(word in _GERMAN for word in words)
    english = sum(word in _ENGLISH for word in words)
    if max(german, english) < MIN_SCORE or german == english:
        return None
    return "de" if german > english else "en"
