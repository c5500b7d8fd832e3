#include "gate_worker.h"

#include <chrono>

namespace wakesmith::gate {

bool Worker::submit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (job_.has_value() || running_ || reply_.has_value())
      return false;
    job_ = std::move(job);
  }
  wake_.notify_one();
  return true;
}

std::optional<Reply> Worker::take_reply() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<Reply> out = std::move(reply_);
  reply_.reset();
  return out;
}

bool Worker::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return job_.has_value() || running_ || reply_.has_value();
}

bool Worker::run_once(uint32_t wait_ms) {
  Job job;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return job_.has_value() || stopping_; }))
      return false;
    if (!job_.has_value())
      return false;
    job = std::move(*job_);
    job_.reset();
    running_ = true;
  }
  Reply reply = client_.verify(job, ring_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reply_ = std::move(reply);
    running_ = false;
  }
  return true;
}

void Worker::serve() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_)
        return;
    }
    run_once(1000);
  }
}

void Worker::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

}  // namespace wakesmith::gate
