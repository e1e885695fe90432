"""``GET /api/openapi.json``: the OpenAPI document of this API."""

from flask import Blueprint, Response, current_app, jsonify

from pta_api.auth import Access, access
from pta_api.openapi import openapi_document
from pta_api.views import services

blueprint = Blueprint("openapi", __name__)


@blueprint.get("/api/openapi.json")
@access(Access.PUBLIC)
def document() -> Response:
    """The document, built once per process from the routes."""
    built = current_app.extensions.get("pta_openapi")
    if built is None:
        built = openapi_document(current_app, services().config)
        current_app.extensions["pta_openapi"] = built
    return jsonify(built)
