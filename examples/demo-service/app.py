"""A tiny notes API: the example repository PTA analyzes in `make run`."""

import os

from flask import Flask, jsonify

DATABASE_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
PAGE_SIZE = int(os.getenv("PAGE_SIZE", "20"))

app = Flask(__name__)


@app.get("/health")
def health() -> tuple[dict[str, str], int]:
    return {"status": "ok"}, 200


@app.get("/notes")
def list_notes() -> object:
    return jsonify([])


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
