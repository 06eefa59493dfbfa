"""Each adapter's `verify_webhook` against published test values.

No task manager publishes a complete signed notification (ClickUp's documented example shows a
cut signature), so the published values used are those of the algorithms themselves: RFC 2202
test case 2 for HMAC-SHA1 (Trello), RFC 4231 test case 2 for HMAC-SHA256 (Asana, ClickUp, Jira,
Notion, Linear), and the HS256 token jwt.io publishes (monday). Each is fed through the header
and the encoding the vendor documents, so a wrong header name, prefix, encoding or message
(Trello's body + callback URL) fails here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from integrations.base import Adapter, Handshake, adapter_class, validate_source

#: RFC 2202 / RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
KEY = "Jefe"
DATA = b"what do ya want for nothing?"
RFC2202_SHA1 = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
RFC4231_SHA256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
#: the HS256 example token of jwt.io, signed with "your-256-bit-secret" (no `exp`)
JWT_IO = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
JWT_IO_SECRET = "your-256-bit-secret"

SOURCES: dict[str, dict[str, Any]] = {
    "trello": {"board": "65f0c3a2b1d4e5f6a7b8c9d0"},
    "asana": {"project": "1209876543210"},
    "jira": {"project": "VENTE", "base_url": "https://agence-exemple.atlassian.net"},
    "clickup": {"list": "901204567890"},
    "notion": {"database": "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6"},
    "monday": {"board": "1234567890"},
    "linear": {"team": "SAL"},
}
CREDENTIALS = {
    "TRELLO_API_KEY": "k", "TRELLO_TOKEN": "t", "ASANA_TOKEN": "t", "JIRA_EMAIL": "a@b.fr",
    "JIRA_API_TOKEN": "t", "CLICKUP_TOKEN": "pk_t", "NOTION_TOKEN": "t", "MONDAY_TOKEN": "t",
    "LINEAR_API_KEY": "t",
}  # fmt: skip


def adapter(kind: str) -> Adapter[Any]:
    raw = {"kind": kind, **SOURCES[kind]}
    return adapter_class(kind)(validate_source(raw), CREDENTIALS)


def test_trello_signs_body_then_callback_url_in_base64_sha1() -> None:
    trello = adapter("trello")
    given = base64.b64encode(bytes.fromhex(RFC2202_SHA1)).decode()
    # the message is the body followed by the callback URL: split the RFC's data in two
    body, url = DATA[:16], DATA[16:].decode()
    assert trello.verify_webhook({"X-Trello-Webhook": given}, body, url, KEY)
    assert trello.verify_webhook({"x-trello-webhook": given}, body, url, KEY)  # any case
    assert not trello.verify_webhook({"X-Trello-Webhook": given}, DATA, "", "other secret")
    assert not trello.verify_webhook({"X-Trello-Webhook": given}, body, url + "/", KEY)
    assert not trello.verify_webhook({"X-Trello-Webhook": RFC2202_SHA1}, body, url, KEY)  # hex
    assert not trello.verify_webhook({}, body, url, KEY)


@pytest.mark.parametrize(
    ("kind", "header", "prefix"),
    [
        ("asana", "X-Hook-Signature", ""),
        ("clickup", "X-Signature", ""),
        ("jira", "X-Hub-Signature", "sha256="),
        ("notion", "X-Notion-Signature", "sha256="),
    ],
)
def test_hex_hmac_sha256_vendors(kind: str, header: str, prefix: str) -> None:
    tool = adapter(kind)
    assert tool.verify_webhook({header: prefix + RFC4231_SHA256}, DATA, "", KEY)
    assert tool.verify_webhook({header: prefix + RFC4231_SHA256.upper()}, DATA, "", KEY)
    assert not tool.verify_webhook({header: prefix + RFC4231_SHA256}, DATA + b" ", "", KEY)
    assert not tool.verify_webhook({header: prefix + RFC4231_SHA256}, DATA, "", "Jeff")
    other = "sha1=" if prefix else "sha256="  # the prefix is part of the scheme, both ways
    assert not tool.verify_webhook({header: other + RFC4231_SHA256}, DATA, "", KEY)
    assert not tool.verify_webhook({header: "é" * 64}, DATA, "", KEY)  # never raises
    assert not tool.verify_webhook({}, DATA, "", KEY)
    assert not tool.verify_webhook({header: prefix + RFC4231_SHA256}, DATA, "", "")


def _linear_body(stamp_ms: float) -> bytes:
    return json.dumps({"action": "update", "type": "Issue", "webhookTimestamp": stamp_ms}).encode()


def test_linear_signature_and_a_minute_of_freshness() -> None:
    linear = adapter("linear")
    assert linear.verify_webhook({"Linear-Signature": RFC4231_SHA256}, DATA, "", KEY) is False
    fresh = _linear_body(time.time() * 1000)
    signature = hmac.new(b"lin_wh_s3cret", fresh, hashlib.sha256).hexdigest()
    assert linear.verify_webhook({"Linear-Signature": signature}, fresh, "", "lin_wh_s3cret")
    assert not linear.verify_webhook({"Linear-Signature": signature}, fresh, "", "other")
    stale = _linear_body((time.time() - 61) * 1000)
    resigned = hmac.new(b"lin_wh_s3cret", stale, hashlib.sha256).hexdigest()
    assert not linear.verify_webhook({"Linear-Signature": resigned}, stale, "", "lin_wh_s3cret")


def _jwt(claims: dict[str, Any], secret: str, alg: str = "HS256") -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signed = f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims)}"
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_monday_authorization_is_a_hs256_jwt() -> None:
    monday = adapter("monday")
    assert monday.verify_webhook({"Authorization": JWT_IO}, b"{}", "", JWT_IO_SECRET)
    assert monday.verify_webhook({"Authorization": f"Bearer {JWT_IO}"}, b"{}", "", JWT_IO_SECRET)
    assert not monday.verify_webhook({"Authorization": JWT_IO}, b"{}", "", "another secret")
    assert not monday.verify_webhook({"Authorization": JWT_IO[:-2]}, b"{}", "", JWT_IO_SECRET)
    assert not monday.verify_webhook({}, b"{}", "", JWT_IO_SECRET)
    url = "https://bot.agence.fr/webhooks/monday"
    soon = int(time.time()) + 60
    good = _jwt({"accountId": 1, "aud": url, "exp": soon}, "sign")
    assert monday.verify_webhook({"Authorization": good}, b"{}", url, "sign")
    expired = _jwt({"accountId": 1, "aud": url, "exp": int(time.time()) - 1}, "sign")
    assert not monday.verify_webhook({"Authorization": expired}, b"{}", url, "sign")
    elsewhere = _jwt({"aud": "https://other.example/hook", "exp": soon}, "sign")
    assert not monday.verify_webhook({"Authorization": elsewhere}, b"{}", url, "sign")
    unsigned = _jwt({"aud": url, "exp": soon}, "sign", alg="none")
    assert not monday.verify_webhook({"Authorization": unsigned}, b"{}", url, "sign")


def test_handshakes_are_recognised_by_their_documented_shape() -> None:
    asana = adapter("asana").webhook_handshake({"X-Hook-Secret": "b4c3d2"}, b"")
    assert asana == Handshake(secret="b4c3d2", headers=(("X-Hook-Secret", "b4c3d2"),))
    notion = adapter("notion")
    token = b'{"verification_token": "secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"}'
    assert notion.webhook_handshake({}, token) == Handshake(
        secret="secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"
    )
    assert notion.webhook_handshake({}, b'{"type": "page.created"}') is None
    monday = adapter("monday").webhook_handshake({}, b'{"challenge": "3eZbrw1aBm2rZgRNFdxV"}')
    assert monday is not None and monday.secret is None
    assert json.loads(monday.body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}
    for kind in ("trello", "jira", "clickup", "linear"):
        assert adapter(kind).webhook_handshake({"X-Hook-Secret": "x"}, b'{"challenge":"y"}') is None
