"""The Grafana dashboard (deploy/grafana/fourx.json) queries only metrics the code registers,
and shows every metric of fourx's own: a renamed metric breaks this test, not a panel."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fourx_notify.adapters.metrics import NotifyMetrics
from fourx_platform.metrics import ServiceMetrics
from fourx_platform.readiness import Observations

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "fourx.json"
# Words of PromQL that look like names: aggregations, functions, keywords.
PROMQL = {"sum", "min", "max", "avg", "count", "by", "without", "rate", "increase", "irate", "histogram_quantile",
          "topk", "bottomk", "label_values", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
          "offset", "bool", "abs", "clamp_min", "clamp_max", "time", "delta", "deriv", "absent", "vector"}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exprs(node) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "expr"] + [e for v in node.values() for e in exprs(v)]
    if isinstance(node, list):
        return [e for v in node for e in exprs(v)]
    return []


def metric_names(expr: str) -> set[str]:
    """The series names an expression selects: what is left once label matchers, grouping
    clauses, ranges, strings, numbers, functions and keywords are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)                 # strings
    text = re.sub(r"\{[^}]*\}", " ", text)                         # label matchers
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", text)   # grouping labels
    text = re.sub(r"\[[^\]]*\]", " ", text)                        # ranges
    names = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text))
    return {n for n in names if n not in PROMQL}


def registered() -> dict[str, str]:
    """Every series name the code can expose → the family it belongs to."""
    metrics = ServiceMetrics("test", observed=Observations, ready=lambda: True)
    NotifyMetrics(metrics.registry, channels=("email",))
    return {family.name + suffix: family.name for family in metrics.registry.collect()
            for suffix in SUFFIXES.get(family.type, ("",))}


def test_the_dashboard_is_grafana_json_with_queries():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["panels"]
    assert len(exprs(dashboard["panels"])) >= 15


def test_every_metric_the_dashboard_queries_is_registered():
    queried = {name for expr in exprs(json.loads(DASHBOARD.read_text(encoding="utf-8"))) for name in metric_names(expr)}
    assert queried - set(registered()) == set()


def test_every_metric_of_fourx_itself_is_on_the_dashboard():
    queried = {name for expr in exprs(json.loads(DASHBOARD.read_text(encoding="utf-8"))) for name in metric_names(expr)}
    families_shown = {registered()[name] for name in queried if name in registered()}
    own = {family for family in registered().values() if family.startswith("fourx_")}
    assert own - families_shown == set()


def test_the_name_extraction_ignores_labels_functions_and_ranges():
    assert metric_names('histogram_quantile(0.95, sum by (le, route) (rate(x_bucket{job=~"$job", a="b{c}"}[5m])))') \
        == {"x_bucket"}
    assert metric_names("max by (group) (a_lag) > 0 and on (group) b_ready") == {"a_lag", "b_ready"}
