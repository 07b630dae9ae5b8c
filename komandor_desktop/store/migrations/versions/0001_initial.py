"""The initial schema: chats, certificates, raw JSON, states, outbox, meta.

Written out by hand rather than from ``schema.metadata`` so that later changes
to the metadata never change what this revision did; a test compares the
migrated database with the metadata.

Revision ID: 0001
Revises:
Create Date: 2025-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _chats() -> None:
    op.create_table(
        "chats",
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
        sa.Column("key_signer_cert_pem", sa.Text()),
        sa.Column("key_signer_cert_hash", sa.Text()),
        sa.Column("key_sign", sa.LargeBinary()),
        sa.Column("last_message_text", sa.LargeBinary()),
        sa.Column("last_message_status", sa.Integer()),
        sa.Column("last_message_time", sa.Integer()),
        sa.Column("unread", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chats"),
    )
    op.create_table(
        "chat_certificates",
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pid", sa.Text(), nullable=False),
        sa.Column("cid", sa.Text(), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.CheckConstraint("role IN ('member', 'wait')", name="ck_chat_certificates_role"),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"],
            name="fk_chat_certificates_chat_id_chats", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "role", "position", name="pk_chat_certificates"),
    )


def _per_chat() -> None:
    op.create_table(
        "chat_raw",
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("json", sa.Text(), nullable=False),
        sa.Column("json_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_chat_raw"),
    )
    op.create_table(
        "chat_states",
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("detail", sa.Text()),
        sa.Column("updated_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_chat_states"),
    )


def _outbox_and_meta() -> None:
    op.create_table(
        "outbox",
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("own_cid", sa.Text(), nullable=False),
        sa.Column("own_export", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_outbox"),
    )
    op.create_table(
        "outbox_exports",
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("cid", sa.Text(), nullable=False),
        sa.Column("pid", sa.Text(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("sign", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["outbox.chat_id"],
            name="fk_outbox_exports_chat_id_outbox", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "position", name="pk_outbox_exports"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )


def upgrade() -> None:
    _chats()
    _per_chat()
    _outbox_and_meta()


def downgrade() -> None:
    for table in ("meta", "outbox_exports", "outbox", "chat_states", "chat_raw",
                  "chat_certificates", "chats"):
        op.drop_table(table)
