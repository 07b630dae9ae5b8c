"""The emulator's database: every piece of server state lives here.

Several uvicorn workers may share one database (PostgreSQL), so nothing that
matters for correctness is kept in process memory: the CA key, the token
secret, the system profile, the seed and the simulated contacts' private keys
are rows. Races between workers are decided by unique constraints
(``chat_key_records.chat_id``, ``key_exports(chat_id, cid)``,
``profiles.phone``, ``server_state.id``), never by a lock inside one process.

SQLite (the default) runs every transaction as ``BEGIN IMMEDIATE`` (the
SQLAlchemy ``sqlite_transactions`` recipe), so two writers serialise instead of
failing on a stale snapshot. PostgreSQL uses its default READ COMMITTED: a
rule that reads and then writes first locks the rows it decides on
(``lock_chats``: ``SELECT ... FOR UPDATE`` in id order, so two requests never
deadlock), and the unique keys stay the backstop (the second of two concurrent
inserts of one key raises IntegrityError). One-time work at start (schema,
CA, system profile, seed) runs under a PostgreSQL advisory lock
(``startup_lock``), so N workers starting together bootstrap once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import (
    BigInteger,
    Boolean,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

ID = String(128)
# SQLSTATEs of a transaction the server aborted and that may simply run again.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
# pg_advisory_lock key of the one-time start-up work ("KOMANDOR" in ASCII, as an int64).
STARTUP_LOCK_KEY = 0x4B4F4D414E444F52


class Base(DeclarativeBase):
    """Declarative base of the emulator's tables."""


class ServerState(Base):
    """The single row (id 1) of server-wide secrets, made once per database."""

    __tablename__ = "server_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ca_key_pem: Mapped[str] = mapped_column(Text)
    ca_cert_pem: Mapped[str] = mapped_column(Text)
    token_secret: Mapped[str] = mapped_column(String(128))
    system_pid: Mapped[str] = mapped_column(ID)
    seed: Mapped[str] = mapped_column(String(32))


class Profile(Base):
    """A user, a simulated contact, a placeholder for a number, or the system."""

    __tablename__ = "profiles"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(256))
    company: Mapped[str | None] = mapped_column(String(256), nullable=True)
    company_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    title: Mapped[str | None] = mapped_column(String(256), nullable=True)
    type: Mapped[int] = mapped_column(Integer, default=1)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    placeholder: Mapped[bool] = mapped_column(Boolean, default=False)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    online: Mapped[bool] = mapped_column(Boolean, default=True)


class CertificateRow(Base):
    """A certificate the CA issued; private key only for simulated/system ones."""

    __tablename__ = "certificates"
    cid: Mapped[str] = mapped_column(ID, primary_key=True)
    pid: Mapped[str] = mapped_column(ForeignKey("profiles.id"), index=True)
    pem: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))
    spki_sha256: Mapped[str] = mapped_column(String(64), index=True)
    not_before: Mapped[int] = mapped_column(BigInteger)  # ms; ints stay portable (no tz loss)
    not_after: Mapped[int] = mapped_column(BigInteger)  # ms
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    replaced_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # ms
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    private_key_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)  # ms, orders a profile's certificates


class ChatRow(Base):
    """A chat: personal (two members), Favorites (one), group or channel."""

    __tablename__ = "chats"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    chat_type: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    favorites: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger)  # ms
    # "personal:<pid>:<pid>" (sorted), "favorites:<pid>", "system:<pid>"; null for groups.
    # Unique, so two workers adding the same number make one chat, not two.
    pair_key: Mapped[str | None] = mapped_column(String(300), unique=True, nullable=True)


class Member(Base):
    """Membership of a profile in a chat, with its unread counter."""

    __tablename__ = "members"
    chat_id: Mapped[str] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    pid: Mapped[str] = mapped_column(ForeignKey("profiles.id"), primary_key=True, index=True)
    joined_at: Mapped[int] = mapped_column(BigInteger)
    unread: Mapped[int] = mapped_column(Integer, default=0)


