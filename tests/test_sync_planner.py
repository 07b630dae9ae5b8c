"""The planner: every row of PROTOCOL.md §4's table, as a pure function."""

from __future__ import annotations

from datetime import timedelta

from cryptohelpers import NOW, domain, issue, key, make_ca, pem

from komandor_desktop.domain import (
    Chat,
    ChatKey,
    ChatState,
    ChatStatus,
    Identity,
    OutboxEntry,
    Reason,
)
from komandor_desktop.sync import CreateKey, ExportKey, Skip, explain, plan

CA_KEY, CA = make_ca()
ME = issue(CA_KEY, key("p256", 1), cn="me")
BOB = issue(CA_KEY, key("p256", 2), cn="bob")
BOB2 = issue(CA_KEY, key("p256", 3), cn="bob2")
OLD = issue(CA_KEY, key("p256", 4), cn="old", not_after=NOW - timedelta(days=1))
IDENTITY = Identity("http://127.0.0.1", "79990000001", "me", "c-me", pem(ME), pem(CA))
MY_CERT = domain(ME, pid="me", cid="c-me")
BOB_CERT = domain(BOB, pid="bob", cid="c-bob")
BOB2_CERT = domain(BOB2, pid="bob", cid="c-bob2")
OLD_CERT = domain(OLD, pid="bob", cid="c-old")
KEY = ChatKey("k1", b"\x01" * 113)


def chat(status: str = "new", **kw: object) -> Chat:
    fields: dict[str, object] = {"id": "chat-1", "status": ChatStatus(status),
                                 "profile_name": "Боб"}
    fields.update(kw)
    return Chat(**fields)  # type: ignore[arg-type]


def run(*chats: Chat, outbox: dict[str, OutboxEntry] | None = None) -> list:
    return plan(chats, identity=IDENTITY, trust_anchor=CA, outbox=outbox or {}, now=NOW)


def test_new_chat_with_a_contact_certificate_creates_a_key_for_all_and_me() -> None:
    (action,) = run(chat(certificates=(BOB_CERT, BOB2_CERT), wait_list=(BOB_CERT, MY_CERT)))
    assert isinstance(action, CreateKey)
    assert [t.cid for t in action.targets] == ["c-bob", "c-bob2", "c-me"]
    assert action.reason is Reason.CREATING_KEYS


def test_new_chat_without_contact_certificate_waits_for_registration() -> None:
    (action,) = run(chat(certificates=()))
    assert action == Skip(action.chat, Reason.CONTACT_NOT_REGISTERED)


def test_favorites_creates_a_key_for_me_alone() -> None:
    (action,) = run(chat(favorites=True, certificates=()))
    assert isinstance(action, CreateKey)
    assert [t.cid for t in action.targets] == ["c-me"]


def test_new_chat_skips_a_rejected_certificate_but_keeps_the_good_ones() -> None:
    (action,) = run(chat(certificates=(BOB_CERT, OLD_CERT)))
    assert isinstance(action, CreateKey)
    assert [t.cid for t in action.targets] == ["c-bob", "c-me"]
    assert [(r.certificate.cid, r.reason.value) for r in action.rejected] == [("c-old", "expired")]


def test_new_chat_whose_only_contact_certificate_fails_is_not_created() -> None:
    (action,) = run(chat(certificates=(OLD_CERT,)))
    assert isinstance(action, Skip)
    assert action.reason is Reason.CERTIFICATE_REJECTED


def test_a_certificate_from_another_ca_is_never_a_target() -> None:
    other_key, _ = make_ca(slot=7, cn="Evil CA")
    evil = domain(issue(other_key, key("p256", 8), issuer_cn="Evil CA"), pid="bob", cid="c-evil")
    (action,) = run(chat(certificates=(evil,)))
    assert isinstance(action, Skip)
    assert action.rejected[0].reason.value == "unknown_ca"


def test_wait_chat_with_key_exports_to_the_wait_list_only() -> None:
    (action,) = run(chat("wait", certificates=(BOB_CERT, BOB2_CERT), chat_key=KEY,
                         wait_list=(BOB2_CERT,)))
    assert isinstance(action, ExportKey)
    assert [t.cid for t in action.targets] == ["c-bob2"]


def test_wait_chat_without_key_waits() -> None:
    (action,) = run(chat("wait", certificates=(BOB_CERT,), wait_list=(MY_CERT,)))
    assert action == Skip(action.chat, Reason.WAITING_FOR_KEY)


def test_sync_chat_needs_nothing_and_sync_without_key_is_an_error() -> None:
    ok, missing = run(chat("sync", chat_key=KEY), chat("sync", id="chat-2"))
    assert ok == Skip(ok.chat, None)
    assert missing == Skip(missing.chat, Reason.KEY_MISSING)


def test_outbox_of_this_identity_is_resent_and_of_another_identity_dropped() -> None:
    entry = OutboxEntry("chat-1", "c-me", b"own", (), 0)
    (action,) = run(chat(certificates=(BOB_CERT,)), outbox={"chat-1": entry})
    assert isinstance(action, CreateKey)
    assert action.outbox == entry
    stale = OutboxEntry("chat-1", "c-previous", b"own", (), 0)
    (action,) = run(chat(certificates=(BOB_CERT,)), outbox={"chat-1": stale})
    assert isinstance(action, CreateKey)
    assert action.outbox is None


def test_explain_says_why_each_chat_is_switched_off() -> None:
    def why(c: Chat, state: ChatState | None = None) -> tuple:
        return explain(c, state, identity=IDENTITY)

    assert why(chat("sync", chat_key=KEY)) == (True, None, None)
    assert why(chat(certificates=())) == (False, Reason.CONTACT_NOT_REGISTERED, None)
    assert why(chat(certificates=(BOB_CERT,))) == (False, Reason.CREATING_KEYS, None)
    assert why(chat("wait")) == (False, Reason.WAITING_FOR_KEY, None)
    assert why(chat("wait", chat_key=KEY, wait_list=(BOB2_CERT,))) == (
        False, Reason.EXPORTING_KEY, None)
    bad = ChatState("chat-1", Reason.KEY_SIGNATURE_INVALID, "bad")
    assert why(chat("sync", chat_key=KEY), bad) == (False, Reason.KEY_SIGNATURE_INVALID, "bad")
    stale = ChatState("chat-1", Reason.CREATING_KEYS)
    assert why(chat("sync", chat_key=KEY), stale) == (True, None, None)
