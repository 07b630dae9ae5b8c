"""views.py and texts.py: section order, row order, reason words, times (no Qt)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from viewfactory import make_view

from komandor_desktop.domain import CertReason, Chat, ChatStatus, ChatType, ProfileType, Reason
from komandor_desktop.texts import (
    CERT_REASONS,
    REASONS,
    bad_phone_text,
    format_phone,
    format_time,
    reason_texts,
)
from komandor_desktop.views import SectionKind, display_name, section_of, sort_views


def chat(cid: str, **kw: object) -> Chat:
    return Chat(id=cid, status=ChatStatus.SYNC, **kw)  # type: ignore[arg-type]


def test_section_of_each_kind() -> None:
    assert section_of(chat("f", favorites=True)).kind is SectionKind.PINNED
    assert section_of(chat("s", profile_type=ProfileType.SYS)).kind is SectionKind.PINNED
    grp = section_of(chat("g", chat_type=ChatType.GROUP, profile_company_id="c1"))
    assert grp.kind is SectionKind.GROUPS
    assert grp.title == "Группы и каналы"
    company = section_of(chat("p", profile_company="ООО «Ромашка»", profile_company_id="c1"))
    assert (company.kind, company.key, company.title) == (
        SectionKind.COMPANY, "company:c1", "ООО «Ромашка»")
    none = section_of(chat("n"), lang="en")
    assert (none.kind, none.key, none.title) == (SectionKind.NO_COMPANY, "no_company",
                                                 "No organisation")


def test_display_name() -> None:
    assert display_name(chat("f", favorites=True)) == "Избранное"
    assert display_name(chat("f", favorites=True), "en") == "Saved messages"
    assert display_name(chat("g", chat_type=ChatType.CHANNEL, chat_name="News")) == "News"
    assert display_name(chat("p", profile_phone="79161234567")) == "+7 916 123-45-67"


def _order_fixture() -> list:
    t = 1_700_000_000_000
    return [
        make_view("nc-old", "Яков", last_message_time=t - 10),
        make_view("grp", "Группа", chat_type=ChatType.GROUP, last_message_time=t),
        make_view("sys", "Командор", system=True, last_message_time=t + 99),
        make_view("fav", "Избранное", favorites=True, last_message_time=t - 99),
        make_view("b1", "Борис", company="Бета", company_id="b", last_message_time=None),
        make_view("b2", "Анна", company="Бета", company_id="b", last_message_time=None),
        make_view("a1", "Пётр", company="альфа", company_id="a", last_message_time=t - 5),
        make_view("a2", "Ольга", company="альфа", company_id="a", last_message_time=t),
        make_view("b3", "Анна", company="Бета", company_id="b", last_message_time=t - 1),
        make_view("b0", "Анна", company="Бета", company_id="b", last_message_time=None),
        make_view("nc-new", "Антон", last_message_time=t + 5),
    ]


def test_sort_views_follows_ui_order() -> None:
    views = _order_fixture()
    expected = ["fav", "sys", "a2", "a1", "b3", "b0", "b2", "b1", "grp", "nc-new", "nc-old"]
    for seed in range(5):
        shuffled = views[:]
        random.Random(seed).shuffle(shuffled)
        assert [v.id for v in sort_views(shuffled)] == expected


def test_reason_texts_cover_every_reason_in_both_languages() -> None:
    for lang in ("ru", "en"):
        assert set(REASONS[lang]) == set(Reason)
        assert set(CERT_REASONS[lang]) == set(CertReason)
    line, tip = reason_texts(Reason.CERTIFICATE_REJECTED, name="Иван",
                             cert_reason=CertReason.EXPIRED)
    assert line == "Сертификат не прошёл проверку"
    assert tip == "Сертификат Иван: срок действия истёк. Ключ ему не передаётся."
    line, tip = reason_texts(Reason.EXPORTING_KEY, "en", name="Ivan")
    assert (line, tip) == ("Sharing the key…", "Sharing the chat key with Ivan's new certificate.")
    assert reason_texts(Reason.REGISTRATION_REFUSED, message="bad")[1] == "bad"


def test_bad_phone_and_phone_format() -> None:
    assert bad_phone_text("123") == (
        "Номер «123» не похож на российский мобильный: +7 9XX XXX-XX-XX.")
    assert bad_phone_text("123", "en") == "“123” is not a Russian mobile number: +7 9XX XXX-XX-XX."
    assert format_phone("79161234567") == "+7 916 123-45-67"
    assert format_phone("abc") == "abc"


MSK = timezone(timedelta(hours=3))
NOW = datetime(2025, 3, 20, 12, 0, tzinfo=MSK)  # a Thursday


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


@pytest.mark.parametrize(
    ("when", "ru", "en"),
    [
        (datetime(2025, 3, 20, 0, 1, tzinfo=MSK), "00:01", "00:01"),
        (datetime(2025, 3, 20, 9, 4, tzinfo=MSK), "09:04", "09:04"),
        (datetime(2025, 3, 19, 23, 59, tzinfo=MSK), "вчера", "yesterday"),
        (datetime(2025, 3, 18, 10, 0, tzinfo=MSK), "вт", "Tue"),
        (datetime(2025, 3, 14, 10, 0, tzinfo=MSK), "пт", "Fri"),
        (datetime(2025, 3, 13, 10, 0, tzinfo=MSK), "13 мар", "13 Mar"),
        (datetime(2025, 1, 2, 10, 0, tzinfo=MSK), "2 янв", "2 Jan"),
        (datetime(2024, 12, 31, 10, 0, tzinfo=MSK), "31.12.2024", "31.12.2024"),
        (datetime(2025, 3, 19, 21, 30, tzinfo=UTC), "00:30", "00:30"),  # local tz
    ],
)
def test_format_time_table(when: datetime, ru: str, en: str) -> None:
    assert format_time(_ms(when), now=NOW, tz=MSK) == ru
    assert format_time(_ms(when), now=NOW, tz=MSK, lang="en") == en


def test_format_time_none_and_future() -> None:
    assert format_time(None, now=NOW, tz=MSK) == ""
    assert format_time(_ms(NOW + timedelta(days=3)), now=NOW, tz=MSK) == "23.03.2025"
