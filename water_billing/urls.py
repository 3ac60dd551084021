"""The 水道料金 pages, in the module namespace guarded by tenants.access. Connections are named by 水栓番号 and
runs by their public_id, never by a row id (docs/audit.md)."""

from django.urls import URLPattern, URLResolver, path

from water_billing import views

app_name = "water_billing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.search_view, name="search"),
    path("connections/<str:tap_number>/", views.connection_view, name="connection"),
    path("connections/<str:tap_number>/reading/", views.reading_entry_view, name="reading_entry"),
    path("meters/", views.meters_view, name="meters"),
    path("readings/", views.readings_view, name="readings"),
    path("readings/<str:code>/route/", views.route_view, name="route"),
    path("runs/", views.runs_view, name="runs"),
    path("runs/<uuid:public_id>/", views.run_view, name="run"),
    path("runs/<uuid:public_id>/status/", views.run_status_view, name="run_status"),
    path("runs/<uuid:public_id>/confirm/", views.run_confirm_view, name="run_confirm"),
    path("runs/<uuid:public_id>/cancel/", views.run_cancel_view, name="run_cancel"),
    path("debit/", views.debit_view, name="debit"),
    path("payments/", views.payment_view, name="payment"),
    path("arrears/", views.arrears_view, name="arrears"),
    path("arrears/<str:tap_number>/step/", views.arrears_step_view, name="arrears_step"),
    path("plans/", views.plans_view, name="plans"),
    path("plans/new/", views.plan_new_view, name="plan_new"),
    path("plans/<uuid:public_id>/", views.plan_view, name="plan"),
    path("plans/<uuid:public_id>/pay/", views.plan_pay_view, name="plan_pay"),
    path("plans/<uuid:public_id>/end/", views.plan_end_view, name="plan_end"),
    path("notices/<uuid:public_id>/pdf/", views.notice_pdf_view, name="notice_pdf"),
    path("bills/<str:number>/pdf/", views.bill_pdf_view, name="bill_pdf"),
    path("books/", views.books_view, name="books"),
    path("capital/", views.capital_view, name="capital"),
    path("tariffs/", views.tariffs_view, name="tariffs"),
    path("moves/", views.moves_view, name="moves"),
    path("moves/pull/", views.moves_pull_view, name="moves_pull"),
    path("moves/<uuid:public_id>/", views.move_resolve_view, name="move_resolve"),
]
