"""The people's pages in a real browser (Playwright driving the system Chromium) against the four services: a town's
reporter on a 375 px phone fills this month's round with a site photo and the office approves it into the project's
investment; the office escalates (提级督办) and closes a supervision task; the map shows the projects as markers in their colours; a user of
one town never sees or writes another town's round. Screenshots of the pages go to test-results/screenshots/."""
import base64
import hashlib
import json
import secrets
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kit.broker import free_port
from kit.processes import ServiceProcess
from tests.support.api import client, eventually
from tests.support.factories import create_project, create_unit
from tests.support.platform import JWT_SECRET, own_platform

TODAY = "2026-07-03"
QUIET = {"KP_FIXED_TODAY": TODAY, "KP_DAILY_SCAN": "false", "KP_SNAPSHOT_CHECK_SECONDS": "3600"}
SHOTS = Path(__file__).parents[2] / "test-results" / "screenshots"
# a 1×1 PNG: what the phone's camera hands the form
PHOTO = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
SLOW = 60.0
ISSUER, AUDIENCE, CLIENT = "https://sso.example.gov.cn/realms/city", "keyproject", "keyproject-web"
IDP_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
IDP_USER: dict = {}  # who signs in at the identity provider next (set by a test)


class IdentityProvider(BaseHTTPRequestHandler):
    """A government identity provider as the pages meet it: /authorize sends the browser back with a code (the user
    is signed in there already), /token exchanges it (PKCE checked) for an RS256 access token, /certs its keys."""

    codes: dict[str, str] = {}

    def do_GET(self):  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/authorize":
            code = secrets.token_urlsafe(12)
            self.codes[code] = query["code_challenge"]
            self.send_response(302)
            self.send_header("location", f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")
            self.end_headers()
        else:
            jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(IDP_KEY.public_key(), as_dict=True), "kid": "k1", "alg": "RS256"}
            self._json({"keys": [jwk]})

    def do_POST(self):  # noqa: N802
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["content-length"])).decode()).items()}
        challenge = self.codes.pop(form.get("code", ""), None)
        verifier = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest()).rstrip(
            b"=").decode()
        if challenge is None or challenge != verifier or form.get("client_id") != CLIENT:
            self._json({"error": "invalid_grant"}, status=400)
            return
        now = int(time.time())
        token = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "lisi@city", "name": IDP_USER["name"], "iat": now,
                            "exp": now + 3600, "unit_id": IDP_USER["unit_id"],
                            "scope": "projects:read projects:write tasks:read reports:read alerts:read"},
                           IDP_KEY, algorithm="RS256", headers={"kid": "k1"})
        self._json({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _json(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no system Chromium: install Debian's `chromium` (make test does) to run the browser tests")
    return found


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("web")
    idp = HTTPServer(("127.0.0.1", 0), IdentityProvider)
    threading.Thread(target=idp.serve_forever, daemon=True).start()
    at = f"http://127.0.0.1:{idp.server_address[1]}"
    sso = {"KP_OIDC_ISSUER": ISSUER, "KP_OIDC_AUDIENCE": AUDIENCE, "KP_OIDC_JWKS_URL": f"{at}/certs"}
    try:
        with own_platform(workdir, {name: {**QUIET, **sso}
                                    for name in ("registry", "milestones", "alerts", "reports")}) as running:
            web = ServiceProcess("web", port=free_port(), app="web.main:app", log_path=workdir / "web.log", env={
                "KP_ENV": "dev", "KP_JWT_SECRET": JWT_SECRET, "KP_WEB_OUTLINES": str(workdir / "outlines.geojson"),
                "KP_WEB_OIDC_AUTHORIZE_URL": f"{at}/authorize", "KP_WEB_OIDC_TOKEN_URL": f"{at}/token",
                "KP_WEB_OIDC_CLIENT_ID": CLIENT,
                **{f"KP_{name.upper()}_URL": running.url(name) for name in ("registry", "milestones", "alerts",
                                                                            "reports")}})
            running.services["web"] = web
            web.start()
            yield running
    finally:
        idp.shutdown()
        idp.server_close()


@pytest.fixture(scope="module")
async def seeded(city):
    """Two towns and a department; each town's projects placed on the map; June's round open until 10 July; a task
    for the first town's project that its reporter has answered."""
    async with client(city.url("registry")) as office:
        a = await create_unit(office, name="城关镇", kind="town", code="T-A")
        b = await create_unit(office, name="临港街道", kind="street", code="T-B")
        await create_unit(office, name="市住建局", kind="department", code="D-1")
        places = iter([("30.20", "120.10"), ("30.30", "120.25"), ("30.25", "120.40")])
        projects = {}
        for unit, name in ((a, "智能装备产业园"), (a, "城关物流园"), (b, "滨海公园")):
            lat, lng = next(places)
            projects[name] = await create_project(office, unit["id"], name=name, listed_on="2026-01-01",
                                                  latitude=lat, longitude=lng, planned_start_date="2026-09-01",
                                                  planned_completion_date="2028-06-30")
        june = (await office.post("/api/v1/reporting-rounds", json={"period": "2026-06",
                                                                    "deadline": "2026-07-10"})).json()
    async with client(city.url("alerts")) as alerts:
        async def known():
            statuses = [(await alerts.get(f"/api/v1/projects/{p['id']}/status")).status_code
                        for p in projects.values()]
            return statuses == [200] * len(projects)

        await eventually(known, timeout=SLOW, what="the projects evaluated by alerts")
        task = (await alerts.post("/api/v1/tasks", json={"title": "督促开展施工许可办理",
                                                         "project_id": projects["智能装备产业园"]["id"]})).json()
    async with client(city.url("alerts"), "tasks:read", "tasks:write", unit_id=a["id"]) as unit:
        answered = await unit.post(f"/api/v1/tasks/{task['id']}/feedback", json={"feedback": "已提交施工许可申请"})
        assert answered.status_code == 200, answered.text
    async with client(city.url("reports")) as reports:
        async def listed():
            body = (await reports.get("/api/v1/projects", params={"limit": 50})).json()
            return len(body["items"]) == 3

        await eventually(listed, timeout=SLOW, what="the projects in reports")
    return {"a": a, "b": b, "projects": projects, "round": june, "task": task}


@pytest.fixture(scope="module")
async def browser():
    from playwright.async_api import async_playwright

    executable = _chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        await launched.close()


async def _signed_in(browser, city, who: str, *, phone: bool = False):
    # a phone that lets the page know where it is (site photos carry it)
    where = {"geolocation": {"latitude": 30.123456, "longitude": 120.654321}, "permissions": ["geolocation"]}
    context = await browser.new_context(viewport={"width": 375, "height": 812} if phone else
                                        {"width": 1920, "height": 1080}, locale="zh-CN", **(where if phone else {}))
    page = await context.new_page()
    await page.goto(f"{city.url('web')}/login")
    await page.get_by_role("button", name=who).click()
    return context, page


async def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_a_town_reports_from_its_phone_and_the_office_approves_it(city, seeded, browser):
    project = seeded["projects"]["智能装备产业园"]
    context, page = await _signed_in(browser, city, "城关镇填报员", phone=True)
    assert page.url.endswith("/m")
    await _shot(page, "unit-home-375")
    # the phone page fits: nothing wider than the screen
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await page.locator("li.row", has_text="智能装备产业园").get_by_role("link", name="填报").click()
    await page.get_by_label("本月完成投资（万元）").fill("1250.5")
    await page.get_by_label("形象进度").fill("主体结构施工至三层")
    await page.get_by_label("现场照片（可拍照）").set_input_files(
        files=[{"name": "site.png", "mimeType": "image/png", "buffer": PHOTO}])
    await page.wait_for_function("document.querySelector('#location').value !== ''")
    await _shot(page, "unit-report-375")
    await page.get_by_role("button", name="报送").click()
    await page.get_by_text("已报送，等待项目办审核").wait_for()
    await context.close()

    async with client(city.url("registry")) as office:
        reports = (await office.get(f"/api/v1/reporting-rounds/{seeded['round']['id']}/reports")).json()
        [sent] = [r for r in reports if r["project_id"] == project["id"]]
        assert (sent["investment"], sent["progress"], len(sent["photos"])) == ("1250.5", "主体结构施工至三层", 1)
        documents = (await office.get(f"/api/v1/projects/{project['id']}/documents")).json()["items"]
        assert [d["kind"] for d in documents] == ["site_photo"] and documents[0]["size"] == len(PHOTO)
        assert documents[0]["title"].endswith("位置 30.123456,120.654321")  # where the phone was

    context, page = await _signed_in(browser, city, "项目办（管理员）")
    await page.goto(f"{city.url('web')}/console/rounds")
    await _shot(page, "console-rounds-1920")
    row = page.locator(f"tr[data-report='{project['id']}']")
    await row.get_by_role("button", name="通过").click()
    await page.get_by_text("已审核通过").wait_for()
    await context.close()

    async with client(city.url("registry")) as office:
        async def invested():
            body = (await office.get(f"/api/v1/projects/{project['id']}/investments")).json()
            return [(m["period"], m["amount"]) for m in body["items"]] == [("2026-06", "1250.5")]

        await eventually(invested, timeout=SLOW, what="the approved report as June's investment")


async def test_the_office_escalates_and_closes_an_answered_task(city, seeded, browser):
    context, page = await _signed_in(browser, city, "项目办（管理员）")
    await page.goto(f"{city.url('web')}/console/tasks")
    row = page.locator(f"tr[data-task='{seeded['task']['id']}']")
    await row.get_by_label("提级理由").fill("多次催办未果")
    await row.get_by_role("button", name="提级").click()
    await page.get_by_text("已提级督办：单位主要负责人").wait_for()
    row = page.locator(f"tr[data-task='{seeded['task']['id']}']")
    assert "单位主要负责人" in await row.inner_text()
    await row.get_by_label("核实意见").fill("经现场核实，已提交申请")
    await _shot(page, "console-tasks-1920")
    await row.get_by_role("button", name="销号").click()
    await page.get_by_text("已销号").wait_for()
    # the supervision day's list, frozen from the console
    await page.goto(f"{city.url('web')}/console/supervision")
    await page.get_by_role("button", name="生成督导清单").click()
    await page.get_by_text("督导清单已生成").wait_for()
    table = await page.locator("table.grid").inner_text()
    assert "城关镇" in table and "临港街道" in table
    await _shot(page, "console-supervision-1920")
    await context.close()
    async with client(city.url("alerts")) as alerts:
        task = (await alerts.get(f"/api/v1/tasks/{seeded['task']['id']}")).json()
    assert (task["status"], task["verification_note"]) == ("closed", "经现场核实，已提交申请")
    assert task["escalation_level"] == "unit_head"
    assert [h["action"] for h in task["history"]][-2:] == ["escalated", "closed"]


async def test_the_map_shows_each_project_in_its_colour(city, seeded, browser):
    async with client(city.url("reports")) as reports:
        colours = sorted(p["colour"] for p in (await reports.get("/api/v1/projects", params={"limit": 50})).json()[
            "items"])
    context, page = await _signed_in(browser, city, "项目办（管理员）")
    await page.goto(f"{city.url('web')}/map")
    await page.wait_for_selector("#map[data-ready='true']")
    found = sorted([(await marker.get_attribute("class")).split("marker-")[1].split()[0]
                    for marker in await page.locator("path.marker").all()])
    assert found == colours and len(found) == 3
    assert await page.locator("script[src^='http'], link[href^='http']").count() == 0  # every asset is ours
    await _shot(page, "map-1920")
    # the project page the card links to: its Gantt chart and investment
    await page.goto(f"{city.url('web')}/console/projects/{seeded['projects']['智能装备产业园']['id']}")
    await page.get_by_role("img", name="进度计划甘特图").wait_for()
    await _shot(page, "console-project-1920")
    await context.close()


async def test_the_office_places_a_project_where_its_site_photo_was_taken(city, seeded, browser):
    """After the first test's report: its photo is in the project's gallery and carries the phone's position; the
    office confirms it as the project's coordinates."""
    project = seeded["projects"]["智能装备产业园"]
    context, page = await _signed_in(browser, city, "项目办（管理员）")
    await page.goto(f"{city.url('web')}/console/projects/{project['id']}")
    # the site photo in the project's gallery, drawn from the registry through the pages
    picture = page.locator(".gallery img").first
    await picture.scroll_into_view_if_needed()
    await page.wait_for_function("() => { const i = document.querySelector('.gallery img');"
                                 " return i && i.complete && i.naturalWidth === 1; }")
    assert "现场照片" in await picture.get_attribute("alt")
    served = await page.context.request.get(city.url("web") + await picture.get_attribute("src"))
    assert served.headers["content-type"] == "image/png" and await served.body() == PHOTO
    assert "sandbox" in served.headers["content-security-policy"]
    await page.get_by_role("button", name="以此照片位置（30.123456, 120.654321）作为项目坐标").click()
    await page.get_by_text("已更新项目坐标").wait_for()
    await context.close()
    async with client(city.url("registry")) as office:
        placed = (await office.get(f"/api/v1/projects/{project['id']}")).json()
    assert (placed["latitude"], placed["longitude"]) == ("30.123456", "120.654321")


async def test_a_town_never_sees_nor_writes_another_towns_round(city, seeded, browser):
    theirs = seeded["projects"]["智能装备产业园"]
    context, page = await _signed_in(browser, city, "临港街道填报员", phone=True)
    text = await page.locator("main").inner_text()
    assert "滨海公园" in text and "智能装备产业园" not in text and "城关物流园" not in text
    # writing their report by hand is refused by the registry, and the refusal is shown
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
    refused = await page.context.request.post(
        f"{city.url('web')}/m/rounds/{seeded['round']['id']}/projects/{theirs['id']}",
        multipart={"csrf": csrf, "investment": "1", "progress": "冒报"})
    assert refused.status == 403
    # the console is the office's
    console = await page.context.request.get(f"{city.url('web')}/console")
    assert console.status == 403
    # a form without the session's token is refused before anything is sent
    forged = await page.context.request.post(
        f"{city.url('web')}/m/rounds/{seeded['round']['id']}/projects/{seeded['projects']['滨海公园']['id']}",
        multipart={"csrf": "forged", "investment": "1", "progress": "x"})
    assert forged.status == 403
    await context.close()
    async with client(city.url("registry")) as office:
        reports = (await office.get(f"/api/v1/reporting-rounds/{seeded['round']['id']}/reports")).json()
    assert {r["project_id"] for r in reports} == {theirs["id"]}  # only what town A sent itself


async def test_pages_need_a_signed_in_user(city):
    async with httpx.AsyncClient(base_url=city.url("web"), follow_redirects=False) as anonymous:
        for path in ("/m", "/console", "/map", "/map/data"):
            response = await anonymous.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
        assert (await anonymous.get("/static/vendor/leaflet/leaflet.js")).status_code == 200


async def test_sign_in_with_the_government_identity_provider(city, seeded, browser):
    """The authorization code flow with PKCE: the identity provider's access token is what the pages call the
    services with, and its unit claim decides whose pages they are."""
    IDP_USER.update(name="李四", unit_id=seeded["b"]["id"])
    context = await browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{city.url('web')}/login")
    await page.get_by_role("link", name="统一身份认证登录").click()
    await page.wait_for_url("**/m")
    assert "李四" in await page.locator("header").inner_text()
    text = await page.locator("main").inner_text()
    assert "滨海公园" in text and "智能装备产业园" not in text
    # a callback nobody asked for (a forged or replayed state) signs no one in
    refused = await context.request.get(f"{city.url('web')}/login/callback?code=x&state=forged")
    assert refused.status == 400
    await context.close()


async def test_sign_in_goes_back_only_to_this_site(city):
    """`next` after signing in is a path here: never another host (//evil, /\\evil) - no open redirect."""
    async with httpx.AsyncClient(base_url=city.url("web"), follow_redirects=False) as visitor:
        page = await visitor.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        for target, expected in (("/console/tasks", "/console/tasks"), ("//evil.example", "/console"),
                                 ("/\\evil.example", "/console"), ("https://evil.example", "/console")):
            signed = await visitor.post("/login", data={"csrf": csrf, "unit_id": "", "next": target})
            assert (signed.status_code, signed.headers["location"]) == (303, expected), target
            csrf = (await visitor.get("/login")).text.split('name="csrf" value="')[1].split('"')[0]


AUDIT = (Path(__file__).parent / "audit.js").read_text()


async def _audited(page, url: str) -> list[str]:
    await page.goto(url)
    return [f"{url}: {problem}" for problem in await page.evaluate(AUDIT)]


async def test_every_page_is_labelled_legible_and_usable_by_keyboard(city, seeded, browser):
    """Labels, alt texts, the language and contrast on every page, on the phone and at the desk; the keyboard reaches
    the main content first and shows where it is."""
    project = seeded["projects"]["智能装备产业园"]
    web = city.url("web")
    problems = []
    context, page = await _signed_in(browser, city, "城关镇填报员", phone=True)
    for path in ("/m", f"/m/rounds/{seeded['round']['id']}/projects/{project['id']}",
                 f"/m/tasks/{seeded['task']['id']}"):
        problems += await _audited(page, web + path)
    await context.close()
    context, page = await _signed_in(browser, city, "项目办（管理员）")
    for path in ("/console", f"/console/projects/{project['id']}", "/console/tasks", "/console/rounds",
                 "/console/rankings", "/console/supervision", "/map", "/login"):
        problems += await _audited(page, web + path)
    await page.goto(web + "/console/tasks")
    await page.keyboard.press("Tab")
    first = await page.evaluate("() => [document.activeElement.textContent.trim(), "
                                "document.activeElement.getAttribute('href')]")
    assert first == ["跳到正文", "#main"], first
    await page.keyboard.press("Tab")
    focus = await page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                                " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }")
    assert focus[0] != "none" and focus[1] != "0px" or focus[2] != "none", focus
    # the audit itself sees what it looks for
    await page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend',"
                        " '<input><p style=\"color:#bbb;background:#fff\">淡字</p><img src=\"/static/x\">')")
    planted = await page.evaluate(AUDIT)
    assert [p.split(":")[0] for p in planted] == ["unlabelled", "no alt text", "contrast 1.92 < 4.5"], planted
    await context.close()
    assert problems == [], "\n".join(problems)
