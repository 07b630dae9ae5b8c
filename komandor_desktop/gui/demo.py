"""The window over a static list of chat views: a development tool, no server.

``python -m komandor_desktop.gui.demo [--lang en] [--shot out.png]`` opens (or
renders) the window over ``demo_views``: every row state, badge and section of
UI.md appears once, without an emulator, a profile or a sync (``komandor-desktop
--demo`` is the real thing over an embedded emulator). The GUI tests use the
same views and inspector data as a fixture; their own view factory is
``tests/viewfactory.py``. Nothing here is used by the real client.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from ..domain import ChatStatus, ChatType, MessageStatus, ProfileType, Reason
from ..texts import reason_texts
from ..texts import section_title as _title
from ..views import ChatView, Section, SectionKind, sort_views

_MIN = 60_000
_HOUR = 60 * _MIN
_DAY = 24 * _HOUR


def _section(kind: SectionKind, company: str | None, company_id: str | None, lang: str) -> Section:
    if kind is SectionKind.COMPANY:
        return Section(kind, f"company:{company_id}", company or "")
    key = {SectionKind.PINNED: "pinned", SectionKind.GROUPS: "groups"}.get(kind, "no_company")
    return Section(kind, key, _title(key, lang))


def demo_view(chat_id: str, name: str, *, lang: str = "ru", **fields: Any) -> ChatView:
    """One demo row: defaults for what is not given; the section follows the fields.

    ``reason`` fills ``reason_text``/``tooltip`` from texts.py and switches the
    chat off, like ``build_views`` does.
    """
    reason: Reason | None = fields.pop("reason", None)
    company, company_id = fields.get("company"), fields.get("company_id")
    chat_type = fields.get("chat_type", ChatType.PERSONAL)
    if fields.get("favorites") or fields.get("system"):
        kind = SectionKind.PINNED
    elif chat_type is not ChatType.PERSONAL:
        kind = SectionKind.GROUPS
    else:
        kind = SectionKind.COMPANY if company_id else SectionKind.NO_COMPANY
    line, tip = ("", "")
    if reason is not None:
        line, tip = reason_texts(
            reason, lang, name=name, cert_reason=fields.pop("cert_reason", None),
            message=fields.pop("message", ""),
        )
    base: dict[str, Any] = dict(
        id=chat_id, status=ChatStatus.SYNC if reason is None else ChatStatus.WAIT,
        enabled=reason is None, reason=reason, reason_text=line, tooltip=tip, name=name,
        company=None, company_id=None, title=None, phone=None, photo=None,
        profile_type=ProfileType.FL, verified=False, chat_type=ChatType.PERSONAL,
        favorites=False, system=False, unread=0, last_message=None,
        last_message_time=None, last_message_status=None,
        section=_section(kind, company, company_id, lang),
    )
    base.update(fields)
    return ChatView(**base)


def demo_views(now_ms: int | None = None, lang: str = "ru") -> list[ChatView]:
    """About twenty chats covering every state, badge and section of UI.md."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    en = lang == "en"
    romashka = dict(company="ООО «Ромашка»", company_id="c-romashka")
    vector = dict(company="АО «Вектор»", company_id="c-vector")
    alfa = dict(company="ИП Соколов", company_id="c-sokolov")
    m = MessageStatus
    rows: list[ChatView] = [
        demo_view("fav", _title("favorites", lang), lang=lang, favorites=True,
                  last_message="Паспорт, СНИЛС — скан в облаке", last_message_time=now - 3 * _DAY,
                  last_message_status=m.READ, profile_type=None),
        demo_view("sys", _title("system", lang), lang=lang, system=True, verified=True,
                  profile_type=ProfileType.SYS, unread=2, last_message_status=m.DELIVERED,
                  last_message="Добро пожаловать в Командор!", last_message_time=now - 20 * _MIN),
        demo_view("c1", "Иванов Иван", lang=lang, **romashka, title="Главный бухгалтер",
                  phone="79161234567", verified=True, profile_type=ProfileType.FL,
                  last_message="Счёт на оплату отправил, посмотрите", unread=3,
                  last_message_time=now - 35 * _MIN, last_message_status=m.DELIVERED),
        demo_view("c2", "Смирнова Мария", lang=lang, **romashka, title="Юрист",
                  phone="79162223344", reason=Reason.WAITING_FOR_KEY,
                  last_message_time=now - 2 * _HOUR),
        demo_view("c3", "Кузнецов Пётр", lang=lang, **romashka, title="Директор",
                  phone="79035556677", profile_type=ProfileType.UL, verified=True,
                  last_message="Договор подписан, оригиналы курьером",
                  last_message_time=now - 1 * _DAY, last_message_status=m.READ),
        demo_view("c4", "Орлова Анна", lang=lang, **romashka, title="Менеджер",
                  phone="79267778899", last_message_time=None),
        demo_view("c5", "Волков Сергей", lang=lang, **vector, title="Инженер",
                  phone="79851112233", reason=Reason.CERTIFICATE_REJECTED,
                  cert_reason="срок действия истёк" if not en else "expired"),
        demo_view("c6", "Лебедева Ольга", lang=lang, **vector, title="Закупки",
                  phone="79854445566", unread=12, last_message="Когда поставка?",
                  last_message_time=now - 4 * _DAY, last_message_status=m.SENT),
        demo_view("c7", "Соколов Дмитрий", lang=lang, **alfa, profile_type=ProfileType.IP,
                  phone="79997776655", verified=True, last_message="Ок, созвонимся",
                  last_message_time=now - 40 * _DAY, last_message_status=m.READ),
        demo_view("c8", "Новиков Артём", lang=lang, **alfa, profile_type=ProfileType.FL,
                  phone="79990001122", reason=Reason.EXPORTING_KEY),
        demo_view("g1", "Бухгалтерия" if not en else "Accounting", lang=lang,
                  chat_type=ChatType.GROUP, profile_type=None, unread=5,
                  last_message="Мария: отчёт готов", last_message_time=now - 90 * _MIN),
        demo_view("g2", "Новости компании" if not en else "Company news", lang=lang,
                  chat_type=ChatType.CHANNEL, profile_type=None,
                  last_message="Офис закрыт 12 июня", last_message_time=now - 400 * _DAY),
        demo_view("g3", "Проект «Сатурн»", lang=lang, chat_type=ChatType.GROUP,
                  profile_type=None, reason=Reason.CREATING_KEYS),
        demo_view("p1", "Морозов Алексей", lang=lang, phone="79153334455",
                  reason=Reason.CONTACT_NOT_REGISTERED),
        demo_view("p2", "Павлова Елена", lang=lang, phone="79166667788", verified=True,
                  last_message="Спасибо!", last_message_time=now - 5 * _HOUR,
                  last_message_status=m.READ),
        demo_view("p3", "Фёдоров Максим", lang=lang, phone="79031239876",
                  reason=Reason.KEY_SIGNATURE_INVALID, last_message_time=now - 9 * _DAY),
        demo_view("p4", "Козлова Ирина", lang=lang, phone="79091112233",
                  reason=Reason.KEY_NOT_IMPORTABLE),
        demo_view("p5", "Григорьев Олег", lang=lang, phone="79264443322",
                  reason=Reason.REGISTRATION_REFUSED,
                  message="Сертификат отклонён: неизвестный УЦ" if not en
                  else "Certificate refused: unknown CA"),
        demo_view("p6", "Никитина Светлана", lang=lang, phone="79857654321", unread=1,
                  last_message="Вы сегодня в офисе?", last_message_time=now - 2 * _DAY,
                  last_message_status=m.DELIVERED),
        demo_view("p7", "+7 916 555-01-02", lang=lang, phone="79165550102",
                  last_message_time=None),
    ]
    return sort_views(rows)


