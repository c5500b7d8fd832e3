"""Recordings from ESPHome satellites that outlive the request that started them.

Each take waits for the device to start (its button, its wake word, or a conversation the studio
asks for), so ten takes can last minutes. ``POST …/satellite-recordings`` therefore connects and checks
the device, answers with a session, and the takes go on in a thread with its own event loop (the
request's loop ends with the request); each take is stored as a clip the moment it arrives, so a
failure at take 7 keeps takes 1–6. ``GET /api/satellite-recordings/{id}`` gives the session's state.

Sessions live in the server's memory only: the device's key and password are never written down (a
job-queue job would keep them in its spec). The last :data:`KEEP_SESSIONS` are kept.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from wakesmith import api
from wakesmith.errors import WakesmithError
from wakesmith.home import Home
from wakesmith.satellite.record import (
    CONNECT_TIMEOUT_S,
    SatelliteError,
    SatelliteRecording,
    SatelliteTake,
    record_from_satellite,
)

log = logging.getLogger(__name__)

KEEP_SESSIONS = 50
CONNECTED_GRACE_S = 5.0
"""How long past the connect timeout the request waits for the device check."""
State = Literal["connecting", "recording", "succeeded", "failed"]


class SessionNotFoundError(SatelliteError):
    """No satellite recording of that id (a 404)."""


@dataclass
class SatelliteSession:
    """One recording: what was asked, where it stands, the clips stored so far."""

    id: str
    dataset: str
    host: str
    label: str
    takes: int
    user: str
    state: State = "connecting"
    waiting_for: int | None = None
    """The take waiting for the device to start (None: none is)."""
    done: int = 0
    clips: list[Any] = field(default_factory=list)
    """Stored clips, in take order (a repeated sound once)."""
    error: str = ""
    recording: SatelliteRecording | None = field(default=None, repr=False)
    connected: threading.Event = field(default_factory=threading.Event, repr=False)
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def device(self) -> str:
        """The device's name, once it answered ("" before)."""
        return self.recording.name if self.recording is not None else ""


class SatelliteSessions:
    """The studio's satellite recordings; ``start`` runs in a worker thread of the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, SatelliteSession] = OrderedDict()
        self._ids = itertools.count(1)

    def get(self, session_id: str) -> SatelliteSession:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            raise SessionNotFoundError(
                f"No satellite recording {session_id!r} (the studio keeps its last {KEEP_SESSIONS}, until it "
                "restarts); start one with POST /api/datasets/{id}/satellite-recordings."
            )
        return session

    def start(
        self,
        take: SatelliteTake,
        *,
        dataset: str,
        label: str,
        speaker: str,
        notes: str,
        user: str,
        max_seconds: float,
        home: Home,
        stored: Callable[[SatelliteSession, Any], None],
    ) -> SatelliteSession:
        """Check the request, connect and check the device (its failures raise here, nothing is kept),
        then record in the background; ``stored(session, clip)`` is called for each stored take."""
        api.check_satellite_request(take, dataset, label, max_seconds)
        session = SatelliteSession(
            id=f"sat-{next(self._ids)}",
            dataset=dataset,
            host=take.host,
            label=label,
            takes=take.takes,
            user=user,
        )

        def connected(recording: SatelliteRecording) -> None:
            session.recording, session.state = recording, "recording"
            session.connected.set()

        def waiting(number: int) -> None:
            session.waiting_for = number

        def took(number: int, audio: np.ndarray) -> None:
            assert session.recording is not None  # connected comes first
            clip = api.store_satellite_take(
                audio, number, session.recording, take, dataset=dataset, label=label, speaker=speaker,
                notes=notes, home=home,
            )  # fmt: skip
            session.waiting_for, session.done = None, number
            if all(c.id != clip.id for c in session.clips):
                session.clips.append(clip)
            stored(session, clip)

        def run() -> None:
            try:
                recorded = record_from_satellite(
                    take, on_connected=connected, on_waiting=waiting, on_take=took
                )
                asyncio.run(recorded)
                session.state = "succeeded"
            except WakesmithError as exc:
                session.error, session.state = str(exc), "failed"
            except Exception:
                log.exception("satellite recording %s failed", session.id)
                session.error, session.state = "The recording failed; see the studio's log.", "failed"
            finally:
                session.waiting_for = None
                session.connected.set()
                session.finished.set()

        threading.Thread(target=run, name=f"satellite-{session.id}", daemon=True).start()
        session.connected.wait(CONNECT_TIMEOUT_S + CONNECTED_GRACE_S)
        if session.state == "failed" and session.recording is None:
            raise SatelliteError(session.error)  # the device could not be reached or checked
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > KEEP_SESSIONS:
                self._sessions.popitem(last=False)
        return session
