"""Alembic migrations of the ``pta_tasks`` schema (applied by ``pta db upgrade``)."""
