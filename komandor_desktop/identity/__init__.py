"""The user's key pair, CSR, certificate and token; secrets at rest.

``login`` makes a profile, ``Profile.load`` opens one, ``get_passphrase``
finds the passphrase that protects it. No Qt here.
"""

from .login import check_server_url, login, send_code
from .passphrase import get_passphrase, store_passphrase_in_keyring
from .profile import Profile

__all__ = [
    "Profile",
    "check_server_url",
    "get_passphrase",
    "login",
    "send_code",
    "store_passphrase_in_keyring",
]
