"""The demo world (``--seed demo``), built so the window shows every chat state.

People (all simulated contacts with a P-256 certificate whose private key is
in the database; "offline" ones never act):

- ООО «Ромашка» (UL): Анна Петрова (генеральный директор, photo), Дмитрий
  Волков (главный бухгалтер), Мария Кузнецова (менеджер по продажам, photo).
- АО «Вектор» (UL): Игорь Смирнов (технический директор, photo), Елена Орлова
  (руководитель проектов), Алексей Морозов (юрист, OFFLINE).
- ИП Соколов (IP): Сергей Соколов (photo).
- Individuals (FL): Ольга Лебедева (photo), Павел Новиков.

The demo user is ``DEMO_PHONE`` (code = the emulator's ``--code``, 1111 by
default). Until it logs in it is a placeholder profile; these chats wait for it:

- personal chats with Петрова, Смирнов, Соколов, Лебедева, Кузнецова: ``new``
  (nobody could make a key: the user had no certificate). The user's client
  creates their keys → ``sync``; the simulated contacts then write messages.
- group «Проект Альфа» (Орлова, Смирнов, Волков): Орлова made its key before
  the user joined, with a few messages → ``wait`` for the user until an online
  member exports the key to the user's certificate → ``sync``.
- channel «Новости Вектора» (Смирнов, Орлова, Морозов): the same story.
- personal chat with Морозов: he made its key for himself and left a message;
  he is offline, so it stays ``wait`` (the user waits for the contact).
- group «Обед в пятницу» (Кузнецова, Новиков): no key → ``new``; the user
  creates it → ``sync``.
- personal chat with ``UNREGISTERED_PHONE``: a number that never registered
  (placeholder, no certificate) → stays ``new``, "contact not registered".

Activation adds the system chat «Командор» (``sync``) and Favorites (``new``
until the user's client keys it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from .ca import Authority
from .db import Contact, Profile
from .keytools import new_chat_key
from .photos import avatar_png
from .rules import now_ms
from .world import (
    add_member,
    create_key,
    create_keyed_profile,
    keyed_certificate,
    new_chat,
    personal_pair_key,
    placeholder_profile,
    write_message,
)

DEMO_PHONE = "79990000001"
DEMO_CODE = "1111"
UNREGISTERED_PHONE = "79990000099"
MINUTE = 60_000


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    phone: str
    title: str | None
    company: str | None
    company_id: str | None
    type: int
    colour: tuple[int, int, int] | None = None
    online: bool = True


ROMASHKA = ("ООО «Ромашка»", "org_romashka")
VECTOR = ("АО «Вектор»", "org_vector")
SOKOLOV = ("ИП Соколов", "org_sokolov")

PEOPLE = (
    Person("petrova", "Анна Петрова", "79161234501", "Генеральный директор", *ROMASHKA, 3,
           (214, 84, 105)),
    Person("volkov", "Дмитрий Волков", "79161234502", "Главный бухгалтер", *ROMASHKA, 3),
    Person("kuznetsova", "Мария Кузнецова", "79161234503", "Менеджер по продажам", *ROMASHKA,
           3, (72, 149, 239)),
    Person("smirnov", "Игорь Смирнов", "79261234511", "Технический директор", *VECTOR, 3,
           (46, 160, 110)),
    Person("orlova", "Елена Орлова", "79261234512", "Руководитель проектов", *VECTOR, 3),
    Person("morozov", "Алексей Морозов", "79261234513", "Юрист", *VECTOR, 3, online=False),
    Person("sokolov", "Сергей Соколов", "79031234521", "Индивидуальный предприниматель",
           *SOKOLOV, 2, (230, 145, 56)),
    Person("lebedeva", "Ольга Лебедева", "79051234531", None, None, None, 1, (142, 92, 196)),
    Person("novikov", "Павел Новиков", "79051234532", None, None, None, 1),
)

ALPHA_HISTORY = (
    ("orlova", "Коллеги, создала группу по проекту «Альфа». Сюда все новости."),
    ("smirnov", "Отлично. Техзадание выложу до конца дня."),
    ("volkov", "Смету согласую с бухгалтерией завтра утром."),
)
CHANNEL_HISTORY = (
    ("smirnov", "«Вектор» переходит на защищённый мессенджер «Командор»."),
    ("smirnov", "С понедельника все договоры согласуем только здесь."),
)
MOROZOV_NOTE = "Добрый день! Пришлю проект договора, как только вы подключитесь."


def seed_demo(session: Session, ca: Authority, *, system_pid: str) -> None:
    """Create the demo world (the module docstring describes it)."""
    people = {p.key: _person_profile(session, ca, p) for p in PEOPLE}
    user = placeholder_profile(session, DEMO_PHONE)
    stranger = placeholder_profile(session, UNREGISTERED_PHONE)
    for key in ("petrova", "smirnov", "sokolov", "lebedeva", "kuznetsova"):
        _personal(session, user.id, people[key].id)
    _personal(session, user.id, stranger.id)
    morozov_chat = _personal(session, user.id, people["morozov"].id)
    _keyed_history(session, morozov_chat, [people["morozov"]],
                   [("morozov", MOROZOV_NOTE)], people)
    alpha = new_chat(session, [people[k].id for k in ("orlova", "smirnov", "volkov")],
                     chat_type=1, name="Проект Альфа")
    _keyed_history(session, alpha.id, [people[k] for k in ("orlova", "smirnov", "volkov")],
                   ALPHA_HISTORY, people)
    channel = new_chat(session, [people[k].id for k in ("smirnov", "orlova", "morozov")],
                       chat_type=2, name="Новости Вектора")
    _keyed_history(session, channel.id, [people[k] for k in ("smirnov", "orlova", "morozov")],
                   CHANNEL_HISTORY, people)
    for group, history in ((alpha, ALPHA_HISTORY), (channel, CHANNEL_HISTORY)):
        add_member(session, group.id, user.id, unread=len(history))
    new_chat(session, [user.id, people["kuznetsova"].id, people["novikov"].id],
             chat_type=1, name="Обед в пятницу")


def _person_profile(session: Session, ca: Authority, person: Person) -> Profile:
    return create_keyed_profile(
        session, ca, name=person.name, phone=person.phone, type=person.type,
        company=person.company, company_id=person.company_id, title=person.title,
        verified=person.type == 3, online=person.online,
        photo=None if person.colour is None else avatar_png(person.colour),
    )


def _personal(session: Session, user_pid: str, other_pid: str) -> str:
    session.add(Contact(owner_pid=user_pid, contact_pid=other_pid))
    chat = new_chat(session, [user_pid, other_pid],
                    pair_key=personal_pair_key(user_pid, other_pid))
    return chat.id


def _keyed_history(session: Session, chat_id: str, holders: list[Profile],
                   history: Sequence[tuple[str, str]], people: dict[str, Profile]) -> None:
    """The first holder made the chat's key for every holder, then they wrote."""
    certs = [keyed_certificate(session, p.id) for p in holders]
    if any(c is None for c in certs):
        raise RuntimeError("a demo contact has no certificate")
    chat_key = new_chat_key()
    create_key(session, chat_id, chat_key, certs[0], certs)  # type: ignore[arg-type]
    start = now_ms() - (len(history) + 1) * 17 * MINUTE
    for step, (author, text) in enumerate(history):
        write_message(session, chat_id, people[author].id, chat_key, text,
                      at_ms=start + step * 17 * MINUTE, status=2)
