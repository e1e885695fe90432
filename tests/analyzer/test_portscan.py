"""Ports written in shell commands."""

import pytest

from pta_analyzer.portscan import ports_from_command


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("uvicorn app.main:app --host 0.0.0.0 --port 8000", [(8000, "bind")]),
        ("flask run --port=5001 --debug", [(5001, "bind")]),
        ("gunicorn -b 0.0.0.0:8080 app:app", [(8080, "bind")]),
        ("gunicorn --bind :$PORT app:app", []),
        ("docker run -p 8081:8080 image", [(8081, "publish"), (8080, "bind")]),
        ("bundle exec rails s -p 3001", [(3001, "bind")]),
        ("node server.js --port ${PORT:-3000}", [(3000, "default")]),
        ("PORT=4000 node index.js", [(4000, "bind")]),
        ("celery -A worker.celery worker --loglevel=info", []),
        ("pytest -p no:cacheprovider", []),
        ("python -m http.server --port 99999", []),
    ],
)
def test_ports_stated_in_commands(
    command: str, expected: list[tuple[int, str]]
) -> None:
    assert ports_from_command(command) == expected
