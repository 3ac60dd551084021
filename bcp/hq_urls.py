"""/hq/: the disaster HQ and river cameras (module "hq", tenants.access.MODULES)."""

from django.urls import path

from bcp import hq_views as views

app_name = "hq"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("<int:pk>/", views.board_view, name="board"),
    path("<int:pk>/tasks/<int:task_pk>/done/", views.task_done_view, name="task_done"),
    path("<int:pk>/entries/", views.entry_view, name="entry"),
    path("<int:pk>/damage/", views.damage_view, name="damage"),
    path("<int:pk>/summary.pdf", views.summary_pdf_view, name="summary_pdf"),
    path("<int:pk>/summary.csv", views.summary_csv_view, name="summary_csv"),
    path("damage/<int:pk>/photo", views.damage_photo_view, name="damage_photo"),
    path("shelters/<int:pk>/", views.shelter_view, name="shelter"),
    path("cameras/", views.cameras_view, name="cameras"),
    path("cameras/<int:pk>/", views.camera_view, name="camera"),
    path("cameras/<int:pk>/chart.svg", views.camera_chart_view, name="camera_chart"),
    path("cameras/<int:pk>/image", views.camera_image_view, name="camera_image"),
    path("cameras/<int:pk>/token/", views.camera_token_view, name="camera_token"),
    path("cameras/<int:pk>/publish/", views.camera_publish_view, name="camera_publish"),
    path("alerts/<int:pk>/ack/", views.alert_ack_view, name="alert_ack"),
]
