"""Who may do what in the alerts service: scopes per action, and what a unit-bound token is limited to."""
from typing import Annotated

from fastapi import Depends

from kit.auth import Principal, require, require_any

READ_SCOPES = ("alerts:read", "alerts:write", "tasks:read", "tasks:write", "reports:read")


def ensure_supervisor(principal: Principal, action: str) -> None:
    """Closing, returning and opening tasks by hand is the supervisors' (督查) work, not the units'."""
    principal.ensure_office(f"a unit-bound token may not {action}; that is for a supervisor")


Reader = Annotated[Principal, Depends(require_any(*READ_SCOPES))]
AlertWriter = Annotated[Principal, Depends(require("alerts:write"))]
TaskWriter = Annotated[Principal, Depends(require("tasks:write"))]
Admin = Annotated[Principal, Depends(require("admin"))]
