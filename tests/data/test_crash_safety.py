"""Crash safety: never a row without its audio; orphan audio (file but no row) is removed on open."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np

from wakesmith.data import ClipStore, NewClip
from wakesmith.data.store import CHUNK_SIZE
from wakesmith.errors import AudioError

DS = "hey_katya"


class FailingStore(ClipStore):
    """A store that fails right after the audio files are durable and before the rows commit."""

    def _write_files(self, pcm_by_path):
        super()._write_files(pcm_by_path)
        self.written = sorted(pcm_by_path)
        raise RuntimeError("power cut")


def test_exception_between_files_and_commit(home, tone):
    with ClipStore(home) as good:
        kept = good.add_audio(tone(seed=0), dataset=DS, label="positive", source="upload")
    with FailingStore(home) as failing:
        items = [NewClip(DS, "negative", "synthetic", audio=tone(seed=i)) for i in range(1, 40)]
        try:
            failing.add_many(items)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the injected failure did not happen")
        assert len(failing.written) == 39
        assert [c.id for c in failing.clips(DS)] == [kept.id]  # no row without audio
        assert failing.files.stored() == {kept.path}  # the orphans were cleaned up at once
        assert failing.files.temporaries() == []


CRASH = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from wakesmith.data import ClipStore, NewClip
    from wakesmith.home import Home

    class Crash(ClipStore):
        def _write_files(self, pcm_by_path):
            super()._write_files(pcm_by_path)
            os._exit(3)  # the process dies: no exception handler, no clean-up

    store = Crash(Home.resolve(sys.argv[1]))
    rng = np.random.default_rng(0)
    store.add_many([NewClip("hey_katya", "negative", "synthetic", audio=rng.standard_normal(8000) * 0.1)
                    for _ in range(25)])
    """
)


def test_process_killed_between_files_and_commit(home, tone):
    with ClipStore(home) as store:
        kept = store.add_audio(tone(), dataset=DS, label="positive", source="upload")
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(home.root)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stderr
    with ClipStore(home, reconcile=False) as raw:
        assert [c.id for c in raw.clips(DS)] == [kept.id]  # nothing was committed
        orphans = raw.files.stored() - {kept.path}
        assert len(orphans) == 25  # the audio reached the disk
    with ClipStore(home) as reopened:
        assert sorted(reopened.last_reconcile.removed_files) == sorted(orphans)
        assert reopened.files.stored() == {kept.path}  # after reopen: no audio without a row
        assert reopened.last_reconcile.missing_files == []


def test_missing_file_is_reported(home, tone):
    with ClipStore(home) as store:
        clip = store.add_audio(tone(), dataset=DS, label="positive", source="upload")
    os.remove(home.clips / clip.path)
    with ClipStore(home) as store:
        assert store.last_reconcile.missing_files == [clip.id]
        try:
            store.load_audio(clip)
        except Exception as exc:
            assert "missing" in str(exc) and "import it again" in str(exc)
        else:
            raise AssertionError("loading a missing clip did not fail")


def test_cleanup_waits_for_writers_and_removes_leftover_temporaries(home, tone):
    with ClipStore(home) as store:
        store.add_audio(tone(), dataset=DS, label="positive", source="upload")
        orphan = home.clips / "ab" / ("ab" + "0" * 62 + ".wav")
        orphan.parent.mkdir(exist_ok=True)
        orphan.write_bytes(b"RIFF")
        leftover = orphan.parent / ".x.wav.1234.tmp"
        leftover.write_bytes(b"half")
        with store.files.writing():  # another writer at work: its files may be orphans-to-be
            report = store.reconcile()
            assert report.skipped and orphan.exists() and leftover.exists()
        report = store.reconcile()
        assert not report.skipped and not orphan.exists() and not leftover.exists()
        assert len(report.removed_files) == 2
        assert np.isfinite(store.load_audio(store.clips(DS)[0])).all()


class RecordingStore(ClipStore):
    """Records how many files each batch wrote."""

    def _write_files(self, pcm_by_path):
        super()._write_files(pcm_by_path)
        self.batches = [*getattr(self, "batches", []), len(pcm_by_path)]


def test_failure_in_a_later_chunk_removes_earlier_chunks_files(home, tmp_path, tone):
    (tmp_path / "bad.wav").write_text("not audio")
    items = [
        NewClip(DS, "negative", "synthetic", audio=tone(seconds=0.1, seed=i)) for i in range(CHUNK_SIZE + 20)
    ]
    items.append(NewClip(DS, "negative", "scan", path=tmp_path / "bad.wav"))
    with RecordingStore(home) as store:
        try:
            store.add_many(items)
        except AudioError:
            pass
        else:
            raise AssertionError("the bad file was accepted")
        assert store.batches == [CHUNK_SIZE]  # the first chunk's files were written…
        assert store.datasets() == {}
        assert store.files.stored() == set()  # …and removed again with the rolled-back rows
