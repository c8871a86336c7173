"""OAuth 2.0 / OIDC endpoints: /oauth/authorize (the sign-in page), token, revoke, userinfo,
JWKS and /.well-known/openid-configuration."""

import base64
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from server.auth import keys, login_page, oauth, tokens, users
from server.auth.models import User
from server.core.db import SessionDep
from server.core.errors import Unauthorized
from server.core.settings import Settings

CSRF_COOKIE = "machi_csrf"
_AUTH_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class LoginForm(BaseModel):
    csrf: str = ""
    username: str = ""
    password: str = ""
    totp: str = ""
    response_type: str = ""
    client_id: str = ""
    redirect_uri: str = ""
    scope: str = ""
    state: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""
    nonce: str = ""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _redirect_with(uri: str, values: dict[str, str]) -> RedirectResponse:
    joiner = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{joiner}{urlencode(values)}", status_code=303)


def _oauth_error(error: oauth.OAuthError) -> JSONResponse:
    return JSONResponse(
        {"error": error.error, "error_description": error.description},
        status_code=error.status,
        headers=_NO_STORE,
    )


def _page(html: str, status: int = 200, csrf: str | None = None) -> HTMLResponse:
    response = HTMLResponse(
        html,
        status_code=status,
        headers={
            **_NO_STORE,
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "frame-ancestors 'none'",
        },
    )
    if csrf:
        response.set_cookie(
            CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/oauth/authorize"
        )
    return response


def oauth_router() -> APIRouter:
    router = APIRouter(tags=["identity"])

    def validate(
        request: Request, session: Session, params: dict[str, str]
    ) -> tuple[oauth.AuthorizeRequest | None, oauth.OAuthError | None, bool]:
        return oauth.check_authorize(
            session,
            _settings(request),
            response_type=params.get("response_type", ""),
            client_id=params.get("client_id", ""),
            redirect_uri=params.get("redirect_uri", ""),
            scope=params.get("scope", ""),
            state=params.get("state", ""),
            code_challenge=params.get("code_challenge", ""),
            code_challenge_method=params.get("code_challenge_method", ""),
            nonce=params.get("nonce"),
        )

    @router.get("/oauth/authorize", response_class=HTMLResponse)
    def authorize_page(request: Request, session: SessionDep) -> Response:
        """Show the sign-in page for a valid authorization request (code + PKCE S256)."""
        params = {k: request.query_params.get(k, "") for k in _AUTH_PARAMS}
        _, error, redirectable = validate(request, session, params)
        if error is not None:
            if redirectable:
                return _redirect_with(
                    params["redirect_uri"],
                    {
                        "error": error.error,
                        "error_description": error.description,
                        "state": params["state"],
                    },
                )
            return _page(login_page.render_error(error.description), 400)
        csrf = secrets.token_urlsafe(24)
        return _page(login_page.render(params=params, csrf=csrf), csrf=csrf)

    @router.post("/oauth/authorize", response_class=HTMLResponse)
    def authorize_submit(
        request: Request, session: SessionDep, form: Annotated[LoginForm, Form()]
    ) -> Response:
        """The sign-in form: CSRF check, password (+ TOTP for staff), then the code."""
        return _handle_submit(request, session, form.model_dump())

    def _handle_submit(request: Request, session: Session, values: dict[str, str]) -> Response:
        params = {k: values.get(k, "") for k in _AUTH_PARAMS}
        cookie = request.cookies.get(CSRF_COOKIE, "")
        sent = values.get("csrf", "")
        if not cookie or not secrets.compare_digest(cookie, sent):
            return _page(
                login_page.render_error(
                    "この画面の有効期限が切れました。アプリからもう一度お試しください。 "
                    "This page expired (security check failed); start again from the app."
                ),
                403,
            )
        auth, error, _ = validate(request, session, params)
        if auth is None or error is not None:
            return _page(login_page.render_error(error.description if error else ""), 400)
        source = request.client.host if request.client else "unknown"
        result = users.authenticate(
            session,
            _settings(request),
            username=values.get("username", ""),
            password=values.get("password", ""),
            totp_code=values.get("totp", ""),
            source=source,
        )
        if result.user is None:
            csrf = secrets.token_urlsafe(24)
            html = login_page.render(
                params=params,
                csrf=csrf,
                error=result.error,
                ask_totp=result.needs_totp,
                username=values.get("username", ""),
            )
            return _page(html, 401, csrf=csrf)
        code = oauth.issue_code(session, auth, result.user)
        response = _redirect_with(auth.redirect_uri, {"code": code, "state": auth.state})
        response.delete_cookie(CSRF_COOKIE, path="/oauth/authorize")
        return response

    @router.post("/oauth/token")
    def token(
        request: Request,
        session: SessionDep,
        grant_type: Annotated[str, Form()],
        code: Annotated[str, Form()] = "",
        redirect_uri: Annotated[str, Form()] = "",
        code_verifier: Annotated[str, Form()] = "",
        refresh_token: Annotated[str, Form()] = "",
        client_id: Annotated[str, Form()] = "",
        client_secret: Annotated[str, Form()] = "",
        scope: Annotated[str, Form()] = "",
    ) -> JSONResponse:
        """Token endpoint: authorization_code (PKCE), refresh_token (rotating),
        client_credentials."""
        settings = _settings(request)
        basic_id, basic_secret = _basic_auth(request)
        client_id = client_id or basic_id
        client_secret = client_secret or basic_secret
        result: dict[str, Any] | oauth.OAuthError
        if grant_type == "authorization_code":
            result = oauth.exchange_code(
                session,
                settings,
                code=code,
                client_id=client_id,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
            )
        elif grant_type == "refresh_token":
            result = oauth.refresh(
                session, settings, refresh_token=refresh_token, client_id=client_id
            )
        elif grant_type == "client_credentials":
            result = oauth.client_credentials(
                session, settings, client_id=client_id, client_secret=client_secret, scope=scope
            )
        else:
            result = oauth.OAuthError("unsupported_grant_type", f"{grant_type!r} is not supported")
        if isinstance(result, oauth.OAuthError):
            return _oauth_error(result)
        return JSONResponse(result, headers=_NO_STORE)

    @router.post("/oauth/revoke")
    def revoke(
        request: Request,
        session: SessionDep,
        token: Annotated[str, Form()],
        client_id: Annotated[str, Form()] = "",
    ) -> Response:
        """RFC 7009 revocation (sign out): ends the refresh-token chain."""
        oauth.revoke(session, token=token, client_id=client_id or _basic_auth(request)[0])
        return Response(status_code=200)

    @router.get("/oauth/userinfo")
    def userinfo(request: Request, session: SessionDep) -> dict[str, Any]:
        claims = tokens.verify_access_token(
            session, _settings(request), tokens.bearer_token(request)
        )
        user = session.get(User, str(claims.get("sub")))
        if user is None or user.disabled:
            raise Unauthorized("unknown or disabled account")
        return oauth.userinfo(user)

    @router.get("/oauth/jwks")
    def jwks(request: Request, session: SessionDep) -> dict[str, Any]:
        keys.current_key(session, _settings(request))  # generate the first key on first start
        return keys.jwks(session, _settings(request))

    @router.get("/.well-known/openid-configuration")
    def openid_configuration(request: Request) -> dict[str, Any]:
        return oauth.discovery(_settings(request))

    return router


def _basic_auth(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(value).decode()
    except (ValueError, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret
