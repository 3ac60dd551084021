from tenants.demo import register_demo_seeder  # noqa: F401
