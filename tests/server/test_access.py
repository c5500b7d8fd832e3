"""Who may ask: the bearer token (standalone), the Supervisor's proxy (ingress), the rate limit."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect
from studio_client import TOKEN, MakeClient

from wakesmith.home import Home
from wakesmith.server.settings import SUPERVISOR_PROXY, TOKEN_FILE, ServerSettings

PROXY = (SUPERVISOR_PROXY, 40000)
USER = {"X-Remote-User-Name": "anna", "X-Remote-User-Id": "u-123"}


def test_every_route_but_health_needs_the_token(make_client: MakeClient) -> None:
    anonymous = make_client(auth=False)
    for path in ("/api/datasets", "/api/jobs", "/api/models", "/api/deploys", "/api/audit", "/metrics"):
        r = anonymous.get(path)
        assert r.status_code == 401, path
        assert "Authorization: Bearer" in r.json()["detail"]
    assert anonymous.get("/api/datasets", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert anonymous.get("/api/datasets", headers={"Authorization": TOKEN}).status_code == 401  # no scheme
    assert anonymous.post("/api/datasets", json={"name": "x"}).status_code == 401
    assert anonymous.get("/api/health").json()["status"] == "ok"
    assert anonymous.get("/api/datasets", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_status_socket_needs_the_token_too(make_client: MakeClient) -> None:
    anonymous = make_client(auth=False)
    with pytest.raises(WebSocketDisconnect), anonymous.websocket_connect("/api/status") as ws:
        ws.receive_json()
    with anonymous.websocket_connect(f"/api/status?token={TOKEN}") as ws:
        assert ws.receive_json()["topic"] == "telemetry"


def test_a_token_is_made_once_and_kept_in_the_home(home: Home) -> None:
    settings = ServerSettings(home=home.root)
    token, made = settings.resolved_token()
    assert made and len(token) > 30
    assert (home.root / TOKEN_FILE).stat().st_mode & 0o077 == 0  # readable by its owner only
    assert settings.resolved_token() == (token, False)
    assert ServerSettings(home=home.root, token="given").resolved_token() == ("given", False)


def test_ingress_serves_the_proxy_and_records_its_user(make_client: MakeClient) -> None:
    proxied = make_client(auth=False, mode="ingress", client=PROXY)
    r = proxied.post("/api/datasets", json={"name": "hk"}, headers=USER)
    assert r.status_code == 201, r.text
    assert proxied.get("/api/audit").json()[0]["user"] == "anna"
    served = proxied.get("/openapi.json", headers={"X-Ingress-Path": "/api/hassio_ingress/abc"}).json()
    assert served["servers"] == [{"url": "/api/hassio_ingress/abc"}]


def test_ingress_refuses_forged_headers_from_any_other_address(make_client: MakeClient) -> None:
    forged = make_client(auth=False, mode="ingress", client=("192.168.1.50", 40000))
    r = forged.get("/api/datasets", headers={**USER, "X-Ingress-Path": "/api/hassio_ingress/abc"})
    assert r.status_code == 403
    assert "Home Assistant" in r.json()["detail"]
    assert forged.get("/api/datasets", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 403
    other_proxy = make_client(
        auth=False, mode="ingress", proxy_addresses=["10.0.0.2"], client=("10.0.0.2", 1)
    )
    assert other_proxy.get("/api/datasets").status_code == 200


def test_a_client_over_the_rate_limit_is_told_to_wait(make_client: MakeClient) -> None:
    client = make_client(limits={"requests_per_minute": 5})
    assert [client.get("/api/datasets").status_code for _ in range(5)] == [200] * 5
    r = client.get("/api/datasets")
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    assert "at most 5 a minute" in r.json()["detail"]


def test_a_standalone_app_without_a_token_is_refused(home: Home) -> None:
    from wakesmith.errors import ConfigError
    from wakesmith.server.app import create_app

    with pytest.raises(ConfigError, match="needs a token"):
        create_app(ServerSettings(home=home.root), token="")


def test_ingress_with_a_token_also_serves_programs_that_bear_it(make_client: MakeClient) -> None:
    ha_core = make_client(auth=False, mode="ingress", token="ha-secret", client=("172.30.32.1", 40000))
    assert ha_core.get("/api/datasets").status_code == 403  # no token: only the proxy
    bearer = {"Authorization": "Bearer ha-secret"}
    r = ha_core.post("/api/datasets", json={"name": "hk"}, headers={**bearer, **USER})
    assert r.status_code == 201, r.text
    assert ha_core.get("/api/audit", headers=bearer).json()[0]["user"] == "token"  # forged names ignored
    assert ha_core.get("/api/datasets", headers={"Authorization": "Bearer wrong"}).status_code == 403
