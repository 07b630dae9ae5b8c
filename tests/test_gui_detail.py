"""The profile pane: who wrote the last message, certificates named by owner, phones."""

from __future__ import annotations

import dataclasses

from gui_support import NOW_MS
from viewfactory import make_view

from komandor_desktop.domain import MessageStatus
from komandor_desktop.gui.delegate import ChatDelegate
from komandor_desktop.gui.demo import demo_views
from komandor_desktop.views import MessageSide, last_message_side


def _demo(chat_id: str):  # type: ignore[no-untyped-def]
    return next(v for v in demo_views(NOW_MS) if v.id == chat_id)


def test_incoming_last_message_names_the_sender_not_a_status(window) -> None:  # type: ignore[no-untyped-def]
    window.pane.select_chat("c1")  # Иванов Иван wrote; 3 unread, status "delivered"
    caption = window.detail.message_caption.text()
    assert "доставлено" not in caption
    assert "от Иванов Иван" in caption
    window.pane.select_chat("fav")  # Favorites: always your own
    assert "прочитано" in window.detail.message_caption.text()


def test_which_side_wrote_the_last_message() -> None:
    assert last_message_side(_demo("fav")) is MessageSide.OWN
    assert last_message_side(_demo("sys")) is MessageSide.INCOMING
    assert last_message_side(_demo("c6")) is MessageSide.INCOMING  # 12 unread
    assert last_message_side(_demo("c3")) is MessageSide.UNKNOWN
    assert last_message_side(make_view("x", "X")) is MessageSide.UNKNOWN  # no message


def test_ticks_only_where_the_message_may_be_yours(qapp) -> None:  # type: ignore[no-untyped-def]
    delegate = ChatDelegate()
    system = dataclasses.replace(_demo("sys"), unread=0, last_message_status=MessageStatus.READ)
    assert not delegate.shows_ticks(system)  # Командор writes to you, never the other way
    assert delegate.shows_ticks(_demo("c3"))
    assert delegate.shows_ticks(_demo("fav"))


def test_certificates_name_their_owner_and_the_status_is_translated(window) -> None:  # type: ignore[no-untyped-def]
    window.pane.select_chat("c2")  # wait: the contact's new certificate waits for a key
    lines = window.detail.certs.text().splitlines()
    assert lines[0].startswith("Вы · это устройство · ")
    assert lines[1].startswith("Смирнова Мария · ")
    assert lines[2].startswith("Смирнова Мария · ")
    assert lines[2].endswith("ждёт ключ")
    assert "ждёт ключ" not in lines[0]
    assert "Статус на сервере: ждёт ключи." in window.detail.state_text.text()
    assert "wait" not in window.detail.state_text.text()


def test_inspector_data_names_owners_and_status() -> None:
    from komandor_desktop.domain import Certificate, Identity
    from komandor_desktop.sync.inspect import cert_row
    from komandor_desktop.texts import status_text

    me = Identity("https://x", "79990000001", "p-me", "cid-here", "pem", None)
    certs = (Certificate("p-me", "cid-here", "pem", "aa"),
             Certificate("p-me", "cid-phone", "pem", "bb"),
             Certificate("p-ivan", "cid-ivan", "pem", "cc"),
             Certificate("p-olga", "cid-olga", "pem", "dd"))
    contacts = ("Ivan", "Ivan", "Ivan", None)  # a group's members are not named: the pid
    rows = [cert_row(c, "ok", identity=me, contact=n, lang="en")
            for c, n in zip(certs, contacts, strict=True)]
    assert [r["owner"] for r in rows] == ["You · this device", "You", "Ivan", "p-olga"]
    assert [r["own"] for r in rows] == [True, True, False, False]
    assert [r["this_device"] for r in rows] == [True, False, False, False]
    assert status_text("wait", "ru") == "ждёт ключи"
    assert status_text("sync", "en") == "in sync"
    assert status_text("odd", "en") == "odd"


def test_inspector_shows_status_words_and_owners(window) -> None:  # type: ignore[no-untyped-def]
    inspector = window.open_inspector("c2")
    assert inspector.fields["status"].text() == "ждёт ключи (wait)"
    assert inspector.certs.topLevelItem(0).text(0) == "p-me"  # the demo data names no owner
    inspector.set_data({**inspector.data, "certificates": [
        {"pid": "p-me", "cid": "c", "hash": "h", "check": "ok", "owner": "Вы"}]})
    assert inspector.certs.topLevelItem(0).text(0) == "Вы (p-me)"
