"""Who may do what: reading needs milestones:read or projects:read, writing milestones:write, the scan admin."""
from typing import Annotated

from fastapi import Depends

from kit.auth import ADMIN, Principal, require, require_any

# Anyone who may read the project library may read its schedules; milestones:read grants schedules alone.
READ_SCOPES = ("milestones:read", "projects:read", "milestones:write")
WRITE_SCOPE = "milestones:write"


def _template_writer(principal: Principal = Depends(require(WRITE_SCOPE))) -> Principal:
    principal.ensure_office("templates are shared by every unit; a unit-bound token may not change them")
    return principal


Reader = Annotated[Principal, Depends(require_any(*READ_SCOPES))]
Writer = Annotated[Principal, Depends(require(WRITE_SCOPE))]
TemplateWriter = Annotated[Principal, Depends(_template_writer)]
Admin = Annotated[Principal, Depends(require(ADMIN))]
