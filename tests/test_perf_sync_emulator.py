"""The emulator's fast paths give the very answers of the plain ones.

``wire.encode_listing`` splices pre-encoded certificate entries into each chat's
JSON; ``rules.load_facts(member=...)`` selects a viewer's chats by membership
instead of by a list of ids; the registration checks a target by a set. Each is
held here to the reference on inputs chosen to break a careless version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.responses import JSONResponse

from komandor_desktop.emulator.config import EmulatorConfig
from komandor_desktop.emulator.db import CertificateRow
from komandor_desktop.emulator.rules import chats_of, is_active, load_facts, now_ms
from komandor_desktop.emulator.service import Emulator
from komandor_desktop.emulator.wire import encode_listing


def _entry(n: int) -> dict[str, Any]:
    return {"pid": f"p{n}", "cid": f"c{n}", "certificate": f"QUJD{n}==", "hash": f"{n:064x}"}


def _chat(chat_id: str, name: str, certs: list[dict[str, Any]],
          waits: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": chat_id, "profileName": name, "profileCompany": None,
            "certificates": certs, "chatType": 1, "chatName": name, "chatFavorites": False,
            "chatKey": {"id": "k", "key": "a2V5", "cid": "c1", "pid": "p1",
                        "certificate": '"certificates":[', "hash": None, "sign": None},
            "waitList": waits, "lastMessageText": None, "unreadMessages": 0, "status": "wait"}


def test_encoded_listing_is_byte_for_byte_the_json_response() -> None:
    shared = [_entry(1), _entry(2), _entry(3)]
    hostile = ['"certificates":[]', '"waitList":[', 'x\\"certificates\\":[]', "Ω \u2028 \x00",
               "emoji \U0001f600", ""]
    chats = [_chat(f"chat{i}", name, shared[: i % 4], [shared[0], _entry(10 + i)])
             for i, name in enumerate(hostile)]
    chats.append(_chat("empty", "none", [], []))
    assert encode_listing(chats) == JSONResponse({"success": True, "data": chats}).body
    assert encode_listing([]) == JSONResponse({"success": True, "data": []}).body
    decoded = json.loads(encode_listing(chats))["data"]
    assert decoded == chats


def test_facts_by_membership_equal_facts_by_ids(tmp_path: Path) -> None:
    emulator = Emulator(EmulatorConfig(db_url=f"sqlite:///{tmp_path / 'e.sqlite3'}",
                                       seed="demo"))
    try:
        emulator.ensure_ready()
        with emulator.transaction() as session:
            certs = [c for c in session.scalars(select(CertificateRow))
                     if is_active(c, now_ms())]
            assert certs
            moment, targets = now_ms(), 0
            for cert in certs:
                ids = chats_of(session, cert.pid)
                by_ids = load_facts(session, ids, at_ms=moment)
                by_member = load_facts(session, ids, at_ms=moment, member=cert.pid)
                assert by_ids.keys() == by_member.keys()
                for chat_id, facts in by_ids.items():
                    other = by_member[chat_id]
                    assert (facts.chat, facts.members, facts.certs, facts.record,
                            facts.exports) == (other.chat, other.members, other.certs,
                                               other.record, other.exports)
                    assert facts.targets() == other.targets()
                    assert facts.target_ids == {(c.cid, c.pid) for c in facts.targets()}
                    targets += len(facts.targets())
            assert targets > len(certs)  # the demo world's chats do have targets
    finally:
        emulator.close()
