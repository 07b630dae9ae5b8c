"""Simulated contacts: what the contacts' own clients would do (PROTOCOL.md §7).

Every ``sim_delay`` seconds, each online simulated member that holds a chat's
key exports it to the chat's ``waitList`` certificates through the same
``keys.register`` rules and transaction as a real upload, and writes an
encrypted message into ``sync`` chats that have been quiet for a while. They
never create a chat's first key, and offline contacts never act, so a chat
that waits for an offline contact stays ``wait``. All state is in the
database: with several workers each runs the loop. Each chat is acted on in
its own transaction that first locks the chat's row (``lock_chats``), so the
worker that comes second waits, then sees the first one's exports and message
and does nothing: no double exports, no double messages. The unique keys stay
the backstop (a harmless 409 for the slower one).
"""

from __future__ import annotations

import asyncio
import logging
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import CertificateRow, Member, Message, Profile, lock_chats
from .failures import HttpFailure
from .keys import Entry, register
from .keytools import export_signed, import_own, private_key_of
from .rules import ChatFacts, load_facts, now_ms
from .service import Emulator, server_state
from .world import keyed_certificate, write_message

log = logging.getLogger(__name__)
MIN_QUIET_MS = 120_000
LINES = (
    "Добрый день! Получили ваш запрос, смотрим.",
    "Договор подписан, скан пришлю сегодня.",
    "Созвонимся завтра в 11:00?",
    "Счёт оплачен, спасибо!",
    "Коллеги, напоминаю про отчёт до пятницы.",
    "Отправил обновлённую презентацию.",
    "Поставка задерживается на два дня, извините.",
    "Отлично, согласовано.",
    "Можете уточнить реквизиты для оплаты?",
    "Встреча переносится на 15:30.",
)


async def run_simulation(emulator: Emulator) -> None:
    """The background loop started by the app's lifespan (cancelled at shutdown)."""
    delay = max(0.05, emulator.config.sim_delay)
    while True:
        await asyncio.sleep(delay)
        try:
            await asyncio.to_thread(simulate_step, emulator)
        except Exception:  # noqa: BLE001 - a bad step must not end the simulation
            log.exception("simulation step failed")


def simulate_step(emulator: Emulator) -> int:
    """One round of exports and messages; returns how many actions it took."""
    emulator.ensure_ready()
    with emulator.transaction() as session:
        chat_ids = _chats_with_actors(session)
    done = 0
    quiet_ms = max(MIN_QUIET_MS, int(emulator.config.sim_delay * 60_000))
    for chat_id in chat_ids:
        try:
            with emulator.transaction() as session:
                done += _act(session, chat_id, quiet_ms)
        except HttpFailure as exc:  # lost a race to a real client or another worker
            log.info("simulated export to %s refused: %s", chat_id, exc)
    return done


def _chats_with_actors(session: Session) -> list[str]:
    rows = session.scalars(
        select(Member.chat_id).join(Profile, Profile.id == Member.pid)
        .where(Profile.simulated.is_(True), Profile.online.is_(True),
               Profile.placeholder.is_(False))
        .distinct()
    )
    return sorted(rows)


def _act(session: Session, chat_id: str, quiet_ms: int) -> int:
    lock_chats(session, [chat_id])  # another worker's step on this chat finishes first
    facts = load_facts(session, [chat_id]).get(chat_id)
    if facts is None or facts.record is None:
        return 0  # never a chat's first key
    actors = _holders(session, facts)
    if not actors:
        return 0
    if facts.wait_list():
        return _export(session, facts, actors[0])
    system_pid = server_state(session).system_pid
    writers = [a for a in actors if a.pid != system_pid]
    if writers and _is_quiet(session, chat_id, quiet_ms):
        writer = random.choice(writers)
        chat_key = import_own(facts.exports[writer.cid].key, chat_id, writer)
        write_message(session, chat_id, writer.pid, chat_key, random.choice(LINES))
        return 1
    return 0


def _holders(session: Session, facts: ChatFacts) -> list[CertificateRow]:
    """Online simulated members' current certificates that hold the chat's key."""
    holders = []
    for pid in facts.member_pids:
        profile = session.get(Profile, pid)
        if profile is None or not profile.simulated or not profile.online:
            continue
        cert = keyed_certificate(session, pid)
        if cert is not None and cert.cid in facts.exports and \
                any(c.cid == cert.cid for c in facts.certs.get(pid, ())):
            holders.append(cert)
    return holders


def _export(session: Session, facts: ChatFacts, holder: CertificateRow) -> int:
    chat_id = facts.chat.id
    chat_key = import_own(facts.exports[holder.cid].key, chat_id, holder)
    private_key = private_key_of(holder)
    entries = []
    for target in facts.wait_list():
        blob, signature = export_signed(chat_key, chat_id, target, private_key)
        entries.append(Entry(chat_id, target.cid, target.pid, blob, signature))
    return register(session, holder, entries)


def _is_quiet(session: Session, chat_id: str, quiet_ms: int) -> bool:
    last = session.scalar(select(Message.time_ms).where(Message.chat_id == chat_id)
                          .order_by(Message.time_ms.desc()).limit(1))
    return last is None or now_ms() - last >= quiet_ms
