"""The signed-in user of one home directory.

A home holds ``profile.json`` (the public ``domain.Identity``: server, phone,
pid, cid, certificates) and ``secrets.bin`` (the private key and the token,
see ``secrets``). Both are 0600 in a 0700 directory. The public half is kept
apart so that a window can show who is signed in without the passphrase.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509

from .. import crypto
from ..domain import Identity
from ..errors import CryptoError, IdentityError, NotSignedIn
from .secrets import Secrets, SecretsBox, atomic_write, ensure_home

if TYPE_CHECKING:
    from ..api import ApiClient

PROFILE_FILE = "profile.json"
SECRETS_FILE = "secrets.bin"
_PROFILE_VERSION = 1


class Profile:
    """Identity + private key + token, and the means to renew the token.

    Build one with ``Profile.load`` or ``Profile.create`` (``login`` does).
    """

    def __init__(
        self, home: Path, identity: Identity, private_key: Any, token: str | None, box: SecretsBox
    ) -> None:
        self.home = home
        self.identity = identity
        self.private_key = private_key
        self._token = token
        self._box = box

    @property
    def token(self) -> str | None:
        return self._token

    @staticmethod
    def exists(home: Path) -> bool:
        """True when ``home`` holds a complete profile (both files)."""
        return (home / PROFILE_FILE).is_file() and (home / SECRETS_FILE).is_file()

    @classmethod
    def load(cls, home: Path, passphrase: str) -> Profile:
        """Opens the profile of ``home``.

        Raises:
            NotSignedIn: no profile here.
            IdentityError: a wrong passphrase, or damaged or mismatching files.
        """
        if not cls.exists(home):
            raise NotSignedIn(f"no profile in {home}: log in first")
        identity = read_identity(home)
        box, secrets = SecretsBox.open(home / SECRETS_FILE, passphrase)
        private_key = load_private_key(secrets.private_key_der)
        check_key_matches(private_key, crypto.load_certificate(identity.certificate_pem))
        return cls(home, identity, private_key, secrets.token, box)

    @classmethod
    def create(
        cls, home: Path, identity: Identity, private_key: Any, token: str | None, passphrase: str
    ) -> Profile:
        """Writes a new profile; secrets first, so ``exists`` never sees half of one."""
        ensure_home(home)
        box = SecretsBox.create(passphrase)
        box.write(home / SECRETS_FILE, Secrets(crypto.private_key_to_pkcs8(private_key), token))
        write_identity(home, identity)
        return cls(home, identity, private_key, token, box)

    @cached_property
    def trust_anchor(self) -> x509.Certificate | None:
        """The CA certificate handed out at login, if the server gave one."""
        pem = self.identity.ca_certificate_pem
        return crypto.load_certificate(pem) if pem else None

    def save_token(self, token: str) -> None:
        """Stores a new token (re-encrypted with the key derived at load)."""
        self._box.write(
            self.home / SECRETS_FILE, Secrets(crypto.private_key_to_pkcs8(self.private_key), token)
        )
        self._token = token

    async def reauth(self, client: ApiClient) -> str:
        """Signs in with the certificate (challenge, sign the nonce, token); saves it.

        Passed to ``ApiClient(reauth=profile.reauth)``: the client calls it on
        a 401 and stores the returned token itself.
        """
        cid = self.identity.cid
        nonce = await client.challenge(cid)
        token = await client.sign_in(cid, nonce, crypto.sign(self.private_key, nonce))
        self.save_token(token)
        return token


def load_private_key(der: bytes) -> Any:
    try:
        return crypto.private_key_from_pkcs8(der)
    except CryptoError as exc:
        raise IdentityError("the stored private key is damaged") from exc


def check_key_matches(private_key: Any, certificate: x509.Certificate) -> None:
    if crypto.public_key_der(private_key) != crypto.public_key_der(certificate.public_key()):
        raise IdentityError("the certificate is not for this private key")


def read_identity(home: Path) -> Identity:
    path = home / PROFILE_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise NotSignedIn(f"no profile in {home}: log in first") from None
    except (OSError, ValueError) as exc:
        raise IdentityError(f"{path} is unreadable: {exc}") from exc
    names = {f.name for f in dataclasses.fields(Identity)}
    if not isinstance(data, dict) or data.get("version") != _PROFILE_VERSION:
        raise IdentityError(f"{path}: unsupported profile format")
    fields = {k: v for k, v in data.items() if k in names}
    try:
        identity = Identity(**fields)
    except TypeError as exc:
        raise IdentityError(f"{path}: incomplete profile: {exc}") from exc
    if not all(
        isinstance(v, str) for k, v in fields.items() if k not in ("ca_certificate_pem", "name")
    ):
        raise IdentityError(f"{path}: damaged profile")
    return identity


def write_identity(home: Path, identity: Identity) -> None:
    data = {"version": _PROFILE_VERSION, **dataclasses.asdict(identity)}
    atomic_write(
        home / PROFILE_FILE, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    )
