"""`manage.py load_demo`: fill an empty database with every app's demo data (settings.DEMO_LOADERS)."""
