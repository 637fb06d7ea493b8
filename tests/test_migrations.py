"""Each service's migrations are one line: every file's revision is the number it is named by and follows the one
before it, so a migration added on two branches at once cannot leave two heads (which stops a service starting)."""
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

SERVICES = Path(__file__).resolve().parents[1] / "services"


@pytest.mark.parametrize("service", ["registry", "milestones", "alerts", "reports"])
def test_migrations_are_one_line_numbered_as_named(service):
    script = ScriptDirectory(str(SERVICES / service / "migrations"))
    named = sorted(p.name for p in (SERVICES / service / "migrations" / "versions").glob("[0-9]*.py"))
    assert len(script.get_heads()) == 1
    previous = None
    for name in named:
        revision = script.get_revision(name[:4])
        assert revision.revision == name[:4] and revision.down_revision == previous, name
        previous = revision.revision
    assert script.get_current_head() == previous
