"""Tests of the endpoints extractor: route declarations, prefixes, scopes."""

from hypothesis import given
from hypothesis import strategies as st

from pta_analyzer.extractors import _routes_python
from pta_analyzer.extractors._textlines import match_lines
from pta_analyzer.extractors.endpoints import extract
from pta_analyzer.facts import Fact, FactKind, Status
from pta_analyzer.index import SourceText
from pta_analyzer.scope import Scope
from tests.analyzer.conftest import MakeRepo, extract_verified


def run(make_repo: MakeRepo, files: dict[str, str | bytes]) -> dict[str, Fact]:
    facts = extract_verified(make_repo, extract, files)
    assert all(fact.kind is FactKind.ENDPOINT for fact in facts)
    return {fact.key: fact for fact in facts}


def locations(fact: Fact) -> list[str]:
    return [e.location for e in fact.evidence]


def test_flask_routes_with_methods_and_the_get_default(make_repo: MakeRepo) -> None:
    code = (
        "from flask import Flask\n"
        "app = Flask(__name__)\n"
        "@app.route('/ping')\n"
        "def ping():\n"
        "    return 'pong'\n"
        "@app.route('/books', methods=['GET', 'POST'])\n"
        "@auth.login_required\n"
        "def books():\n"
        "    pass\n"
    )
    found = run(make_repo, {"app.py": code})

    assert set(found) == {"GET /ping", "GET /books", "POST /books"}
    assert dict(found["POST /books"].attrs) == {
        "framework": "flask",
        "handler": "books",
    }
    assert locations(found["GET /ping"]) == ["app.py:3"]
    assert found["GET /ping"].status is Status.EVIDENCED


def test_flask_blueprint_prefix_and_register_prefix(make_repo: MakeRepo) -> None:
    code = (
        "from flask import Blueprint\n"
        "bp = Blueprint('api', __name__, url_prefix='/api')\n"
        "@bp.get('/items')\n"
        "def items():\n"
        "    pass\n"
        "app.register_blueprint(bp, url_prefix='/v1')\n"
    )
    found = run(make_repo, {"app.py": code})

    assert set(found) == {"GET /v1/api/items"}
    assert locations(found["GET /v1/api/items"]) == ["app.py:3", "app.py:2", "app.py:6"]


def test_fastapi_router_prefix_from_another_file(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/app/api/notes.py": (
            "from fastapi import APIRouter\n"
            "router = APIRouter()\n"
            "@router.get('/{id}/')\n"
            "async def read_note(id: int):\n"
            "    pass\n"
        ),
        "src/app/main.py": (
            "from fastapi import FastAPI\n"
            "from app.api import notes\n"
            "app = FastAPI()\n"
            "app.include_router(notes.router, prefix='/notes', tags=['notes'])\n"
            "@app.api_route('/health', methods=['GET', 'HEAD'])\n"
            "def health():\n"
            "    pass\n"
        ),
    }
    found = run(make_repo, files)

    assert set(found) == {"GET /notes/{id}/", "GET /health", "HEAD /health"}
    fact = found["GET /notes/{id}/"]
    assert dict(fact.attrs) == {"framework": "fastapi", "handler": "read_note"}
    assert locations(fact) == ["src/app/api/notes.py:3", "src/app/main.py:4"]


def test_python_client_calls_and_docstrings_are_not_endpoints(
    make_repo: MakeRepo,
) -> None:
    code = (
        '"""Example:\n'
        "    @app.route('/doc')\n"
        '"""\n'
        "import requests\n"
        "requests.get('/remote')\n"
        "session.post('/login')\n"
    )
    assert run(make_repo, {"client.py": code}) == {}


def test_aiohttp_and_flask_restful_registrations(make_repo: MakeRepo) -> None:
    code = (
        "app.router.add_get('/a', handle_a)\n"
        "app.router.add_route('POST', '/b', handle_b)\n"
        "app.add_routes([web.put('/c', handle_c)])\n"
        "api.add_resource(TaskAPI, '/tasks/<int:id>', endpoint='task')\n"
    )
    found = run(make_repo, {"server.py": code})

    assert set(found) == {"GET /a", "POST /b", "PUT /c", "ANY /tasks/<int:id>"}
    assert found["ANY /tasks/<int:id>"].attrs["handler"] == "TaskAPI"


