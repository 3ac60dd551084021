"""The disaster HQ, the river cameras and the public website in Chromium against gunicorn
(docs/domain/disaster-hq.md, docs/domain/website.md): the council declares a disaster and the town's staff see the HQ
while residents see the notice on the public site; a camera posts a level over the threshold and the alert shows;
the public site meets the JIS X 8341-3 AA basics we can check without axe-core.
"""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Iterator
from http.client import HTTPConnection
from typing import Any

import pytest
from django.db import connection, connections
from playwright.sync_api import expect

from tests.browser.flows import BrowserPerson, Server, sign_in

PUBLIC_SCHEMA_HOST = "www.nakatosa.localhost"


@pytest.fixture(scope="module")
def committed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A public-site host, a published article, an HQ template and a camera with its device token, committed."""
    from django_tenants.utils import schema_context

    from bcp import cameras, disaster
    from bcp.hq_models import ChecklistKind, HqChecklistTemplate, RiverCamera
    from tenants.models import Domain, Municipality, Person
    from website import services
    from website.models import Article

    run = secrets.token_hex(3)
    with django_db_blocker.unblock():
        nakatosa = Municipality.objects.get(schema_name="nakatosa")
        admin = Person.objects.get(username="it_admin")
        domain, _ = Domain.objects.get_or_create(
            domain=PUBLIC_SCHEMA_HOST, defaults={"tenant": nakatosa, "is_primary": False, "is_public_site": True}
        )
        template = HqChecklistTemplate.objects.create(
            kind=ChecklistKind.INITIAL, position=0, title=f"本部員の参集 {run}", owner="総務課", due_minutes=30
        )
        camera = RiverCamera.objects.create(
            municipality=nakatosa, code=f"b-{run}", name=f"久礼橋 {run}", river="久礼川", location="上流",
            caution_cm=150, warning_cm=250, danger_cm=350,
        )  # fmt: skip
        token = cameras.rotate_token(actor=admin, host=nakatosa, camera=camera)
        with schema_context("nakatosa"):
            article = services.save_draft(
                actor=Person.objects.get(username="tanaka"), article=None, title=f"防災訓練のお知らせ {run}",
                body="町内全域で避難訓練を行います。", slug=f"b-{run}",
            )  # fmt: skip
            services.submit(actor=Person.objects.get(username="tanaka"), article=article)
            services.approve(actor=admin, article=article)
        connection.set_schema_to_public()
    try:
        yield {"run": run, "token": token, "camera": camera.pk, "template": template.title, "slug": article.slug}
    finally:
        with django_db_blocker.unblock():
            for open_disaster in disaster.active_disasters().filter(municipality=nakatosa):
                disaster.end_disaster(actor=admin, disaster=open_disaster)
            HqChecklistTemplate.objects.filter(pk=template.pk).update(is_active=False)
            RiverCamera.objects.filter(pk=camera.pk).update(is_active=False)
            with schema_context("nakatosa"):
                Article.objects.filter(pk=article.pk).update(status="withdrawn")
            domain.delete()
            connection.set_schema_to_public()
            connections.close_all()


def public_url(server: Server, path: str = "/") -> str:
    return f"http://{PUBLIC_SCHEMA_HOST}:{server.port}{path}"


def test_declaring_a_disaster_opens_the_hq_and_pins_the_public_notice(
    new_page: Any, server: Server, people: dict[str, BrowserPerson], committed: dict[str, Any]
) -> None:
    title = f"南海トラフ地震 {committed['run']}"
    council = new_page()
    sign_in(council, server, people["hq_council"], "council")
    council.goto(server.url("council", "/bcp/disasters/declare/"))
    council.get_by_label("対象の町").select_option(label="中土佐町")
    council.get_by_label("災害名").fill(title)
    council.get_by_label("状況").fill("沿岸部は高台へ避難してください。")
    council.get_by_role("button", name="宣言する").click()
    expect(council.get_by_role("heading", level=1)).to_contain_text(title)

    clerk = new_page()
    sign_in(clerk, server, people["hq_clerk"], "nakatosa")
    clerk.goto(server.url("nakatosa", "/hq/"))
    clerk.get_by_role("link", name=title).click()
    expect(clerk.locator("[data-hq-board]")).to_contain_text(title)
    row = clerk.get_by_role("row").filter(has_text=committed["template"])
    row.get_by_role("button", name="完了にする").click()
    expect(clerk.get_by_role("row").filter(has_text=committed["template"])).to_contain_text("完了")

    resident = new_page()
    for path in ("/", f"/articles/{committed['slug']}/"):
        resident.goto(public_url(server, path))
        notice = resident.get_by_role("region", name="災害情報")
        expect(notice).to_contain_text(title)
        expect(notice).to_contain_text("沿岸部は高台へ避難してください。")


def test_a_camera_reading_over_the_threshold_shows_the_alert(
    new_page: Any, server: Server, people: dict[str, BrowserPerson], committed: dict[str, Any]
) -> None:
    # As the camera does: a form POST to the town's host (the name resolved by hand: *.localhost is Chromium's).
    conn = HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(
            "POST",
            "/devices/cameras/readings",
            body=urllib.parse.urlencode({"level_cm": "380"}),
            headers={
                "Host": f"nakatosa.localhost:{server.port}",
                "Authorization": f"Device {committed['token']}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert conn.getresponse().status == 201
    finally:
        conn.close()

    page = new_page()
    # Another clerk than the previous test's: the same person signing in again within one TOTP step would reuse
    # the code, which django-otp refuses (replay protection).
    sign_in(page, server, people["hq_watch"], "nakatosa")
    page.goto(server.url("nakatosa", "/hq/"))
    alert = page.locator("[data-hq-alert='danger']").filter(has_text=f"久礼橋 {committed['run']}")
    expect(alert).to_contain_text("380cm")


CONTRAST_JS = """
() => {
  const lum = (rgb) => {
    const linear = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    const [r, g, b] = rgb.map(linear);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const parse = (c) => c.match(/[\\d.]+/g).map(Number);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const worst = [];
  for (const el of document.querySelectorAll('h1, h2, p, a, li, time, figcaption')) {
    if (!el.offsetParent && el.tagName !== 'A') continue;
    const fg = lum(parse(getComputedStyle(el).color).slice(0, 3));
    const bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) worst.push([el.tagName, el.textContent.trim().slice(0, 20), ratio.toFixed(2)]);
  }
  return worst;
}
"""


def test_the_public_site_meets_the_accessibility_basics(
    new_page: Any, server: Server, committed: dict[str, Any]
) -> None:
    page = new_page()
    for path in ("/", f"/articles/{committed['slug']}/", "/articles/no-such-page/"):
        page.goto(public_url(server, path))
        assert page.locator("html").get_attribute("lang") == "ja"
        expect(page.locator("h1")).to_have_count(1)
        assert page.locator("img:not([alt])").count() == 0
        assert page.locator("img[alt='']").count() == 0
        for role in ("banner", "navigation", "main", "contentinfo"):
            expect(page.get_by_role(role)).to_have_count(1)
        assert page.evaluate(CONTRAST_JS) == []
        # Keyboard: the first Tab lands on the skip link, which is visible when focused and leads to the main content.
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]"
        )
        assert focused[0] == "本文へ移動"
        assert focused[1] != "none"
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"


def test_the_public_host_refuses_staff_pages(new_page: Any, server: Server, committed: dict[str, Any]) -> None:
    page = new_page()
    for path in ("/admin/", "/accounts/login/", "/hq/", "/api/v1/bcp/drills/"):
        response = page.goto(public_url(server, path))
        assert response is not None
        assert response.status == 404
