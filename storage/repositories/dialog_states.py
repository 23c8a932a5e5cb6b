"""Dialog state per (platform, conversation, user), saved with compare-and-set.

One inbound turn asks for the same state several times (the engine, then the intake runner);
within one transaction the state read or written here is remembered, so only the first ask
costs a query. The memory belongs to the innermost transaction: a savepoint starts afresh, a
new transaction too, and an ORM write of a dialog row in the session drops it. The statements
of a turn (read, insert, compare-and-set) are built once and run with parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from bot.domain.errors import ConcurrentUpdate
from storage.models import DialogStateRow

_TABLE: Any = DialogStateRow.__table__
_THIS = (
    _TABLE.c.platform == bindparam("p_platform"),
    _TABLE.c.conversation_id == bindparam("p_conversation"),
    _TABLE.c.user_id == bindparam("p_user"),
)
_LOAD = select(_TABLE.c.dialog, _TABLE.c.state, _TABLE.c.version, _TABLE.c.updated_at).where(*_THIS)
_SAVE = (
    update(_TABLE)
    .where(*_THIS, _TABLE.c.version == bindparam("p_seen"))
    .values(
        version=bindparam("p_version", type_=_TABLE.c.version.type),
        dialog=bindparam("p_dialog", type_=_TABLE.c.dialog.type),
        state=bindparam("p_state", type_=_TABLE.c.state.type),
        updated_at=bindparam("p_at", type_=_TABLE.c.updated_at.type),
    )
)
_INSERT: dict[str, Any] = {}


def _insert_statement(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING into dialog_states, for the session's dialect."""
    dialect = session.get_bind().dialect.name
    statement = _INSERT.get(dialect)
    if statement is None:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = _INSERT[dialect] = module.insert(_TABLE).on_conflict_do_nothing()
    return statement


def _this(key: ConversationKey) -> dict[str, str]:
    return {
        "p_platform": key.platform,
        "p_conversation": key.conversation_id,
        "p_user": key.user_id,
    }


@dataclass(frozen=True)
class ConversationKey:
    """Whose conversation: the explicit key a dialog state is stored under."""

    platform: str
    conversation_id: str
    user_id: str


@dataclass(frozen=True)
class StoredDialog:
    """A loaded dialog state and the version it had."""

    dialog: str
    state: dict[str, Any]
    version: int
    updated_at: datetime

    def expired(self, now: datetime, timeout: timedelta) -> bool:
        """Whether the dialog was left longer than `timeout` (every dialog expires alike)."""
        return self.updated_at + timeout < now


_KNOWN = "hotline.dialog_states.known"
Known = dict[ConversationKey, "StoredDialog | None"]


def _known(session: AsyncSession) -> Known:
    """The states this session's innermost open transaction has read or written."""
    sync = session.sync_session
    transaction: SessionTransaction | None = sync.get_nested_transaction() or sync.get_transaction()
    memo: tuple[SessionTransaction | None, Known] | None = session.info.get(_KNOWN)
    if memo is None or memo[0] is not transaction or transaction is None:
        memo = (transaction, {})
        session.info[_KNOWN] = memo
    return memo[1]


@event.listens_for(Session, "after_flush")
def _forget_after_orm_write(session: Session, _context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, DialogStateRow) for row in changed):
        session.info.pop(_KNOWN, None)


def _copy(stored: StoredDialog | None) -> StoredDialog | None:
    return None if stored is None else replace(stored, state=dict(stored.state))


async def load_dialog(session: AsyncSession, *, key: ConversationKey) -> StoredDialog | None:
    """The stored state for `key`, or None if the user has no dialog running."""
    known = _known(session)
    if key in known:
        return _copy(known[key])
    row = (await session.execute(_LOAD, _this(key))).first()
    stored = None
    if row is not None:
        stored = StoredDialog(
            dialog=row.dialog, state=dict(row.state), version=row.version, updated_at=row.updated_at
        )
    _known(session)[key] = _copy(stored)  # the transaction exists now (the query began it)
    return stored


async def save_dialog(
    session: AsyncSession,
    *,
    key: ConversationKey,
    seen_version: int | None,
    dialog: str,
    state: dict[str, Any],
    at: datetime,
) -> int:
    """Store the new state if nobody saved since `seen_version` (None: there was none).

    Returns the new version; raises ConcurrentUpdate when another turn won the race.
    """
    if seen_version is None:
        values = {
            "platform": key.platform,
            "conversation_id": key.conversation_id,
            "user_id": key.user_id,
            "version": 1,
            "dialog": dialog,
            "state": state,
            "updated_at": at,
        }
        result = await session.execute(_insert_statement(session), values)
        new_version = 1
    else:
        new_version = seen_version + 1
        parameters = {
            **_this(key),
            "p_seen": seen_version,
            "p_version": new_version,
            "p_dialog": dialog,
            "p_state": state,
            "p_at": at,
        }
        result = await session.execute(_SAVE, parameters)
    if not result.rowcount:  # type: ignore[attr-defined]
        _known(session).pop(key, None)
        raise ConcurrentUpdate(f"dialog state of {key} changed concurrently")
    _known(session)[key] = StoredDialog(dialog, dict(state), new_version, at)
    return new_version


async def clear_dialog(session: AsyncSession, *, key: ConversationKey) -> None:
    """Forget the dialog state for `key` (the conversation starts afresh)."""
    _known(session).pop(key, None)
    await session.execute(
        delete(DialogStateRow).where(
            DialogStateRow.platform == key.platform,
            DialogStateRow.conversation_id == key.conversation_id,
            DialogStateRow.user_id == key.user_id,
        )
    )
    _known(session)[key] = None
