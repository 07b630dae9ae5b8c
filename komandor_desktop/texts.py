"""The words of UI.md that the core and the CLI need too, in Russian and English.

Plain dicts and pure functions, no Qt: ``build_views`` fills ``ChatView``
reason lines from here and the CLI prints the very same sentences. The
window's own chrome (buttons, menus, status bar) is translated through Qt's
translator instead (``gui/i18n.py``).
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta, tzinfo

from .domain import CertReason, Reason

LANGUAGES = ("ru", "en")

#: Reason -> (row line, tooltip). Placeholders: {name} contact, {reason} the
#: certificate check reason (``CERT_REASONS``), {message} the server's 422 text.
REASONS: dict[str, dict[Reason, tuple[str, str]]] = {
    "ru": {
        Reason.CREATING_KEYS: (
            "Создаём ключи…",
            "Ключи для этого чата создаются на этом устройстве. "
            "Чат откроется, как только сервер их примет.",
        ),
        Reason.CONTACT_NOT_REGISTERED: (
            "Ждём регистрации контакта",
            "У контакта ещё нет сертификата. "
            "Чат включится, когда он зарегистрируется в Командоре.",
        ),
        Reason.WAITING_FOR_KEY: (
            "Ждём ключ",
            "Для сертификата этого устройства ещё нет ключа. "
            "Его передаст контакт или ваше другое устройство, когда будет в сети.",
        ),
        Reason.EXPORTING_KEY: (
            "Передаём ключ…",
            "Передаём ключ чата новому сертификату {name}.",
        ),
        Reason.CERTIFICATE_REJECTED: (
            "Сертификат не прошёл проверку",
            "Сертификат {name}: {reason}. Ключ ему не передаётся.",
        ),
        Reason.KEY_SIGNATURE_INVALID: (
            "Подпись ключа неверна",
            "Ключ чата подписан неверно или не участником чата. "
            "Он не принят; сообщите администратору.",
        ),
        Reason.KEY_NOT_IMPORTABLE: (
            "Ключ не расшифровывается",
            "Ключ чата не подходит к сертификату этого устройства. Он не принят.",
        ),
        Reason.KEY_MISSING: (
            "Ждём ключ",
            "Сервер считает чат синхронизированным, но ключа для этого устройства "
            "в ответе нет. Повторим при следующей синхронизации.",
        ),
        Reason.REGISTRATION_REFUSED: ("Сервер отклонил ключи", "{message}"),
        Reason.INVALID_CHAT: (
            "Ошибка данных сервера",
            "Сервер прислал этот чат с ошибкой: {message}. Показана сохранённая копия.",
        ),
    },
    "en": {
        Reason.CREATING_KEYS: (
            "Creating keys…",
            "Keys for this chat are being created on this device. "
            "It opens as soon as the server accepts them.",
        ),
        Reason.CONTACT_NOT_REGISTERED: (
            "Waiting for the contact to register",
            "The contact has no certificate yet. The chat opens once they register in Komandor.",
        ),
        Reason.WAITING_FOR_KEY: (
            "Waiting for a key",
            "This device's certificate has no key yet. "
            "The contact or another of your devices will share it when online.",
        ),
        Reason.EXPORTING_KEY: (
            "Sharing the key…",
            "Sharing the chat key with {name}'s new certificate.",
        ),
        Reason.CERTIFICATE_REJECTED: (
            "Certificate failed its checks",
            "{name}'s certificate: {reason}. No key is shared with it.",
        ),
        Reason.KEY_SIGNATURE_INVALID: (
            "Key signature invalid",
            "The chat key is signed wrongly or not by a member. "
            "It was refused; tell your administrator.",
        ),
        Reason.KEY_NOT_IMPORTABLE: (
            "Key does not decrypt",
            "The chat key does not match this device's certificate. It was refused.",
        ),
        Reason.KEY_MISSING: (
            "Waiting for a key",
            "The server says the chat is in sync, but sent no key for this device. "
            "The next sync tries again.",
        ),
        Reason.REGISTRATION_REFUSED: ("Server refused the keys", "{message}"),
        Reason.INVALID_CHAT: (
            "Server data error",
            "The server sent this chat with an error: {message}. The saved copy is shown.",
        ),
    },
}

#: Why a certificate failed its checks, as the {reason} of the tooltip.
CERT_REASONS: dict[str, dict[CertReason, str]] = {
    "ru": {
        CertReason.EXPIRED: "срок действия истёк",
        CertReason.NOT_YET_VALID: "ещё не действует",
        CertReason.HASH_MISMATCH: "хэш не совпадает",
        CertReason.UNKNOWN_CA: "выдан неизвестным удостоверяющим центром",
        CertReason.CANNOT_RECEIVE: "ключ этого типа не может получать ключи",
        CertReason.OTHER_CURVE: "другая кривая ГОСТ",
        CertReason.UNPARSABLE: "не читается как сертификат",
        CertReason.NOT_A_MEMBER: "принадлежит не участнику чата",
        CertReason.WRONG_OWNER: "это сертификат этого устройства под чужим именем",
    },
    "en": {
        CertReason.EXPIRED: "expired",
        CertReason.NOT_YET_VALID: "not yet valid",
        CertReason.HASH_MISMATCH: "hash mismatch",
        CertReason.UNKNOWN_CA: "issued by an unknown CA",
        CertReason.CANNOT_RECEIVE: "this key type cannot receive keys",
        CertReason.OTHER_CURVE: "another GOST curve",
        CertReason.UNPARSABLE: "not a readable certificate",
        CertReason.NOT_A_MEMBER: "it belongs to nobody in this chat",
        CertReason.WRONG_OWNER: "it is this device's certificate listed under another owner",
    },
}

SECTION_TITLES: dict[str, dict[str, str]] = {
    "ru": {
        "pinned": "Закреплённые",
        "groups": "Группы и каналы",
        "no_company": "Без организации",
        "favorites": "Избранное",
        "system": "Командор",
    },
    "en": {
        "pinned": "Pinned",
        "groups": "Groups and channels",
        "no_company": "No organisation",
        "favorites": "Saved messages",
        "system": "Komandor",
    },
}

BAD_PHONE: dict[str, str] = {
    "ru": "Номер «{text}» не похож на российский мобильный: +7 9XX XXX-XX-XX.",
    "en": "“{text}” is not a Russian mobile number: +7 9XX XXX-XX-XX.",
}

#: The server's chat status words (PROTOCOL.md §3) in the UI language.
STATUS_WORDS: dict[str, dict[str, str]] = {
    "ru": {"new": "новый, ключей ещё нет", "wait": "ждёт ключи", "sync": "синхронизирован"},
    "en": {"new": "new, no keys yet", "wait": "waiting for keys", "sync": "in sync"},
}

#: Whose certificate a line of the profile pane or the inspector is.
OWNERS: dict[str, dict[str, str]] = {
    "ru": {"you": "Вы", "this_device": "Вы · это устройство"},
    "en": {"you": "You", "this_device": "You · this device"},
}

_WEEKDAYS = {
    "ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS = {
    "ru": ("янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_YESTERDAY = {"ru": "вчера", "en": "yesterday"}


def _lang(lang: str) -> str:
    """Anything but English falls back to Russian, the default of UI.md."""
    return "en" if lang == "en" else "ru"


def reason_texts(
    reason: Reason,
    lang: str = "ru",
    *,
    name: str = "",
    cert_reason: CertReason | str | None = None,
    message: str = "",
) -> tuple[str, str]:
    """The row line and the tooltip sentence for a switched-off chat.

    Args:
        reason: why the chat is switched off.
        lang: "ru" or "en".
        name: the contact's name, for {name}.
        cert_reason: a ``CertReason`` (translated here) or a ready text, for {reason}.
        message: the server's message, for {message} (422 refusals, invalid chats).
    """
    lang = _lang(lang)
    line, tip = REASONS[lang][reason]
    if isinstance(cert_reason, CertReason):
        cert_text = CERT_REASONS[lang][cert_reason]
    else:
        cert_text = cert_reason or ""
    return line, tip.format(name=name, reason=cert_text, message=message)


def cert_reason_text(reason: CertReason, lang: str = "ru") -> str:
    """The words for one failed certificate check."""
    return CERT_REASONS[_lang(lang)][reason]


def status_text(status: str, lang: str = "ru") -> str:
    """A chat's server status ("new", "wait", "sync") in words; unknown values as they are."""
    return STATUS_WORDS[_lang(lang)].get(status, status)


