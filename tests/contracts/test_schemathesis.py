"""Schemathesis, a tool the project did not write, against each service's OpenAPI document as the running service
serves it: every check and every phase (examples, coverage, fuzzing, stateful), a bounded number of examples per
operation, an admin token. Nothing may be found: no 5xx, no undocumented status or media type, no response that
breaks its own schema, no schema-valid request refused (beyond the rules schemathesis.toml names), no wrong Allow.

It runs on a platform of its own: the thousands of generated records stay out of the other tests' figures."""
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.api import token
from tests.support.platform import own_platform

SERVICES = ("registry", "milestones", "alerts", "reports")
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = 4  # per operation and phase: bounded, so the four documents take about a minute


@pytest.fixture(scope="module")
def generated_against(tmp_path_factory):
    env = {"KP_FIXED_TODAY": "2026-06-15"}
    with own_platform(tmp_path_factory.mktemp("schemathesis"), {name: env for name in SERVICES}) as running:
        yield running


@pytest.mark.parametrize("service", SERVICES)
def test_schemathesis_finds_nothing(generated_against, service, tmp_path):
    st = Path(sys.executable).with_name("st")
    run = subprocess.run(
        [str(st), "--config-file", str(CONFIG), "run", f"{generated_against.url(service)}/openapi.json",
         "--checks", "all", "--max-examples", str(EXAMPLES), "--seed", "20260615", "--workers", "1",
         "--header", f"Authorization: Bearer {token('admin')}", "--no-color", "--request-timeout", "30"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    summary = run.stdout[run.stdout.find("=== FAILURES"):] if "=== FAILURES" in run.stdout else run.stdout[-3000:]
    assert run.returncode == 0, f"schemathesis found problems in {service}:\n{summary[:20000]}\n{run.stderr[-2000:]}"
    assert "Tested:" in run.stdout  # it really ran the operations
