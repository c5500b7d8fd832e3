#pragma once
// The hand-off between the main loop and the task that talks to the Judge.
//
// The loop submits a job and polls for the reply without ever blocking; the task (a FreeRTOS task on
// the ESP32, a std::thread on the host) runs serve(), which waits for a job, verifies it and leaves
// the reply. One job at a time; memory is the job itself plus one audio chunk.

#include "gate_client.h"

#include <condition_variable>
#include <mutex>
#include <optional>

namespace wakesmith::gate {

class Worker {
 public:
  Worker(JudgeClient &client, const SampleRing &ring) : client_(client), ring_(ring) {}

  /// Main loop: hands over a job; false when the previous one has not finished.
  bool submit(Job job);
  /// Main loop: the reply of the finished job, once.
  std::optional<Reply> take_reply();
  bool busy() const;

  /// Judge task: runs jobs until stop(). Never returns on the device.
  void serve();
  /// Judge task: waits up to `wait_ms` for a job and runs it; true if one ran.
  bool run_once(uint32_t wait_ms);
  /// Makes serve() return after the current job (host programs and tests).
  void stop();

 private:
  JudgeClient &client_;
  const SampleRing &ring_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Job> job_;
  std::optional<Reply> reply_;
  bool running_{false};
  bool stopping_{false};
};

}  // namespace wakesmith::gate
