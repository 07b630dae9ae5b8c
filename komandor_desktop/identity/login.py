"""First sign-in: key pair, CSR, code confirmation, certificate check, files.

The server hands back a certificate and a CA certificate; before anything is
saved we check that the certificate is for our own public key, that its hash
is the one the server claims, and that the CA it came with issued it. A
server (or a man in the middle) that swaps any of these gets no profile.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .. import crypto
from ..api import ApiClient, RetryPolicy
from ..domain import Identity
from ..errors import CertificateRejected, IdentityError, InputError, NotSignedIn
from ..protocol import normalize_phone
from ..protocol.models import ConfirmData
from .profile import (
    SECRETS_FILE,
    Profile,
    check_key_matches,
    load_private_key,
    read_identity,
)
from .secrets import SecretsBox, ensure_home

KEY_KINDS = ("p256", "p384", "rsa3072")
_NOT_YET = ("gost2012-256", "gost2012-512")


def check_server_url(url: str) -> str:
    """The server URL without a trailing slash; https only, except loopback.

    Plain http would hand the bearer token and the CSR to anyone on the path;
    on a loopback address (the local emulator) there is no path.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InputError(f"not a server URL: {url!r}") from exc
    if parts.scheme not in ("https", "http") or not host:
        raise InputError(f"not a server URL (https://host[:port]): {url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(f"the server URL must not carry a query, fragment or user: {url!r}")
    if parts.scheme == "http" and not _is_loopback(host):
        raise InputError(f"plain http is allowed only for a local server; use https: {url!r}")
    return url.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_key_kind(key_kind: str) -> str:
    if key_kind in _NOT_YET:
        raise InputError(f"key kind {key_kind} is not supported yet")
    if key_kind not in KEY_KINDS:
        raise InputError(f"unknown key kind {key_kind!r}; choose one of {', '.join(KEY_KINDS)}")
    return key_kind


def key_kind_of(private_key: Any) -> str | None:
    """The ``--key`` name of a private key, or None for a kind we do not issue."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "p256", "secp384r1": "p384"}.get(private_key.curve.name)
    if isinstance(private_key, rsa.RSAPrivateKey) and private_key.key_size == 3072:
        return "rsa3072"
    return None


def _stored_key(home: Path, passphrase: str, server_url: str, phone: str) -> Any | None:
    """The key pair of an earlier login to the same server and phone, if any.

    Reusing it makes the server return the same certificate (PROTOCOL.md §7),
    so a repeated login is not a new device. A wrong passphrase is an error,
    not a reason to replace the stored key.
    """
    if not (home / SECRETS_FILE).is_file():
        return None
    _, secrets = SecretsBox.open(home / SECRETS_FILE, passphrase)
    try:
        identity = read_identity(home)
    except NotSignedIn:
        identity = None  # a crash between the two writes: the key is still ours
    if identity is not None and (identity.server_url, identity.phone) != (server_url, phone):
        return None
    return load_private_key(secrets.private_key_der)


async def login(
    home: Path,
    server_url: str,
    phone: str,
    code: str,
    *,
    passphrase: str,
    name: str | None = None,
    key_kind: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    company: str | None = None,
    company_id: str | None = None,
    title: str | None = None,
    profile_type: int | None = None,
    retry: RetryPolicy | None = None,
    on_retry: Callable[[str, float], None] | None = None,
    request_code: bool = True,
) -> Profile:
    """Signs in with a confirmation code and saves the profile in ``home``.

    ``key_kind`` None means: the stored key pair of this home, else p256. A
    kind that differs from the stored key's makes a new key pair (a new device).
    ``request_code`` False confirms a code that ``send_code`` already asked
    for (the window's "Get code"): asking again could void the first SMS.

    Raises:
        InputError / InvalidPhone: bad input; nothing was sent.
        IdentityError: a wrong passphrase, or a certificate that does not check out.
        ApiError / TransportError / ProtocolError: from the server.
    """
    server_url = check_server_url(server_url)
    phone = normalize_phone(phone)
    if key_kind is not None:
        check_key_kind(key_kind)
    if not passphrase:
        raise InputError("the passphrase must not be empty")
    ensure_home(home)
    private_key = _stored_key(home, passphrase, server_url, phone)
    if private_key is None or (key_kind is not None and key_kind_of(private_key) != key_kind):
        private_key = crypto.generate_private_key(key_kind or "p256")
    csr = crypto.make_csr(private_key, phone=phone, name=name)
    async with ApiClient(server_url, transport=transport, retry=retry, on_retry=on_retry) as client:
        if request_code:
            await client.request_code(phone)
        data = await client.confirm(
            phone,
            code,
            csr,
            name=name,
            company=company,
            company_id=company_id,
            title=title,
            profile_type=profile_type,
        )
    identity = _checked_identity(data, private_key, server_url=server_url, phone=phone, name=name)
    return Profile.create(home, identity, private_key, data.token, passphrase)


async def send_code(
    server_url: str, phone: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> str:
    """Asks the server to send a confirmation code; returns the normalised phone.

    Raises:
        InputError / InvalidPhone: bad input; nothing was sent.
        RateLimited (``retry_after``) / ApiError / TransportError: from the server.
    """
    server_url = check_server_url(server_url)
    phone = normalize_phone(phone)
    async with ApiClient(server_url, transport=transport) as client:
        await client.request_code(phone)
    return phone


def _checked_identity(
    data: ConfirmData, private_key: Any, *, server_url: str, phone: str, name: str | None
) -> Identity:
    """The Identity of a confirm answer, after the checks of this module's docstring."""
    try:
        cert_pem, ca_pem = data.certificate_pem, data.ca_certificate_pem
        parsed = crypto.parse_certificate(cert_pem)
        ca = crypto.load_certificate(ca_pem)
    except (ValueError, CertificateRejected) as exc:
        raise IdentityError(f"the server sent an unreadable certificate: {exc}") from exc
    check_key_matches(private_key, parsed.cert)
    if not crypto.hash_matches(data.hash, parsed.hash):
        raise IdentityError("the certificate's hash does not match the server's")
    if not crypto.chains_to(parsed, ca):
        raise IdentityError("the certificate was not issued by the server's CA")
    return Identity(
        server_url=server_url,
        phone=phone,
        pid=data.pid,
        cid=data.cid,
        certificate_pem=cert_pem,
        ca_certificate_pem=ca_pem,
        name=name,
    )
