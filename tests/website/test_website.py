"""Public websites (docs/domain/website.md): the workflow (no self-approval, alt text required), the public host
that serves only published content, the pinned disaster notice, the Atom feed and the published camera image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from bcp import cameras
from bcp import disaster as disaster_service
from bcp.hq_models import RiverCamera
from tenants.models import Domain, Municipality, Person
from tests.bcp.hq_support import png_bytes, upload
from tests.support.access import audit_position, audit_since
from website import services
from website.models import Article, ArticleKind, ArticleStatus, Category

pytestmark = pytest.mark.django_db

PUBLIC_HOST = "www.nakatosa.localhost"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def public_host(towns: dict[str, Municipality]) -> Domain:
    return Domain.objects.create(tenant=towns["nakatosa"], domain=PUBLIC_HOST, is_primary=False, is_public_site=True)


@pytest.fixture
def nakatosa() -> Iterator[None]:
    with schema_context("nakatosa"):
        yield


@pytest.fixture
def tanaka() -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def it_admin() -> Person:
    return Person.objects.get(username="it_admin")


def publish(author: Person, approver: Person, slug: str, **extra: Any) -> Article:
    fields = {"title": f"記事 {slug}", "body": "本文です。", "kind": ArticleKind.NEWS, **extra}
    article = services.save_draft(actor=author, article=None, slug=slug, **fields)
    services.submit(actor=author, article=article)
    return services.approve(actor=approver, article=article)


def public() -> Client:
    return Client(HTTP_HOST=PUBLIC_HOST)


def test_draft_submit_approve_publishes_and_audits(nakatosa: None, tanaka: Person, it_admin: Person) -> None:
    position = audit_position("nakatosa")
    article = publish(tanaka, it_admin, "t-flow")
    assert article.status == ArticleStatus.PUBLISHED
    assert article.approver_name == "岡林 誠"
    assert [e.action for e in audit_since("nakatosa", position)] == [
        "website.save_draft",
        "website.submit",
        "website.approve",
    ]


def test_the_author_cannot_approve_their_own_article(nakatosa: None, tanaka: Person) -> None:
    article = services.save_draft(actor=tanaka, article=None, title="自分", body="本文", slug="t-self")
    services.submit(actor=tanaka, article=article)
    with pytest.raises(services.SelfApproval):
        services.approve(actor=tanaka, article=article)
    article.refresh_from_db()
    assert article.status == ArticleStatus.PENDING


@pytest.mark.parametrize("alt", ["", "  ", "photo", "画像", "kure-bridge"])
def test_an_image_needs_real_alternative_text(nakatosa: None, tanaka: Person, media: Path, alt: str) -> None:
    with pytest.raises(services.AltTextRequired):
        services.save_draft(
            actor=tanaka, article=None, title="画像つき", body="本文", slug="t-img",
            image=upload("kure-bridge.png", png_bytes()), image_alt=alt,
        )  # fmt: skip
    assert not Article.objects.filter(slug="t-img").exists()
    assert not any(media.rglob("*.*"))


def test_a_gif_pretending_to_be_png_is_refused(nakatosa: None, tanaka: Person) -> None:
    with pytest.raises(services.ImageRefused):
        services.save_draft(
            actor=tanaka, article=None, title="x", body="y", slug="t-gif",
            image=upload("x.png", b"GIF89a" + b"\0" * 10), image_alt="久礼橋の様子",
        )  # fmt: skip
    assert not Article.objects.filter(slug="t-gif").exists()


def test_the_public_host_serves_published_content_only(
    public_host: Domain, nakatosa: None, tanaka: Person, it_admin: Person
) -> None:
    publish(
        tanaka,
        it_admin,
        "t-public",
        title="公開された記事",
        image=upload("a.png", png_bytes()),
        image_alt="久礼港の朝市",
    )
    services.save_draft(actor=tanaka, article=None, title="未公開の下書き", body="秘密", slug="t-draft")
    home = public().get("/")
    html = home.content.decode()
    assert home.status_code == 200
    assert "公開された記事" in html
    assert "未公開の下書き" not in html
    assert public().get("/articles/t-public/image")["Content-Type"] == "image/png"
    missing = public().get("/articles/t-draft/")
    assert missing.status_code == 404
    assert "ページが見つかりません" in missing.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/login/",
        "/accounts/login/",
        "/api/v1/bcp/drills/",
        "/hq/",
        "/bcp/",
        "/website/",
        "/resident_records/",
        "/devices/cameras/readings",
        "/audit/",
        "/healthz",
    ],
)
def test_the_public_host_has_no_admin_api_login_or_staff_pages(public_host: Domain, path: str) -> None:
    assert public().get(path).status_code == 404
    assert public().post(path).status_code in (404, 405)


def test_every_public_route_needs_no_login_and_only_reads() -> None:
    from django.urls import URLPattern, get_resolver

    patterns = get_resolver("website.public_urls").url_patterns
    assert all(isinstance(p, URLPattern) for p in patterns)
    assert all(getattr(p.callback, "login_required", True) is False for p in patterns)


def test_a_declared_disaster_is_pinned_on_every_public_page(
    public_host: Domain, towns: dict[str, Municipality], nakatosa: None, tanaka: Person, it_admin: Person
) -> None:
    publish(tanaka, it_admin, "t-pinned")
    assert "data-disaster-notice" not in public().get("/").content.decode()
    disaster_service.declare_disaster(
        actor=it_admin, municipality=towns["nakatosa"], title="津波警報", description="高台へ避難してください。"
    )
    for path in ("/", "/articles/t-pinned/", "/articles/missing/"):
        html = public().get(path).content.decode()
        assert "data-disaster-notice" in html
        assert "高台へ避難してください。" in html


def test_the_atom_feed_lists_published_articles(
    public_host: Domain, nakatosa: None, tanaka: Person, it_admin: Person
) -> None:
    publish(tanaka, it_admin, "t-feed", title="フィードの記事")
    services.save_draft(actor=tanaka, article=None, title="フィードに出ない下書き", body="x", slug="t-feed-draft")
    feed = public().get("/feed.atom")
    body = feed.content.decode()
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert "フィードの記事" in body
    assert "フィードに出ない下書き" not in body


def test_a_category_page_lists_its_published_articles(
    public_host: Domain, nakatosa: None, tanaka: Person, it_admin: Person
) -> None:
    category = Category.objects.create(slug="t-bousai", name="防災テスト")
    publish(tanaka, it_admin, "t-cat", title="分類の記事", category=category)
    assert "分類の記事" in public().get("/category/t-bousai/").content.decode()


def test_a_published_camera_image_appears_and_an_unpublished_one_does_not(
    public_host: Domain, towns: dict[str, Municipality], it_admin: Person
) -> None:
    camera = RiverCamera.objects.create(
        municipality=towns["nakatosa"], code="t-web-cam", name="久礼橋", river="久礼川", location="上流",
        caution_cm=1, warning_cm=2, danger_cm=3,
    )  # fmt: skip
    token = cameras.rotate_token(actor=it_admin, host=towns["nakatosa"], camera=camera)
    cameras.ingest_reading(token=token, host=towns["nakatosa"], level_cm=0, image=upload("x.png", png_bytes()))
    assert public().get("/cameras/t-web-cam/latest").status_code == 404
    cameras.set_publication(actor=it_admin, host=towns["nakatosa"], camera=camera, publish=True)
    assert 'src="/cameras/t-web-cam/latest"' in public().get("/").content.decode()
    assert public().get("/cameras/t-web-cam/latest")["Content-Type"] == "image/png"


def test_the_staff_workflow_pages(client_for: Any, nakatosa: None) -> None:
    clerk = client_for("tanaka", "nakatosa")
    clerk.post("/website/new/", {"title": "窓口", "body": "本文", "slug": "t-staff", "kind": "news"})
    article = Article.objects.get(slug="t-staff")
    clerk.post(f"/website/{article.pk}/submit/")
    refused = clerk.post(f"/website/{article.pk}/approve/", follow=True)
    assert "自分が作成した記事は承認できません" in refused.content.decode()
    client_for("it_admin", "nakatosa").post(f"/website/{article.pk}/approve/")
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED


def test_the_edit_form_renders_empty_and_filled(client_for: Any, nakatosa: None, tanaka: Person) -> None:
    clerk = client_for("tanaka", "nakatosa")
    assert 'name="title" required maxlength="200" value=""' in clerk.get("/website/new/").content.decode()
    article = services.save_draft(actor=tanaka, article=None, title="編集する記事", body="本文", slug="t-edit")
    assert 'value="編集する記事"' in clerk.get(f"/website/{article.pk}/edit/").content.decode()


@pytest.mark.parametrize("path", ["/admin/", "/favicon.ico"])
def test_the_public_hosts_not_found_page_renders_under_asgi(public_host: Domain, path: str) -> None:
    """Under ASGI Django renders the 404 page in a thread of its own (sync_to_async(thread_sensitive=False)),
    whose database connection is on the public schema; the town's pages must still be found (it answered 500)."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    response = async_to_sync(AsyncClient(headers={"host": PUBLIC_HOST}).get)(path)
    assert response.status_code == 404


def test_the_public_not_found_page_renders_from_a_thread_on_the_public_schema(
    public_host: Domain, towns: dict[str, Municipality]
) -> None:
    """What uvicorn did: the 404 handler ran in a fresh thread whose connection is on the public schema, and the
    page's query of the town's site pages failed (500, with no traceback in the log)."""
    import threading

    from django.db import connection
    from django.test import RequestFactory

    from website.public_views import not_found

    request = RequestFactory().get("/admin/", HTTP_HOST=PUBLIC_HOST)
    request.tenant = towns["nakatosa"]  # type: ignore[attr-defined]
    outcome: dict[str, Any] = {}

    def render_elsewhere() -> None:
        try:
            outcome["status"] = not_found(request).status_code
        except Exception as exc:  # the failure is the finding
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=render_elsewhere)
    thread.start()
    thread.join()
    assert outcome == {"status": 404}
