#pragma once
// The gate's memory of the microphone: an overwrite-oldest ring of int16 samples.
//
// Samples are addressed by their absolute index in the stream since boot (a 64-bit count that never
// wraps), so a trigger can name "the 2 s before sample N" and a reader can tell exactly whether
// those samples are still there. Writer (the microphone callback) and reader (the Judge task) run on
// different threads: every access takes the ring's mutex, held only for one memcpy.

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace wakesmith::gate {

class SampleRing {
 public:
  /// `storage` holds `capacity` samples and outlives the ring (the component allocates it in PSRAM).
  SampleRing(int16_t *storage, size_t capacity) : storage_(storage), capacity_(capacity) {}
  SampleRing(const SampleRing &) = delete;
  SampleRing &operator=(const SampleRing &) = delete;

  /// Appends samples, overwriting the oldest ones once the ring is full.
  void write(const int16_t *samples, size_t count);

  /// Copies the samples [from, from + count) into `out` if every one of them is still in the ring
  /// (not yet overwritten) and already written; otherwise copies nothing and returns false.
  bool read(uint64_t from, int16_t *out, size_t count) const;

  /// Samples written since boot (the index the next sample will get).
  uint64_t written() const;
  /// Index of the oldest sample still held.
  uint64_t oldest() const;
  size_t capacity() const { return capacity_; }

 private:
  int16_t *storage_;
  size_t capacity_;
  uint64_t written_{0};
  mutable std::mutex mutex_;
};

}  // namespace wakesmith::gate