def test_django_urls_follow_include(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "site/urls.py": (
            "urlpatterns = [\n"
            "    path('admin/', admin.site.urls),\n"
            "    path('catalog/', include('catalog.urls')),\n"
            "]\n"
        ),
        "catalog/urls.py": (
            "urlpatterns = [\n"
            "    path('', views.index, name='index'),\n"
            "    re_path(r'^book/(?P<pk>\\d+)$', views.book),\n"
            "]\n"
        ),
    }
    found = run(make_repo, files)

    assert set(found) == {
        "ANY /admin/",
        "ANY /catalog/",
        "ANY /catalog/book/(?P<pk>\\d+)",
    }
    assert locations(found["ANY /catalog/"]) == ["catalog/urls.py:2", "site/urls.py:3"]
    assert found["ANY /catalog/"].attrs["handler"] == "views.index"


def test_express_mounts_across_files(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/config/express.js": (
            "const express = require('express');\n"
            "const routes = require('../api/routes/v1');\n"
            "const app = express();\n"
            "app.use('/v1', routes);\n"
        ),
        "src/api/routes/v1/index.js": (
            "const express = require('express');\n"
            "const userRoutes = require('./user.route');\n"
            "const router = express.Router();\n"
            "router.get('/status', (req, res) => res.send('OK'));\n"
            "router.use('/users', userRoutes);\n"
        ),
        "src/api/routes/v1/user.route.js": (
            "const express = require('express');\n"
            "const router = express.Router();\n"
            "router\n"
            "  .route('/')\n"
            "  /**\n"
            "   * @api {get} v1/users\n"
            "   */\n"
            "  .get(authorize(ADMIN), controller.list)\n"
            "  .post(controller.create);\n"
            "router.delete('/:userId', controller.remove);\n"
        ),
    }
    found = run(make_repo, files)

    assert set(found) == {
        "GET /v1/status",
        "GET /v1/users",
        "POST /v1/users",
        "DELETE /v1/users/:userId",
    }
    fact = found["GET /v1/users"]
    assert dict(fact.attrs) == {"framework": "express", "handler": "controller.list"}
    assert locations(fact) == [
        "src/api/routes/v1/user.route.js:4",
        "src/api/routes/v1/user.route.js:8",
        "src/config/express.js:4",
        "src/api/routes/v1/index.js:5",
    ]


def test_koa_router_prefix_and_http_clients_are_not_endpoints(
    make_repo: MakeRepo,
) -> None:
    files: dict[str, str | bytes] = {
        "app/routes.js": (
            "const Router = require('koa-router');\n"
            "const router = new Router({ prefix: '/api' });\n"
            "router.get('/status', misc.healthcheck);\n"
        ),
        "web/src/api.js": (
            "import axios from 'axios';\n"
            "const router = useRouter();\n"
            "axios.get('/api/books');\n"
            "api.post('/api/books', body);\n"
            "fetch('/api/books');\n"
        ),
    }
    found = run(make_repo, files)

    assert set(found) == {"GET /api/status"}
    assert found["GET /api/status"].attrs["framework"] == "koa"


def test_nestjs_controller_prefix(make_repo: MakeRepo) -> None:
    code = (
        "@Controller('cats')\n"
        "export class CatsController {\n"
        "  @Get(':id')\n"
        "  findOne(@Param('id') id: string) {}\n"
        "  @Post()\n"
        "  async create() {}\n"
        "}\n"
    )
    found = run(make_repo, {"src/cats.controller.ts": code})

    assert set(found) == {"GET /cats/:id", "POST /cats"}
    assert found["GET /cats/:id"].attrs["handler"] == "findOne"


def test_go_routers_groups_and_servemux(make_repo: MakeRepo) -> None:
    code = (
        "func routes(e *echo.Echo) {\n"
        '\te.GET("/articles", h.Fetch)\n'
        '\tv1 := e.Group("/v1")\n'
        '\tv1.POST("/items", h.Store)\n'
        '\thttp.HandleFunc("/health", health)\n'
        '\tmux.HandleFunc("GET /items/{id}", getItem)\n'
        '\tr.HandleFunc("/users", users).Methods("GET", "POST")\n'
        '\tresp, _ := http.Get("/not-a-route")\n'
        "}\n"
    )
    found = run(make_repo, {"internal/rest/routes.go": code})

    assert set(found) == {
        "GET /articles",
        "POST /v1/items",
        "ANY /health",
        "GET /items/{id}",
        "GET /users",
        "POST /users",
    }
    assert found["GET /articles"].attrs["handler"] == "h.Fetch"
    assert locations(found["POST /v1/items"]) == [
        "internal/rest/routes.go:4",
        "internal/rest/routes.go:3",
    ]


