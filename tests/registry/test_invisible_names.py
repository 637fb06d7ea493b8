"""Names an office could not read — only zero-width characters, direction marks or spaces — are refused."""
import pytest

from tests.support.factories import create_unit, project_body, unit_body

INVISIBLE = ["\u200b\u200b", "\u202e\u202d", "\u2060\ufeff", " \u3000 ", "\u200f"]


@pytest.mark.parametrize("name", INVISIBLE)
async def test_an_invisible_project_or_unit_name_is_422(registry, name):
    unit = await create_unit(registry)
    project = await registry.post("/api/v1/projects", json=project_body(unit["id"], name=name))
    assert project.status_code == 422, project.text
    assert [e["field"] for e in project.json()["errors"]] == ["name"]
    assert (await registry.post("/api/v1/units", json=unit_body(name=name))).status_code == 422
    owner = await registry.post("/api/v1/projects", json=project_body(unit["id"], owner=name))
    assert owner.status_code == 422 and owner.json()["errors"][0]["field"] == "owner"


async def test_a_name_with_a_direction_mark_among_letters_is_kept(registry):
    unit = await create_unit(registry)
    response = await registry.post("/api/v1/projects", json=project_body(unit["id"], name="新能源\u200b电池"))
    assert response.status_code == 201 and response.json()["name"] == "新能源\u200b电池"
