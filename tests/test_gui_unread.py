"""One unread rule everywhere: a chat counts only when it is switched on and has unread > 0."""

from __future__ import annotations

from viewfactory import make_view

from komandor_desktop.domain import ChatStatus, Reason
from komandor_desktop.gui.chatmodel import ChatFilter, ChatListModel, ChatRole
from komandor_desktop.gui.mainwindow import MainWindow
from komandor_desktop.gui.sectionmodel import SectionTreeModel
from komandor_desktop.sync.status import list_entries
from komandor_desktop.views import counts_as_unread

ROMASHKA = {"company": "ООО «Ромашка»", "company_id": "c-romashka"}


def _views():  # type: ignore[no-untyped-def]
    return [
        make_view("on", "Включён", unread=2, **ROMASHKA),
        make_view("off", "Ждёт ключ", unread=4, reason=Reason.WAITING_FOR_KEY, **ROMASHKA),
        make_view("new", "Создаётся", unread=7, reason=Reason.CREATING_KEYS),
    ]


def test_section_badges_and_unread_filter_skip_switched_off_chats(qtmodeltester) -> None:
    model = ChatListModel(_views())
    chat_filter = ChatFilter()
    tree = SectionTreeModel(model, chat_filter)
    qtmodeltester.check(tree)
    assert tree.section_index("company:c-romashka").data(ChatRole.SectionUnread) == 2
    assert tree.section_index("no_company").data(ChatRole.SectionUnread) == 0
    assert model.total_unread() == 2
    chat_filter.set_unread_only(True)
    assert tree.chat_ids() == ["on"]
    assert tree.section_keys() == ["company:c-romashka"]


def test_window_tray_count_follows_the_rule(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    counts: list[int] = []
    win.unreadChanged.connect(counts.append)
    win.set_views(_views())
    assert counts == [2]


def test_listing_entries_know_whether_a_chat_is_readable() -> None:
    row = ("x", False, 1, 0, None, None, "Имя", None, "79161234567", None, 1, 3, "h")
    statuses = [("sync", "k"), ("sync", None), ("wait", "k"), ("new", None)]
    rows = [(f"{n}", *row[1:], status, key) for n, (status, key) in enumerate(statuses)]
    listing = list_entries(rows, {}, identity=None, summary=lambda _id: None)  # type: ignore[arg-type]
    readable = {e.id: counts_as_unread(e) for e in listing.entries}
    assert readable == {"0": True, "1": False, "2": False, "3": False}
    assert ChatStatus.SYNC.value == "sync"
