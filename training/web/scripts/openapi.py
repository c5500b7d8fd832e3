"""Write the studio backend's OpenAPI schema to ``training/web/openapi.json`` (the UI's types come from it).

Run from anywhere: ``.venv/bin/python training/web/scripts/openapi.py`` (or ``npm run openapi`` in
``training/web``, which also regenerates ``src/api/schema.d.ts``). ``tests/web/test_assets.py`` fails
when the committed file differs from what this writes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from wakesmith.server.app import create_app
from wakesmith.server.settings import ServerSettings

OUT = Path(__file__).resolve().parents[1] / "openapi.json"


def current_schema() -> dict[str, Any]:
    """The schema of an app over a throwaway home (the schema does not depend on the home's contents)."""
    with tempfile.TemporaryDirectory() as tmp:
        return create_app(ServerSettings(home=Path(tmp)), token="schema").openapi()


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    OUT.write_text(render(current_schema()))
    sys.stderr.write(f"wrote {OUT}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
