"""A malicious server, played by rewriting the real emulator's answers (issue 4).

Each case checks the two things that matter: nothing from the server's lie is
imported or encrypted to (read from the POST bodies the client really sent),
and the chat says why (reason + tooltip). The cases already in
``test_sync_rules`` (a certificate of an unknown CA, a hash mismatch, a zeroed
or missing signature, a foreign signer pid, a key moved from another chat) are
not repeated here.

Certificates are real ones made with ``cryptography``: the "right CA" ones are
issued with the emulator's own CA key (read from its database in process), so
that only the property under test is wrong.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from cryptohelpers import key, make_ca
from e2e import Wire, by_name, device, emulator, named, on_chats

from komandor_desktop import crypto
from komandor_desktop.domain import Certificate, ChatStatus, Reason
from komandor_desktop.emulator.service import authority
from komandor_desktop.errors import KeyNotImportable
from komandor_desktop.session import Session

ALICE, BOB, CAROL = "79990000041", "79990000042", "79990000043"
KEYS_PATH = "/api/v2/chatsKeys"
Chats = list[dict[str, Any]]


@pytest.fixture
def wire(tmp_path: Path) -> Wire:
    return Wire(emulator(tmp_path))


def run(coro: Any) -> Any:
    return asyncio.run(coro)





def posted(wire: Wire) -> list[dict[str, Any]]:
    """Every key entry the client POSTed, across all requests."""
    return [entry for r in wire.requests if r.method == "POST" and r.url.path.startswith(KEYS_PATH)
            for entry in json.loads(r.content)["keys"]]


def wire_entry(pid: str, cid: str, cert: x509.Certificate) -> dict[str, Any]:
    text = cert.public_bytes(serialization.Encoding.PEM)
    return {"pid": pid, "cid": cid, "certificate": base64.b64encode(text).decode(),
            "hash": cert.fingerprint(hashes.SHA256()).hex()}


def own_entry(session: Session, *, pid: str | None = None,
              cid: str | None = None) -> dict[str, Any]:
    ident = session.profile.identity
    cert = x509.load_pem_x509_certificate(ident.certificate_pem.encode())
    return wire_entry(pid or ident.pid, cid or ident.cid, cert)


def anchor_issued(wire: Wire, subject_key: Any, *, days: tuple[int, int] = (-1, 30),
                  issuer: tuple[Any, x509.Name] | None = None) -> x509.Certificate:
    """A certificate for ``subject_key`` from the emulator's CA (or ``issuer``)."""
    if issuer is None:
        with wire.inner.app.state.emulator.transaction() as session:
            ca = authority(session)
        issuer = (ca.key, ca.cert.subject)
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "79990000099")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer[1])
            .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=days[0]))
            .not_valid_after(now + timedelta(days=days[1]))
            .sign(issuer[0], hashes.SHA256()))


async def close(*sessions: Session) -> None:
    for s in sessions:
        await s.aclose()


# --- received keys ---------------------------------------------------------------------


async def synced(wire: Wire, tmp_path: Path) -> tuple[Session, Session, Session]:
    alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
    bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
    carol = await device(wire, tmp_path / "carol", CAROL, name="Кэрол")
    await alice.engine.sync(phones=[BOB, CAROL])
    assert by_name(alice)["Боб"].enabled
    return alice, bob, carol


def signer_fields(session: Session, signed: bytes) -> dict[str, Any]:
    """``chatKey`` signer fields of ``session``'s certificate, with a valid signature."""
    fields = own_entry(session)
    fields["sign"] = base64.b64encode(crypto.sign(session.profile.private_key, signed)).decode()
    return fields


def non_member_signer(ck: dict[str, Any], ctx: dict[str, Any]) -> None:
    """Carol (real certificate from the anchor, valid signature) is not in the chat."""
    ck.update(signer_fields(ctx["carol"], base64.b64decode(ck["key"])))


def rogue_ca_signer(ck: dict[str, Any], ctx: dict[str, Any]) -> None:
    """A signer certificate under a fresh cid, claimed for Bob, from a rogue CA that
    copies the emulator CA's name; the signature itself verifies."""
    signer_key = key("p256", 61)
    rogue_key, _ = make_ca(slot=62)
    anchor = ctx["wire"].inner.app.state.emulator
    with anchor.transaction() as session:
        name = authority(session).cert.subject
    cert = anchor_issued(ctx["wire"], signer_key, issuer=(rogue_key, name))
    ck.update(wire_entry(ctx["bob"].profile.identity.pid, "rogue-signer", cert))
    ck["sign"] = base64.b64encode(crypto.sign(signer_key, base64.b64decode(ck["key"]))).decode()


