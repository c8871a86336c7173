"""「私の情報を見られる人」 in plain Python: who may see which of my data (consents), inviting a
family member by code, revoking, accepting a code, and the access log of my data."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.client.api import ApiClient, ApiError

ALL_CATEGORIES = ["vitals", "visits", "appointments", "medications", "care_timeline"]


@dataclass(frozen=True)
class ConsentView:
    """One consent as `/api/v1/me/consents` returns it."""

    id: str
    grantee: str
    team: bool
    categories: list[str]
    proxy: bool
    status: str
    active: bool
    period_start: datetime
    period_end: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ConsentView":
        def moment(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value) if value else None

        start = moment("period_start")
        assert start is not None
        return cls(
            id=str(data["id"]),
            grantee=str(data["grantee"]),
            team=data.get("grantee_care_team_id") is not None,
            categories=list(data["categories"]),
            proxy=bool(data["proxy"]),
            status=str(data["status"]),
            active=bool(data["active"]),
            period_start=start,
            period_end=moment("period_end"),
            revoked_at=moment("revoked_at"),
        )


@dataclass(frozen=True)
class AccessView:
    """One line of `/api/v1/me/access-log`: who looked (or tried to), when, at what."""

    recorded: datetime
    who: str
    role: str
    action: str
    category: str
    outcome: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AccessView":
        return cls(
            recorded=datetime.fromisoformat(data["recorded"]),
            who=str(data["who"]),
            role=str(data["role"]),
            action=str(data["action"]),
            category=str(data["category"]),
            outcome=str(data["outcome"]),
        )


class PrivacyState:
    """What the screen shows; every change calls `on_change` (the screen redraws)."""

    def __init__(self, api: ApiClient, on_change: Callable[[], None] = lambda: None) -> None:
        self.api = api
        self.on_change = on_change
        self.open = False
        self.loading = False
        self.error: str | None = None
        self.consents: list[ConsentView] = []
        self.log: list[AccessView] = []
        self.invitation: tuple[str, datetime] | None = None
        self.invite_proxy = False
        self.typed_code = ""  # the accept field; kept here so typing never redraws
        self.accepted: str | None = None

    def _changed(self) -> None:
        self.on_change()

    async def load(self, *, has_record: bool) -> None:
        """Consents (mine, revoked ones too) and, for a person with a record, the access log."""
        self.loading, self.error = True, None
        self._changed()
        try:
            rows = await self.api.request("GET", "/api/v1/me/consents")
            self.consents = [ConsentView.from_json(r) for r in rows]
            if has_record:
                log = await self.api.request("GET", "/api/v1/me/access-log", params={"limit": 50})
                self.log = [AccessView.from_json(r) for r in log]
        except ApiError as exc:
            self.error = exc.message
        finally:
            self.loading = False
            self._changed()

    @property
    def active(self) -> list[ConsentView]:
        return [c for c in self.consents if c.active]

    @property
    def ended(self) -> list[ConsentView]:
        return [c for c in self.consents if not c.active]

    async def revoke(self, consent_id: str) -> None:
        """Takes effect on the grantee's very next request (server rule)."""
        try:
            row = await self.api.request("DELETE", f"/api/v1/me/consents/{consent_id}")
        except ApiError as exc:
            self.error = exc.message
        else:
            changed = ConsentView.from_json(row)
            self.consents = [changed if c.id == consent_id else c for c in self.consents]
        self._changed()

    async def invite(self) -> None:
        """A one-time code for a family member, for all categories (proxy if chosen)."""
        try:
            body = await self.api.request(
                "POST",
                "/api/v1/me/invitations",
                json={"categories": ALL_CATEGORIES, "proxy": self.invite_proxy},
            )
        except ApiError as exc:
            self.error = exc.message
        else:
            self.invitation = (str(body["code"]), datetime.fromisoformat(body["expires_at"]))
        self._changed()

    async def accept(self) -> None:
        """A family member enters the code they were given."""
        code = self.typed_code.strip()
        if not code:
            return
        try:
            row = await self.api.request("POST", "/api/v1/invitations/accept", json={"code": code})
        except ApiError as exc:
            self.error = exc.message
            self.accepted = None
        else:
            self.error = None
            self.accepted = str(row.get("patient_id", ""))
            self.typed_code = ""
        self._changed()
