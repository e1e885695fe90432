"""PTA's run lifecycle: settings, error codes, models, enqueue, Celery task.

``pta_tasks`` owns everything between "a repository URL was submitted" and
"its dossier is stored": the database (SQLAlchemy models and Alembic
migrations), the Celery app and its one task (clone, analyze, validate,
store, clean up), the limits, and the reconciler. It runs the analyzer only as
a child process through its command line. Nothing here reads the environment
or connects at import time: ``load_settings`` and the factories do.
"""
