"""Crypto of Komandor Desktop: profile v1 of PROTOCOL.md §5 and the §4 checks. No I/O.

Export formats live in ``providers`` (one per key family, chosen by the
target's public key); everything else is family-agnostic.
"""

from .certificates import (
    ParsedCertificate,
    certificate_hash,
    chains_to,
    check_recipient,
    check_signing_certificate,
    hash_matches,
    load_certificate,
    parse_certificate,
    public_key_of,
)
from .chatkeys import check_signer, ctx, export_key, import_key, new_chat_key
from .keys import (
    KEY_KINDS,
    generate_private_key,
    make_csr,
    private_key_from_pkcs8,
    private_key_to_pkcs8,
    public_key_der,
)
from .messages import decrypt_message, encrypt_message
from .providers import PROVIDERS, KeyProvider, provider_for
from .signatures import can_sign, sign, verify

__all__ = [
    "KEY_KINDS",
    "PROVIDERS",
    "KeyProvider",
    "ParsedCertificate",
    "can_sign",
    "certificate_hash",
    "chains_to",
    "check_recipient",
    "check_signer",
    "check_signing_certificate",
    "ctx",
    "decrypt_message",
    "encrypt_message",
    "export_key",
    "generate_private_key",
    "hash_matches",
    "import_key",
    "load_certificate",
    "make_csr",
    "new_chat_key",
    "parse_certificate",
    "private_key_from_pkcs8",
    "private_key_to_pkcs8",
    "provider_for",
    "public_key_der",
    "public_key_of",
    "sign",
    "verify",
]
