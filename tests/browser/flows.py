"""What the browser tests share: the test people, the server handle, page watching, sign-in steps."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django_otp.oath import TOTP

PASSWORD = "kyodo-browser-2026-pass"  # test-only accounts


@dataclass
class BrowserPerson:
    username: str
    full_name: str
    password: str = PASSWORD
    totp_key: bytes | None = None
    totp_step: int = 30
    totp_t0: int = 0
    totp_digits: int = 6
    roles: dict[str, str] = field(default_factory=dict)

    def totp(self, offset_steps: int = 0) -> str:
        """The authenticator app's current code (or a neighbouring step's, to build a wrong one)."""
        assert self.totp_key is not None, f"{self.username} has no authenticator"
        return totp_code(self.totp_key, self.totp_step, self.totp_t0, self.totp_digits, offset_steps)

    def wrong_totp(self) -> str:
        """A six-digit code that is valid in none of the steps the server tolerates."""
        valid = {self.totp(offset) for offset in (-2, -1, 0, 1, 2)}
        return next(code for code in ("000000", "111111", "222222", "333333", "444444") if code not in valid)


def totp_code(key: bytes, step: int = 30, t0: int = 0, digits: int = 6, offset_steps: int = 0) -> str:
    totp = TOTP(key, step, t0, digits)
    totp.time = time.time() + offset_steps * step
    return f"{totp.token():0{digits}d}"


def b32_key(secret_text: str) -> bytes:
    """The key an authenticator app reads from the secret shown on the enrolment page ("ABCD EFGH ...")."""
    compact = "".join(secret_text.split()).upper()
    return base64.b32decode(compact + "=" * (-len(compact) % 8))


@dataclass(frozen=True)
class Server:
    port: int
    log: Path

    def url(self, schema: str, path: str = "/") -> str:
        return f"http://{schema}.localhost:{self.port}{path}"


class PageProblems:
    """What the browser reported while a test ran: CSP violations, failed sub-resources, JS errors."""

    def __init__(self) -> None:
        self.csp: list[str] = []
        self.failed_resources: list[str] = []
        self.errors: list[str] = []

    def attach(self, page: Any) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", self._on_response)

    def _on_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp.append(message.text)

    def _on_response(self, response: Any) -> None:
        # The page itself may be an expected 403; its stylesheets and scripts must always load.
        if response.request.resource_type != "document" and response.status >= 400:
            self.failed_resources.append(f"{response.status} {response.url}")

    def assert_clean(self) -> None:
        assert self.csp == [], f"Content-Security-Policy violations: {self.csp}"
        assert self.failed_resources == [], f"sub-resources failed to load: {self.failed_resources}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"


def submit_password(page: Any, server: Server, person: BrowserPerson, schema: str = "nakatosa") -> None:
    page.goto(server.url(schema, "/accounts/login/"))
    page.get_by_label("ログインID").fill(person.username)
    page.get_by_label("パスワード").fill(person.password)
    page.get_by_role("button", name="次へ").click()


def submit_code(page: Any, code: str) -> None:
    page.get_by_label("認証コード").fill(code)
    page.get_by_role("button", name="認証する").click()


def sign_in(page: Any, server: Server, person: BrowserPerson, schema: str = "nakatosa") -> None:
    """Password, then the authenticator code; ends on the town's home page."""
    submit_password(page, server, person, schema)
    page.wait_for_url("**/accounts/verify/**")
    submit_code(page, person.totp())
    page.wait_for_url(server.url(schema, "/"))


def sign_out(page: Any, person: BrowserPerson) -> None:
    page.locator(".header-nav summary", has_text=person.full_name).click()
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url("**/accounts/login/")
