"""The checks of a received chatKey's signer (PROTOCOL.md §4, §5.3), one rule at a time."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, x25519
from cryptohelpers import NOW, domain, issue, key, make_ca

from komandor_desktop.crypto import check_signer, export_key, new_chat_key, sign
from komandor_desktop.domain import Certificate, Chat, ChatKey, ChatStatus
from komandor_desktop.errors import KeySignatureInvalid

CA_KEY, CA = make_ca()
VIEWER = domain(issue(CA_KEY, key("p256", 10)), pid="p-viewer", cid="c-viewer")
VIEWER_OLD = domain(issue(CA_KEY, key("p256", 11)), pid="p-viewer", cid="c-viewer-old")


def signed_chat(signer_kind: str = "p256", *, pid: str = "p-alice", cid: str = "c-alice",
                listed: bool = True, issuer: tuple | None = None, **cert_args) -> Chat:
    """A wait chat whose key, exported to VIEWER, is signed by a new signer certificate."""
    signer_key = key(signer_kind, 20)
    issuer_key, issuer_cn = issuer or (CA_KEY, "Test CA")
    signer = domain(issue(issuer_key, signer_key, issuer_cn=issuer_cn, **cert_args),
                    pid=pid, cid=cid)
    blob = export_key(new_chat_key(), "chat-1", VIEWER)
    signature = _any_sign(signer_key, blob)
    chat_key = ChatKey(id="k-1", key=blob, signer_pid=pid, signer_cid=cid,
                       signer_certificate=signer, sign=signature)
    return Chat(id="chat-1", status=ChatStatus.WAIT, certificates=(signer,) if listed else (),
                chat_key=chat_key)


def _any_sign(signer_key, data: bytes) -> bytes:
    """§5.3 where it applies; else a PSS signature (RSA-1024) or junk (X25519)."""
    if isinstance(signer_key, rsa.RSAPrivateKey) and signer_key.key_size < 2048:
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return signer_key.sign(data, pss, hashes.SHA256())
    if isinstance(signer_key, x25519.X25519PrivateKey):
        return b"\x01" * 64
    return sign(signer_key, data)


def check(chat: Chat, *, anchor=CA, own=(VIEWER,)) -> None:
    check_signer(chat, viewer_pid="p-viewer", own_certificates=own, trust_anchor=anchor)


def refused(chat: Chat, match: str, **kwargs) -> None:
    with pytest.raises(KeySignatureInvalid, match=match):
        check(chat, **kwargs)


def key_of(chat: Chat) -> ChatKey:
    assert chat.chat_key is not None
    return chat.chat_key


def signer_of(chat: Chat) -> Certificate:
    certificate = key_of(chat).signer_certificate
    assert certificate is not None
    return certificate


def with_key(chat: Chat, **changes) -> Chat:
    assert chat.chat_key is not None
    return dataclasses.replace(chat, chat_key=dataclasses.replace(chat.chat_key, **changes))


@pytest.mark.parametrize("kind", ["p256", "p384", "p521", "rsa2048", "ed25519"])
def test_a_good_signer_passes(kind: str) -> None:
    check(signed_chat(kind))
    check(signed_chat(kind), anchor=None)


@pytest.mark.parametrize("field", ["signer_pid", "signer_cid", "signer_certificate", "sign"])
def test_missing_signer_fields(field: str) -> None:
    name = {"signer_certificate": "certificate"}.get(field, field.removeprefix("signer_"))
    refused(with_key(signed_chat(), **{field: None}), f"no signer {name}")


def test_all_signer_fields_missing_are_named_together() -> None:
    chat = with_key(signed_chat(), signer_pid=None, signer_cid=None, signer_certificate=None,
                    sign=b"")
    refused(chat, "no signer pid, cid, certificate, sign")


def test_no_key_at_all() -> None:
    refused(dataclasses.replace(signed_chat(), chat_key=None), "no key")


def test_listed_hash_must_match_the_sent_certificate() -> None:
    chat = signed_chat()
    listed = dataclasses.replace(chat.certificates[0], hash="ab" * 32)
    refused(dataclasses.replace(chat, certificates=(listed,)), "does not match the listed")


def test_a_hash_on_the_signer_certificate_itself_must_match() -> None:
    chat = signed_chat()
    bad = dataclasses.replace(signer_of(chat), hash="cd" * 32)
    refused(with_key(chat, signer_certificate=bad), "hash")


def test_a_substituted_certificate_under_a_listed_cid_is_refused() -> None:
    """The server swaps in another CA-issued certificate under Alice's cid."""
    chat = signed_chat()
    mallory_key = key("p256", 30)
    mallory = domain(issue(CA_KEY, mallory_key), pid="p-alice", cid="c-alice")
    forged = with_key(chat, signer_certificate=dataclasses.replace(mallory, hash=""),
                      sign=sign(mallory_key, key_of(chat).key))
    refused(forged, "does not match the listed")


