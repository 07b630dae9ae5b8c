"""Builders of domain objects shared by the store tests (no tests here)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from komandor_desktop.domain import (
    Certificate,
    Chat,
    ChatKey,
    ChatsSnapshot,
    ChatStatus,
    ChatType,
    ProfileType,
)


def cert(n: int, prefix: str = "c") -> Certificate:
    """A certificate whose every field depends on ``n``."""
    return Certificate(
        pid=f"pid-{prefix}{n}",
        cid=f"cid-{prefix}{n}",
        pem=f"-----BEGIN CERTIFICATE-----\n{prefix}{n:08d}\n-----END CERTIFICATE-----\n",
        hash=f"{n:064x}",
    )


def full_chat(chat_id: str = "chat-full") -> Chat:
    """A wait chat with every optional field set, a signed key and a wait list."""
    signer = Certificate(pid="pid-signer", cid="cid-signer", pem="PEM signer", hash="ab" * 32)
    return Chat(
        id=chat_id,
        status=ChatStatus.WAIT,
        chat_type=ChatType.GROUP,
        favorites=True,
        profile_name="Иван Петров",
        profile_company="ООО «Ромашка»",
        profile_company_id="7701234567",
        profile_title="директор",
        profile_phone="79161234567",
        profile_photo=b"\x89PNG\r\n\x1a\n\x00\x00binary\xff",
        profile_type=ProfileType.UL,
        profile_verified=True,
        chat_name="Отдел продаж",
        certificates=(cert(1), cert(2), cert(3)),
        wait_list=(cert(7, "w"), cert(4, "w")),
        chat_key=ChatKey(
            id="key-1", key=b"\x00exported\x01", signer_pid="pid-signer",
            signer_cid="cid-signer", signer_certificate=signer, sign=b"\x30\x45sig",
        ),
        last_message_text=b"\x01\x02cipher",
        last_message_status=2,
        last_message_time=1_732_700_000_123,
        unread=42,
    )


def plain_chat(chat_id: str, n: int = 0, certs: int = 3) -> Chat:
    """A sync personal chat with ``certs`` certificates and an unsigned key."""
    return Chat(
        id=chat_id,
        status=ChatStatus.SYNC,
        profile_name=f"Contact {n}",
        profile_phone=f"79{n:09d}",
        profile_type=ProfileType.FL,
        certificates=tuple(cert(n * 10 + i) for i in range(certs)),
        chat_key=ChatKey(id=f"key-{n}", key=n.to_bytes(4, "big") + b"export"),
        last_message_time=n,
        unread=n % 5,
    )


def snapshot(*chats: Chat, raw: dict[str, str] | None = None, errors=()) -> ChatsSnapshot:
    """A snapshot whose raw JSON defaults to a small text per valid chat."""
    if raw is None:
        raw = {chat.id: f'{{"id": "{chat.id}"}}' for chat in chats}
    return ChatsSnapshot(chats=tuple(chats), errors=tuple(errors), raw=raw)


@contextmanager
def write_counter(db: Path) -> Iterator[sqlite3.Connection]:
    """Count row writes to the chat tables with triggers, to prove none happen.

    Yields the sqlite3 connection; ``writes(db)`` reads the count.
    """
    tables = ("chats", "chat_certificates", "chat_raw", "chat_states")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("CREATE TABLE test_writes (tbl TEXT)")
        for table in tables:
            for op in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(
                    f"CREATE TRIGGER test_{table}_{op} AFTER {op} ON {table} "
                    f"BEGIN INSERT INTO test_writes VALUES ('{table}'); END"
                )
    try:
        yield conn
    finally:
        conn.close()


def writes(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT tbl FROM test_writes")]
