"""Each distinct certificate text once: table ``certificates``, rows name it by ref.

``chat_certificates`` loses ``pem`` and ``hash`` for ``cert_ref``; ``chats``
loses ``key_signer_cert_pem`` and ``key_signer_cert_hash`` for
``key_signer_cert_ref``. The ref is SHA-256 over (pem, hash) exactly as
``store.codec.certificate_ref`` makes it, spelled out again here so that this
revision never changes with the code. The old rows' content hashes no longer
match the new layout, so the next refresh rewrites each chat once.

SQLite cannot drop or retype these columns in place on every version we meet,
so both tables are rebuilt: the old ones are renamed away first (which also
points the old child table's foreign key at the renamed parent), the new ones
are created and filled, and only then are the old ones dropped. Dropping a
parent that still had children would run its ON DELETE CASCADE on them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHAT_COLUMNS = (  # every chats column but the signer certificate's text or ref
    "id", "status", "chat_type", "favorites", "profile_name", "profile_company",
    "profile_company_id", "profile_title", "profile_phone", "profile_photo", "profile_type",
    "profile_verified", "chat_name", "key_id", "key_export", "key_signer_pid",
    "key_signer_cid", "key_signer_cert_pid", "key_signer_cert_cid", "key_sign",
    "last_message_text", "last_message_status", "last_message_time", "unread",
    "content_hash",
)


def _ref(pem: str, hash_: str) -> bytes:
    return hashlib.sha256(marshal.dumps(("cert-v1", pem, hash_), 0)).digest()


def _chats_table(name: str, *signer: sa.Column[Any]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("chat_type", sa.Integer(), nullable=False),
        sa.Column("favorites", sa.Boolean(), nullable=False),
        sa.Column("profile_name", sa.Text()),
        sa.Column("profile_company", sa.Text()),
        sa.Column("profile_company_id", sa.Text()),
        sa.Column("profile_title", sa.Text()),
        sa.Column("profile_phone", sa.Text()),
        sa.Column("profile_photo", sa.LargeBinary()),
        sa.Column("profile_type", sa.Integer()),
        sa.Column("profile_verified", sa.Boolean(), nullable=False),
        sa.Column("chat_name", sa.Text()),
        sa.Column("key_id", sa.Text()),
        sa.Column("key_export", sa.LargeBinary()),
        sa.Column("key_signer_pid", sa.Text()),
        sa.Column("key_signer_cid", sa.Text()),
        sa.Column("key_signer_cert_pid", sa.Text()),
        sa.Column("key_signer_cert_cid", sa.Text()),
        *signer,
        sa.Column("key_sign", sa.LargeBinary()),
        sa.Column("last_message_text", sa.LargeBinary()),
        sa.Column("last_message_status", sa.Integer()),
        sa.Column("last_message_time", sa.Integer()),
        sa.Column("unread", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chats"),
    )


def _chat_certificates_table(*text: sa.Column[Any]) -> None:
    op.create_table(
        "chat_certificates",
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pid", sa.Text(), nullable=False),
        sa.Column("cid", sa.Text(), nullable=False),
        *text,
        sa.CheckConstraint("role IN ('member', 'wait')", name="ck_chat_certificates_role"),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"],
            name="fk_chat_certificates_chat_id_chats", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "role", "position", name="pk_chat_certificates"),
    )


def _rename_old() -> None:
    op.rename_table("chats", "_old_chats")  # the old child's FK now names _old_chats
    op.rename_table("chat_certificates", "_old_chat_certificates")


def _drop_old() -> None:
    op.drop_table("_old_chat_certificates")  # the child first: no cascade runs
    op.drop_table("_old_chats")


def _ref_column(table: str, name: str, nullable: bool) -> sa.Column[Any]:
    foreign_key = sa.ForeignKey("certificates.ref", name=f"fk_{table}_{name}_certificates")
    return sa.Column(name, sa.LargeBinary(), foreign_key, nullable=nullable)


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "certificates",
        sa.Column("ref", sa.LargeBinary(), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("ref", name="pk_certificates"),
    )
    _rename_old()
    _chats_table("chats", _ref_column("chats", "key_signer_cert_ref", True))
    _chat_certificates_table(_ref_column("chat_certificates", "cert_ref", False))
    signers = bind.exec_driver_sql(
        "SELECT id, key_signer_cert_pem, coalesce(key_signer_cert_hash, '') FROM _old_chats"
        " WHERE key_signer_cert_pem IS NOT NULL").fetchall()
    certs = bind.exec_driver_sql(
        "SELECT chat_id, role, position, pid, cid, pem, hash FROM _old_chat_certificates"
    ).fetchall()
    texts = {(pem, hash_) for _, pem, hash_ in signers}
    texts.update((pem, hash_) for *_, pem, hash_ in certs)
    refs = {text: _ref(*text) for text in texts}
    if refs:
        bind.exec_driver_sql("INSERT INTO certificates (ref, pem, hash) VALUES (?, ?, ?)",
                             [(ref, pem, hash_) for (pem, hash_), ref in refs.items()])
    names = ", ".join(_CHAT_COLUMNS)
    bind.exec_driver_sql(f"INSERT INTO chats ({names}) SELECT {names} FROM _old_chats")
    if signers:
        bind.exec_driver_sql("UPDATE chats SET key_signer_cert_ref = ? WHERE id = ?",
                             [(refs[(pem, hash_)], chat_id) for chat_id, pem, hash_ in signers])
    if certs:
        bind.exec_driver_sql(
            "INSERT INTO chat_certificates (chat_id, role, position, pid, cid, cert_ref)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(*row[:5], refs[(row[5], row[6])]) for row in certs])
    _drop_old()
    op.create_index("ix_chats_key_signer_cert_ref", "chats", ["key_signer_cert_ref"])
    op.create_index("ix_chat_certificates_cert_ref", "chat_certificates", ["cert_ref"])


def downgrade() -> None:
    op.drop_index("ix_chat_certificates_cert_ref", "chat_certificates")
    op.drop_index("ix_chats_key_signer_cert_ref", "chats")
    _rename_old()
    _chats_table("chats", sa.Column("key_signer_cert_pem", sa.Text()),
                 sa.Column("key_signer_cert_hash", sa.Text()))
    _chat_certificates_table(sa.Column("pem", sa.Text(), nullable=False),
                             sa.Column("hash", sa.Text(), nullable=False))
    names = ", ".join(_CHAT_COLUMNS)
    old = ", ".join(f"o.{name}" for name in _CHAT_COLUMNS)
    op.execute(
        f"INSERT INTO chats ({names}, key_signer_cert_pem, key_signer_cert_hash)"
        f" SELECT {old}, s.pem, s.hash FROM _old_chats o"
        " LEFT JOIN certificates s ON s.ref = o.key_signer_cert_ref")
    op.execute(
        "INSERT INTO chat_certificates (chat_id, role, position, pid, cid, pem, hash)"
        " SELECT o.chat_id, o.role, o.position, o.pid, o.cid, t.pem, t.hash"
        " FROM _old_chat_certificates o JOIN certificates t ON t.ref = o.cert_ref")
    _drop_old()
    op.drop_table("certificates")
