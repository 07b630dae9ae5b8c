"""The tables of the local database, as SQLAlchemy Core metadata.

Core tables rather than ORM classes: the repository moves whole snapshots with
``executemany`` and hands out domain dataclasses, so an identity map would only
cost time. The Alembic revisions in ``migrations/versions`` create exactly these
tables; ``tests/test_store_db.py`` compares the two so they cannot drift apart.

Only *exported* (encrypted) chat keys are ever stored: the domain hands the store
nothing else, and no column here is meant for a plaintext key.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
    }
)

ROLE_MEMBER = "member"  # a certificate of ``Chat.certificates``
ROLE_WAIT = "wait"  # a certificate of ``Chat.wait_list``

chats = Table(
    "chats",
    metadata,
    Column("id", Text, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("chat_type", Integer, nullable=False),
    Column("favorites", Boolean, nullable=False),
    Column("profile_name", Text),
    Column("profile_company", Text),
    Column("profile_company_id", Text),
    Column("profile_title", Text),
    Column("profile_phone", Text),
    Column("profile_photo", LargeBinary),
    Column("profile_type", Integer),
    Column("profile_verified", Boolean, nullable=False),
    Column("chat_name", Text),
    # chatKey: present when key_id is not NULL; key_export is the exported key as received
    Column("key_id", Text),
    Column("key_export", LargeBinary),
    Column("key_signer_pid", Text),
    Column("key_signer_cid", Text),
    # the signer's certificate: present when key_signer_cert_ref is not NULL
    Column("key_signer_cert_pid", Text),
    Column("key_signer_cert_cid", Text),
    # its PEM and hash: the ``certificates`` row of this ref (see there)
    Column("key_signer_cert_ref", LargeBinary, ForeignKey("certificates.ref"), index=True),
    Column("key_sign", LargeBinary),
    Column("last_message_text", LargeBinary),
    Column("last_message_status", Integer),
    Column("last_message_time", Integer),
    Column("unread", Integer, nullable=False),
    # sha256 over every stored value of the chat and its certificates: lets a
    # refresh skip unchanged chats without reading them back
    Column("content_hash", String(64), nullable=False),
)

# Each distinct certificate text once: a sync of 2,500 groups lists 1,000 contacts'
# certificates 17,500 times, and the signer's certificate of every key is usually
# the viewer's own. ``ref`` is ``codec.certificate_ref(pem, hash)``, a SHA-256 over
# both values, so equal refs mean equal stored text and a refresh can insert
# "if absent" without reading anything back. Rows no chat refers to any more are
# deleted by the refresh that drops the last reference.
certificates = Table(
    "certificates",
    metadata,
    Column("ref", LargeBinary, primary_key=True),
    Column("pem", Text, nullable=False),
    Column("hash", Text, nullable=False),
)

chat_certificates = Table(
    "chat_certificates",
    metadata,
    Column(
        "chat_id",
        Text,
        ForeignKey("chats.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("role", String(8), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("pid", Text, nullable=False),
    Column("cid", Text, nullable=False),
    Column("cert_ref", LargeBinary, ForeignKey("certificates.ref"), nullable=False,
           index=True),
    CheckConstraint(f"role IN ('{ROLE_MEMBER}', '{ROLE_WAIT}')", name="role"),
)

# The server's JSON of each chat, valid or not, for the inspector. No foreign
# key: a chat that failed validation may have raw JSON but no stored copy.
chat_raw = Table(
    "chat_raw",
    metadata,
    Column("chat_id", Text, primary_key=True),
    Column("json", Text, nullable=False),
    Column("json_hash", String(64), nullable=False),
)

# What the client last concluded about a chat; reason NULL means "nothing wrong".
chat_states = Table(
    "chat_states",
    metadata,
    Column("chat_id", Text, primary_key=True),
    Column("reason", String(32)),
    Column("detail", Text),
    Column("updated_at", Integer, nullable=False),
)

# Chat keys this client created and has not yet seen registered (PROTOCOL.md §4).
outbox = Table(
    "outbox",
    metadata,
    Column("chat_id", Text, primary_key=True),
    Column("own_cid", Text, nullable=False),
    Column("own_export", LargeBinary, nullable=False),
    Column("created_at", Integer, nullable=False),
)

outbox_exports = Table(
    "outbox_exports",
    metadata,
    Column(
        "chat_id",
        Text,
        ForeignKey("outbox.chat_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("cid", Text, nullable=False),
    Column("pid", Text, nullable=False),
    Column("key", LargeBinary, nullable=False),
    Column("sign", LargeBinary, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
