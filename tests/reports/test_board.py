"""The public board opened in headless Chromium: the figures it shows are the API's; laid out for 1920×1080."""
import asyncio
import shutil
import struct
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from kit.auth import mint
from services.reports.main import create_app
from services.reports.settings import ReportsSettings
from tests.reports.cities import DATED_YEAR, YEAR
from tests.support.api import client

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1920,1080"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("the board test needs a headless browser: install Debian's `chromium` package "
                    "(apt-get install chromium; `make test` installs it)")
    return found


def run_chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, timeout=180)


class Board(HTMLParser):
    """What the rendered page shows: data-field texts, ranking rows, red project rows, the body's flags."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.rankings: dict[str, list[dict]] = {}
        self.red_projects: list[str] = []
        self.body: dict[str, str] = {}
        self._field: str | None = None
        self._list: str | None = None
        self._row: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        if "data-field" in attrs:
            self._field = attrs["data-field"]
            self.fields[self._field] = ""
        if "data-list" in attrs:
            self._list = attrs["data-list"]
        if tag == "tr" and self._list and self._list.startswith("ranking-"):
            self._row = {"unit_id": attrs["data-unit-id"], "rank": int(attrs["data-rank"]),
                         "change": attrs["data-change"], "cells": []}
            self.rankings.setdefault(self._list.removeprefix("ranking-"), []).append(self._row)
        if tag == "tr" and self._list == "red_projects":
            self.red_projects.append(attrs["data-project-id"])

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._list = None
        if tag in ("span", "div"):
            self._field = None

    def handle_data(self, data):
        if self._field:
            self.fields[self._field] += data
        if self._row is not None and self._list:
            self._row["cells"].append(data)


async def test_the_board_shows_the_apis_figures(city, city_platform, city_reports):
    url = city_platform.url("reports")
    result = await asyncio.to_thread(run_chromium, "--virtual-time-budget=20000", "--dump-dom", f"{url}/board")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    board = Board()
    board.feed(result.stdout.decode())
    assert board.body.get("data-loaded") == "true", board.fields.get("error")
    assert board.body.get("data-fits") == "true", "the board must fit 1920×1080 without scrolling"
    overview = (await city_reports.get("/api/v1/overview", params={"year": YEAR})).json()
    shown = board.fields
    assert shown["year"] == str(YEAR) and shown["as_of"] == overview["as_of"]
    assert shown["project_count"] == str(overview["project_count"]) == "116"
    assert shown["total_investment_yi"] == overview["total_investment_yi"] == "565.20"
    assert shown["ytd_investment_yi"] == overview["ytd_investment_yi"]
    assert shown["investment_completion_rate_percent"] == overview["investment_completion_rate_percent"]
    assert shown["start_or_completion_rate_percent"] == overview["start_or_completion_rate_percent"] == "56.9"
    assert shown["needed_to_reach_target"] == str(overview["needed_to_reach_target"]) == "15"  # 81.2 is 81
    assert shown["target_rate_percent"] == "70.0"
    assert {colour: int(shown[colour]) for colour in ("red", "yellow", "blue")} == {
        colour: group["count"] for colour, group in overview["by_colour"].items()}
    assert sorted(board.red_projects) == sorted(p.id for p in city.projects if p.colour == "red")
    for group in ("town", "department"):
        ranking = (await city_reports.get("/api/v1/rankings", params={"year": YEAR, "group": group})).json()
        assert [(r["unit_id"], r["rank"]) for r in board.rankings[group]] == [
            (r["unit_id"], r["rank"]) for r in ranking["items"]]
        for row, expected in zip(board.rankings[group], ranking["items"], strict=True):
            assert row["cells"][1] == expected["unit_name"] and row["cells"][2] == str(expected["score_display"])
            arrow = row["cells"][4]
            change = expected["rank_change"]
            assert arrow == ("新" if change is None else "—" if change == 0 else
                             f"▲{change}" if change > 0 else f"▼{-change}")


async def test_the_board_ranks_parks_and_districts_too(dated, city_platform, city_reports):
    url = city_platform.url("reports")
    result = await asyncio.to_thread(run_chromium, "--virtual-time-budget=20000", "--dump-dom",
                                     f"{url}/board?year={DATED_YEAR}")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    board = Board()
    board.feed(result.stdout.decode())
    assert board.body.get("data-loaded") == "true", board.fields.get("error")
    assert board.fields["year"] == str(DATED_YEAR)
    ranking = (await city_reports.get("/api/v1/rankings", params={"year": DATED_YEAR, "group": "other"})).json()
    assert len(ranking["items"]) == 2  # the park and the district
    assert [(r["unit_id"], r["rank"], r["cells"][1]) for r in board.rankings["other"]] == [
        (r["unit_id"], r["rank"], r["unit_name"]) for r in ranking["items"]]
    assert "town" not in board.rankings  # the town's only project was archived


async def test_the_board_renders_at_display_size(city, city_platform):
    with tempfile.TemporaryDirectory() as directory:
        shot = Path(directory) / "board.png"
        result = await asyncio.to_thread(run_chromium, "--virtual-time-budget=20000", f"--screenshot={shot}",
                                         f"{city_platform.url('reports')}/board")
        assert result.returncode == 0, result.stderr.decode()[-2000:]
        header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1920, 1080)


async def test_the_board_is_open_unless_configured_otherwise(city_platform, tmp_path):
    async with client(city_platform.url("reports"), auth=False) as anonymous:
        page = await anonymous.get("/board")
        assert page.status_code == 200 and "重点项目推进情况" in page.text
        assert (await anonymous.get("/board/data")).status_code == 200
    secret = "board-secret-0123456789-0123456789-abcdef"
    app = create_app(ReportsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/board.db", board_requires_token=True,
                                     jwt_secret=secret))
    reader = mint(secret=secret, subject="screen", scopes=["reports:read"])
    other = mint(secret=secret, subject="screen", scopes=["projects:read"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://board") as http:
        assert (await http.get("/board")).status_code == 401
        assert (await http.get("/board", params={"token": other})).status_code == 403
        assert (await http.get("/board", params={"token": reader})).status_code == 200
        assert (await http.get("/board", headers={"Authorization": f"Bearer {reader}"})).status_code == 200
