"""The portal's settings (`FOURX_PORTAL_…`). The token settings are the services' own
(`FOURX_AUTH_…`, fourx_platform.auth): the portal verifies a session's token exactly as the
services will. The OpenID Connect client secret comes from the environment (a secret store)
only — never a file in the repository."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _checkout() -> Path | None:
    """The source checkout this package runs from (an editable install), if any."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "services" / "portal").is_dir() and (parent / "shared" / "platform").is_dir():
            return parent
    return None


def _in_checkout(*parts: str) -> Path:
    root = _checkout()
    return root.joinpath(*parts) if root is not None else Path(*parts)


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOURX_PORTAL_", extra="ignore")

    # The built web app (`npm run build` in web/console); the image copies it elsewhere.
    static_dir: Path = _in_checkout("web", "console", "dist")
    # docs/error-codes.json: the API error codes and their Chinese wording.
    error_codes_file: Path = _in_checkout("docs", "error-codes.json")
    # Where the three services answer (the proxy's upstreams).
    meetings_url: str = "http://127.0.0.1:8101"
    issues_url: str = "http://127.0.0.1:8102"
    notify_url: str = "http://127.0.0.1:8103"
    upstream_timeout_seconds: float = 60.0
    # The session cookie; Secure outside dev mode.
    cookie_name: str = "fourx_session"
    # OpenID Connect (production): the authorization-code flow with PKCE.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_url: str | None = None
    oidc_scopes: str = "openid profile"
    # Which of the provider's tokens the session carries to the services: its audience must
    # be FOURX_AUTH_AUDIENCE (an access token for the fourx API, or the ID token whose
    # audience is this client).
    oidc_session_token: Literal["access_token", "id_token"] = "access_token"
    # Server-sent events: a comment line this often keeps proxies from closing the stream.
    heartbeat_seconds: float = 15.0
    # Events a slow browser may fall behind by before its stream is closed (it reconnects).
    stream_backlog: int = 1000
    # Dev sign-in: how long a dev session lasts.
    dev_session_hours: float = 12.0

    def service_urls(self) -> dict[str, str]:
        return {"meetings": self.meetings_url.rstrip("/"), "issues": self.issues_url.rstrip("/"),
                "notify": self.notify_url.rstrip("/")}

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_redirect_url)
