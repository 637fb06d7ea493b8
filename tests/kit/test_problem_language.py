"""Problem documents speak the caller's language: titles (and the validation summary) in Chinese by default, as this
user base reads them, in English for a caller preferring it (Accept-Language); `type`, `status` and `errors[].field`
never change."""
import pytest

from kit.errors import language


@pytest.mark.parametrize("header, expected", [
    (None, "zh-CN"), ("", "zh-CN"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("en-US,en;q=0.9", "en"),
    ("fr-FR, en;q=0.5", "en"), ("en;q=0.2, zh;q=0.8", "zh-CN"), ("*", "zh-CN"), ("en;q=nonsense", "zh-CN")])
def test_the_language_is_the_callers_preference(header, expected):
    assert language(header) == expected


async def test_problems_in_chinese_by_default_and_in_english_on_request(registry):
    chinese = await registry.get("/api/v1/projects/no-such-project")
    english = await registry.get("/api/v1/projects/no-such-project", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert (chinese.status_code, english.status_code) == (404, 404)
    assert (chinese.json()["title"], chinese.headers["content-language"]) == ("未找到", "zh-CN")
    assert (english.json()["title"], english.headers["content-language"]) == ("Not found", "en")
    assert chinese.json()["type"] == english.json()["type"] == "https://keyproject.gov.cn/problems/not-found"
    bad = await registry.post("/api/v1/units", json={"code": "", "kind": "moon"})
    assert bad.status_code == 422
    assert bad.json()["title"] == "请求内容无效" and bad.json()["detail"].startswith("有 ")
    assert {e["field"] for e in bad.json()["errors"]} >= {"code", "kind", "name"}
