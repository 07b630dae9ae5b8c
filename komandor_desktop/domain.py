"""The objects that cross layers: frozen dataclasses and enums.

Nothing here imports the rest of the project. ORM rows stay in ``store``,
pydantic models stay in ``protocol``; what one layer hands to another is one of
these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import NamedTuple


class ChatStatus(StrEnum):
    """Status of a chat as the server computes it (PROTOCOL.md §3)."""

    NEW = "new"  # no registered key at all; chatKey is null
    WAIT = "wait"  # keys exist, but some target certificate lacks one
    SYNC = "sync"  # every target certificate has a key


class ProfileType(IntEnum):
    """Kind of the contact's profile (PROTOCOL.md §2)."""

    SYS = 0  # the system profile "Командор"
    FL = 1  # individual
    IP = 2  # sole proprietor
    UL = 3  # legal entity


class ChatType(IntEnum):
    """Kind of chat (PROTOCOL.md §2)."""

    PERSONAL = 0  # personal chat or Favorites
    GROUP = 1  # group, has a chatName
    CHANNEL = 2  # channel, has a chatName


class MessageStatus(IntEnum):
    """Status of the last message; values outside these are shown as unknown."""

    SENT = 0  # left the sender
    DELIVERED = 1  # reached the recipient's device
    READ = 2  # the recipient opened it


class Reason(StrEnum):
    """Why a chat is switched off (CLI.md `reason`), stable snake_case codes."""

    CREATING_KEYS = "creating_keys"  # new chat; this device makes its key
    CONTACT_NOT_REGISTERED = "contact_not_registered"  # new chat, no contact certificate
    WAITING_FOR_KEY = "waiting_for_key"  # wait chat, no key for this certificate
    EXPORTING_KEY = "exporting_key"  # wait chat, this device shares the key
    CERTIFICATE_REJECTED = "certificate_rejected"  # a target certificate failed its checks
    KEY_SIGNATURE_INVALID = "key_signature_invalid"  # the received key's signer check failed
    KEY_NOT_IMPORTABLE = "key_not_importable"  # the received key does not decrypt
    KEY_MISSING = "key_missing"  # sync chat without a chatKey for this certificate
    REGISTRATION_REFUSED = "registration_refused"  # the server answered 422 for this chat
    INVALID_CHAT = "invalid_chat"  # the server's copy broke the schema; stored copy kept


