"""What the studio tests share besides fixtures: the token and the client factory's type."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

TOKEN = "studio-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

MakeClient = Callable[..., TestClient]
