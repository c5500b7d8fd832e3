"""The Judge under attack (issue 10's twelve findings), each against a real Judge process on loopback.

Every test asserts a bounded outcome — an error event or a 4xx, memory, descriptors and disk within a
bound — and, where an attack runs for a while, that a legitimate satellite's trigger still gets its
verdict within :data:`LEGIT_S` while it runs. A real mosquitto carries the MQTT side.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf
from judge_process import JudgeProcess, allocated_bytes
from model_fixture import JudgeFixture
from test_mqtt import Broker, Subscriber
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event, async_read_event
from wyoming.wake import Detect

from conftest import StreamSpec, read_until_verdict, stream_clip
from wakesmith.audio.io import to_pcm16, wav_bytes
from wakesmith.judge.names import satellite_id
from wakesmith.judge.telemetry import SENSORS

LEGIT_S = 3.0
"""A legitimate trigger's verdict (connect → verdict) while an attack runs, on 2 shared CPU cores."""
TOKEN = "test-token-0123456789"
MIB = 1024 * 1024
QUOTA_MB = 0.2
MAX_SATELLITES = 8
MAX_CONNECTIONS = 12
IDLE_S = 3.0
HEADER_S = 1.0
LIVENESS_S = 1.5
FMT = {"rate": 16000, "width": 2, "channels": 1}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    b = Broker(tmp_path_factory.mktemp("mosquitto"))
    b.start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def capture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("attack_captures")


@pytest.fixture(scope="module")
def judge(
    judge_fixture: JudgeFixture, broker: Broker, capture_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JudgeProcess]:
    """One Judge with a token, capture, MQTT and tight limits, as its own process."""
    settings: dict[str, Any] = {
        "models": [{"path": str(judge_fixture.model), "name": "hey_katya"}],
        "threads": 2,
        "http_token": TOKEN,
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "reconnect_max_s": 1, "liveness_s": LIVENESS_S},
        "capture": {"folder": str(capture_dir), "quota_mb": QUOTA_MB, "keep_accepted": True},
        "limits": {
            "max_header_bytes": 256 * 1024,
            "max_satellites": MAX_SATELLITES,
            "max_connections": MAX_CONNECTIONS,
            "idle_timeout_s": IDLE_S,
            "header_timeout_s": HEADER_S,
            "request_timeout_s": 3.0,
        },
    }
    process = JudgeProcess(tmp_path_factory.mktemp("judge_proc"), settings)
    deadline = time.monotonic() + 10
    while not httpx.get(f"{process.http}/health").json()["mqtt"] and time.monotonic() < deadline:
        time.sleep(0.05)
    yield process
    process.stop()


def _trigger(satellite: str = "legit", **extra: Any) -> dict[str, Any]:
    return {"trigger": {"satellite": satellite, "sentry_score": 0.9, **extra}}


def _legit(judge: JudgeProcess, audio: np.ndarray) -> float:
    """One legitimate trigger; its verdict's latency in seconds."""
    start = time.monotonic()
    events = asyncio.run(stream_clip(judge.port, audio, StreamSpec(names=["hey_katya"], context=_trigger())))
    assert events and events[-1].type == "detection", [e.type for e in events]
    return time.monotonic() - start


def _served_during(judge: JudgeProcess, audio: np.ndarray, attack: Callable[[], None], n: int = 3) -> None:
    """Run ``attack`` in a thread; meanwhile ``n`` legitimate triggers each get a verdict within LEGIT_S."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            attack()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    latencies = [_legit(judge, audio) for _ in range(n)]
    thread.join(120)
    if failures:
        raise failures[0]
    assert max(latencies) < LEGIT_S, latencies


def _header(kind: str, data: Any = None, payload: bytes = b"") -> bytes:
    head: dict[str, Any] = {"type": kind, "data": data if data is not None else {}}
    if payload:
        head["payload_length"] = len(payload)
    return json.dumps(head).encode() + b"\n" + payload


async def _exchange(port: int, data: bytes, *, until: int = 1, timeout: float = 5.0) -> list[Event]:
    """Send raw bytes; read events until ``until`` verdicts / errors came, the peer closed, or timeout."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    events: list[Event] = []
    try:
        while sum(e.type in ("detection", "not-detected", "error") for e in events) < until:
            event = await asyncio.wait_for(async_read_event(reader), timeout)
            if event is None:
                break
            events.append(event)
    except TimeoutError:
        pass
    finally:
        writer.close()
    return events


