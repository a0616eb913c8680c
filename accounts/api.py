from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import StrictStr

from accounts import services
from accounts.selectors import token_from_authorization, user_by_token
from realtime.errors import AppError
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
        return user
    if request.method in SAFE_METHODS and request.user.is_authenticated:
        return request.user
    return None


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


class MeIn(WriteInput):
    home_commune: StrictStr | None


@router.post("/register", response={201: TokenOut}, summary="Create an account; returns a token and starts a session")
def register(request: HttpRequest, payload: Credentials):
    user, token = services.user_register(username=payload.username, password=payload.password)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return 201, {"token": token, "username": user.username}


@router.post("/token", response=TokenOut, summary="Exchange credentials for a token; also starts a session")
def token(request: HttpRequest, payload: Credentials):
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise AppError("auth_required", "wrong username or password")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return {"token": services.token_issue(user=user), "username": user.username}


@router.post("/logout", response={204: None})
def sign_out(request: HttpRequest):
    logout(request)
    return 204, None


@router.get("/me", response=MeOut)
def me(request: HttpRequest):
    user = user_required(request)
    return {"id": user.id, "username": user.username, "home_commune": user.home_commune_id}


@router.patch("/me", response=MeOut, summary="Set your home commune (INSEE code), or null")
def me_update(request: HttpRequest, payload: MeIn):
    return services.user_home_commune_set(user=request_user(request), insee=payload.home_commune, ref=payload.ref)
