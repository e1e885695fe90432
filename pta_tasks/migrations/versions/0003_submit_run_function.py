"""Postgres function pta_submit_run: a submission in one statement

A submission was four round trips to Postgres: BEGIN, the advisory lock, the
lookup-or-insert, COMMIT. As one call of this function it is one, with less
CPU spent on both sides. The rules are those of
``pta_tasks.enqueue._find_duplicate``, which SQLite still runs.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# Without ``p_since`` every submission is a new run. With it, identical
# submissions queue on an advisory lock, and the lookup that follows sees
# what the previous holder committed: a VOLATILE function takes a fresh
# snapshot for each statement. A commit is the same run while queued,
# running or succeeded; a branch (or no ref) only while queued or running,
# because a branch moves.
SUBMIT_RUN = """
CREATE FUNCTION pta_submit_run(
    p_lock_key bigint,
    p_since timestamptz,
    p_run_id uuid,
    p_job_id uuid,
    p_now timestamptz,
    p_repo_url text,
    p_repo_owner text,
    p_repo_name text,
    p_ref text,
    p_commit_sha text,
    p_event_type text,
    p_analyzer_version text
) RETURNS TABLE (run_id uuid, run_status text, created boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    found_id uuid;
    found_status text;
BEGIN
    IF p_since IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(p_lock_key);
        IF p_commit_sha IS NOT NULL THEN
            SELECT r.id, r.status INTO found_id, found_status FROM ci_runs AS r
            WHERE r.repo_url = p_repo_url AND r.analyzer_version = p_analyzer_version
              AND r.created_at >= p_since AND r.commit_sha = p_commit_sha
              AND r.status IN ('QUEUED', 'RUNNING', 'SUCCEEDED')
            ORDER BY r.created_at DESC LIMIT 1;
        ELSIF p_ref IS NOT NULL THEN
            SELECT r.id, r.status INTO found_id, found_status FROM ci_runs AS r
            WHERE r.repo_url = p_repo_url AND r.analyzer_version = p_analyzer_version
              AND r.created_at >= p_since AND r.ref = p_ref
              AND r.status IN ('QUEUED', 'RUNNING')
            ORDER BY r.created_at DESC LIMIT 1;
        ELSE
            SELECT r.id, r.status INTO found_id, found_status FROM ci_runs AS r
            WHERE r.repo_url = p_repo_url AND r.analyzer_version = p_analyzer_version
              AND r.created_at >= p_since AND r.ref IS NULL
              AND r.status IN ('QUEUED', 'RUNNING')
            ORDER BY r.created_at DESC LIMIT 1;
        END IF;
        IF found_id IS NOT NULL THEN
            RETURN QUERY SELECT found_id, found_status, false;
            RETURN;
        END IF;
    END IF;

    INSERT INTO ci_runs (id, repo_url, repo_owner, repo_name, ref, commit_sha,
                         event_type, analyzer_version, status, attempts, created_at)
    VALUES (p_run_id, p_repo_url, p_repo_owner, p_repo_name, p_ref, p_commit_sha,
            p_event_type, p_analyzer_version, 'QUEUED', 0, p_now);
    -- sent_at is written now, a moment before the message goes: see
    -- pta_tasks.enqueue._send_new_run.
    INSERT INTO ci_jobs (id, run_id, status, attempts, created_at, sent_at)
    VALUES (p_job_id, p_run_id, 'QUEUED', 0, p_now, p_now);
    RETURN QUERY SELECT p_run_id, 'QUEUED'::text, true;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SUBMIT_RUN)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION pta_submit_run(bigint, timestamptz, uuid, uuid,"
            " timestamptz, text, text, text, text, text, text, text)"
        )