def test_spring_class_and_method_mappings(make_repo: MakeRepo) -> None:
    code = (
        "@RestController\n"
        '@RequestMapping(path = "/articles/{slug}/comments")\n'
        "public class CommentsApi {\n"
        "  @PostMapping\n"
        "  public ResponseEntity<?> createComment(String slug) {}\n"
        '  @RequestMapping(path = "{id}", method = RequestMethod.DELETE)\n'
        "  public ResponseEntity deleteComment() {}\n"
        '  @GetMapping({"/a", "/b"})\n'
        "  public List<X> both() {}\n"
        "}\n"
    )
    found = run(make_repo, {"src/main/java/io/api/CommentsApi.java": code})

    assert set(found) == {
        "POST /articles/{slug}/comments",
        "DELETE /articles/{slug}/comments/{id}",
        "GET /articles/{slug}/comments/a",
        "GET /articles/{slug}/comments/b",
    }
    assert found["POST /articles/{slug}/comments"].attrs["handler"] == "createComment"


def test_rails_routes_expand_resources(make_repo: MakeRepo) -> None:
    routes = (
        "Rails.application.routes.draw do\n"
        "  scope :api, defaults: { format: :json } do\n"
        "    resource :user, only: [:show, :update]\n"
        "    resources :articles, param: :slug, except: [:edit, :new] do\n"
        "      resources :comments, only: [:index]\n"
        "      get :feed, on: :collection\n"
        "    end\n"
        "  end\n"
        "  # get 'commented' => 'x#y'\n"
        "  get 'about' => 'pages#about'\n"
        "  root 'welcome#index'\n"
        "end\n"
    )
    found = run(make_repo, {"config/routes.rb": routes})

    assert set(found) == {
        "GET /api/user",
        "PATCH /api/user",
        "PUT /api/user",
        "GET /api/articles",
        "POST /api/articles",
        "GET /api/articles/:slug",
        "PATCH /api/articles/:slug",
        "PUT /api/articles/:slug",
        "DELETE /api/articles/:slug",
        "GET /api/articles/:article_slug/comments",
        "GET /api/articles/feed",
        "GET /about",
        "GET /",
    }
    assert found["GET /api/user"].attrs["handler"] == "users#show"
    assert locations(found["GET /api/articles/feed"]) == ["config/routes.rb:6"]


def test_laravel_routes_and_api_prefix_convention(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "routes/web.php": "<?php\nRoute::get('/home', [Home::class, 'index']);\n",
        "routes/api.php": "<?php\nRoute::apiResource('photos', Photos::class);\n",
    }
    found = run(make_repo, files)

    assert found["GET /home"].status is Status.EVIDENCED
    assert found["GET /api/photos/{photo}"].status is Status.INFERRED
    assert "GET /api/photos/create" not in found
    assert len([k for k in found if "/api/photos" in k]) == 6


def test_routes_in_tests_and_examples_are_tagged(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "tests/test_app.py": "@app.get('/only-in-tests')\ndef t():\n    pass\n",
        "examples/server.js": "const app = express();\napp.post('/demo', h);\n",
    }
    found = run(make_repo, files)

    assert found["GET /only-in-tests"].scope is Scope.TEST
    assert found["POST /demo"].scope is Scope.EXAMPLE


def test_malformed_files_do_not_raise(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "config/routes.rb": "Rails.application.routes.draw do\nend\nend\nend\n",
        "app.py": "@app.route(\n",
        "server.js": b"\xff\xfe\x00garbage express app.get('/x'",
        "urls.py": "path(",
        "Api.java": "@GetMapping(\n",
    }
    assert run(make_repo, files) == {}


def test_django_rest_framework_router_under_its_include(make_repo: MakeRepo) -> None:
    urls = (
        "router = routers.DefaultRouter()\n"
        "router.register(r'users', views.UserViewSet)\n"
        "urlpatterns = [\n"
        "    path('api/', include(router.urls)),\n"
        "]\n"
    )
    found = run(make_repo, {"proj/urls.py": urls})

    assert set(found) == {"ANY /api/users/", "ANY /api/users/{pk}/"}
    assert found["ANY /api/users/"].attrs["handler"] == "views.UserViewSet"
    assert locations(found["ANY /api/users/"]) == ["proj/urls.py:2", "proj/urls.py:4"]


