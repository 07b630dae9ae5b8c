"""The emulator's direct listing writer (emulator/wire.py) against the reference path.

``views.chat_list`` writes wire objects directly for speed; ``direct=False``
builds ``domain.Chat`` objects and serialises them with ``protocol.chat_to_wire``.
Every viewer of the demo world (personal, system, Favorites, group and channel
chats; new, wait and sync; keys with signers; messages) must get the very same
JSON from both.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse

from komandor_desktop.emulator.config import EmulatorConfig
from komandor_desktop.emulator.db import CertificateRow, ChatKeyRecord, ChatRow, KeyExport, Member
from komandor_desktop.emulator.rules import is_active, now_ms
from komandor_desktop.emulator.service import Emulator, server_state
from komandor_desktop.emulator.views import chat_list
from komandor_desktop.emulator.wire import encode_listing
from komandor_desktop.protocol import parse_chats


def test_direct_listing_equals_the_domain_path_for_every_viewer(tmp_path: Path) -> None:
    emulator = Emulator(EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'e.sqlite3'}",
                                       seed="demo"))
    try:
        emulator.ensure_ready()
        with emulator.transaction() as session:
            system_pid = server_state(session).system_pid
            certs = [c for c in session.scalars(select(CertificateRow))
                     if is_active(c, now_ms())]
            _key_one_new_group(session, certs)
            kinds: set[str] = set()
            for cert in certs:
                direct = chat_list(session, cert.pid, cert.cid, system_pid)
                reference = chat_list(session, cert.pid, cert.cid, system_pid, direct=False)
                assert json.dumps(direct, ensure_ascii=False) == json.dumps(
                    reference, ensure_ascii=False)
                assert encode_listing(direct) == JSONResponse(
                    {"success": True, "data": reference}).body
                assert not parse_chats(direct).errors
                kinds |= {f"{c['chatType']}:{c['status']}:{c['chatKey'] is not None}"
                          for c in direct}
    finally:
        emulator.close()
    assert len(certs) > 3
    assert {"0:sync:True", "0:new:False", "1:wait:True", "2:sync:True"} <= kinds


def _key_one_new_group(session: Session, certs: list[CertificateRow]) -> None:
    """A group chat with a key for one member only (``wait``), as rows: the listing
    only encodes the bytes, so they need not decrypt."""
    by_pid = {c.pid: c for c in certs}
    for chat in session.scalars(select(ChatRow).where(ChatRow.chat_type != 0)):
        if session.get(ChatKeyRecord, chat.id) is not None:
            continue
        pids = [m.pid for m in session.scalars(select(Member).where(Member.chat_id == chat.id))]
        holder = next((by_pid[p] for p in pids if p in by_pid), None)
        if holder is None or sum(p in by_pid for p in pids) < 2:
            continue
        session.add(ChatKeyRecord(chat_id=chat.id, key_id="key-test", creator_pid=holder.pid,
                                  created_at=now_ms()))
        session.flush()
        session.add(KeyExport(chat_id=chat.id, cid=holder.cid, key=b"k" * 113,
                              signer_pid=holder.pid, signer_cid=holder.cid, sign=b"s" * 70,
                              created_at=now_ms()))
        session.flush()
        return
    raise AssertionError("the demo world has no new group chat of two registered members")
