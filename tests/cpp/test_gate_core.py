"""The gate's C++ core, unit-tested on the host (``tests/cpp/test_*.cpp``, run under AddressSanitizer).

Each area of the core is one pytest case running the matching C++ cases (their names start with the
area); a C++ case outside every area fails the last test, so none is silently left out.
"""

from __future__ import annotations

import subprocess

import pytest
from cpp_support import Programs

pytestmark = pytest.mark.cpp

AREAS = ["ring", "json", "wyoming", "gate", "client", "worker"]
RUN_TIMEOUT_S = 300


def _run(programs: Programs, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(programs.unit_tests), *args], capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )


@pytest.mark.parametrize("area", AREAS)
def test_core_cases_pass(programs: Programs, area: str) -> None:
    result = _run(programs, f"{area}_")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    passed = [line for line in result.stdout.splitlines() if line.startswith("PASS ")]
    assert passed, f"no {area}_ cases ran:\n{output}"
    assert "FAIL" not in result.stdout, output


def test_every_case_belongs_to_an_area(programs: Programs) -> None:
    names = _run(programs, "--list").stdout.split()
    assert len(names) >= len(AREAS)
    assert [n for n in names if not n.startswith(tuple(f"{a}_" for a in AREAS))] == []


def test_selecting_no_case_fails_the_runner(programs: Programs) -> None:
    """A filter that matches nothing is a failure, not an empty success."""
    assert _run(programs, "no_such_case").returncode != 0
