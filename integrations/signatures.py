"""The signature checks the task managers' change notifications carry, over the raw body bytes.

Every comparison is constant-time (`hmac.compare_digest`): a byte-by-byte `==` would tell an
attacker how much of a forged signature was right. A header that is missing, not ASCII or not
the expected shape is simply not valid: these functions never raise on what a client sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any


def header(headers: Mapping[str, str], name: str) -> str:
    """The header's value, whatever its case (WSGI and test clients spell names differently)."""
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == wanted), "").strip()


def _same(expected: str, given: str) -> bool:
    """Constant-time equality of two ASCII strings; a non-ASCII `given` is simply not equal."""
    try:
        return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))
    except UnicodeEncodeError:
        return False


def hex_hmac_sha256(secret: str, body: bytes, given: str, prefix: str = "") -> bool:
    """`given` == `prefix` + hex HMAC-SHA256(secret, body) (ClickUp, Asana, Linear; Jira and
    Notion with `sha256=`). Hex case is ignored: some senders write it upper-case."""
    if not secret or not given:
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if prefix:
        if given[: len(prefix)].lower() != prefix:
            return False
        given = given[len(prefix) :]
    return _same(digest, given.lower())


def base64_hmac_sha1(secret: str, message: bytes, given: str) -> bool:
    """`given` == base64 HMAC-SHA1(secret, message) (Trello: body followed by the callback URL)."""
    if not secret or not given:
        return False
    digest = hmac.new(secret.encode(), message, hashlib.sha1).digest()
    return _same(base64.b64encode(digest).decode(), given)


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_hs256_claims(
    token: str, secret: str, *, audience: str | None = None, now: float | None = None
) -> dict[str, Any] | None:
    """The claims of a JWT signed HS256 with `secret` (monday's `Authorization` header), or None
    when the signature, the algorithm, the expiry (`exp`) or the audience (`aud`, when both are
    known) is wrong. `alg` must be HS256: a token saying `none` is never accepted."""
    if not secret or token.count(".") != 2:
        return None
    head_b64, claims_b64, signature_b64 = token.split(".")
    try:
        head = json.loads(_b64url(head_b64))
        claims = json.loads(_b64url(claims_b64))
        signature = _b64url(signature_b64)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(head, dict) or head.get("alg") != "HS256" or not isinstance(claims, dict):
        return None
    signed = f"{head_b64}.{claims_b64}".encode("ascii", errors="replace")
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        return None
    moment = time.time() if now is None else now
    expires = claims.get("exp")
    if expires is not None and (not isinstance(expires, int | float) or expires < moment):
        return None
    aud = claims.get("aud")
    if audience and isinstance(aud, str) and aud.rstrip("/") != audience.rstrip("/"):
        return None
    return claims


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None (a handshake is recognised by its shape)."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
