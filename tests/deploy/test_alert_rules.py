"""Prometheus alert rules (deploy/prometheus/alerts.yml) checked without promtool (not installable here): the file is
loaded by the compose Prometheus, every rule is complete, and every series it reads is one the services export."""
import importlib
import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
RULES = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
WANTED = {"ServiceDown", "ConsumerLagGrowing", "OutboxBacklogGrowing", "DeadLetters", "ServerErrors",
          "WebhookDeliveriesFailing"}


def exported() -> set[str]:
    for module in ("kit.metrics", "services.alerts.metrics", "services.reports.metrics"):
        importlib.import_module(module)
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(f"{family.name}_total")
    return names


def test_every_rule_is_complete_and_reads_series_the_services_export():
    rules = [rule for group in RULES["groups"] for rule in group["rules"]]
    assert WANTED <= {rule["alert"] for rule in rules}
    names = exported()
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        expr = rule["expr"]
        assert expr.count("(") == expr.count(")") and expr.count("[") == expr.count("]"), rule["alert"]
        for series in set(re.findall(r"\b(kp_[a-z_]+)\b", expr)):
            assert series in names, f"{rule['alert']} reads {series}, which no service exports"


def test_the_compose_prometheus_loads_the_rules():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in compose["services"]["prometheus"]["volumes"]
