"""One-click unsubscribe links (RFC 8058): signed with a key kept in the database, so the link
in one recipient's email unsubscribes that recipient from that list and from nothing else."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlencode

from digest.config import REVIEW_LIST, SOURCE_HEALTH_LIST
from digest.storage.base import Delivery

# the lists of digest's own emails, which no rule of the configuration names
_OWN_LISTS = {
    SOURCE_HEALTH_LIST: "the emails on sources failing or back",
    REVIEW_LIST: "the emails saying a draft is ready for review",
}


def signature(key: str, kind: str, list_name: str, recipient: str) -> str:
    message = "\x1f".join((kind, list_name, recipient.lower())).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def valid(key: str, kind: str, list_name: str, recipient: str, given: str) -> bool:
    return hmac.compare_digest(signature(key, kind, list_name, recipient), given)


def what_stops(kind: str, list_name: str) -> str:
    """What a recipient stops receiving, in words."""
    if kind == "digest":
        return f"the {list_name} digest"
    return _OWN_LISTS.get(list_name, f"the alerts of rule {list_name}")


@dataclass(frozen=True, slots=True)
class OneClick:
    """Where the archive answers (`[web] base_url`) and the key that signs its links."""

    base_url: str
    key: str

    def url(self, delivery: Delivery) -> str:
        kind, name, to = delivery.mail.kind, delivery.mail.list_name, delivery.recipient
        query = urlencode(
            {"kind": kind, "list": name, "to": to, "sig": signature(self.key, kind, name, to)}
        )
        return f"{self.base_url}unsubscribe?{query}"
