import os

os.environ.setdefault("DATABASE_URL", "postgresql://notes@localhost/notes")

from app import app  # noqa: E402


def test_health_answers_ok() -> None:
    response = app.test_client().get("/health")
    assert response.json == {"status": "ok"}
