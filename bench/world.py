"""The benchmark world: one viewer, 1,000 contacts, 2,500 ``new`` group chats of 4.

Built once per ``make bench`` directly in the emulator's database (bulk Core
inserts through its SQLAlchemy models, certificates issued by its CA), with
the viewer made by a real ``login`` over the real emulator so that its home
(identity, secrets, token, trust anchor) is exactly what the client uses.
``World.fresh(dir)`` copies the closed files, so every run starts from the
same untouched state: 2,500 chats x 4 target certificates = 10,000 keys.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import insert

from komandor_desktop.emulator.asgi import create_asgi_app
from komandor_desktop.emulator.ca import issue, new_id, spki_fingerprint, subject_for
from komandor_desktop.emulator.config import EmulatorConfig
from komandor_desktop.emulator.db import CertificateRow, ChatRow, Member, Profile
from komandor_desktop.emulator.rules import now_ms
from komandor_desktop.emulator.service import Emulator, authority
from komandor_desktop.identity import login

PASSPHRASE = "bench passphrase"
LOCAL = "http://127.0.0.1:9"  # the identity's server URL; the transport decides where it goes
VIEWER_PHONE = "79000000001"
CONTACTS = 1000
CHATS = 2500
MEMBERS_PER_CHAT = 3  # contacts per chat, besides the viewer
DB_NAME = "emulator.sqlite3"


@dataclass(frozen=True)
class World:
    """A built template: the emulator database file and the viewer's home."""

    root: Path
    contacts: int
    chats: int
    members: int = MEMBERS_PER_CHAT  # contacts per chat, besides the viewer

    @property
    def db(self) -> Path:
        return self.root / DB_NAME

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def keys(self) -> int:
        """Keys a first sync registers: one per member of each group, 1 for Favorites."""
        return self.chats * (self.members + 1) + 1

    def fresh(self, target: Path) -> World:
        """A copy of the template in ``target`` (removed first), ready for one run."""
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.root, target)
        return World(target, self.contacts, self.chats, self.members)

    def db_url(self) -> str:
        return f"sqlite:///{self.db}"


def contacts_for(chats: int) -> int:
    """Contacts of a world of ``chats`` chats in the bench world's proportion (1,000 : 2,500)."""
    return max(MEMBERS_PER_CHAT, round(chats * CONTACTS / CHATS))


def build(root: Path, *, contacts: int = CONTACTS, chats: int = CHATS,
          members: int = MEMBERS_PER_CHAT, seed: int = 5) -> World:
    """Make the template world in ``root`` (emptied first)."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    world = World(root, contacts, chats, members)
    config = EmulatorConfig(db_url=world.db_url())
    asyncio.run(_login_viewer(config, world.home))
    emulator = Emulator(config)
    try:
        with emulator.transaction() as session:
            viewer = session.query(Profile).filter(Profile.phone == VIEWER_PHONE).one()
            pids = _add_contacts(session, contacts)
            _add_group_chats(session, viewer.id, pids, chats, members, random.Random(seed))
    finally:
        emulator.close()
    return world


async def _login_viewer(config: EmulatorConfig, home: Path) -> None:
    """Activate the viewer through the real confirm flow (it also gets system + Favorites)."""
    app = create_asgi_app(config)
    transport = httpx.ASGITransport(app=app)
    await login(home, LOCAL, VIEWER_PHONE, config.code, passphrase=PASSPHRASE,
                name="Bench Viewer", transport=transport)
    app.state.emulator.close()


def _add_contacts(session: object, count: int) -> list[str]:
    """``count`` registered contacts, each with one P-256 certificate from the CA."""
    ca = authority(session)  # type: ignore[arg-type]
    stamp = now_ms()
    profiles, certs = [], []
    for n in range(count):
        pid = new_id("p")
        phone = f"7910{n:07d}"
        name = f"Contact {n:04d}"
        public_key = ec.generate_private_key(ec.SECP256R1()).public_key()
        issued = issue(ca, public_key, subject_for(phone, name))
        profiles.append({"id": pid, "phone": phone, "name": name, "type": 1,
                         "company": f"Company {n % 37}", "title": "Manager",
                         "verified": False, "placeholder": False, "simulated": False,
                         "online": False})
        certs.append({"cid": new_id("c"), "pid": pid, "pem": issued.pem, "hash": issued.hash,
                      "spki_sha256": spki_fingerprint(public_key),
                      "not_before": int(issued.not_before.timestamp() * 1000),
                      "not_after": int(issued.not_after.timestamp() * 1000),
                      "active": True, "revoked": False, "private_key_pem": None,
                      "created_at": stamp + n})
    session.execute(insert(Profile), profiles)  # type: ignore[attr-defined]
    session.execute(insert(CertificateRow), certs)  # type: ignore[attr-defined]
    return [p["id"] for p in profiles]


def _add_group_chats(session: object, viewer: str, pids: list[str], count: int,
                     per_chat: int, rng: random.Random) -> None:
    """``count`` groups: the viewer plus ``per_chat`` distinct contacts each, no keys (``new``)."""
    stamp = now_ms()
    chats, members = [], []
    for n in range(count):
        chat_id = new_id("chat")
        chats.append({"id": chat_id, "chat_type": 1, "name": f"Group {n:04d}",
                      "favorites": False, "created_at": stamp + n, "pair_key": None})
        for offset, pid in enumerate([viewer, *rng.sample(pids, per_chat)]):
            members.append({"chat_id": chat_id, "pid": pid, "joined_at": stamp + offset,
                            "unread": 0})
    session.execute(insert(ChatRow), chats)  # type: ignore[attr-defined]
    session.execute(insert(Member), members)  # type: ignore[attr-defined]