def test_listed_cid_of_another_profile() -> None:
    chat = signed_chat()
    listed = dataclasses.replace(chat.certificates[0], pid="p-bob")
    refused(dataclasses.replace(chat, certificates=(listed,)), "another profile")


def test_unknown_ca() -> None:
    other_key, _ = make_ca(slot=1, cn="Other CA")
    refused(signed_chat(issuer=(other_key, "Other CA")), "unknown CA")


def test_without_anchor_the_cid_must_be_listed_or_own() -> None:
    refused(signed_chat(listed=False), "not among", anchor=None)


def test_without_anchor_the_viewers_other_certificate_is_accepted() -> None:
    chat = signed_chat(pid="p-viewer", cid="c-viewer-old", listed=False)
    own_old = signer_of(chat)
    check(chat, anchor=None, own=(VIEWER, own_old))
    refused(chat, "not among", anchor=None, own=(VIEWER,))


def test_signer_must_be_the_viewer_or_a_member() -> None:
    refused(signed_chat(pid="p-mallory", cid="c-mallory", listed=False), "not a member")
    check(signed_chat(pid="p-viewer", cid="c-viewer-2", listed=False))


def test_a_member_on_the_wait_list_counts() -> None:
    chat = signed_chat(listed=False)
    waiting = dataclasses.replace(signer_of(chat), cid="c-alice-new")
    check(dataclasses.replace(chat, wait_list=(waiting,)))


def test_bad_signature() -> None:
    chat = signed_chat()
    refused(with_key(chat, sign=bytes(len(key_of(chat).sign))), "does not verify")
    refused(with_key(chat, key=key_of(chat).key[:-1] + bytes([key_of(chat).key[-1] ^ 1])),
            "does not verify")
    refused(with_key(chat, sign=sign(key("p256", 31), key_of(chat).key)), "does not verify")


def test_signer_with_an_x25519_key_cannot_sign() -> None:
    chat = signed_chat("x25519")
    refused(chat, "cannot sign")
    refused(chat, "cannot sign", anchor=None)


def test_rsa_under_2048_cannot_sign() -> None:
    refused(signed_chat("rsa1024"), "cannot sign")


def test_an_expired_signer_is_still_accepted() -> None:
    check(signed_chat(not_before=NOW - timedelta(days=1000), not_after=NOW - timedelta(days=900)))


def test_signer_certificate_with_other_ids_than_the_key_fields() -> None:
    chat = signed_chat()
    moved = dataclasses.replace(signer_of(chat), cid="c-else")
    refused(with_key(chat, signer_certificate=moved), "another cid or pid")


def test_unreadable_signer_certificate() -> None:
    chat = signed_chat()
    junk = dataclasses.replace(signer_of(chat), pem="not a certificate")
    refused(with_key(chat, signer_certificate=junk), "unreadable")
