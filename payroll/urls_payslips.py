"""Self-service: every staff member's own payslips (module "payslips", every town staff role, after 2FA)."""

from django.urls import URLPattern, URLResolver, path

from payroll import views

app_name = "payslips"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.my_payslips, name="mine"),
    path("<uuid:public_id>/", views.my_payslip, name="payslip"),
    path("<uuid:public_id>/pdf/", views.my_payslip_pdf, name="payslip_pdf"),
    path("statements/<int:year>/pdf/", views.my_withholding_statement_pdf, name="statement_pdf"),
]
