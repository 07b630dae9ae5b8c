"""The httpx client of the Komandor API: build -> send -> parse.

No store and no Qt here: the client takes arguments, returns domain objects
and raises the ``errors`` tree.
"""

from .client import ApiClient
from .retry import RetryPolicy

__all__ = ["ApiClient", "RetryPolicy"]
