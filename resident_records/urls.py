"""The clerk's resident-register pages, in the module namespace guarded by tenants.access."""

from django.urls import path

from resident_records import views, views_import, views_notices, views_support

app_name = "resident_records"

urlpatterns = [
    path("", views.search_view, name="search"),
    path("move-in/", views.move_in_view, name="move_in"),
    path("residents/<str:atena_number>/", views.resident_view, name="resident"),
    path("residents/<str:atena_number>/my-number/", views.reveal_my_number_view, name="reveal_my_number"),
    path("residents/<str:atena_number>/death/", views.death_view, name="death"),
    path("residents/<str:atena_number>/events/<int:event_id>/cancel/", views.cancel_event_view, name="cancel_event"),
    path("residents/<str:atena_number>/correction/<str:kind>/", views.correction_view, name="correction"),
    path("residents/<str:atena_number>/certificate/", views.certificate_view, name="certificate"),
    path(
        "residents/<str:atena_number>/certificate/preview/", views.certificate_preview_view, name="certificate_preview"
    ),
    path("households/<str:number>/change-of-address/", views.change_of_address_view, name="change_of_address"),
    path("households/<str:number>/birth/", views.birth_view, name="birth"),
    path("households/<str:number>/move-out/", views.move_out_view, name="move_out"),
    path("households/<str:number>/change-head/", views.change_head_view, name="change_head"),
    path("households/<str:number>/split/", views.split_household_view, name="split_household"),
    path("households/<str:number>/merge/", views.merge_households_view, name="merge_households"),
    path("households/<str:number>/move-out-confirmation/", views.confirm_move_out_view, name="confirm_move_out"),
    path("households/<str:number>/ex-officio-removal/", views.ex_officio_removal_view, name="ex_officio_removal"),
    path("residents/<str:atena_number>/support/", views_support.resident_support_view, name="support"),
    path("support-measures/attention/", views_support.attention_view, name="support_attention"),
    path("support-measures/<uuid:public_id>/extend/", views_support.extend_view, name="support_extend"),
    path("support-measures/<uuid:public_id>/release/", views_support.release_view, name="support_release"),
    path(
        "support-measures/<uuid:public_id>/temporary-release/",
        views_support.temporary_release_view,
        name="support_temporary_release",
    ),
    path("inspection/", views.inspection_view, name="inspection"),
    path("import/", views_import.import_view, name="import"),
    path("import/<uuid:public_id>/", views_import.import_job_view, name="import_job"),
    path("import/<uuid:public_id>/status/", views_import.import_job_status_view, name="import_job_status"),
    path("notices/overdue/", views_notices.overdue_notices_view, name="overdue_notices"),
    path("tasks/", views_notices.clerk_tasks_view, name="clerk_tasks"),
    path("tasks/<uuid:public_id>/done/", views_notices.complete_clerk_task_view, name="complete_clerk_task"),
    path("certificates/", views.issuance_list_view, name="issuances"),
    path("certificates/<str:number>/void/", views.void_issuance_view, name="void_issuance"),
    path("certificates/<str:issuance_number>/issued/", views.issued_view, name="issued"),
    path("certificates/<str:issuance_number>/issued/pdf/", views.issued_pdf_view, name="issued_pdf"),
]
