"""The 人事給与 pages, in the module namespace guarded by tenants.access (給与担当・人事担当・監査担当)."""

from django.urls import URLPattern, URLResolver, path

from payroll import views, views_staff, year_end_views

app_name = "payroll"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.run_list, name="runs"),
    path("runs/<uuid:public_id>/", views.run_detail, name="run"),
    path("runs/<uuid:public_id>/transfer-file/", views.transfer_file, name="transfer_file"),
    path("runs/<uuid:public_id>/lists/", views.run_lists, name="run_lists"),
    path("runs/<uuid:public_id>/<str:action>/", views.run_action, name="run_action"),
    path("inputs/", views.monthly_inputs, name="inputs"),
    path("special-duties/", views.special_duties, name="special_duties"),
    path("tables/", views.salary_tables, name="salary_tables"),
    path("tables/<str:code>/<str:day>/", views.salary_table, name="salary_table"),
    path("transfers/", views.transfers, name="transfers"),
    path("transfers/<uuid:public_id>/", views.transfer, name="transfer"),
    path("year-end/", year_end_views.year_end_list, name="year_end_list"),
    path("year-end/<int:year>/", year_end_views.year_end_detail, name="year_end"),
    path("year-end/<int:year>/declarations/", year_end_views.declarations, name="year_end_declarations"),
    path("year-end/<int:year>/declarations/<uuid:public_id>/", year_end_views.declaration, name="year_end_declaration"),
    path("year-end/<int:year>/readjust/<uuid:public_id>/", year_end_views.readjust, name="year_end_readjust"),
    path(
        "year-end/<int:year>/readjust/<uuid:public_id>/<str:action>/",
        year_end_views.readjust_action,
        name="year_end_readjust_action",
    ),
    path("year-end/<int:year>/<str:action>/", year_end_views.year_end_action, name="year_end_action"),
    path("staff/", views_staff.staff_list, name="staff_list"),
    path("hire/", views_staff.staff_hire, name="hire"),
    path("staff/<str:number>/", views_staff.staff_detail, name="staff"),
    path("staff/<str:number>/<str:kind>/", views_staff.staff_appoint, name="appoint"),
]
