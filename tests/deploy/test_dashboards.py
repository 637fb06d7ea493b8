"""Grafana dashboards (deploy/grafana/provisioning/dashboards), provisioned in compose: valid dashboard JSON on the
compose Prometheus data source, every query reading series the services export, and the panels an operator and the
office need."""
import json
import re

import yaml

from tests.deploy.test_alert_rules import ROOT, exported

FOLDER = ROOT / "deploy" / "grafana" / "provisioning" / "dashboards"
DATASOURCE = yaml.safe_load((ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
                            .read_text())["datasources"][0]["uid"]


def dashboards() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(FOLDER.glob("*.json"))}


def test_grafana_provisions_the_dashboards_from_the_mounted_folder():
    provider = yaml.safe_load((FOLDER / "keyproject.yml").read_text())["providers"][0]
    assert provider["type"] == "file" and provider["options"]["path"] == "/etc/grafana/provisioning/dashboards"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in compose["services"]["grafana"]["volumes"]
    assert set(dashboards()) == {"platform", "domain"}


def test_every_panel_queries_the_compose_prometheus_for_series_the_services_export():
    names = exported() | {"up"}
    uids = set()
    for name, board in dashboards().items():
        assert board["uid"] not in uids and board["title"] and board["panels"], name
        uids.add(board["uid"])
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == DATASOURCE and panel["title"] and panel["targets"], panel["title"]
            for target in panel["targets"]:
                expr = target["expr"]
                assert expr.count("(") == expr.count(")") and expr.count("[") == expr.count("]"), expr
                for series in set(re.findall(r"\b(kp_[a-z_]+|up)\b(?=[{\[ )]|$)", expr)):
                    assert series in names or series.removesuffix("_bucket") in names, \
                        f"{panel['title']} reads {series}, which no service exports"


def test_the_operators_and_the_office_find_what_they_watch():
    read = {name: " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
            for name, board in dashboards().items()}
    for series in ("kp_http_requests_total", "kp_http_request_duration_seconds_bucket", "kp_consumer_lag",
                   "kp_outbox_backlog", "kp_events_dead_lettered_total", "kp_outbox_refeeds_total"):
        assert series in read["platform"], series
    for series in ("kp_reports_projects_by_colour", "kp_reports_projects_by_stage",
                   "kp_reports_investment_completion_ratio", "kp_reports_start_or_completion_ratio",
                   "kp_reports_ranking_score", "kp_alerts_tasks_late"):
        assert series in read["domain"], series
