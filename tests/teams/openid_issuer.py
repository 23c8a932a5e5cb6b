"""A local OpenID issuer that mints Bot Framework channel tokens, for auth tests offline.

What botbuilder 4.17.1 checks on an inbound ``Authorization: Bearer <jwt>`` from the channel
(botframework/connector/auth: JwtTokenExtractor, ChannelValidation and the CloudAdapter's
_ParameterizedBotFrameworkAuthentication):

1. ``iss`` must be ``https://api.botframework.com`` (else the extractor returns no identity:
   401); read WITHOUT verification first, so a malformed token raises DecodeError (500).
2. OpenID metadata: ``requests.get(<metadata url>)`` -> ``jwks_uri`` -> ``requests.get`` of the
   keys; synchronous, no timeout, inside the event loop (hence this server runs on its own
   thread). Cached per metadata URL for a day (``JwtTokenExtractor.metadataCache``).
3. The key with the token header's ``kid`` (an unknown kid raises IndexError: 500); when the
   key lists ``endorsements``, the activity's channelId must be one of them.
4. alg in RS256/RS384/RS512; signature and ``exp``/``nbf`` with 5 minutes' leeway
   (jwt errors: 500, not 401, in 4.17.1).
5. ``aud`` must be the bot's app id (PermissionError: 401); ``serviceurl`` must equal the
   activity's serviceUrl (401).

Pointing botbuilder (CloudAdapter + ConfigurationBotFrameworkAuthentication) at this issuer,
two ways; outbound calls need ``credentials_factory=issuer.credentials_factory()`` in both
(else msal asks login.microsoftonline.com for a token):

- production path: settings with only APP_ID/APP_PASSWORD (``issuer.production_settings()``)
  select _PublicCloudBotFrameworkAuthentication -> JwtTokenValidation -> ChannelValidation,
  whose metadata URL is the class attribute ``ChannelValidation.open_id_metadata_endpoint``
  (None = login.botframework.com): ``with issuer.patch_channel_validation():`` sets it.
- without any patching: ``issuer.bot_settings()`` adds TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
  and friends, which switch the factory to _ParameterizedBotFrameworkAuthentication. Same
  verdicts, except that a request WITHOUT an Authorization header then answers 500
  (AttributeError on a None identity) instead of 401.

    issuer = OpenIdIssuer(app_id="app-id")
    issuer.start()
    header = issuer.auth_header(issuer.token(service_url=url))          # valid
    issuer.expired_token(url), issuer.wrong_signature_token(url), issuer.wrong_audience_token(url),
    issuer.wrong_issuer_token(url), issuer.unknown_kid_token(url), MALFORMED_TOKEN
    issuer.stall()        # from now on requests are accepted and never answered ...
    issuer.unstall()      # ... until this (stop() releases them too)
    issuer.rotate()       # a new signing key under a new kid; the old one is no longer published
    issuer.stop()

``endorsements=None`` publishes the key without an endorsements list.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from botframework.connector.auth import (
    AppCredentials,
    AuthenticationConstants,
    ChannelValidation,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from msrest.authentication import Authentication

CHANNEL_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER  # api.botframework.com
CONNECTOR_AUDIENCE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE  # same URL
METADATA_PATH = "/v1/.well-known/openidconfiguration"  # as login.botframework.com names it
KEYS_PATH = "/v1/.well-known/keys"
MALFORMED_TOKEN = "this-is.not-a.jwt"
DEFAULT_ENDORSEMENTS = ("msteams", "emulator", "webchat", "directline")


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        issuer = self.server.issuer
        issuer.fetches.append(self.path)
        if issuer.stalling:
            issuer.stalled += 1
            issuer.release.wait(60)  # accepted, never answered; the connection just closes
            return
        if self.path in (METADATA_PATH, "/.well-known/openid-configuration"):
            self._json(issuer.metadata())
        elif self.path == KEYS_PATH:
            self._json(issuer.jwks())
        else:
            self.send_error(404)

    def _json(self, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    issuer: OpenIdIssuer


class OpenIdIssuer:
    """OpenID metadata + JWKS on http://127.0.0.1:<port> (own thread) and a token minter."""

    def __init__(
        self,
        app_id: str = "00000000-0000-0000-0000-0000000000a1",
        *,
        issuer: str = CHANNEL_ISSUER,
        endorsements: tuple[str, ...] | None = DEFAULT_ENDORSEMENTS,
    ) -> None:
        self.app_id = app_id
        self.issuer = issuer
        self.endorsements = endorsements
        self.kid = f"test-{uuid.uuid4().hex[:12]}"
        self._key = _new_key()
        self._other_key = _new_key()  # same kid, not published: "wrong signature"
        self.fetches: list[str] = []  # paths requested so far (metadata, keys)
        self.stalling = False
        self.stalled = 0  # requests held without an answer so far
        self.release = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.issuer = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stall(self) -> None:
        """Accept every request from now on and never answer it (a hanging issuer)."""
        self.release.clear()
        self.stalling = True

    def unstall(self) -> None:
        """Answer again; the requests held so far are dropped without an answer."""
        self.stalling = False
        self.release.set()

    def rotate(self) -> None:
        """Publish a new signing key under a new kid instead of the current one."""
        self.kid = f"test-{uuid.uuid4().hex[:12]}"
        self._key = _new_key()

    def stop(self) -> None:
        self.unstall()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> OpenIdIssuer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("OpenIdIssuer is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        """The URL to give botbuilder as TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL."""
        return f"{self.base_url}{METADATA_PATH}"

    # --- documents ----------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base_url}/v1/authorize",
            "jwks_uri": f"{self.base_url}{KEYS_PATH}",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        if self.endorsements is not None:
            jwk["endorsements"] = list(self.endorsements)
        return {"keys": [jwk]}

    # --- tokens -------------------------------------------------------------------------

    def token(
        self,
        service_url: str | None = None,
        *,
        audience: str | None = None,
        issuer: str | None = None,
        lifetime: float = 3600.0,
        not_before_offset: float = -300.0,
        kid: str | None = None,
        wrong_key: bool = False,
        algorithm: str = "RS256",
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A channel -> bot token as the Bot Framework mints it: iss api.botframework.com,
        aud = app id, serviceurl = the activity's serviceUrl, nbf/exp/iat, RS256 with kid.

        ``lifetime`` < 0 gives an expired token (beyond the 5 minutes' leeway when < -300).
        Without ``service_url`` the token has no serviceurl claim: the Teams adapter (like
        botbuilder) refuses it for any activity that names a serviceUrl.
        """
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": issuer or self.issuer,
            "aud": audience if audience is not None else self.app_id,
            "iat": now,
            "nbf": int(now + not_before_offset),
            "exp": int(now + lifetime),
            "jti": uuid.uuid4().hex,
        }
        if service_url is not None:
            payload["serviceurl"] = service_url
        payload.update(claims or {})
        key = self._other_key if wrong_key else self._key
        return jwt.encode(
            payload, key, algorithm=algorithm, headers={"kid": kid or self.kid, "typ": "JWT"}
        )

    def expired_token(self, service_url: str | None = None) -> str:
        """exp two hours ago (well past the 5-minute leeway)."""
        return self.token(service_url, lifetime=-7200.0, not_before_offset=-10800.0)

    def wrong_signature_token(self, service_url: str | None = None) -> str:
        """Signed by another key under the published kid."""
        return self.token(service_url, wrong_key=True)

    def wrong_audience_token(self, service_url: str | None = None) -> str:
        return self.token(service_url, audience="some-other-app-id")

    def wrong_issuer_token(self, service_url: str | None = None) -> str:
        return self.token(service_url, issuer="https://evil.example")

    def unknown_kid_token(self, service_url: str | None = None) -> str:
        return self.token(service_url, kid="no-such-kid")

    def connector_token(self, app_id: str | None = None, lifetime: float = 3600.0) -> str:
        """A bot -> connector token (what AAD would issue the bot): aud
        https://api.botframework.com, appid/azp = the bot's app id."""
        bot = app_id or self.app_id
        return self.token(
            audience=CONNECTOR_AUDIENCE,
            issuer=f"https://login.microsoftonline.com/{uuid.UUID(int=0)}/v2.0",
            lifetime=lifetime,
            claims={"appid": bot, "azp": bot, "ver": "2.0"},
        )

    @staticmethod
    def auth_header(token: str) -> str:
        return f"Bearer {token}"

    def verify(self, token: str, *, audience: str | None = None) -> dict[str, Any]:
        """Decode `token` with the issuer's key (raises jwt.InvalidTokenError)."""
        claims: dict[str, Any] = jwt.decode(
            token,
            self._key.public_key(),
            algorithms=["RS256"],
            audience=audience or self.app_id,
            options={"verify_iss": False},
        )
        return claims

    def connector_validator(self, app_id: str | None = None) -> ConnectorTokenValidator:
        """For ConnectorEmulator(token_validator=...): accepts only a valid
        ``connector_token`` of `app_id` (default: this issuer's app id)."""
        return ConnectorTokenValidator(self, app_id or self.app_id)

    # --- pointing botbuilder here ---------------------------------------------------------

    def bot_settings(self, app_id: str | None = None, password: str = "secret") -> BotSettings:
        """Settings for ConfigurationBotFrameworkAuthentication that validate inbound tokens
        against THIS issuer (no network, no patching).

        Any of the TO_BOT_FROM_* / TO_CHANNEL_FROM_* settings switches botbuilder's factory to
        _ParameterizedBotFrameworkAuthentication, which takes the metadata URL and issuer from
        here. Outbound calls still need a token: pass ``credentials_factory=
        issuer.credentials_factory(app_id)`` too, or msal tries login.microsoftonline.com.
        """
        return BotSettings(
            APP_ID=app_id or self.app_id,
            APP_PASSWORD=password,
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=self.metadata_url,
            TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=self.metadata_url,
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=self.issuer,
            TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=CONNECTOR_AUDIENCE,
            TO_CHANNEL_FROM_BOT_LOGIN_URL=f"{self.base_url}/botframework.com",
        )

    def production_settings(
        self, app_id: str | None = None, password: str = "secret"
    ) -> BotSettings:
        """Settings as in production (APP_ID/APP_PASSWORD only): the public-cloud path, to be
        used inside ``patch_channel_validation()``."""
        return BotSettings(APP_ID=app_id or self.app_id, APP_PASSWORD=password)

    def credentials_factory(self, app_id: str | None = None) -> StaticTokenCredentialsFactory:
        """A ServiceClientCredentialsFactory whose credentials send ``connector_token``."""
        return StaticTokenCredentialsFactory(self, app_id or self.app_id)

    @contextlib.contextmanager
    def patch_channel_validation(self) -> Iterator[None]:
        """Point ``ChannelValidation`` (JwtTokenValidation's public-cloud path) here."""
        previous = ChannelValidation.open_id_metadata_endpoint
        ChannelValidation.open_id_metadata_endpoint = self.metadata_url
        try:
            yield
        finally:
            ChannelValidation.open_id_metadata_endpoint = previous