class ChatKeyRecord(Base):
    """The one key of a chat: its primary key makes two creations collide."""

    __tablename__ = "chat_key_records"
    chat_id: Mapped[str] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    key_id: Mapped[str] = mapped_column(ID)
    creator_pid: Mapped[str] = mapped_column(ID)
    created_at: Mapped[int] = mapped_column(BigInteger)


class KeyExport(Base):
    """The chat key exported to one certificate, signed by its uploader."""

    __tablename__ = "key_exports"
    __table_args__ = (UniqueConstraint("chat_id", "cid", name="uq_key_exports_chat_cid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[str] = mapped_column(ForeignKey("chat_key_records.chat_id"), index=True)
    cid: Mapped[str] = mapped_column(ForeignKey("certificates.cid"))
    key: Mapped[bytes] = mapped_column(LargeBinary)
    signer_pid: Mapped[str] = mapped_column(ID)
    signer_cid: Mapped[str] = mapped_column(ForeignKey("certificates.cid"))
    sign: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[int] = mapped_column(BigInteger)


class Contact(Base):
    """An entry of a profile's address book (added through ``phones``)."""

    __tablename__ = "contacts"
    owner_pid: Mapped[str] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    contact_pid: Mapped[str] = mapped_column(ForeignKey("profiles.id"), primary_key=True)


class Message(Base):
    """An encrypted message (PROTOCOL.md §5.4); the server never reads it."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[str] = mapped_column(ForeignKey("chats.id"), index=True)
    author_pid: Mapped[str] = mapped_column(ForeignKey("profiles.id"))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[int] = mapped_column(Integer, default=0)
    time_ms: Mapped[int] = mapped_column(BigInteger)


class Nonce(Base):
    """A sign-in challenge: single use, valid until ``expires`` (ms)."""

    __tablename__ = "nonces"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    cid: Mapped[str] = mapped_column(ForeignKey("certificates.cid"))
    expires: Mapped[int] = mapped_column(BigInteger)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class AuthEvent(Base):
    """One counted sign-in attempt (``limits.py``): a wrong code, a code request, ..."""

    __tablename__ = "auth_events"
    __table_args__ = (Index("ix_auth_events_kind_subject_at", "kind", "subject", "at_ms"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(80))  # "phone:79..." or "addr:127.0.0.1"
    at_ms: Mapped[int] = mapped_column(BigInteger)


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3, the driver the project ships."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1)
                      if url.startswith("postgres://") else url)
    if parsed.drivername != "postgresql":
        return url
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout and IMMEDIATE."""
    url = normalize_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, object] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # let us emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:  # type: ignore[type-arg]
    """Sessions that keep loaded attributes after commit (they are read after)."""
    return sessionmaker(engine, expire_on_commit=False)


def create_schema(engine: Engine) -> None:
    """Create the tables if missing (the emulator needs no migrations)."""
    Base.metadata.create_all(engine)


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for one-time start-up work across processes.

    Workers that start together queue here; each then re-reads what the first
    made. SQLite needs nothing: its ``BEGIN IMMEDIATE`` already serialises.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(select(func.pg_advisory_lock(STARTUP_LOCK_KEY)))
        conn.commit()
        try:
            yield
        finally:
            conn.execute(select(func.pg_advisory_unlock(STARTUP_LOCK_KEY)))
            conn.commit()


def lock_chats(session: Session, chat_ids: Iterable[str]) -> None:
    """Lock the chats' rows until the transaction ends, in id order (no deadlocks).

    Under READ COMMITTED every later statement of the transaction then sees
    what a concurrent writer of these chats committed before us. SQLite
    renders no FOR UPDATE; its IMMEDIATE transactions are serial anyway.
    """
    ids = sorted(set(chat_ids))
    if ids:
        session.execute(select(ChatRow.id).where(ChatRow.id.in_(ids))
                        .order_by(ChatRow.id).with_for_update())


def is_transient(exc: DBAPIError) -> bool:
    """A deadlock or serialization failure: the database rolled back, nothing was stored."""
    return getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES
