"""nio's key store is written only for encrypted rooms it has not saved yet (not after
every sync), and keeps the same set of rooms as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nio.crypto import OlmAccount
from nio.store import DefaultStore

from adapters.matrix.store_writes import save_new_encrypted_rooms


def _store(tmp_path: Path) -> Any:
    store = DefaultStore("@hotline:localhost", "DEVICE", str(tmp_path))
    store.save_account(OlmAccount())
    return store


def test_only_new_rooms_are_written_and_the_set_stays_the_same(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.save_encrypted_rooms({"!a:localhost"})
    writes: list[set[str]] = []
    save = store.save_encrypted_rooms

    def counted(rooms: set[str]) -> None:
        writes.append(set(rooms))
        save(rooms)

    store.save_encrypted_rooms = counted
    save_new_encrypted_rooms(store)

    store.save_encrypted_rooms({"!a:localhost"})  # every sync with joined rooms does this
    store.save_encrypted_rooms(set())
    store.save_encrypted_rooms({"!a:localhost", "!b:localhost"})
    store.save_encrypted_rooms({"!b:localhost"})
    assert writes == [{"!b:localhost"}]
    assert store.load_encrypted_rooms() == {"!a:localhost", "!b:localhost"}

    store.delete_encrypted_room("!b:localhost")  # forgotten: saved again when it comes back
    assert store.load_encrypted_rooms() == {"!a:localhost"}
    store.save_encrypted_rooms({"!b:localhost"})
    assert writes == [{"!b:localhost"}, {"!b:localhost"}]
    assert store.load_encrypted_rooms() == {"!a:localhost", "!b:localhost"}
