from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import StrictStr

from accounts import services
from accounts.selectors import (
    account_summary,
    browser_sessions,
    token_from_authorization,
    token_id_of,
    token_list,
    token_session_key,
    user_by_token,
)
from communes.selectors import commune_residents_find, referent_verifications
from communes.services import resident_verify
from realtime import ratelimit
from realtime.errors import AppError
from realtime.origins import request_origin_allowed
from realtime.schemas import WriteInput

router = Router(tags=["accounts"])

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def request_user(request: HttpRequest):
    """The caller: from `Authorization: Bearer`, else from the session for safe methods.

    Unsafe methods need the Bearer token: a cookie alone could be ridden by another site (CSRF).
    """
    token = token_from_authorization(request.headers.get("Authorization", ""))
    if token is not None:
        user = user_by_token(token)
        if user is None:
            raise AppError("auth_required", "invalid or revoked token")
        request.caller = user  # for the request log line (config.logs)
        return user
    if request.method in SAFE_METHODS and request.user.is_authenticated:
        return request.user
    return None


def session_write_check(request: HttpRequest) -> None:
    """Routes that sign a browser in or out answer only JSON from this site's own pages: a form or
    a `no-cors` fetch from another site can send `text/plain` but never `application/json`
    without a CORS preflight, which is never granted (login CSRF, forced logout)."""
    if request.content_type != "application/json":
        raise AppError("bad_request", "send JSON (Content-Type: application/json)")
    if not request_origin_allowed(request):
        raise AppError("forbidden", "cross-site request refused")


def user_required(request: HttpRequest):
    user = request_user(request)
    if user is None:
        raise AppError("auth_required", "sign in first (Authorization: Bearer <token>)")
    return user


