"""The clerk's 戸籍 pages, in the module namespace guarded by tenants.access (clerks and auditors)."""

from django.urls import path

from koseki import views

app_name = "koseki"

urlpatterns = [
    path("", views.search_view, name="search"),
    path("registers/<uuid:public_id>/", views.register_view, name="register"),
    path("registers/<uuid:public_id>/birth/", views.birth_view, name="birth"),
    path("registers/<uuid:public_id>/transfer/", views.transfer_view, name="transfer"),
    path("registers/<uuid:public_id>/certificate/", views.certificate_view, name="certificate"),
    path("registers/<uuid:public_id>/certificate/preview/", views.certificate_preview_view, name="certificate_preview"),
    path("members/<uuid:public_id>/marriage/", views.marriage_view, name="marriage"),
    path("members/<uuid:public_id>/divorce/", views.divorce_view, name="divorce"),
    path("members/<uuid:public_id>/death/", views.death_view, name="death"),
    path("members/<uuid:public_id>/split/", views.split_view, name="split"),
    path("members/<uuid:public_id>/adoption/", views.adoption_view, name="adoption"),
    path("members/<uuid:public_id>/furigana/", views.furigana_view, name="furigana"),
    path("entries/<uuid:public_id>/correction/", views.correction_view, name="correction"),
    path("certificates/", views.issuance_list_view, name="issuances"),
    path("wide-area/", views.wide_area_view, name="wide_area"),
]
