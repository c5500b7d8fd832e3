#pragma once
// The gate's state machine: what happens between a sentry trigger and the decision to wake.
//
//   idle --trigger--> collecting (post-roll) --buffer complete--> verifying --reply--> idle
//                                                                     \--deadline--> timed out --reply--> idle
//
// One trigger at a time: a trigger while the gate is busy is refused (micro_wake_word's own refractory
// time makes that rare). Pure logic: time and stream positions are arguments, so the host tests drive
// it with made-up clocks and the ESPHome component with millis() and the ring's counters.
//
// The decision each outcome carries depends on the mode:
//   confirm    - wake only when the Judge accepts (or the policy of a timeout / error says accept);
//   optimistic - wake at the trigger; cancel when the Judge rejects (or the policy says reject).

#include "gate_client.h"

#include <cstdint>
#include <optional>
#include <string>

namespace wakesmith::gate {

enum class Mode { Confirm, Optimistic };
enum class Policy { Accept, Reject };
/// What the satellite should do now.
enum class Action { None, Wake, Cancel };

/// The cascade's trigger buffer (training/wakesmith/runtime/cascade.py: PRE_ROLL_S, POST_ROLL_S).
static constexpr uint32_t DEFAULT_PRE_ROLL_MS = 2000;
static constexpr uint32_t DEFAULT_POST_ROLL_MS = 250;
static constexpr uint32_t DEFAULT_TIMEOUT_MS = 1000;
/// How long past the post-roll the gate waits for microphone audio before it sends what it has.
static constexpr uint32_t POST_ROLL_GRACE_MS = 500;

struct GateConfig {
  Mode mode{Mode::Confirm};
  Policy timeout_policy{Policy::Accept};
  Policy error_policy{Policy::Accept};
  uint32_t pre_roll_ms{DEFAULT_PRE_ROLL_MS};
  uint32_t post_roll_ms{DEFAULT_POST_ROLL_MS};
  /// From the complete buffer to the verdict (connect + send + judge).
  uint32_t timeout_ms{DEFAULT_TIMEOUT_MS};
};

struct Outcome {
  Result result{Result::Error};
  Action action{Action::None};
  std::string wake_word;
  float score{NAN};
  std::string detail;
  uint32_t latency_ms{0};
  /// One line for the log: what the Judge said, why, and what the satellite does.
  std::string log_line(Mode mode) const;
};

struct TriggerDecision {
  bool started{false};
  /// Optimistic mode: wake now, before the verdict.
  bool wake_now{false};
  /// Why a trigger was refused.
  std::string reason;
};

/// What one poll() asks the caller to do: hand a job to the Judge task, and/or report an outcome.
struct Step {
  std::optional<Job> job;
  std::optional<Outcome> outcome;
  /// The buffer was cut short: the microphone stopped before the post-roll was recorded.
  bool short_post_roll{false};
};

class Gate {
 public:
  explicit Gate(GateConfig config) : config_(config) {}

  /// A sentry trigger at stream sample `at` (the ring's write position when the sentry fired).
  TriggerDecision trigger(TriggerInfo info, uint64_t at, uint64_t now_ms);
  /// Called every loop: hands out the job once the post-roll is recorded, and times out a silent Judge.
  /// `written` / `oldest` are the ring's counters.
  Step poll(uint64_t written, uint64_t oldest, uint64_t now_ms);
  /// The Judge task's reply. No outcome when the gate had already timed out (a late reply).
  std::optional<Outcome> on_reply(const Reply &reply);

  bool idle() const { return state_ == State::Idle; }
  /// Waiting for the Judge task (verifying or timed out): no new job may be handed out.
  bool awaiting_reply() const { return state_ == State::Verifying || state_ == State::TimedOut; }
  const char *state_name() const;
  const GateConfig &config() const { return config_; }

 private:
  enum class State { Idle, Collecting, Verifying, TimedOut };
  Outcome outcome_(const Reply &reply) const;
  uint64_t samples_(uint32_t ms) const { return static_cast<uint64_t>(ms) * SAMPLE_RATE / 1000; }

  GateConfig config_;
  State state_{State::Idle};
  TriggerInfo info_;
  uint64_t at_{0};
  uint64_t triggered_ms_{0};
  uint64_t started_ms_{0};
  uint64_t deadline_ms_{0};
};

/// Parses "confirm" / "optimistic" and "accept" / "reject" (false for anything else).
bool parse_mode(const std::string &text, Mode &out);
bool parse_policy(const std::string &text, Policy &out);
const char *mode_name(Mode mode);
const char *policy_name(Policy policy);

}  // namespace wakesmith::gate
