"""``secrets.bin``: the private key and the token, encrypted at rest.

Format, version 1 (all integers big-endian)::

    magic  b"KMDSEC"      6 bytes
    version               1 byte   (1)
    scrypt log2(n)        1 byte
    scrypt r              4 bytes
    scrypt p              4 bytes
    salt                 16 bytes
    nonce                12 bytes
    ciphertext + tag      the rest: AES-256-GCM, associated data = the header above

The key is scrypt(passphrase, salt) with the stored parameters. The header is
the associated data, so a file whose parameters were tampered with fails like
a wrong passphrase instead of decrypting under weaker settings. The plaintext
is JSON ``{"privateKey": base64 of PKCS#8 DER, "token": str | null}``.

Why not ``BestAvailableEncryption``: it uses 2048 PBKDF2 rounds, too few for a
key that a stolen laptop would expose to offline guessing.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..errors import IdentityError, InputError, NotSignedIn, WrongPassphrase

MAGIC = b"KMDSEC"
VERSION = 1
_HEADER = struct.Struct(">6sBBII16s12s")
SALT_BYTES = 16
NONCE_BYTES = 12
# Refuse parameters that would make opening a crafted file eat the machine.
_MAX_LOG2_N, _MAX_R, _MAX_P = 20, 32, 16


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """scrypt cost: n = 2**log2_n (32 MiB of memory at the defaults)."""

    log2_n: int = 15
    r: int = 8
    p: int = 1


@dataclass(frozen=True, slots=True)
class Secrets:
    """What ``secrets.bin`` holds: the PKCS#8 DER private key and the token."""

    private_key_der: bytes
    token: str | None = None


class SecretsBox:
    """A derived key bound to one salt, so a token can be re-saved without the passphrase.

    The passphrase is used once, to derive the key; only the derived key stays
    in memory. Each write takes a fresh random nonce.
    """

    def __init__(self, key: bytes, salt: bytes, params: ScryptParams) -> None:
        self._aead = AESGCM(key)
        self._salt = salt
        self._params = params

    @classmethod
    def create(cls, passphrase: str, params: ScryptParams | None = None) -> SecretsBox:
        """A box with a new salt, for a new ``secrets.bin``."""
        if not passphrase:
            raise InputError("the passphrase must not be empty")
        params = params or ScryptParams()
        salt = os.urandom(SALT_BYTES)
        return cls(_derive(passphrase, salt, params), salt, params)

    @classmethod
    def open(cls, path: Path, passphrase: str) -> tuple[SecretsBox, Secrets]:
        """Decrypts ``path``; raises WrongPassphrase on a bad tag."""
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise NotSignedIn(f"no secrets in {path.parent}: log in first") from None
        except OSError as exc:
            raise IdentityError(f"cannot read {path}: {exc}") from exc
        header, params, salt, nonce = _parse_header(blob, path)
        box = cls(_derive(passphrase, salt, params), salt, params)
        try:
            plain = box._aead.decrypt(nonce, blob[_HEADER.size :], header)
        except InvalidTag:
            raise WrongPassphrase("wrong passphrase") from None
        return box, _decode_payload(plain, path)

    def seal(self, secrets: Secrets) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        header = _HEADER.pack(
            MAGIC, VERSION, self._params.log2_n, self._params.r, self._params.p, self._salt, nonce
        )
        return header + self._aead.encrypt(nonce, _encode_payload(secrets), header)

    def write(self, path: Path, secrets: Secrets) -> None:
        atomic_write(path, self.seal(secrets))


def _derive(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=2**params.log2_n, r=params.r, p=params.p)
    return kdf.derive(passphrase.encode("utf-8"))


def _parse_header(blob: bytes, path: Path) -> tuple[bytes, ScryptParams, bytes, bytes]:
    if len(blob) < _HEADER.size + 16 or not blob.startswith(MAGIC):
        raise IdentityError(f"{path} is not a Komandor secrets file")
    magic, version, log2_n, r, p, salt, nonce = _HEADER.unpack_from(blob)
    if version != VERSION:
        raise IdentityError(f"{path}: unsupported secrets format version {version}")
    if not (10 <= log2_n <= _MAX_LOG2_N and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        raise IdentityError(f"{path}: unreasonable scrypt parameters")
    return blob[: _HEADER.size], ScryptParams(log2_n, r, p), salt, nonce


def _encode_payload(secrets: Secrets) -> bytes:
    payload = {
        "privateKey": base64.b64encode(secrets.private_key_der).decode("ascii"),
        "token": secrets.token,
    }
    return json.dumps(payload).encode("utf-8")


def _decode_payload(plain: bytes, path: Path) -> Secrets:
    try:
        payload = json.loads(plain)
        key = base64.b64decode(payload["privateKey"], validate=True)
        token = payload.get("token")
    except (ValueError, KeyError, TypeError) as exc:
        raise IdentityError(f"{path}: damaged secrets payload") from exc
    if token is not None and not isinstance(token, str):
        raise IdentityError(f"{path}: damaged secrets payload")
    return Secrets(key, token)


def ensure_home(home: Path) -> None:
    """Creates the home directory if needed and makes it private (0700)."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(home, 0o700)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Writes ``data`` so that a crash leaves either the old file or the new one.

    The temporary file is created with ``mode`` from the start (never briefly
    world-readable), fsynced, renamed over ``path``, and the directory is
    fsynced so the rename itself survives a power cut.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # left over by a crashed process with our pid
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # in case the umask narrowed it
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