def cert_owner(*, own: bool, this_device: bool, contact: str | None, pid: str,
               lang: str = "ru") -> str:
    """Whose certificate: "Вы · это устройство", "Вы", the contact's name, else the pid."""
    words = OWNERS[_lang(lang)]
    if this_device:
        return words["this_device"]
    if own:
        return words["you"]
    return contact or pid


def section_title(key: str, lang: str = "ru") -> str:
    """Title of a fixed section ("pinned", "groups", "no_company") or a fixed name."""
    return SECTION_TITLES[_lang(lang)][key]


def bad_phone_text(text: str, lang: str = "ru") -> str:
    """The sentence shown for one phone that could not be normalised."""
    return BAD_PHONE[_lang(lang)].format(text=text)


def format_time(
    ms: int | None, *, now: datetime | None = None, lang: str = "ru", tz: tzinfo | None = None,
) -> str:
    """A message time as the list shows it (UI.md "Times"), in the local zone.

    Today "12:04", yesterday "вчера", within 7 days a short weekday ("вт"),
    this year "12 мар", older "12.03.2025". ``now`` and ``tz`` are injectable
    so tests pin the clock; by default both are the machine's local ones.
    """
    if ms is None:
        return ""
    lang = _lang(lang)
    when = datetime.fromtimestamp(ms / 1000, tz=tz).astimezone(tz)
    current = (now or datetime.now(tz=tz)).astimezone(tz)
    today: date = current.date()
    day = when.date()
    if day >= today:
        return when.strftime("%H:%M") if day == today else _full_date(day)
    if day == today - timedelta(days=1):
        return _YESTERDAY[lang]
    if day > today - timedelta(days=7):
        return _WEEKDAYS[lang][day.weekday()]
    if day.year == today.year:
        return f"{day.day} {_MONTHS[lang][day.month - 1]}"
    return _full_date(day)


def _full_date(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def format_phone(phone: str | None) -> str:
    """"79161234567" as "+7 916 123-45-67"; anything else unchanged."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.isdigit() and phone[0] == "7":
        return f"+7 {phone[1:4]} {phone[4:7]}-{phone[7:9]}-{phone[9:]}"
    return phone


TOOLTIP_WIDTH = 60


def wrap_tooltip(text: str, width: int = TOOLTIP_WIDTH) -> str:
    """``text`` broken into lines of at most ``width`` characters, at spaces.

    For tooltips: a plain-text tooltip is one line as wide as its text. A word
    longer than ``width`` stands on a line of its own, whole; line breaks
    already in ``text`` stay.
    """
    return "\n".join(
        textwrap.fill(part, width, break_long_words=False, break_on_hyphens=False) or part
        for part in text.split("\n")
    )
