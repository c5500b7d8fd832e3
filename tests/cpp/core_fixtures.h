// Helpers the gate core's unit tests share: JSON literals, Judge replies, recordings in a ring, jobs.
#pragma once

#include "check.h"
#include "fake_judge.h"
#include "gate_client.h"
#include "gate_json.h"
#include "gate_machine.h"
#include "gate_ring.h"
#include "gate_socket.h"
#include "gate_worker.h"
#include "gate_wyoming.h"
#include <numeric>
#include <thread>

#include <cstdio>
#include <string>
#include <vector>

using namespace wakesmith::gate;

inline JsonValue json(const std::string &text) {
  JsonValue value;
  std::string error;
  if (!parse_json(text, value, error))
    std::printf("    bad JSON in a test: %s (%s)\n", text.c_str(), error.c_str());
  return value;
}

inline std::string verdict_event(const std::string &type, bool prediction, double confidence) {
  char text[256];
  std::snprintf(text, sizeof(text),
                "{\"name\": \"hey_katya\", \"timestamp\": 2250, \"context\": {\"verdict\": {\"prediction\": %s, "
                "\"confidence\": %.9g, \"label\": \"x\", \"model\": \"hey_katya\", \"latency_ms\": 4.2}}}",
                prediction ? "true" : "false", confidence);
  return encode_event_head(type, json(text));
}

inline std::string pongs(int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out += encode_event_head("pong", JsonValue::object());
  return out;
}

inline std::vector<int16_t> ramp(size_t count, int16_t first = 0) {
  std::vector<int16_t> out(count);
  for (size_t i = 0; i < count; ++i)
    out[i] = static_cast<int16_t>(first + static_cast<int16_t>(i));
  return out;
}

/// A ring holding `count` samples of a ramp (sample i has value i mod 2^16).
struct Recording {
  explicit Recording(size_t capacity, size_t count) : storage(capacity), ring(storage.data(), capacity) {
    std::vector<int16_t> samples = ramp(count);
    ring.write(samples.data(), samples.size());
  }
  std::vector<int16_t> storage;
  SampleRing ring;
};

inline Job job_for(uint64_t start, uint64_t end, uint32_t timeout_ms) {
  Job job;
  job.trigger.satellite = "kitchen";
  job.trigger.wake_word = "hey katya";
  job.trigger.sentry_score = 0.875f;
  job.trigger.listening_s = 12.5;
  job.start = start;
  job.end = end;
  job.started_ms = monotonic_ms();
  job.deadline_ms = job.started_ms + timeout_ms;
  return job;
}

inline ClientConfig client_config(uint16_t port) {
  ClientConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  return config;
}
