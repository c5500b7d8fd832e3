#include "gate_ring.h"

#include <algorithm>
#include <cstring>

namespace wakesmith::gate {

void SampleRing::write(const int16_t *samples, size_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (capacity_ == 0)
    return;
  uint64_t total = written_ + count;
  if (count > capacity_) {  // only the newest `capacity_` samples can survive
    samples += count - capacity_;
    count = capacity_;
  }
  size_t at = static_cast<size_t>((total - count) % capacity_);
  size_t first = std::min(count, capacity_ - at);
  std::memcpy(storage_ + at, samples, first * sizeof(int16_t));
  std::memcpy(storage_, samples + first, (count - first) * sizeof(int16_t));
  written_ = total;
}

bool SampleRing::read(uint64_t from, int16_t *out, size_t count) const {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t oldest = written_ > capacity_ ? written_ - capacity_ : 0;
  if (from < oldest || from + count > written_)
    return false;
  size_t at = static_cast<size_t>(from % capacity_);
  size_t first = std::min(count, capacity_ - at);
  std::memcpy(out, storage_ + at, first * sizeof(int16_t));
  std::memcpy(out + first, storage_, (count - first) * sizeof(int16_t));
  return true;
}

uint64_t SampleRing::written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_;
}

uint64_t SampleRing::oldest() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_ > capacity_ ? written_ - capacity_ : 0;
}

}  // namespace wakesmith::gate