def _wav(audio: np.ndarray, rate: int = 16000) -> bytes:
    return wav_bytes(to_pcm16(audio), sample_rate=rate)


def _verify(judge: JudgeProcess, wav: bytes, **form: str) -> httpx.Response:
    return httpx.post(f"{judge.http}/verify", files={"audio": ("t.wav", wav)}, data=form, headers=judge.auth)


# --- HTTP token, docs, health ------------------------------------------------------------------------


def test_http_needs_the_token_and_health_says_only_liveness(
    judge: JudgeProcess, positive: np.ndarray
) -> None:
    wav = _wav(positive)
    assert httpx.post(f"{judge.http}/verify", files={"audio": ("p.wav", wav)}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    r = httpx.post(f"{judge.http}/verify", files={"audio": ("p.wav", wav)}, headers=wrong)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{judge.http}/metrics").status_code == 401
    assert _verify(judge, wav).json()["prediction"] is True
    for path in ("/docs", "/openapi.json", "/redoc"):
        assert httpx.get(f"{judge.http}{path}", headers=judge.auth).status_code == 404
    assert httpx.get(f"{judge.http}/health").json() == {"status": "ok", "mqtt": True}
    assert judge.errors("http_auth") >= 3


# --- 1: the body limit holds while reading -----------------------------------------------------------


def _chunked_upload(judge: JudgeProcess, *, lying_length: bool) -> tuple[int, int]:
    """Stream 300 × 1 MiB chunks to /verify; (HTTP status, bytes the server let in before answering)."""
    head = (
        "POST /verify HTTP/1.1\r\nHost: judge\r\n"
        f"Authorization: Bearer {TOKEN}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n"
        + ("Content-Length: 100\r\n" if lying_length else "")
        + "\r\n"
    ).encode()
    part = b'--b\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\n\r\n'
    chunk = part + b"\0" * (MIB - len(part))
    sent = 0
    with socket.create_connection(("127.0.0.1", judge.http_port), timeout=5) as s:
        s.sendall(head)
        try:
            for i in range(300):
                body = chunk if i == 0 else b"\0" * MIB
                s.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n")
                sent += len(body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        try:
            answer = s.recv(4096)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    status = int(answer.split()[1]) if answer.startswith(b"HTTP/1.1") else 0
    return status, sent


@pytest.mark.parametrize("lying_length", [True, False], ids=["content-length-and-chunked", "chunked"])
def test_a_chunked_body_is_cut_at_the_limit_while_reading(
    judge: JudgeProcess, positive: np.ndarray, lying_length: bool
) -> None:
    rss = judge.rss_mb()
    result: list[tuple[int, int]] = []
    _served_during(judge, positive, lambda: result.append(_chunked_upload(judge, lying_length=lying_length)))
    status, sent = result[0]
    assert status in (400, 413), status  # h11 may refuse the contradictory headers outright (400)
    assert sent < 64 * MIB  # cut off long before 300 MiB (the kernel buffers some on loopback)
    assert judge.rss_mb() - rss < 40


# --- 2: detect names folded and capped ---------------------------------------------------------------


def test_detect_names_are_folded_and_capped(judge: JudgeProcess, positive: np.ndarray) -> None:
    rss = judge.rss_mb()
    start = time.monotonic()
    events = asyncio.run(_exchange(judge.port, _header("detect", {"names": ["hey_katya"] * 1500})))
    assert events[0].type == "error" and "at most 16" in events[0].data["text"]
    assert time.monotonic() - start < 1.0
    # Under the cap, duplicates run once: a continuous stream named 12 times costs about one.
    clip = np.concatenate([positive, positive])
    t0 = time.monotonic()
    once = asyncio.run(stream_clip(judge.port, clip, StreamSpec(names=["hey_katya"])))
    t1 = time.monotonic()
    dup = asyncio.run(stream_clip(judge.port, clip, StreamSpec(names=["hey_katya"] * 12)))
    t2 = time.monotonic()
    assert [e.type for e in dup] == [e.type for e in once]
    assert t2 - t1 < 3 * (t1 - t0) + 0.5
    assert judge.rss_mb() - rss < 30


# --- 3: decode caps on rate and channels, off the event loop -----------------------------------------


def test_a_high_rate_many_channel_flac_is_refused_before_decoding(
    judge: JudgeProcess, positive: np.ndarray
) -> None:
    buf = io.BytesIO()
    sf.write(buf, np.zeros((655_350, 8), dtype=np.int16), 655_350, format="FLAC")
    flac = buf.getvalue()
    assert len(flac) < 200_000
    rss = judge.rss_mb()
    answers: list[httpx.Response] = []

    def attack() -> None:
        answers.extend(
            httpx.post(
                f"{judge.http}/verify", files={"audio": ("bomb.flac", flac)}, headers=judge.auth, timeout=10
            )
            for _ in range(10)
        )

    _served_during(judge, positive, attack)
    assert {r.status_code for r in answers} == {422}
    assert "655350 Hz" in answers[0].json()["detail"]
    assert judge.rss_mb() - rss < 30


# --- 4: zero samples after resampling, capture failures ----------------------------------------------


def test_absurd_rates_and_empty_resamples_are_4xx_with_capture_on(judge: JudgeProcess) -> None:
    claims = _wav(np.zeros(16_000, np.float32), rate=2_000_000_000)  # 32 KB of PCM "at 2 GHz"
    r = _verify(judge, claims)
    assert r.status_code == 422 and "2000000000 Hz" in r.json()["detail"]
    one_frame = _wav(np.zeros(1, np.float32), rate=48_000)
    r = _verify(judge, one_frame)
    assert r.status_code == 422 and "too short" in r.json()["detail"]
    assert judge.errors("http_internal") == 0


# --- 5: every exception becomes an error event and a counted metric ----------------------------------


@pytest.mark.parametrize(
    ("data", "kind", "text"),
    [
        (
            b'{"type": "detect", "data": {"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}\n",
            "protocol",
            "nested",
        ),
        (
            b'{"type": "audio-start", "data": {"rate": Infinity, "width": 2, "channels": 1}}\n',
            "AudioError",
            "integer",
        ),
        (
            b'{"type": "audio-start", "data": {"rate": 1e999, "width": 2, "channels": 1}}\n',
            "AudioError",
            "integer",
        ),
        (_header("detect", {"names": 5}), "ConfigError", "list of wake model names"),
        (_header("detect", {"names": "hey_katya"}), "ConfigError", "list of wake model names"),
        (_header("detect", {"context": {"trigger": {"satellite": 5}}}), "TriggerError", "string"),
        (_header("detect", {"context": {"trigger": [1]}}), "TriggerError", "object"),
    ],
    ids=[
        "nested-50k",
        "rate-infinity",
        "rate-1e999",
        "names-int",
        "names-str",
        "satellite-int",
        "trigger-list",
    ],
)
def test_every_bad_event_gets_an_error_event_and_is_counted(
    judge: JudgeProcess, positive: np.ndarray, data: bytes, kind: str, text: str
) -> None:
    before = judge.errors(kind)
    events = asyncio.run(_exchange(judge.port, data))
    assert events and events[0].type == "error" and text in events[0].data["text"], events
    assert judge.errors(kind) == before + 1
    _legit(judge, positive)


def test_a_refused_stream_leaves_its_connection_usable(judge: JudgeProcess, positive: np.ndarray) -> None:
    pcm = to_pcm16(positive)
    bad = b'{"type": "audio-start", "data": {"rate": Infinity, "width": 2, "channels": 1}}\n'
    good = (
        _header("detect", {"names": ["hey_katya"], "context": _trigger()})
        + _header("audio-start", FMT)
        + _header("audio-chunk", FMT, pcm)
        + _header("audio-stop")
    )
    events = asyncio.run(_exchange(judge.port, bad + good, until=2))
    assert [e.type for e in events] == ["error", "detection"]


# --- 6: connection cap, idle and header timeouts on both ports ---------------------------------------


def _closed_within(s: socket.socket, seconds: float) -> bool:
    """True when the server closes ``s`` within ``seconds`` (whatever it says first)."""
    s.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if s.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True
    return False


def test_idle_and_trickling_connections_are_bounded_on_both_ports(
    judge: JudgeProcess, positive: np.ndarray
) -> None:
    fds = judge.open_fds()
    idle = [
        socket.create_connection(("127.0.0.1", p)) for p in (judge.port, judge.http_port) for _ in range(50)
    ]
    time.sleep(1.2)  # old enough to be closed for a newcomer
    _legit(judge, positive)  # the cap makes room: a satellite is not locked out by sitting sockets
    assert httpx.get(f"{judge.http}/health").status_code == 200
    assert judge.open_fds() < fds + 2 * MAX_CONNECTIONS + 10
    # Trickling one byte at a time: the event's header deadline closes it.
    slow = [socket.create_connection(("127.0.0.1", p)) for p in (judge.port, judge.http_port)]
    for s, first in zip(slow, (b'{"type": "de', b"GET /health HTTP/1.1\r\nHo"), strict=True):
        s.sendall(first)
    for s in slow:
        assert _closed_within(s, HEADER_S + 2.0)
    for s in idle:
        assert _closed_within(s, IDLE_S + 2.0)
        s.close()
    assert judge.open_fds() <= fds + 4


# --- 7: names sanitised for logs ---------------------------------------------------------------------


def test_satellite_names_cannot_forge_or_flood_log_lines(judge: JudgeProcess, positive: np.ndarray) -> None:
    size = judge.log.stat().st_size
    forged = asyncio.run(
        _exchange(judge.port, _header("detect", {"context": _trigger("x\n2024 INFO FORGED")}))
    )
    assert forged[0].type == "error" and "control characters" in forged[0].data["text"]
    for _ in range(20):
        huge = asyncio.run(_exchange(judge.port, _header("detect", {"context": _trigger("k" * 60_000)})))
        assert huge[0].type == "error" and "keep it to 64" in huge[0].data["text"]
    r = _verify(judge, _wav(positive), satellite="y\r\nFORGED")
    assert r.status_code == 422
    time.sleep(0.2)
    text = judge.log.read_text(errors="replace")[size:]
    assert not any(line.startswith(("2024 INFO FORGED", "FORGED")) for line in text.splitlines())
    assert judge.log.stat().st_size - size < 20_000


# --- 10: finite numbers only -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_trigger_numbers_are_refused(judge: JudgeProcess, value: bytes) -> None:
    for key in (b"sentry_score", b"listening_s"):
        data = b'{"type": "detect", "data": {"context": {"trigger": {"satellite": "s", "' + key + b'": '
        events = asyncio.run(_exchange(judge.port, data + value + b"}}}}\n"))
        assert events[0].type == "error" and "finite" in events[0].data["text"], events


def test_non_finite_scores_never_reach_mqtt_or_capture(
    judge: JudgeProcess, broker: Broker, capture_dir: Path, positive: np.ndarray
) -> None:
    for value in ("nan", "inf", "-inf"):
        assert _verify(judge, _wav(positive), sentry_score=value).status_code == 422
    sub = Subscriber(broker.port, ["wakesmith/#"])
    _legit(judge, positive)
    sub.wait_for(lambda m: m[0] == "wakesmith/legit/state", "state")
    sub.close()

    def strict(raw: str) -> Any:
        return json.loads(raw, parse_constant=lambda c: pytest.fail(f"{c} in {raw[:80]}"))

    for _topic, payload, _ in sub.messages:
        if payload.startswith("{"):
            strict(payload)
    for side in capture_dir.rglob("*.json"):
        strict(side.read_text())


# --- 11: stable ids without collisions; issue 9: telemetry that reflects the field -------------------


def test_names_keep_their_display_and_get_distinct_ids(
    judge: JudgeProcess, broker: Broker, positive: np.ndarray
) -> None:
    names = ["кухня", "客厅", "kitchen/1", "kitchen_1"]
    sub = Subscriber(broker.port, ["wakesmith/+/state", "homeassistant/sensor/+/triggers/config"])

    async def send_all() -> None:
        for name in names:
            events = await stream_clip(judge.port, positive, StreamSpec(context=_trigger(name)))
            assert events[-1].type == "detection"

    asyncio.run(send_all())
    ids = [satellite_id(n) for n in names]
    assert len(set(ids)) == 4 and "unknown" not in ids
    for name, sat in zip(names, ids, strict=True):
        _, state, _ = sub.wait_for(lambda m, s=sat: m[0] == f"wakesmith/{s}/state", f"state of {name}")
        assert json.loads(state)["triggers"] == 1  # the two kitchens no longer merge
        _, config, _ = sub.wait_for(
            lambda m, s=sat: m[0] == f"homeassistant/sensor/wakesmith_{s}/triggers/config",
            f"config of {name}",
        )
        assert json.loads(config)["device"]["name"] == f"Wakesmith {name}"
    sub.close()


def test_verdicts_carry_the_score_and_both_kinds_are_captured(
    judge: JudgeProcess, broker: Broker, capture_dir: Path, positive: np.ndarray, negative: np.ndarray
) -> None:
    sub = Subscriber(broker.port, ["wakesmith/scored/verdict", "homeassistant/sensor/wakesmith_scored/#"])
    spec = StreamSpec(context=_trigger("scored"))
    accept = asyncio.run(stream_clip(judge.port, positive, spec))[-1]
    reject = asyncio.run(stream_clip(judge.port, negative, spec))[-1]
    assert accept.type == "detection" and reject.type == "not-detected"
    assert accept.data["context"]["verdict"]["confidence"] > reject.data["context"]["verdict"]["confidence"]
    _, event, _ = sub.wait_for(lambda m: m[0].endswith("/verdict"), "verdict event")
    assert math.isfinite(json.loads(event)["score"])
    _, fa, _ = sub.wait_for(lambda m: m[0].endswith("/false_accepts_per_hour/config"), "FA/h config")
    assert json.loads(fa)["state_class"] == "measurement"
    sub.close()
    sides = [json.loads(p.read_text()) for p in capture_dir.rglob("*scored*.json")]
    assert {s["accepted"] for s in sides} == {True, False}
    assert all(isinstance(s["score"], float) for s in sides)


def test_continuous_detections_are_counted_per_client(
    judge: JudgeProcess, broker: Broker, positive: np.ndarray
) -> None:
    sub = Subscriber(broker.port, ["wakesmith/livingroom/state"])
    events = asyncio.run(
        stream_clip(
            judge.port, positive, StreamSpec(names=["hey_katya"], context={"satellite": "livingroom"})
        )
    )
    assert any(e.type == "detection" for e in events)
    _, state, _ = sub.wait_for(lambda m: json.loads(m[1]).get("detections", 0) >= 1, "detections")
    assert json.loads(state)["triggers"] == 0
    sub.close()


# --- 8: capture quota on allocated blocks ------------------------------------------------------------


def test_capture_quota_counts_blocks(judge: JudgeProcess, capture_dir: Path) -> None:
    one_sample = b"\x10\x00"

    async def many() -> int:
        async with AsyncTcpClient("127.0.0.1", judge.port) as client:
            for i in range(300):
                await client.write_event(Detect(context=_trigger("tiny")).event())
                await client.write_event(AudioStart(16000, 2, 1).event())
                await client.write_event(AudioChunk(16000, 2, 1, one_sample).event())
                await client.write_event(AudioStop().event())
                events = await read_until_verdict(client)
                assert events[-1].type in ("detection", "not-detected"), (i, events[-1])
        return 300

    start = time.monotonic()
    asyncio.run(many())
    assert time.monotonic() - start < 30
    assert allocated_bytes(capture_dir) <= QUOTA_MB * MIB + 16 * 1024


# --- 9: a bounded satellite registry -----------------------------------------------------------------


def test_invented_satellites_cannot_fill_the_broker(judge: JudgeProcess, broker: Broker) -> None:
    async def invent() -> None:
        async with AsyncTcpClient("127.0.0.1", judge.port) as client:
            for i in range(60):
                await client.write_event(Detect(context=_trigger(f"fake-{i}")).event())
                await client.write_event(AudioStart(16000, 2, 1).event())
                await client.write_event(AudioChunk(16000, 2, 1, b"\x10\x00" * 160).event())
                await client.write_event(AudioStop().event())
                await read_until_verdict(client)

    asyncio.run(invent())
    time.sleep(0.5)
    late = Subscriber(broker.port, ["homeassistant/sensor/#", "wakesmith/+/state"])
    time.sleep(1.0)
    retained = {m[0] for m in late.messages if m[2] and m[1]}
    late.close()
    devices = {t.split("/")[2] for t in retained if t.startswith("homeassistant/")}
    assert len(devices) <= MAX_SATELLITES, sorted(devices)
    assert len(retained) <= MAX_SATELLITES * (len(SENSORS) + 1)
    assert "wakesmith_fake-59" in devices  # the newest are kept, the least recently heard forgotten


# --- /health: MQTT liveness from a round trip --------------------------------------------------------


def test_health_sees_a_frozen_broker(judge: JudgeProcess, broker: Broker) -> None:
    assert broker.proc is not None
    health = f"{judge.http}/health"
    assert httpx.get(health).json()["mqtt"] is True
    os.kill(broker.proc.pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 3 * LIVENESS_S + 2
        while httpx.get(health).json()["mqtt"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert httpx.get(health).json()["mqtt"] is False
    finally:
        os.kill(broker.proc.pid, signal.SIGCONT)
    deadline = time.monotonic() + 10
    while not httpx.get(health).json()["mqtt"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert httpx.get(health).json()["mqtt"] is True


# --- allow-list (9) and the bind address (12): Judges of their own -----------------------------------


def test_an_allow_list_refuses_other_satellites(
    judge_fixture: JudgeFixture, positive: np.ndarray, tmp_path: Path
) -> None:
    settings = {
        "models": [{"path": str(judge_fixture.model), "name": "hey_katya"}],
        "satellites": ["kitchen"],
    }
    process = JudgeProcess(tmp_path, settings)
    try:
        ok = asyncio.run(stream_clip(process.port, positive, StreamSpec(context=_trigger("kitchen"))))
        assert ok[-1].type == "detection"
        no = asyncio.run(stream_clip(process.port, positive, StreamSpec(context=_trigger("intruder"))))
        assert no[0].type == "error" and "satellites" in no[0].data["text"]
        r = httpx.post(
            f"{process.http}/verify", files={"audio": ("p.wav", _wav(positive))}, data={"satellite": "x"}
        )
        assert r.status_code == 403
    finally:
        process.stop()


def _listening_address(pid: int, port: int) -> str:
    """The local address a process listens on for ``port`` (from /proc/<pid>/net/tcp)."""
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            return socket.inet_ntoa(bytes.fromhex(addr)[::-1])
    raise AssertionError(f"nothing listens on {port}")


def test_http_binds_where_the_wyoming_uri_says(judge_fixture: JudgeFixture, tmp_path: Path) -> None:
    argv = [
        "--model",
        str(judge_fixture.model),
        "--uri",
        "tcp://127.0.0.1:{port}",
        "--http-port",
        "{http_port}",
    ]
    process = JudgeProcess(tmp_path, {}, argv=argv)
    try:
        assert _listening_address(process.proc.pid, process.http_port) == "127.0.0.1"
        assert _listening_address(process.proc.pid, process.port) == "127.0.0.1"
    finally:
        process.stop()
