"""FIDO2 security keys / passkeys (django-otp-webauthn) with Chromium's virtual authenticator.

The council's IC cards are replaced by FIDO2 keys: a clerk registers one after signing in with the
authenticator app, and from then on can pass two-factor verification by touching the key. (In production
KYODO_WEBAUTHN_RP_ID names the council's parent domain so that one key serves every town host; the test
hosts *.localhost have no such parent, so each host is its own relying party here.)
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.flows import BrowserPerson, Server, sign_in, sign_out, submit_code, submit_password


def _virtual_authenticator(page: Any) -> tuple[Any, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_register_a_security_key_and_verify_with_it(
    page: Any, server: Server, people: dict[str, BrowserPerson]
) -> None:
    person = people["security_key"]
    cdp, authenticator = _virtual_authenticator(page)

    sign_in(page, server, person)
    page.goto(server.url("nakatosa", "/accounts/security/"))
    page.get_by_role("button", name="セキュリティキー・パスキーを登録").click()
    # The library's script reports success in the status line and the key appears after a reload.
    expect(page.locator("#passkey-register-status-message")).not_to_be_empty()
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1, "the browser holds no credential after registration"
    page.reload()
    expect(page.locator("table").first).to_contain_text("セキュリティキー・パスキー")

    # Next sign-in: password, then the key instead of a code.
    sign_out(page, person)
    submit_password(page, server, person)
    page.wait_for_url("**/accounts/verify/**")
    page.get_by_role("button", name="セキュリティキーで認証").click()
    page.wait_for_url(server.url("nakatosa", "/"))
    expect(page.locator(".brand__town")).to_have_text("中土佐町")

    # The authenticator app still works as well (the key is an additional factor, not a replacement).
    # The next time step's code: django-otp refuses a code of a step it has already accepted.
    sign_out(page, person)
    submit_password(page, server, person)
    page.wait_for_url("**/accounts/verify/**")
    submit_code(page, person.totp(offset_steps=1))
    page.wait_for_url(server.url("nakatosa", "/"))
    expect(page.locator(".brand__town")).to_have_text("中土佐町")

    # Without the key (the authenticator is unplugged) the ceremony cannot complete: nothing is granted.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    sign_out(page, person)
    submit_password(page, server, person)
    page.wait_for_url("**/accounts/verify/**")
    page.get_by_role("button", name="セキュリティキーで認証").click()
    expect(page.locator("#passkey-verification-status-message")).to_have_attribute("data-status-enum", re.compile("."))
    page.goto(server.url("nakatosa", "/"))
    page.wait_for_url("**/accounts/verify/**")  # still not verified: every page sends the person back
