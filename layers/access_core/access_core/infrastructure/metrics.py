"""The services' MetricsSink over Powertools Metrics (CloudWatch EMF)."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit


class PowertoolsMetricsSink:
    """Counts as CloudWatch EMF metrics, dimensioned by service only: a tenant dimension would
    make one custom metric per tenant and name. Per-tenant figures come from the admin status
    (members with access, pending, failed, last syncs) and the log lines, which carry tenant_id."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def count(self, name: str, value: int = 1) -> None:
        self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