def demo_inspector(chat_id: str) -> dict[str, Any]:
    """Inspector data in the shape ``gui/inspector.py`` documents, for the demo."""
    digest = hashlib.sha256(chat_id.encode()).hexdigest()
    own = {"pid": "p-me", "cid": "cid-me-laptop", "hash": digest, "check": "ok", "own": True,
           "this_device": True}
    contact = {"pid": f"p-{chat_id}", "cid": f"cid-{chat_id}-1", "hash": digest[::-1],
               "check": "ok"}
    data: dict[str, Any] = {"certificates": [own, contact], "wait_list": [], "key": None,
                            "outbox": None, "raw": json.dumps({"id": chat_id})}
    if chat_id == "c5":
        contact["check"] = "срок действия истёк"
    if chat_id in ("c2", "c8"):
        data["wait_list"] = [{**contact, "cid": f"cid-{chat_id}-2", "hash": digest[:32],
                              "check": "ok"}]
    if chat_id in ("c1", "c3", "c6", "c7", "p2", "p6", "g1", "g2", "sys", "fav"):
        data["key"] = {"id": f"key-{chat_id}", "signer_pid": contact["pid"],
                       "signer_cid": contact["cid"], "check": "ok"}
    return data


def run_demo(argv: Sequence[str]) -> int:
    """The window over the demo views (no server, no sync); ``--shot PATH`` renders it.

    Nothing runs on an event loop of ours here, so Qt's own exec and quit are
    enough. The language is ``--lang``'s, else ``$KOMANDOR_LANG``'s (``ClientConfig``).
    """
    from ..config import ClientConfig
    from .application import create_application
    from .i18n import LanguageSwitch
    from .mainwindow import MainWindow

    parser = argparse.ArgumentParser(prog="python -m komandor_desktop.gui.demo",
                                     description="The window over static demo views.")
    parser.add_argument("--lang", choices=("ru", "en"))
    parser.add_argument("--shot", metavar="PATH", help="render the window to PATH and exit")
    args = parser.parse_args(list(argv))
    lang = ClientConfig.from_env(args=argparse.Namespace(lang=args.lang)).lang
    app = create_application([sys.argv[0]])
    languages = LanguageSwitch(app)
    languages.set_language(lang)
    window = MainWindow(languages=languages, user_name="Иван Петров",
                        inspector_data=demo_inspector)
    window.resize(1100, 760)
    window.set_views(demo_views(lang=lang))
    window.show()
    window.pane.select_chat("c1")
    window.pane.tree.scrollToTop()
    if args.shot is None:
        return int(app.exec())
    window.status.show_progress(3, 7)
    app.processEvents()
    return 0 if window.grab().save(args.shot) else 1


def main(argv: list[str] | None = None) -> int:
    """Open the window over the demo views (or render it with --shot PATH)."""
    return run_demo(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    raise SystemExit(main())
