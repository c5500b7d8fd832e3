#pragma once
// One trigger verification over Wyoming: the Judge's side is training/wakesmith/judge/wyoming_server.py.
//
//   detect {names?, context: {trigger: {satellite, wake_word, sentry_score?, listening_s}}}
//   audio-start {rate: 16000, width: 2, channels: 1}
//   audio-chunk ... (the trigger buffer, read from the ring while it is sent)
//   audio-stop
//   <- detection (accept) | not-detected (reject), each with context.verdict {prediction, confidence, ...}
//   <- error {text} (the Judge refused the stream: an unknown model name, a limit, ...)
//
// The connection is kept for the next trigger after a clean verdict and closed after anything else.
// A kept connection that turns out dead (the Judge restarted) is reconnected once within the deadline.

#include "gate_ring.h"
#include "gate_transport.h"
#include "gate_wyoming.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

namespace wakesmith::gate {

static constexpr uint32_t SAMPLE_RATE = 16000;
static constexpr uint32_t SAMPLE_WIDTH = 2;
static constexpr uint32_t CHANNELS = 1;

struct TriggerInfo {
  std::string satellite;
  std::string wake_word;
  /// The Judge model to ask (Wyoming `names`); empty: the Judge's first model.
  std::string model;
  /// The sentry's score when the caller knows it; NaN: not sent.
  float sentry_score{NAN};
  /// Seconds of microphone audio the gate has heard since boot (the Judge's false accepts per
  /// listening hour); negative: not sent.
  double listening_s{-1.0};
};

enum class Result { Accepted, Rejected, Timeout, Error };
const char *result_name(Result result);

/// What the Judge (or its absence) said about one trigger.
struct Reply {
  Result result{Result::Error};
  /// The Judge's confidence; NaN when it gave none (timeouts, errors, a plain Wyoming wake service).
  float score{NAN};
  /// Why, for timeouts and errors; the Judge's model for verdicts.
  std::string detail;
  uint32_t latency_ms{0};
};

/// A trigger buffer to verify: samples [start, end) of the ring, answered by `deadline_ms`.
struct Job {
  TriggerInfo trigger;
  uint64_t start{0};
  uint64_t end{0};
  uint64_t started_ms{0};
  uint64_t deadline_ms{0};
};

struct ClientConfig {
  std::string host;
  uint16_t port{10400};
  /// Samples per audio-chunk (64 ms at 16 kHz).
  size_t chunk_samples{1024};
  WyomingLimits limits{};
  /// Events other than a verdict the gate reads past (e.g. a late pong) before it calls the reply malformed.
  size_t max_other_events{16};
};

class JudgeClient {
 public:
  JudgeClient(Transport &transport, ClientConfig config) : transport_(transport), config_(std::move(config)) {}

  /// Sends the job's buffer and waits for the verdict; returns by the job's deadline.
  Reply verify(const Job &job, const SampleRing &ring);

  const ClientConfig &config() const { return config_; }

 private:
  enum class Stage { Connecting, Sending, Waiting };
  Reply attempt_(const Job &job, const SampleRing &ring, bool &retry);
  Reply io_failure_(IoStatus status, Stage stage, const Job &job);
  bool send_event_(const std::string &type, const JsonValue &data, const uint8_t *payload, size_t payload_length,
                   uint64_t deadline_ms, IoStatus &status);
  Reply read_verdict_(const Job &job, bool &received_any);

  Transport &transport_;
  ClientConfig config_;
};

/// The verdict in a `detection` / `not-detected` event (or an error Reply if it is malformed).
Reply parse_verdict(const WyomingEvent &event);

}  // namespace wakesmith::gate
