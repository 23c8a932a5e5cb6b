"""Matrix error answers mapped to what the outbox and the loops need: retry when, or give up.

nio returns error responses instead of raising; their `status_code` is the Matrix errcode
(M_FORBIDDEN, M_LIMIT_EXCEEDED, ...) and a 429 carries `retry_after_ms`. Our client is
configured not to retry 429s itself (max_limit_exceeded=0), so every caller must respect
that hint: the outbox through DeliveryError.retry_after, the loops through HomeserverError.
"""

from __future__ import annotations

import logging

from bot.delivery import DeliveryError

# The homeserver will give the same answer again: the outbox stops retrying the notice.
PERMANENT = frozenset({"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_TOKEN"})
# nio knows no such room (not joined, or not synced yet); never sent to the homeserver.
NOT_IN_ROOM = "NOT_IN_ROOM"
# Not (or no longer) in that room: a DM is replaced, a team room joined or retried slowly.
REFUSED = frozenset({"M_FORBIDDEN", "M_NOT_FOUND", NOT_IN_ROOM})


class MatrixDeliveryError(DeliveryError):
    """A DeliveryError that remembers the homeserver's errcode (None: no answer)."""

    def __init__(
        self,
        message: str,
        *,
        errcode: str | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(message, retry_after=retry_after, permanent=permanent)
        self.errcode = errcode

    @property
    def refused(self) -> bool:
        """The room is not ours: forbidden, no such room, or one nio does not know."""
        return self.errcode in REFUSED


class HomeserverError(ConnectionError):
    """An error answer where a loop (sync, backfill, start) needs a success; `retry_after`
    in seconds when the homeserver said how long to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def errcode_of(answer: object) -> str | None:
    """The Matrix errcode of an nio error response (None if it has none)."""
    code = getattr(answer, "status_code", None)
    return None if code is None else str(code)


def retry_after_of(answer: object) -> float | None:
    """The homeserver's retry hint of an nio error response, in seconds."""
    retry_ms = getattr(answer, "retry_after_ms", None)
    return None if retry_ms is None else float(retry_ms) / 1000


def transient(answer: object) -> bool:
    """Whether asking again later may help: 429, a 5xx without a Matrix error (no errcode)
    or M_UNKNOWN. A loop retries those; other errcodes (M_FORBIDDEN, ...) stay as they are."""
    return retry_after_of(answer) is not None or errcode_of(answer) in (
        None,
        "M_LIMIT_EXCEEDED",
        "M_UNKNOWN",
    )


def delivery_error(what: str, answer: object) -> MatrixDeliveryError:
    """The DeliveryError for an nio error answer to a send (or a room creation)."""
    errcode = errcode_of(answer)
    return MatrixDeliveryError(
        f"{what} failed: {answer}",
        errcode=errcode,
        retry_after=retry_after_of(answer),
        permanent=errcode in PERMANENT,
    )


def homeserver_error(what: str, answer: object) -> HomeserverError:
    """The HomeserverError for an nio error answer in a loop."""
    return HomeserverError(f"{what} failed: {answer}", retry_after=retry_after_of(answer))


def backoff_delay(delay: float, error: BaseException) -> float:
    """How long to wait before the next attempt: `delay`, or longer if the server said so."""
    hint = getattr(error, "retry_after", None)
    return delay if hint is None else max(delay, float(hint))


class ErrorAnswerNoise(logging.Filter):
    """nio logs a WARNING ("Error validating response: ...") for every error answer it
    parses (it tries the success schema first); the callers here log each error answer
    with its context, or end with one clean line (a bad token). Demoted to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and record.getMessage().startswith(
            "Error validating response"
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def quiet_error_answers() -> None:
    """Install ErrorAnswerNoise on nio's response logger (once)."""
    nio_log = logging.getLogger("nio.responses")
    if not any(isinstance(f, ErrorAnswerNoise) for f in nio_log.filters):
        nio_log.addFilter(ErrorAnswerNoise())
