"""Demo public websites (`manage.py seed_demo`): a public-site host per town (www.<town host>), categories and a
few published notices, each written and approved by two different people through the services."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenants.demo import DEMO_TOWNS, Write
from tenants.models import Domain, Municipality, Person
from website import services
from website.models import Article, ArticleKind, Category

CATEGORIES = [("bousai", "防災・安全"), ("kurashi", "くらし・手続き"), ("kanko", "観光・イベント")]

ARTICLES = [
    ("hinan-basho", ArticleKind.PAGE, "bousai", "避難場所と避難所", "町内の指定避難所と津波避難場所の一覧です。"),
    (
        "bousai-kunren",
        ArticleKind.NOTICE,
        "bousai",
        "総合防災訓練を実施します",
        "12月に町内全域で津波避難訓練を行います。",
    ),
    (
        "madoguchi-jikan",
        ArticleKind.NEWS,
        "kurashi",
        "年末年始の窓口のご案内",
        "12月29日から1月3日まで窓口を休止します。",
    ),
]

AUTHORS = {"nakatosa": ("tanaka", "it_admin"), "shimanto": ("yamamoto", "it_admin")}


def seed_demo(write: Write) -> None:
    for town in DEMO_TOWNS:
        if town.schema not in AUTHORS:
            continue
        municipality = Municipality.objects.get(schema_name=town.schema)
        host = f"www.{town.domain}"
        Domain.objects.get_or_create(
            domain=host, defaults={"tenant": municipality, "is_primary": False, "is_public_site": True}
        )
        author, approver = (Person.objects.get(username=name) for name in AUTHORS[town.schema])
        with schema_context(town.schema):
            for position, (slug, name) in enumerate(CATEGORIES):
                Category.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
            for slug, kind, category, title, body in ARTICLES:
                if Article.objects.filter(slug=slug).exists():
                    continue
                article = services.save_draft(
                    actor=author, article=None, title=title, body=body, slug=slug, kind=kind,
                    category=Category.objects.get(slug=category),
                )  # fmt: skip
                services.submit(actor=author, article=article)
                services.approve(actor=approver, article=article)
        write(f"  {town.name}: 公開ホームページ http://{host}:8000/ (記事 {len(ARTICLES)}件)")