def test_nestjs_global_prefix(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/main.ts": "app.setGlobalPrefix('api');\nawait app.listen(3000);\n",
        "src/cats.controller.ts": (
            "@Controller('cats')\nclass C {\n  @Get()\n  all() {}\n}\n"
        ),
    }
    found = run(make_repo, files)

    assert set(found) == {"GET /api/cats"}
    assert locations(found["GET /api/cats"])[-1] == "src/main.ts:1"


def test_mock_patch_decorators_and_non_path_strings_are_not_routes(
    make_repo: MakeRepo,
) -> None:
    code = (
        "@mock.patch('app.services.fetch')\n"
        "def test_x(fetch):\n"
        "    pass\n"
        "route = Route('ANY', handler)\n"
    )
    assert run(make_repo, {"app/checks.py": code}) == {}


def test_python_decorators_wait_for_the_first_line_that_is_not_a_decorator(
    make_repo: MakeRepo,
) -> None:
    code = (
        "from flask import Flask\n"
        "@app.route('/a')\n"
        "@cache\n"
        "# @app.route('/commented')\n"
        "def a():\n"
        "    pass\n"
        "@app.get('/b')\n"
        "\n"
        "def b():\n"
        "    pass\n"
        "@app.post('/c')\n"
        "async def c():\n"
        "    pass\n"
    )
    found = run(make_repo, {"app.py": code})

    assert set(found) == {"GET /a", "GET /b", "POST /c"}
    assert found["GET /a"].attrs["handler"] == "a"
    assert "handler" not in found["GET /b"].attrs  # a blank line ends the wait
    assert found["POST /c"].attrs["handler"] == "c"
    assert locations(found["POST /c"]) == ["app.py:11"]


def test_python_routes_inside_docstrings_of_any_form_are_skipped(
    make_repo: MakeRepo,
) -> None:
    code = (
        "from flask import Flask\n"
        "DOC = '''\n"
        "@app.route('/assigned-doc')\n"
        "'''\n"
        '"""One line."""\n'
        "@app.route('/real')\n"
        "def real():\n"
        "    '''Call @app.route('/in-docstring')\n"
        "    @app.route('/still-docstring')\n"
        "    '''\n"
        "    pass\n"
        "x = call('''@app.route(\"/inline\")''')\n"
    )
    found = run(make_repo, {"app.py": code})

    assert set(found) == {"GET /real"}
    assert locations(found["GET /real"]) == ["app.py:6"]


def test_django_patterns_in_docstrings_and_comments_are_skipped(
    make_repo: MakeRepo,
) -> None:
    urls = (
        '"""\n'
        "path('doc/', views.doc)\n"
        '"""\n'
        "urlpatterns = [\n"
        "    # path('old/', views.old),\n"
        "    path('new/', views.new),\n"
        "]\n"
    )
    found = run(make_repo, {"urls.py": urls})

    assert set(found) == {"ANY /new/"}
    assert locations(found["ANY /new/"]) == ["urls.py:6"]


_PY_LINES = (
    "@app.get('/a')",
    "@bp.head('/h')",
    "@mock.patch('x.y')",
    "@ app.route('/spaced')",
    "x = d.get(key)",
    "router = APIRouter(prefix='/v1')",
    "app.include_router(items.router, prefix='/items')",
    "app.router.add_get('/ag', handler)",
    "web.view('/v', View)",
    "Route('/st', endpoint=home)",
    "urlpatterns = [path('p/', views.p), url(r'^u/', views.u)]",
    "router.register(r'users', UserViewSet)",
    "def handler():",
    "'''",
)


@given(st.lists(st.sampled_from(_PY_LINES), max_size=10))
def test_candidate_lines_are_the_lines_a_rule_matches(chosen: list[str]) -> None:
    text = "\n".join(chosen)
    source = SourceText(path="app.py", encoding="utf-8", file_sha256="", text=text)
    for rules in (_routes_python._PY_CANDIDATE, _routes_python._DJANGO_CANDIDATE):
        numbers = {n for rule in rules for n in match_lines(text, rule.pattern())}
        expected = [(n, source.lines[n - 1]) for n in sorted(numbers)]

        assert _routes_python._candidate_lines(source, rules) == expected
