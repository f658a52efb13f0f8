"""Receipt handles: the opaque token a receive hands out and a delete or visibility change
brings back.

A handle names the queue, the stored message and the nonce of that one receive, so a
handle from an earlier receive is told apart from the current one. It is the same for every
backend (a handle stays valid whichever store issued it), and the service decodes it to
refuse a handle of another queue before asking the store; hence it lives here, not in a
store module.
"""

from __future__ import annotations

import base64
import binascii
from typing import NamedTuple


class Receipt(NamedTuple):
    queue: str
    message_key: int  # the store's key of the message (its send order)
    nonce: str  # of the receive that issued the handle


def encode_receipt(queue: str, message_key: int, nonce: str) -> str:
    return base64.urlsafe_b64encode(f"{queue}\n{message_key}\n{nonce}".encode()).decode()


def decode_receipt(handle: str) -> Receipt | None:
    try:
        queue, key, nonce = base64.urlsafe_b64decode(handle.encode()).decode().split("\n")
        return Receipt(queue, int(key), nonce)
    except (ValueError, binascii.Error, UnicodeError):
        return None