def signature_of_other_bytes(ck: dict[str, Any], ctx: dict[str, Any]) -> None:
    """Bob's real signature, but over other bytes (a valid DER signature, not zeros)."""
    ck.update(signer_fields(ctx["bob"], b"some other export"))


def exported_to_another_cid(ck: dict[str, Any], ctx: dict[str, Any]) -> None:
    """The real chat key, exported to Alice's own public key but for another cid and
    validly signed by Bob: only the ctx binding of §5.2 can refuse it."""
    alice = ctx["alice"]
    plain = alice.engine.keyring.key(alice.store.chat(ctx["chat_id"]))
    moved = Certificate(pid=alice.profile.identity.pid, cid="another-cid",
                        pem=alice.profile.identity.certificate_pem, hash="")
    blob = crypto.export_key(plain, ctx["chat_id"], moved)
    ck["key"] = base64.b64encode(blob).decode()
    ck.update(signer_fields(ctx["bob"], blob))


@pytest.mark.parametrize(("tamper", "reason", "why"), [
    (non_member_signer, Reason.KEY_SIGNATURE_INVALID, "not a member"),
    (rogue_ca_signer, Reason.KEY_SIGNATURE_INVALID, "unknown CA"),
    (signature_of_other_bytes, Reason.KEY_SIGNATURE_INVALID, "does not verify"),
    (exported_to_another_cid, Reason.KEY_NOT_IMPORTABLE, "does not decrypt"),
    (None, None, None),  # control: the untampered key is imported and re-exported
])
def test_refused_key_is_neither_used_nor_passed_on(
        wire: Wire, tmp_path: Path, tamper: Callable[..., None] | None,
        reason: Reason | None, why: str | None) -> None:
    """The chat is turned into a ``wait`` chat whose waitList holds Bob's real
    certificate, so a client that accepted the key would POST an export of it."""

    async def scenario() -> None:
        alice, bob, carol = await synced(wire, tmp_path)
        chat_id = by_name(alice)["Боб"].id
        ctx = {"alice": alice, "bob": bob, "carol": carol, "wire": wire, "chat_id": chat_id}
        before = len(posted(wire))

        def edit(chats: Chats) -> None:
            chat = named(chats, BOB)
            chat["status"] = "wait"
            chat["waitList"] = [dict(chat["certificates"][0])]
            if tamper is not None:
                tamper(chat["chatKey"], ctx)

        wire.rewrite = on_chats(edit)
        report = await alice.engine.sync()
        sent = [e for e in posted(wire)[before:] if e["chatId"] == chat_id]
        view = by_name(alice)["Боб"]
        assert view.status is ChatStatus.WAIT
        assert not view.enabled
        if tamper is None:
            assert sent, "the control case must export the accepted key"
            return await close(alice, bob, carol)
        assert sent == []
        assert view.reason is reason
        assert view.tooltip
        assert view.last_message is None
        detail = alice.store.states()[chat_id].detail or ""
        assert why in detail
        assert any(e["chatId"] == chat_id for e in report.errors)
        assert by_name(alice)["Кэрол"].enabled
        await close(alice, bob, carol)

    run(scenario())


def test_ctx_binding_refuses_an_export_for_another_certificate_directly(
        wire: Wire, tmp_path: Path) -> None:
    """The same refusal one layer down: the export decrypts only with its own cid."""

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE)
        ident = alice.profile.identity
        cert = Certificate(ident.pid, "another-cid", ident.certificate_pem, "")
        blob = crypto.export_key(b"k" * 32, "chat-1", cert)
        with pytest.raises(KeyNotImportable):
            crypto.import_key(blob, "chat-1", ident.cid, alice.profile.private_key)
        assert crypto.import_key(blob, "chat-1", "another-cid",
                                 alice.profile.private_key) == b"k" * 32
        await close(alice)

    run(scenario())


# --- certificates a key would be exported to -------------------------------------------


def expired(wire: Wire) -> x509.Certificate:
    return anchor_issued(wire, key("p256", 71), days=(-60, -1))


def ed25519_cert(wire: Wire) -> x509.Certificate:
    return anchor_issued(wire, key("ed25519", 72))


def rsa1024_cert(wire: Wire) -> x509.Certificate:
    return anchor_issued(wire, key("rsa1024", 73))


def rogue_with_anchor_name(wire: Wire) -> x509.Certificate:
    with wire.inner.app.state.emulator.transaction() as session:
        name = authority(session).cert.subject
    rogue_key, _ = make_ca(slot=74)
    return anchor_issued(wire, key("p256", 75), issuer=(rogue_key, name))