class Credentials(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    username: str


class MeOut(Schema):
    id: int
    username: str
    home_commune: str | None
    home_commune_verified: bool
    home_commune_changed_at: datetime | None
    home_commune_next_change_at: datetime | None
    home_commune_change_days: float
    referent_of: list[str]


class MeIn(WriteInput):
    home_commune: StrictStr | None


class PasswordIn(Schema):
    current_password: str
    new_password: str


class TokenInfo(Schema):
    id: int
    label: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool


class TokenListOut(Schema):
    items: list[TokenInfo]


def _address(request: HttpRequest) -> str:
    # daphne --proxy-headers puts the client's address here behind nginx.
    return request.META.get("REMOTE_ADDR") or "unknown"


def _account_key(username: str) -> str:
    # Any name, existing or not, is throttled alike: the answer must not tell which exist. Hashed, so
    # that no name sits in the limiter's store (an erased account leaves no trace there).
    return "login:" + hashlib.sha256(username.strip().casefold()[:150].encode()).hexdigest()[:32]


def signin_throttle(request: HttpRequest, username: str) -> None:
    """Per account: a back-off after LOGIN_FREE_FAILURES wrong passwords; per address: a bucket."""
    wait = ratelimit.backoff_wait(_account_key(username))
    if wait > 0:
        raise AppError("rate_limited", "too many failed sign-ins for this account; wait", retry_after=round(wait, 3))
    wait = ratelimit.bucket_wait(
        f"login-ip:{_address(request)}", rate=settings.LOGIN_PER_SECOND, burst=settings.LOGIN_BURST
    )
    if wait > 0:
        raise AppError("rate_limited", "too many sign-in attempts from your address; wait", retry_after=round(wait, 3))


def signin_failed(username: str) -> None:
    ratelimit.backoff_wait(_account_key(username), "fail")


def _client_label(request: HttpRequest, what: str) -> str:
    agent = request.headers.get("User-Agent", "")[:80]
    return f"{what} · {agent}" if agent else what


@router.post("/register", response={201: TokenOut}, summary="Create an account; returns a token and starts a session")
def register(request: HttpRequest, payload: Credentials):
    session_write_check(request)
    wait = ratelimit.bucket_wait(
        f"register-ip:{_address(request)}", rate=settings.REGISTER_PER_SECOND, burst=settings.REGISTER_BURST
    )
    if wait > 0:
        raise AppError("rate_limited", "too many accounts created from your address; wait", retry_after=round(wait, 3))
    user, token = services.user_register(
        username=payload.username, password=payload.password, label=_client_label(request, "registration")
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    services.token_session_link(key=token, session_key=request.session.session_key)
    return 201, {"token": token, "username": user.username}


@router.post("/token", response=TokenOut, summary="Exchange credentials for a token; also starts a session")
def token(request: HttpRequest, payload: Credentials):
    session_write_check(request)
    signin_throttle(request, payload.username)
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        signin_failed(payload.username)
        raise AppError("auth_required", "wrong username or password")
    ratelimit.backoff_wait(_account_key(payload.username), "reset")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return {
        "token": services.token_issue(
            user=user, label=_client_label(request, "sign-in"), session_key=request.session.session_key
        ),
        "username": user.username,
    }


@router.post("/logout", response={204: None}, summary="End the browser session and revoke the Bearer token sent")
def sign_out(request: HttpRequest):
    session_write_check(request)
    key = token_from_authorization(request.headers.get("Authorization", ""))
    if key:
        services.token_revoke_key(key=key)
    services.session_end_announce(session_key=request.session.session_key)
    logout(request)
    return 204, None


@router.post("/password", response=TokenOut, summary="Change your password; revokes every token and socket of yours")
def password_change(request: HttpRequest, payload: PasswordIn):
    session_write_check(request)
    user = user_required(request)
    # Read the session's user now: once the password changes, its hash no longer matches.
    same_browser = request.user.is_authenticated and request.user.pk == user.pk
    signin_throttle(request, user.username)
    if not user.check_password(payload.current_password):
        signin_failed(user.username)
    key = services.password_change(
        user=user,
        current_password=payload.current_password,
        new_password=payload.new_password,
        label=_client_label(request, "password change"),
        keep_session_key=request.session.session_key if same_browser else "",
    )
    if same_browser:
        update_session_auth_hash(request, user)  # this browser stays signed in; the others do not
        services.token_session_link(key=key, session_key=request.session.session_key)
    return {"token": key, "username": user.username}


@router.get("/tokens", response=TokenListOut, summary="Your valid tokens (ids, labels, last use, expiry)")
def tokens(request: HttpRequest):
    user = user_required(request)
    current = token_from_authorization(request.headers.get("Authorization", ""))
    current_id = token_id_of(current) if current else None
    return {"items": [{**item, "current": item["id"] == current_id} for item in token_list(user=user)]}


class RevokedOut(Schema):
    revoked: int


@router.post(
    "/tokens/revoke-others",
    response=RevokedOut,
    summary="Sign out everywhere else: every token and browser session of yours but the caller's",
)
def tokens_revoke_others(request: HttpRequest):
    user = user_required(request)
    keep = token_from_authorization(request.headers.get("Authorization", ""))
    revoked = services.tokens_revoke_others(user=user, keep_key=keep, keep_session_key=_cookie_session(request, user))
    return {"revoked": revoked}


def _cookie_session(request: HttpRequest, user) -> str:
    """The session key of this browser's cookie when it is signed in as `user` ("" otherwise)."""
    if request.user.is_authenticated and request.user.pk == user.pk:
        return request.session.session_key or ""
    return ""


class SessionInfo(Schema):
    id: str
    user_agent: str
    signed_in_at: datetime | None
    last_seen_at: datetime | None
    expires_at: datetime
    current: bool
    token: int | None


class SessionListOut(Schema):
    items: list[SessionInfo]


@router.get(
    "/sessions",
    response=SessionListOut,
    summary="Your open browser sessions, those of sign-ins without a token included (admin, older ones)",
)
def sessions(request: HttpRequest):
    user = user_required(request)
    current = {_cookie_session(request, user)}
    bearer = token_from_authorization(request.headers.get("Authorization", ""))
    if bearer:
        current.add(token_session_key(bearer))
    return {"items": browser_sessions(user=user, current_keys=current - {""})}


@router.delete(
    "/sessions/{session_id}",
    response={204: None},
    summary="End one of your browser sessions (and the token of its sign-in); its sockets close (4003)",
)
def session_revoke(request: HttpRequest, session_id: str):
    services.session_revoke(user=user_required(request), session_id=session_id)
    return 204, None


@router.delete(
    "/tokens/{token_id}", response={204: None}, summary="Revoke one of your tokens; its sockets close (4003)"
)
def token_revoke(request: HttpRequest, token_id: int):
    services.token_revoke(user=user_required(request), token_id=token_id)
    return 204, None


@router.get("/me", response=MeOut, summary="Your account: home commune and its change rule, referent roles")
def me(request: HttpRequest):
    return account_summary(user=user_required(request))


class EraseIn(Schema):
    password: str


@router.delete("/me", response={204: None}, summary="Delete your account for good (confirm with your password)")
def me_erase(request: HttpRequest, payload: EraseIn):
    services.user_erase(user=user_required(request), password=payload.password)
    logout(request)
    return 204, None


@router.patch("/me", response=MeOut, summary="Set your home commune (INSEE code), or null")
def me_update(request: HttpRequest, payload: MeIn):
    user = request_user(request)
    services.user_home_commune_set(user=user, insee=payload.home_commune, ref=payload.ref)
    return account_summary(user=user)


class VerifyIn(Schema):
    commune: str
    username: str


class VerificationOut(Schema):
    username: str
    commune: str
    verified_at: datetime


@router.post(
    "/residents/verify",
    response=VerificationOut,
    summary="Town-hall desk: a referent of the commune verifies that a person lives there",
)
def verify_resident(request: HttpRequest, payload: VerifyIn):
    verification = resident_verify(referent=user_required(request), insee=payload.commune, username=payload.username)
    return {"username": verification.user.username, "commune": verification.commune_id, "verified_at": verification.at}


class ResidentOut(Schema):
    username: str
    verified: bool
    verified_at: datetime | None


class ResidentListOut(Schema):
    items: list[ResidentOut]


@router.get(
    "/residents",
    response=ResidentListOut,
    summary="Referent desk: people who declared the commune, by part of their username (referents only)",
)
def residents_find(request: HttpRequest, commune: str, q: str = "", limit: int = 20):
    if not 1 <= limit <= 50:
        raise AppError("bad_request", "limit must be between 1 and 50")
    return {"items": commune_residents_find(referent=user_required(request), insee=commune, q=q, limit=limit)}


class MadeVerificationOut(Schema):
    username: str
    verified_at: datetime
    method: str


class MadeVerificationListOut(Schema):
    items: list[MadeVerificationOut]


@router.get(
    "/residents/verifications",
    response=MadeVerificationListOut,
    summary="Referent desk: the verifications you made in the commune, newest first",
)
def verifications_made(request: HttpRequest, commune: str):
    return {"items": referent_verifications(referent=user_required(request), insee=commune)}