class CertReason(StrEnum):
    """Why a certificate failed its checks (PROTOCOL.md §4, UI.md)."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    HASH_MISMATCH = "hash_mismatch"
    UNKNOWN_CA = "unknown_ca"
    CANNOT_RECEIVE = "cannot_receive"  # key type or KeyUsage cannot receive keys
    OTHER_CURVE = "other_curve"  # GOST key on another curve than ours
    UNPARSABLE = "unparsable"  # not a certificate at all
    NOT_A_MEMBER = "not_a_member"  # a waitList entry of a profile that is not in the chat
    WRONG_OWNER = "wrong_owner"  # the viewer's own certificate under another pid or cid


@dataclass(frozen=True, slots=True)
class Certificate:
    """A member's certificate as the server sent it.

    ``pem`` is normalised PEM text when the wire value could be decoded (PEM,
    base64 of PEM or base64 of DER), else the raw wire string; ``crypto``
    parses and checks it.
    """

    pid: str
    cid: str
    pem: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChatKey:
    """The chat key exported to the viewer's current certificate, as received.

    ``key`` is the exported (encrypted) key; it is never decrypted on disk.
    The signer fields are this profile's additions (PROTOCOL.md §3).
    """

    id: str
    key: bytes
    signer_pid: str | None = None
    signer_cid: str | None = None
    signer_certificate: Certificate | None = None
    sign: bytes | None = None


@dataclass(frozen=True, slots=True)
class Chat:
    """One chat of ``GET /api/v2/chats/`` after strict validation."""

    id: str
    status: ChatStatus
    chat_type: ChatType = ChatType.PERSONAL
    favorites: bool = False
    profile_name: str | None = None
    profile_company: str | None = None
    profile_company_id: str | None = None
    profile_title: str | None = None
    profile_phone: str | None = None
    profile_photo: bytes | None = None
    profile_type: ProfileType | None = None
    profile_verified: bool = False
    chat_name: str | None = None
    certificates: tuple[Certificate, ...] = ()
    wait_list: tuple[Certificate, ...] = ()
    chat_key: ChatKey | None = None
    last_message_text: bytes | None = None
    last_message_status: int | None = None
    last_message_time: int | None = None  # Unix milliseconds
    unread: int = 0

    @property
    def is_system(self) -> bool:
        return self.profile_type is ProfileType.SYS

    @property
    def is_group(self) -> bool:
        return self.chat_type in (ChatType.GROUP, ChatType.CHANNEL)


class ChatSummary(NamedTuple):
    """What a chat list row needs of a stored chat (``store.listing.read_summary``).

    A ``Chat`` without what only the key checks and the detail panel read:
    no certificate PEMs, no exported key or signature. The window's list of
    10,000 chats is built from these; the full ``Chat`` of one chat is read
    when it is needed (``Store.chat``). Field names are those of ``Chat``.

    A named tuple rather than a frozen dataclass: 10,000 of them are made per
    list read, and a tuple is made in a fraction of a dataclass's time (whose
    frozen ``__init__`` sets each field through ``object.__setattr__``); two
    summaries compare equal exactly when every field does.
    """

    id: str
    status: ChatStatus
    chat_type: ChatType = ChatType.PERSONAL
    favorites: bool = False
    profile_name: str | None = None
    profile_company: str | None = None
    profile_company_id: str | None = None
    profile_title: str | None = None
    profile_phone: str | None = None
    profile_photo: bytes | None = None
    profile_type: ProfileType | None = None
    profile_verified: bool = False
    chat_name: str | None = None
    has_members: bool = False  # ``bool(chat.certificates)``
    wait_cids: tuple[str, ...] = ()  # ``cid`` of each ``chat.wait_list`` entry, in order
    key_id: str | None = None  # ``chat.chat_key.id``; None when there is no key
    last_message_text: bytes | None = None  # still encrypted
    last_message_status: int | None = None
    last_message_time: int | None = None  # Unix milliseconds
    unread: int = 0

    @property
    def is_system(self) -> bool:
        return self.profile_type is ProfileType.SYS


@dataclass(frozen=True, slots=True)
class ChatError:
    """A chat of a response that was skipped, with why (PROTOCOL.md §4)."""

    chat_id: str | None  # None when even the id could not be read
    index: int  # position in the response's data list
    message: str


@dataclass(frozen=True, slots=True)
class ChatsSnapshot:
    """One validated ``GET /api/v2/chats/`` response.

    ``raw`` maps each chat id (valid or not) to the JSON text of that chat as
    the server sent it, for the inspector.
    """

    chats: tuple[Chat, ...]
    errors: tuple[ChatError, ...] = ()
    raw: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KeyExport:
    """One entry of ``POST /api/v2/chatsKeys/``: a key exported to ``cid``."""

    chat_id: str
    cid: str
    pid: str
    key: bytes
    sign: bytes


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A chat key this client created and has not yet seen registered.

    ``own_export`` is the key exported to the current certificate (never the
    plaintext); ``exports`` are the entries exactly as they will be sent.
    """

    chat_id: str
    own_cid: str
    own_export: bytes
    exports: tuple[KeyExport, ...]
    created_at: int  # Unix milliseconds


@dataclass(frozen=True, slots=True)
class ChatState:
    """What this client last concluded about a chat (reason + detail)."""

    chat_id: str
    reason: Reason | None
    detail: str | None = None  # e.g. the certificate check reason, the 422 message
    updated_at: int = 0  # Unix milliseconds


@dataclass(frozen=True, slots=True)
class Identity:
    """The signed-in user: profile, current certificate, server and trust anchor.

    Secrets (private key, token) are not here: ``identity.secrets`` holds them.
    """

    server_url: str
    phone: str
    pid: str
    cid: str
    certificate_pem: str
    ca_certificate_pem: str | None
    name: str | None = None
