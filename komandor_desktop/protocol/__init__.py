"""The wire of the Komandor API: codecs, the envelope, strict models, chats (no I/O).

Everything the other packages need from the wire is re-exported here; the
pydantic models themselves are in ``protocol.models`` and stay out of the
client's other layers (they get ``domain`` objects).
"""

from .chats import chat_to_wire, parse_chats
from .codecs import (
    PHONE_RE,
    b64decode,
    b64encode,
    check_id,
    decode_certificate,
    encode_certificate,
    normalize_phone,
    normalize_phones,
    parse_timestamp,
)
from .envelope import (
    MAX_BODY_BYTES,
    MAX_PHOTO_BYTES,
    encode_keys_body,
    encode_keys_request,
    parse_envelope,
    parse_model,
)
from .memo import ParseMemo
from .models import MAX_KEYS_PER_REQUEST

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_KEYS_PER_REQUEST",
    "MAX_PHOTO_BYTES",
    "PHONE_RE",
    "ParseMemo",
    "b64decode",
    "b64encode",
    "chat_to_wire",
    "check_id",
    "decode_certificate",
    "encode_certificate",
    "encode_keys_body",
    "encode_keys_request",
    "normalize_phone",
    "normalize_phones",
    "parse_chats",
    "parse_envelope",
    "parse_model",
    "parse_timestamp",
]
