"""Audio at the edge of the system: read/convert/refuse (:mod:`.io`), the one int16 ↔ float
conversion (:mod:`.pcm`) and level measurements (:mod:`.levels`).

In memory audio is float32 mono in [-1, 1] at 16 kHz; on disk it is 16-bit PCM mono WAV.
"""

from wakesmith.audio.io import (
    AudioInfo,
    decode_audio,
    from_pcm16,
    probe,
    read_audio,
    to_pcm16,
    write_wav,
)
from wakesmith.audio.levels import LevelStats, level_stats
from wakesmith.audio.pcm import PCM_SCALE, float_to_int16, int16_to_float

__all__ = [
    "PCM_SCALE",
    "AudioInfo",
    "LevelStats",
    "decode_audio",
    "float_to_int16",
    "from_pcm16",
    "int16_to_float",
    "level_stats",
    "probe",
    "read_audio",
    "to_pcm16",
    "write_wav",
]
