"""Live figures from AWS: on-demand prices (Price List API) and endpoint latency (CloudWatch).

Both are optional extras: when AWS cannot be reached they return None and callers fall back to
the packaged price table or leave the figure out.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from rnbench.core.backends.sagemaker.clients import control_client, failure
from rnbench.core.configs import SERVERLESS_INSTANCE

if TYPE_CHECKING:
    from rnbench.core.backends.sagemaker.settings import SageMakerSettings
    from rnbench.results.prices import Price

PRICING_REGION = "us-east-1"
"""The Price List API answers from us-east-1 (and a few others), whatever region is priced."""
SOURCE = "AWS Price List API"


def on_demand_usd_per_hour(product: dict[str, Any]) -> float | None:
    """The hourly USD price in one Price List product document, or None."""
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            if dimension.get("unit", "Hrs") not in ("Hrs", "Hours"):
                continue
            usd = float(dimension.get("pricePerUnit", {}).get("USD", "0"))
            if usd > 0:
                return usd
    return None


SERVERLESS_PRICING = (
    "serverless inference is billed per GB-second of compute and per GB of data, not per hour"
)


def live_price(settings: SageMakerSettings) -> Any:
    """A `PriceBook` live lookup, `(instance_type, region) -> Price | None`, for these settings.

    It raises LookupError with a one-line reason when the Price List API cannot be asked.
    """

    def lookup(instance_type: str, region: str) -> Price | None:
        from rnbench.results.prices import Price

        if instance_type == SERVERLESS_INSTANCE:
            raise LookupError(SERVERLESS_PRICING)
        try:
            pricing = control_client(settings, "pricing", PRICING_REGION)
            filters = [
                {"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_type},
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
                {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"},
            ]
            page = pricing.get_products(
                ServiceCode="AmazonSageMaker", Filters=filters, MaxResults=20
            )
        except Exception as error:  # no credentials, no network, no permission: no live price
            raise LookupError(f"AWS Price List API: {failure(error)}") from None
        for document in page.get("PriceList", []):
            product = json.loads(document) if isinstance(document, str) else document
            usd = on_demand_usd_per_hour(product)
            if usd is not None:
                return Price(instance_type, region, usd, SOURCE, date.today().isoformat())
        return None

    return lookup


def endpoint_latency(
    settings: SageMakerSettings, endpoint_name: str, start: float, end: float
) -> tuple[float, float] | None:
    """(ModelLatency p50, OverheadLatency p50) in ms over [start, end], or None when unavailable.

    CloudWatch reports both in microseconds per minute; the p50 is taken over the whole span.
    """
    try:
        cloudwatch = control_client(settings, "cloudwatch")
        values = []
        for metric in ("ModelLatency", "OverheadLatency"):
            answer = cloudwatch.get_metric_statistics(
                Namespace="AWS/SageMaker",
                MetricName=metric,
                Dimensions=[
                    {"Name": "EndpointName", "Value": endpoint_name},
                    {"Name": "VariantName", "Value": "AllTraffic"},
                ],
                StartTime=datetime.fromtimestamp(start, UTC),
                EndTime=datetime.fromtimestamp(end, UTC),
                Period=max(60, int((end - start) // 60 + 1) * 60),
                ExtendedStatistics=["p50"],
            )
            points = answer.get("Datapoints", [])
            if not points:
                return None
            p50 = points[0].get("ExtendedStatistics", {}).get("p50")
            if p50 is None:
                return None
            values.append(float(p50) / 1000.0)
    except Exception:  # CloudWatch is optional: no data, no permission, no network
        return None
    return values[0], values[1]
