"""The clerk's 戸籍 pages, in the module namespace guarded by tenants.access (clerks and auditors)."""

from django.urls import path

from koseki import views

app_name = "koseki"

urlpatterns = [
    path("", views.search_view, name="search"),
    path("registers/<int:pk>/", views.register_view, name="register"),
    path("registers/<int:pk>/birth/", views.birth_view, name="birth"),
    path("registers/<int:pk>/transfer/", views.transfer_view, name="transfer"),
    path("registers/<int:pk>/certificate/", views.certificate_view, name="certificate"),
    path("registers/<int:pk>/certificate/preview/", views.certificate_preview_view, name="certificate_preview"),
    path("members/<int:pk>/marriage/", views.marriage_view, name="marriage"),
    path("members/<int:pk>/divorce/", views.divorce_view, name="divorce"),
    path("members/<int:pk>/death/", views.death_view, name="death"),
    path("members/<int:pk>/split/", views.split_view, name="split"),
    path("members/<int:pk>/adoption/", views.adoption_view, name="adoption"),
    path("members/<int:pk>/furigana/", views.furigana_view, name="furigana"),
    path("members/<int:pk>/acknowledgment/", views.acknowledgment_view, name="acknowledgment"),
    path("members/<int:pk>/dissolution/", views.dissolution_view, name="dissolution"),
    path("members/<int:pk>/marital-surname/", views.marital_surname_view, name="marital_surname"),
    path("members/<int:pk>/child-surname/", views.child_surname_view, name="child_surname"),
    path("members/<int:pk>/non-acceptance/", views.non_acceptance_view, name="non_acceptance"),
    path(
        "members/<int:pk>/non-acceptance/withdraw/",
        views.non_acceptance_withdrawal_view,
        name="non_acceptance_withdrawal",
    ),
    path("members/<int:pk>/given-name/", views.given_name_change_view, name="given_name_change"),
    path("members/<int:pk>/foreign-surname/", views.foreign_surname_view, name="foreign_surname"),
    path("registers/<int:pk>/surname/", views.surname_change_view, name="surname_change"),
    path("naturalization/", views.naturalization_view, name="naturalization"),
    path("entries/<int:pk>/correction/", views.correction_view, name="correction"),
    path("certificates/", views.issuance_list_view, name="issuances"),
    path("late-notices/", views.late_notices_view, name="late_notices"),
    path("wide-area/", views.wide_area_view, name="wide_area"),
]
