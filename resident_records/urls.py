"""The clerk's resident-register pages, in the module namespace guarded by tenants.access."""

from django.urls import path

from resident_records import views, views_notices, views_support

app_name = "resident_records"

urlpatterns = [
    path("", views.search_view, name="search"),
    path("move-in/", views.move_in_view, name="move_in"),
    path("residents/<int:pk>/", views.resident_view, name="resident"),
    path("residents/<int:pk>/my-number/", views.reveal_my_number_view, name="reveal_my_number"),
    path("residents/<int:pk>/death/", views.death_view, name="death"),
    path("residents/<int:pk>/events/<int:event_id>/cancel/", views.cancel_event_view, name="cancel_event"),
    path("residents/<int:pk>/correction/<str:kind>/", views.correction_view, name="correction"),
    path("residents/<int:pk>/certificate/", views.certificate_view, name="certificate"),
    path("residents/<int:pk>/certificate/preview/", views.certificate_preview_view, name="certificate_preview"),
    path("households/<int:pk>/change-of-address/", views.change_of_address_view, name="change_of_address"),
    path("households/<int:pk>/birth/", views.birth_view, name="birth"),
    path("households/<int:pk>/move-out/", views.move_out_view, name="move_out"),
    path("households/<int:pk>/change-head/", views.change_head_view, name="change_head"),
    path("households/<int:pk>/split/", views.split_household_view, name="split_household"),
    path("households/<int:pk>/merge/", views.merge_households_view, name="merge_households"),
    path("households/<int:pk>/move-out-confirmation/", views.confirm_move_out_view, name="confirm_move_out"),
    path("households/<int:pk>/ex-officio-removal/", views.ex_officio_removal_view, name="ex_officio_removal"),
    path("residents/<int:pk>/support/", views_support.resident_support_view, name="support"),
    path("support-measures/attention/", views_support.attention_view, name="support_attention"),
    path("support-measures/<int:pk>/extend/", views_support.extend_view, name="support_extend"),
    path("support-measures/<int:pk>/release/", views_support.release_view, name="support_release"),
    path(
        "support-measures/<int:pk>/temporary-release/",
        views_support.temporary_release_view,
        name="support_temporary_release",
    ),
    path("inspection/", views.inspection_view, name="inspection"),
    path("notices/overdue/", views_notices.overdue_notices_view, name="overdue_notices"),
    path("tasks/", views_notices.clerk_tasks_view, name="clerk_tasks"),
    path("tasks/<int:pk>/done/", views_notices.complete_clerk_task_view, name="complete_clerk_task"),
    path("certificates/", views.issuance_list_view, name="issuances"),
    path("certificates/<int:pk>/void/", views.void_issuance_view, name="void_issuance"),
    path("certificates/<int:pk>/issued/", views.issued_view, name="issued"),
    path("certificates/<int:pk>/issued/pdf/", views.issued_pdf_view, name="issued_pdf"),
]
