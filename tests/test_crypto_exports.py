"""Chat key export/import of profile v1 (PROTOCOL.md §5.1, §5.2)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptohelpers import domain, issue, key, make_ca

from komandor_desktop.crypto import (
    PROVIDERS,
    KeyProvider,
    ctx,
    export_key,
    import_key,
    new_chat_key,
    provider_for,
    providers,
)
from komandor_desktop.domain import CertReason
from komandor_desktop.errors import CertificateRejected, CryptoError, KeyNotImportable

# kind -> (exported length, the HPKE suite that must reproduce it, or None for RSA)
FAMILIES = {
    "p256": (113, (hpke.KEM.P256, hpke.KDF.HKDF_SHA256)),
    "p384": (145, (hpke.KEM.P384, hpke.KDF.HKDF_SHA384)),
    "p521": (181, (hpke.KEM.P521, hpke.KDF.HKDF_SHA512)),
    "x25519": (80, (hpke.KEM.X25519, hpke.KDF.HKDF_SHA256)),
    "rsa2048": (256, None),
    "rsa3072": (384, None),
}


def target(kind: str, *, cid: str = "c-target", slot: int = 0):
    ca_key, _ = make_ca()
    return domain(issue(ca_key, key(kind, slot)), pid="p-target", cid=cid)


def test_ctx_is_exactly_the_spec_bytes() -> None:
    assert ctx("чат", "c1") == b"komandor-chat-key-v1\x00\xd1\x87\xd0\xb0\xd1\x82\x00c1"


def test_new_chat_key_is_32_fresh_bytes() -> None:
    keys = {new_chat_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(k) == 32 for k in keys)
    with pytest.raises(CryptoError):
        new_chat_key("no-such-profile")


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_round_trip_and_length(kind: str) -> None:
    chat_key = new_chat_key()
    blob = export_key(chat_key, "chat-1", target(kind))
    assert len(blob) == FAMILIES[kind][0]
    assert import_key(blob, "chat-1", "c-target", key(kind)) == chat_key
    # HPKE and OAEP are randomised: two exports differ but both import
    again = export_key(chat_key, "chat-1", target(kind))
    assert again != blob
    assert import_key(again, "chat-1", "c-target", key(kind)) == chat_key


@pytest.mark.parametrize("kind", ["p256", "p384", "p521", "x25519"])
def test_hpke_format_is_exactly_suite_output(kind: str) -> None:
    """Known-answer style: the blob is enc||ct of RFC 9180 with info = ctx, both ways."""
    kem, kdf = FAMILIES[kind][1]
    suite = hpke.Suite(kem, kdf, hpke.AEAD.AES_256_GCM)
    chat_key = new_chat_key()
    blob = export_key(chat_key, "chat-1", target(kind))
    assert suite.decrypt(blob, key(kind), info=ctx("chat-1", "c-target")) == chat_key
    foreign = suite.encrypt(chat_key, key(kind).public_key(), info=ctx("chat-1", "c-target"))
    assert import_key(foreign, "chat-1", "c-target", key(kind)) == chat_key


def test_rsa_format_is_oaep_sha256_with_ctx_label() -> None:
    chat_key = new_chat_key()
    blob = export_key(chat_key, "chat-1", target("rsa2048"))
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                        label=ctx("chat-1", "c-target"))
    assert key("rsa2048").decrypt(blob, oaep) == chat_key
    foreign = key("rsa2048").public_key().encrypt(chat_key, oaep)
    assert import_key(foreign, "chat-1", "c-target", key("rsa2048")) == chat_key


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_context_binds_chat_and_certificate(kind: str) -> None:
    blob = export_key(new_chat_key(), "chat-1", target(kind))
    with pytest.raises(KeyNotImportable):
        import_key(blob, "chat-2", "c-target", key(kind))
    with pytest.raises(KeyNotImportable):
        import_key(blob, "chat-1", "c-other", key(kind))


@pytest.mark.parametrize("kind", sorted(FAMILIES))
def test_wrong_private_key_and_tampering_fail(kind: str) -> None:
    blob = export_key(new_chat_key(), "chat-1", target(kind))
    with pytest.raises(KeyNotImportable):
        import_key(blob, "chat-1", "c-target", key(kind, 1))
    for index in (0, len(blob) // 2, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(KeyNotImportable):
            import_key(bytes(tampered), "chat-1", "c-target", key(kind))
    for wrong_length in (blob[:-1], blob + b"\x00", b""):
        with pytest.raises(KeyNotImportable):
            import_key(wrong_length, "chat-1", "c-target", key(kind))


def test_private_key_of_another_family_fails() -> None:
    blob = export_key(new_chat_key(), "chat-1", target("p256"))
    for other in ("p384", "x25519", "rsa2048", "ed25519"):
        with pytest.raises(KeyNotImportable):
            import_key(blob, "chat-1", "c-target", key(other))
    with pytest.raises(KeyNotImportable):
        import_key(blob, "chat-1", "c-target", object())


def test_a_decrypted_key_of_the_wrong_length_is_refused() -> None:
    suite = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    short = suite.encrypt(b"x" * 31, key("p256").public_key(), info=ctx("chat-1", "c-target"))
    with pytest.raises(KeyNotImportable):  # also one byte short of 113
        import_key(short, "chat-1", "c-target", key("p256"))


@pytest.mark.parametrize("kind", ["ed25519", "rsa1024", "secp256k1"])
def test_keys_that_cannot_receive(kind: str) -> None:
    with pytest.raises(CertificateRejected) as info:
        export_key(new_chat_key(), "chat-1", target(kind))
    assert info.value.reason is CertReason.CANNOT_RECEIVE
    with pytest.raises(CertificateRejected):
        provider_for(key(kind).public_key())


def test_export_refuses_a_chat_key_of_the_wrong_size() -> None:
    with pytest.raises(CryptoError):
        export_key(b"k" * 16, "chat-1", target("p256"))
    with pytest.raises(CryptoError):
        export_key(b"k" * 16, "chat-1", target("rsa2048"))


def test_provider_table_picks_one_per_family() -> None:
    names = {kind: provider_for(key(kind).public_key()).name for kind in FAMILIES}
    assert names == {"p256": "v1-hpke-p256", "p384": "v1-hpke-p384", "p521": "v1-hpke-p521",
                     "x25519": "v1-hpke-x25519", "rsa2048": "v1-rsa-oaep",
                     "rsa3072": "v1-rsa-oaep"}
    assert {p.profile for p in PROVIDERS} == {"v1"}


def test_chat_key_is_an_aes_key() -> None:
    AESGCM(new_chat_key())  # §5.1: 32 bytes that AES-256-GCM accepts


class _SameCurveOnly:
    """A provider shaped like the later GOST one: it receives only from its own curve."""

    name = "test-same-curve"
    profile = "test"
    key_usage = "key_agreement"

    def can_receive(self, public_key, *, own_public_key=None) -> bool:
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            return False
        return own_public_key is None or own_public_key.curve.name == public_key.curve.name

    def new_chat_key(self) -> bytes:
        return b"\x00" * 40

    def export(self, chat_key, ctx, public_key, *, sender_private_key=None) -> bytes:
        return b"exported"

    def import_(self, blob, ctx, private_key, *, sender_public_key=None) -> bytes:
        return b"imported"


def test_table_extension_and_other_curve(monkeypatch: pytest.MonkeyPatch) -> None:
    toy = _SameCurveOnly()
    assert isinstance(toy, KeyProvider)
    monkeypatch.setattr(providers, "PROVIDERS", (toy,))
    assert provider_for(key("p256").public_key()) is toy
    assert provider_for(key("p256").public_key(), own_public_key=key("p256", 1).public_key()) is toy
    with pytest.raises(CertificateRejected) as info:
        provider_for(key("p256").public_key(), own_public_key=key("p384").public_key())
    assert info.value.reason is CertReason.OTHER_CURVE
    with pytest.raises(CertificateRejected) as info:
        provider_for(key("rsa2048").public_key(), own_public_key=key("p384").public_key())
    assert info.value.reason is CertReason.CANNOT_RECEIVE
    assert new_chat_key("test") == b"\x00" * 40
    assert export_key(b"k", "chat-1", target("p256"), sender_private_key=key("p256", 1)) \
        == b"exported"
    assert import_key(b"blob", "chat-1", "c-target", key("p256")) == b"imported"


def test_import_refuses_non_bytes() -> None:
    with pytest.raises(KeyNotImportable):
        import_key("text", "chat-1", "c-target", key("p256"))  # type: ignore[arg-type]
