"""Index for the dedupe of branch submissions (repository, ref, version)

Without it, finding a run in flight for a branch read every run of the
repository within the dedupe window, on every submission.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_ci_runs_dedupe_ref",
        "ci_runs",
        ["repo_url", "ref", "analyzer_version", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_ci_runs_dedupe_ref", table_name="ci_runs")
