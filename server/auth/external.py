"""External identity provider mode: accept tokens of MACHI_OIDC_ISSUER, verified by its JWKS."""

import logging
import time
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from server.core.errors import Unauthorized, UpstreamError

log = logging.getLogger(__name__)

# An unknown kid triggers a JWKS refetch (the issuer rotated keys), but at most this often,
# so garbage tokens cannot make us hammer the issuer.
REFETCH_SECONDS = 60.0


class ExternalIssuer:
    """One outside OIDC issuer: discovery, JWKS caching, token verification."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str,
        audience: str | None,
        algorithms: list[str],
        jwks_url: str | None = None,
    ) -> None:
        self.http = http
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        # "none" and HMAC algorithms are never acceptable for a public-key issuer.
        self.algorithms = [a for a in algorithms if a != "none" and not a.startswith("HS")]
        self.jwks_url = jwks_url
        self._keys: KeySet | None = None
        self._fetched_at = 0.0

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self.http.get(url, timeout=10)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise UpstreamError(f"identity provider {url}: {exc}") from exc
        if not isinstance(data, dict):
            raise UpstreamError(f"identity provider {url}: not a JSON object")
        return data

    async def refresh_keys(self) -> KeySet:
        if self.jwks_url is None:
            config = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            if config.get("issuer", "").rstrip("/") != self.issuer:
                raise UpstreamError("identity provider discovery names another issuer")
            self.jwks_url = str(config["jwks_uri"])
        data = await self._get_json(self.jwks_url)
        self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
        self._fetched_at = time.monotonic()
        return self._keys

    async def keys_for(self, kid: str | None) -> KeySet:
        keys = self._keys
        known = keys is not None and any(k.kid == kid for k in keys.keys)
        stale = time.monotonic() - self._fetched_at > REFETCH_SECONDS
        if keys is None or (not known and stale):
            keys = await self.refresh_keys()
        return keys

    async def verify(self, token: str) -> dict[str, Any]:
        from server.auth.tokens import check_claims

        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError) as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") not in self.algorithms:
            raise Unauthorized(f"token algorithm {header.get('alg')!r} is not allowed")
        keys = await self.keys_for(header.get("kid"))
        try:
            decoded = jwt.decode(token, keys, algorithms=self.algorithms)
        except (JoseError, ValueError) as exc:
            raise Unauthorized("invalid token signature") from exc
        claims = dict(decoded.claims)
        check_claims(claims, iss=self.issuer, aud=self.audience)
        return claims