class BotSettings:
    """An attribute bag for ConfigurationBotFrameworkAuthentication /
    ConfigurationServiceClientCredentialFactory (they read attributes with getattr)."""

    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""

    def __init__(self, **settings: str) -> None:
        for name, value in settings.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        return f"BotSettings({vars(self)!r})"


class StaticTokenCredentials(AppCredentials):  # type: ignore[misc]
    """AppCredentials that hand out a token minted by the local issuer (no msal, no AAD)."""

    def __init__(self, issuer: OpenIdIssuer, app_id: str, oauth_scope: str | None = None) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._issuer = issuer

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._issuer.connector_token(self.microsoft_app_id)


class StaticTokenCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """ServiceClientCredentialsFactory for one app id, with StaticTokenCredentials."""

    def __init__(self, issuer: OpenIdIssuer, app_id: str) -> None:
        self._issuer = issuer
        self.app_id = app_id

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return not self.app_id

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Authentication:
        if not self.app_id:
            empty: Authentication = MicrosoftAppCredentials.empty()
            return empty
        if app_id != self.app_id:
            raise PermissionError(f"Invalid app_id {app_id!r}")
        return StaticTokenCredentials(self._issuer, app_id, oauth_scope)


class ConnectorTokenValidator:
    """Callable for ConnectorEmulator(token_validator=...); remembers why it said no."""

    def __init__(self, issuer: OpenIdIssuer, app_id: str) -> None:
        self._issuer = issuer
        self.app_id = app_id
        self.rejections: list[str] = []

    def __call__(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Bearer" or not token:
            self.rejections.append(f"no bearer token: {authorization!r}")
            return False
        try:
            claims = self._issuer.verify(token, audience=CONNECTOR_AUDIENCE)
        except jwt.InvalidTokenError as error:
            self.rejections.append(f"{type(error).__name__}: {error}")
            return False
        if claims.get("appid") != self.app_id:
            self.rejections.append(f"appid {claims.get('appid')!r} != {self.app_id!r}")
            return False
        return True
