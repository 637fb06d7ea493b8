"""Tokens from the government's identity provider (OIDC): verified with its JWKS (served here by a real local HTTP
server with a generated key pair), `iss` and `aud` checked, scopes and unit from configured claims; every forgery
is 401. The deployment's own HS256 tokens keep working beside them."""
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.api import client, token
from tests.support.factories import create_unit

ISSUER, AUDIENCE, KID = "https://sso.example.gov.cn/realms/city", "keyproject", "key-2026"
PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url():
    jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(PRIVATE.public_key(), as_dict=True), "kid": KID, "use": "sig",
           "alg": "RS256"}
    body = json.dumps({"keys": [jwk]}).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/protocol/openid-connect/certs"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def sso_registry(platform, jwks_url):
    with platform.configured("registry", "registry-sso", {
            "KP_OIDC_ISSUER": ISSUER, "KP_OIDC_AUDIENCE": AUDIENCE, "KP_OIDC_JWKS_URL": jwks_url,
            "KP_OIDC_SCOPE_CLAIM": "scp", "KP_OIDC_UNIT_CLAIM": "kp_unit"}) as url:
        yield url


def claims(**changes) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "zhangsan@city", "iat": now, "exp": now + 3600,
            "scp": ["projects:read", "projects:write"], **changes}


def signed(payload: dict, *, key=PRIVATE, kid: str = KID, algorithm: str = "RS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


def forged(header: dict, payload: dict, secret: bytes = b"") -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    head = f"{part(header)}.{part(payload)}"
    signature = hmac.new(secret, head.encode(), hashlib.sha256).digest() if secret else b""
    return f"{head}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


async def _status(url: str, token: str, method: str = "GET", path: str = "/api/v1/units", **kwargs) -> int:
    async with client(url, auth=False) as http:
        return (await http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)).status_code


async def test_the_providers_tokens_work_with_their_scopes_and_unit(sso_registry):
    assert await _status(sso_registry, signed(claims())) == 200
    # scopes from the configured claim: without projects:write a write is 403
    read_only = signed(claims(scp=["projects:read"]))
    assert await _status(sso_registry, read_only, "POST", "/api/v1/projects", json={}) == 403
    # the unit from its claim: a town's user may not register another unit's project
    async with client(sso_registry) as office:  # the deployment's own admin token
        town, other = await create_unit(office), await create_unit(office)
    body = {"code": f"SSO-{uuid.uuid4().hex[:6]}", "name": "单点登录项目", "year": 2026, "category": "industry",
            "total_investment": "10", "annual_plan_investment": "1", "responsible_unit_id": other["id"]}
    own = signed(claims(kp_unit=town["id"]))
    assert await _status(sso_registry, own, "POST", "/api/v1/projects", json=body) == 403
    assert await _status(sso_registry, own, "POST", "/api/v1/projects",
                         json={**body, "responsible_unit_id": town["id"]}) == 201


async def test_the_deployments_own_tokens_still_work(sso_registry):
    assert await _status(sso_registry, token("projects:read")) == 200


@pytest.mark.parametrize("case", ["wrong issuer", "wrong audience", "expired", "unknown key id", "another key",
                                  "alg none", "HS256 with the public key", "no expiry", "too long lived"])
async def test_forgeries_are_401(sso_registry, case):
    public_pem = PRIVATE.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    token = {
        "wrong issuer": lambda: signed(claims(iss="https://evil.example/realms/city")),
        "wrong audience": lambda: signed(claims(aud="another-system")),
        "expired": lambda: signed(claims(iat=now - 7200, exp=now - 3600)),
        "unknown key id": lambda: signed(claims(), kid="key-1999"),
        "another key": lambda: signed(claims(), key=OTHER),
        "alg none": lambda: forged({"alg": "none", "typ": "JWT"}, claims()),
        "HS256 with the public key": lambda: forged({"alg": "HS256", "typ": "JWT", "kid": KID}, claims(),
                                                    secret=public_pem),
        "no expiry": lambda: signed({k: v for k, v in claims().items() if k != "exp"}),
        "too long lived": lambda: signed(claims(exp=now + 400 * 86400)),
    }[case]()
    async with client(sso_registry, auth=False) as http:
        response = await http.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, (case, response.text)
    assert response.headers["www-authenticate"] == "Bearer"
