"""The request bodies the benchmarks send: one unit, then projects whose codes differ per request."""
import json
import uuid

SEQ = "@@SEQ@@"  # in a load request's body: the load generator puts there a number no other request of it gets


def unit_body() -> dict:
    return {"code": f"BU-{uuid.uuid4().hex[:10]}", "name": "城关镇", "kind": "town"}


def project_body(unit_id: str, code: str = f"B{SEQ}") -> dict:
    """Shaped like a registry project create (as tests/support/factories.project_body)."""
    return {
        "code": code,
        "name": "新能源电池生产基地",
        "year": 2026,
        "level": "municipal",
        "category": "manufacturing",
        "total_investment": "120000.50",
        "annual_plan_investment": "30000",
        "responsible_unit_id": unit_id,
    }


def event_payload() -> bytes:
    """About the size of a registry project event (CloudEvent envelope around the project state)."""
    data = {**project_body(str(uuid.uuid4()), code="P-0123456789"), "id": str(uuid.uuid4()), "sector": "secondary",
            "stage": "planning", "owner": None, "lead_leader": None, "planned_start_date": None,
            "planned_completion_date": None, "government_funded": False, "budget": None,
            "concentrated_start": False, "tags": [], "archived": False, "stage_dates": {},
            "real_start_date": None, "version": 1}
    envelope = {"id": str(uuid.uuid4()), "source": "/keyproject/registry", "specversion": "1.0",
                "type": "keyproject.registry.project.registered.v1", "time": "2026-01-01T00:00:00.000000Z",
                "subject": data["id"], "datacontenttype": "application/json", "data": data}
    return json.dumps(envelope, ensure_ascii=False).encode()
