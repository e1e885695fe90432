"""A git server on loopback for the tests: git's own HTTP backend behind a
small threaded HTTP server.

- ``/private/...`` answers 401 unless HTTP Basic carries the token;
- ``/throttled/...`` sends responses slowly (a download in progress);
- ``/hang/...`` accepts the request and never answers.
"""

import base64
import os
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "PTA Test",
    "GIT_AUTHOR_EMAIL": "test@pta.invalid",
    "GIT_COMMITTER_NAME": "PTA Test",
    "GIT_COMMITTER_EMAIL": "test@pta.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}
CHUNK = 16 * 1024
THROTTLE_DELAY_S = 0.02


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git with a fixed identity and date; return its stdout."""
    env = dict(os.environ) | GIT_ENV
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def make_bare_repo(root: Path, name: str, files: dict[str, str | bytes]) -> str:
    """Create ``root/name`` (bare) with one commit of ``files``; return its id."""
    work = root.parent / "work" / name
    work.mkdir(parents=True)
    git("init", "-q", "-b", "main", str(work))
    for rel, content in files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "initial", cwd=work)
    git("clone", "-q", "--bare", str(work), str(root / name))
    shutil.rmtree(work)
    return git("rev-parse", "HEAD", cwd=root / name)


def make_bad_checkout_repo(root: Path, name: str) -> str:
    """A bare repo whose commit has a ``.git/config`` entry: checkout refuses it."""
    work = root.parent / "work" / name
    git("init", "-q", "-b", "main", str(work))
    readme = work / "README"
    readme.write_text("hello\n")
    blob = git("hash-object", "-w", str(readme), cwd=work)
    inner = _mktree(work, f"100644 blob {blob}\tconfig\n")
    tree = _mktree(work, f"040000 tree {inner}\t.git\n100644 blob {blob}\tREADME\n")
    commit = git("commit-tree", tree, "-m", "bad", cwd=work)
    git("update-ref", "refs/heads/main", commit, cwd=work)
    git("clone", "-q", "--bare", str(work), str(root / name))
    shutil.rmtree(work)
    return commit


def _mktree(work: Path, listing: str) -> str:
    env = dict(os.environ) | GIT_ENV
    done = subprocess.run(
        ["git", "mktree"], cwd=work, env=env, input=listing, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip()


class GitHttpServer:
    """Serves the bare repositories under ``root`` on 127.0.0.1."""

    def __init__(self, root: Path, token: str) -> None:
        self.root = root
        self.token = token
        self.requests: list[str] = []
        self._stop = threading.Event()
        handler = _make_handler(self)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """The clone URL of ``path`` (``acme/app.git``) on this server."""
        return f"http://127.0.0.1:{self.port}/{path}"

    def start(self) -> "GitHttpServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _make_handler(server: GitHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            server.requests.append(self.path)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            if path.startswith("/hang/"):
                server._stop.wait(60)
                return
            if path.startswith("/private/") and not self._authorized():
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="pta"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            throttled = path.startswith("/throttled/")
            self._cgi(path, query, throttled)

        def _authorized(self) -> bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return False
            user_pass = base64.b64decode(header[6:]).decode()
            return user_pass.split(":", 1)[-1] == server.token

        def _cgi(self, path: str, query: str, throttled: bool) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            env = {
                "PATH": os.environ["PATH"],
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_ADDR": "127.0.0.1",
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "GIT_CONFIG_NOSYSTEM": "1",
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            }
            process = subprocess.Popen(
                ["git", "http-backend"], env=env, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(body)
            process.stdin.close()
            status, headers = 200, []
            while line := process.stdout.readline().rstrip(b"\r\n"):
                name, _, value = line.decode().partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                else:
                    headers.append((name, value.strip()))
            try:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                while chunk := process.stdout.read(CHUNK):
                    self.wfile.write(chunk)
                    if throttled:
                        self.wfile.flush()
                        time.sleep(THROTTLE_DELAY_S)
            except (BrokenPipeError, ConnectionResetError):
                process.kill()
            finally:
                process.stdout.close()
                process.wait()

    return Handler
