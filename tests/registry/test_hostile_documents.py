"""Documents an attacker would give: links that run script, and uploads a browser would render."""
import pytest

from tests.support.factories import create_project, create_unit


@pytest.fixture
async def project(registry):
    return await create_project(registry, (await create_unit(registry))["id"])


@pytest.mark.parametrize("uri", ["javascript:alert(document.cookie)", "JAVASCRIPT:alert(1)",
                                 "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd", "ftp://x.example/a"])
async def test_a_document_link_is_http_or_https_only(registry, project, uri):
    """Seen: a `javascript:` link was stored."""
    response = await registry.post(f"/api/v1/projects/{project['id']}/documents",
                                   json={"kind": "approval", "title": "批复", "uri": uri})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["uri"]
    assert (await registry.get(f"/api/v1/projects/{project['id']}/documents")).json()["items"] == []


@pytest.mark.parametrize("filename, media_type", [("a.html", "text/html"), ("b.svg", "image/svg+xml"),
                                                  ("c.xml", "application/xml")])
async def test_an_uploaded_page_is_downloaded_never_rendered(registry, project, filename, media_type):
    content = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    uploaded = await registry.post(f"/api/v1/projects/{project['id']}/documents",
                                   data={"kind": "site_photo", "title": "现场"},
                                   files={"file": (filename, content, media_type)})
    assert uploaded.status_code == 201, uploaded.text
    download = await registry.get(f"/api/v1/projects/{project['id']}/documents/{uploaded.json()['id']}/content")
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["content-security-policy"]


async def test_a_photo_keeps_its_type_and_still_is_an_attachment(registry, project):
    uploaded = await registry.post(f"/api/v1/projects/{project['id']}/documents",
                                   data={"kind": "site_photo", "title": "现场照片"},
                                   files={"file": ("现场.jpg", b"\xff\xd8\xff\xe0", "image/jpeg")})
    download = await registry.get(f"/api/v1/projects/{project['id']}/documents/{uploaded.json()['id']}/content")
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "%E7%8E%B0%E5%9C%BA.jpg" in download.headers["content-disposition"]