@pytest.mark.parametrize(("make", "text"), [
    (expired, "срок действия истёк"),
    (ed25519_cert, "ключ этого типа не может получать ключи"),
    (rsa1024_cert, "ключ этого типа не может получать ключи"),
    (rogue_with_anchor_name, "выдан неизвестным удостоверяющим центром"),
])
def test_contact_certificate_that_fails_is_never_encrypted_to(
        wire: Wire, tmp_path: Path, make: Callable[[Wire], x509.Certificate], text: str) -> None:
    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        await alice.client.get_chats([BOB])
        bad = make(wire)

        def swap(chats: Chats) -> None:
            chat = named(chats, BOB)
            chat["certificates"] = [wire_entry(e["pid"], e["cid"], bad)
                                    for e in chat["certificates"]]

        wire.rewrite = on_chats(swap)
        report = await alice.engine.sync()
        view = by_name(alice)["Боб"]
        assert view.reason is Reason.CERTIFICATE_REJECTED
        assert not view.enabled
        assert text in view.tooltip
        assert any(e["chatId"] == view.id for e in report.errors)
        assert all(e["chatId"] != view.id for e in posted(wire))
        await close(alice, bob)

    run(scenario())


# --- the wait list ---------------------------------------------------------------------


def test_stranger_in_the_wait_list_gets_no_key(wire: Wire, tmp_path: Path) -> None:
    """Carol's real certificate (it chains, it is valid) in the wait list of the
    chat with Bob: Carol is no member, so nothing is exported to her."""

    async def scenario() -> None:
        alice, bob, carol = await synced(wire, tmp_path)
        before = len(posted(wire))

        def add_stranger(chats: Chats) -> None:
            chat = named(chats, BOB)
            chat["status"] = "wait"
            chat["waitList"] = [own_entry(carol)]

        wire.rewrite = on_chats(add_stranger)
        report = await alice.engine.sync()
        view = by_name(alice)["Боб"]
        carol_cid = carol.profile.identity.cid
        assert all(e["cid"] != carol_cid for e in posted(wire)[before:])
        assert view.reason is Reason.CERTIFICATE_REJECTED
        assert "принадлежит не участнику чата" in view.tooltip
        assert any(e["chatId"] == view.id and "not_a_member" in e["error"]
                   for e in report.errors)
        await close(alice, bob, carol)

    run(scenario())


def test_own_certificate_under_another_pid_is_refused(wire: Wire, tmp_path: Path) -> None:
    async def scenario() -> None:
        alice, bob, carol = await synced(wire, tmp_path)
        before = len(posted(wire))
        bob_pid = bob.profile.identity.pid

        def disguise(chats: Chats) -> None:
            chat = named(chats, BOB)
            chat["status"] = "wait"
            chat["waitList"] = [own_entry(alice, pid=bob_pid, cid="alice-as-bob")]

        wire.rewrite = on_chats(disguise)
        await alice.engine.sync()
        view = by_name(alice)["Боб"]
        assert all(e["cid"] != "alice-as-bob" for e in posted(wire)[before:])
        assert view.reason is Reason.CERTIFICATE_REJECTED
        assert "под чужим именем" in view.tooltip
        await close(alice, bob, carol)

    run(scenario())


def test_own_cid_with_a_foreign_certificate_never_gets_the_key(
        wire: Wire, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A new chat whose wait list names the viewer's own cid but carries another
    (anchor-issued, valid) certificate: the own cid is trusted without checks, so
    the client must use its own certificate, never the one the server put there."""

    async def scenario() -> None:
        alice = await device(wire, tmp_path / "alice", ALICE, name="Алиса")
        bob = await device(wire, tmp_path / "bob", BOB, name="Боб")
        await alice.client.get_chats([BOB])
        thief_key = key("p256", 81)
        thief = anchor_issued(wire, thief_key)
        ident = alice.profile.identity

        def plant(chats: Chats) -> None:
            chat = named(chats, BOB)
            if chat["status"] == "new":
                chat["waitList"] = [wire_entry(ident.pid, ident.cid, thief), *chat["waitList"]]

        wire.rewrite = on_chats(plant)
        with caplog.at_level(logging.INFO, logger="komandor_desktop"):
            await alice.engine.sync()
        chat_id = by_name(alice)["Боб"].id
        mine = [e for e in posted(wire) if e["chatId"] == chat_id and e["cid"] == ident.cid]
        assert mine
        for entry in mine:
            blob = base64.b64decode(entry["key"])
            crypto.import_key(blob, chat_id, ident.cid, alice.profile.private_key)
            with pytest.raises(KeyNotImportable):
                crypto.import_key(blob, chat_id, ident.cid, thief_key)
        assert by_name(alice)["Боб"].enabled  # Bob's real certificate got the key
        assert "wrong_owner" in caplog.text
        await close(alice, bob)

    run(scenario())
