"""``GET /metrics`` for Prometheus (open unless ``METRICS_PUBLIC=false``)."""

from flask import Blueprint, Response, current_app

from pta_api.auth import Access, access
from pta_api.metrics import CONTENT_TYPE, QueueCollector
from pta_api.views import services

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
@access(Access.METRICS)
def metrics() -> Response:
    """Every metric in the Prometheus text format."""
    found = services()
    collector = current_app.extensions.get("pta_queue_collector")
    if collector is None:
        collector = QueueCollector(found.reader, found.config.settings)
        current_app.extensions["pta_queue_collector"] = collector
    return Response(found.metrics.render(collector), content_type=CONTENT_TYPE)
