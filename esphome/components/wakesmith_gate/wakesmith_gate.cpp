#include "wakesmith_gate.h"

#ifdef USE_ESP32

#include "esphome/core/helpers.h"
#include "esphome/core/log.h"

#include <cmath>

namespace esphome::wakesmith_gate {

static const char *const TAG = "wakesmith_gate";

/// Audio the ring holds beyond pre + post roll: the time the Judge task has to send the oldest
/// samples before the microphone overwrites them (a LAN sends 2.25 s of 16 kHz PCM in ~50 ms).
static const uint32_t RING_MARGIN_MS = 500;
/// Bytes of stack of the Judge task (sockets, JSON of small events, one 2 KB audio chunk on the heap).
static const uint32_t JUDGE_TASK_STACK_SIZE = 6144;
/// Below micro_wake_word's inference task (3): verifying never delays the sentry.
static const UBaseType_t JUDGE_TASK_PRIORITY = 2;

void WakesmithGate::setup() {
  const uint32_t ring_ms = this->gate_config_.pre_roll_ms + this->gate_config_.post_roll_ms + RING_MARGIN_MS;
  const size_t capacity = static_cast<size_t>(ring_ms) * core::SAMPLE_RATE / 1000;
  RAMAllocator<int16_t> allocator;  // PSRAM when the board has it, internal RAM otherwise
  this->storage_ = allocator.allocate(capacity);
  if (this->storage_ == nullptr) {
    ESP_LOGE(TAG, "Cannot allocate the %u ms ring buffer (%u bytes): triggers pass straight through",
             static_cast<unsigned>(ring_ms),
             static_cast<unsigned>(capacity * sizeof(int16_t)));
    this->mark_failed();
    return;
  }
  this->ring_ = std::make_unique<core::SampleRing>(this->storage_, capacity);
  this->client_ = std::make_unique<core::JudgeClient>(this->transport_, this->client_config_);
  this->worker_ = std::make_unique<core::Worker>(*this->client_, *this->ring_);
  this->gate_ = std::make_unique<core::Gate>(this->gate_config_);

  // Passive source: it records whenever another component (micro_wake_word) runs the microphone.
  this->source_->add_data_callback([this](const std::vector<uint8_t> &data) {
    this->ring_->write(reinterpret_cast<const int16_t *>(data.data()), data.size() / sizeof(int16_t));
  });

  if (xTaskCreate(WakesmithGate::judge_task, "wakesmith_gate", JUDGE_TASK_STACK_SIZE, this, JUDGE_TASK_PRIORITY,
                  &this->task_) != pdPASS) {
    ESP_LOGE(TAG, "Cannot start the Judge task: triggers pass straight through");
    this->gate_.reset();
    this->mark_failed();
  }
}

void WakesmithGate::judge_task(void *params) {
  auto *gate = static_cast<WakesmithGate *>(params);
  gate->worker_->serve();  // never returns on the device
  vTaskDelete(nullptr);
}

void WakesmithGate::dump_config() {
  ESP_LOGCONFIG(TAG, "Wakesmith gate:");
  ESP_LOGCONFIG(TAG, "  Judge: %s:%u (model: %s)", this->client_config_.host.c_str(), this->client_config_.port,
                this->model_.empty() ? "the Judge's first" : this->model_.c_str());
  ESP_LOGCONFIG(TAG, "  Satellite: %s", this->satellite_.c_str());
  ESP_LOGCONFIG(TAG, "  Mode: %s, timeout %u ms (policy %s), errors: %s",
                core::mode_name(this->gate_config_.mode), static_cast<unsigned>(this->gate_config_.timeout_ms),
                core::policy_name(this->gate_config_.timeout_policy),
                core::policy_name(this->gate_config_.error_policy));
  ESP_LOGCONFIG(TAG, "  Buffer: %u ms pre-roll + %u ms post-roll%s", static_cast<unsigned>(this->gate_config_.pre_roll_ms),
                static_cast<unsigned>(this->gate_config_.post_roll_ms),
                this->hold_ != nullptr ? " (holds the microphone)" : "");
  if (this->ring_ != nullptr)
    ESP_LOGCONFIG(TAG, "  Ring: %u samples", static_cast<unsigned>(this->ring_->capacity()));
}

void WakesmithGate::verify(const std::string &wake_word, float sentry_score) {
  if (this->gate_ == nullptr) {
    // The gate never makes the satellite deaf: without its buffer it lets the sentry decide alone.
    ESP_LOGE(TAG, "'%s' not verified: the gate failed at boot (see above); waking without the Judge",
             wake_word.c_str());
    this->wake_trigger_.trigger(wake_word, NAN);
    return;
  }
  core::TriggerInfo info;
  info.satellite = this->satellite_;
  info.wake_word = wake_word;
  info.model = this->model_;
  info.sentry_score = sentry_score;
  const uint64_t at = this->ring_->written();
  info.listening_s = static_cast<double>(at) / core::SAMPLE_RATE;
  core::TriggerDecision decision = this->gate_->trigger(info, at, core::monotonic_ms());
  if (!decision.started) {
    ESP_LOGW(TAG, "'%s' ignored: %s", wake_word.c_str(), decision.reason.c_str());
    return;
  }
  if (this->hold_ != nullptr && !this->holding_) {
    this->hold_->start();  // counted: the microphone runs on while micro_wake_word stops
    this->holding_ = true;
  }
  ESP_LOGD(TAG, "'%s' triggered: asking the Judge after %u ms of post-roll", wake_word.c_str(),
           static_cast<unsigned>(this->gate_config_.post_roll_ms));
  if (decision.wake_now)
    this->wake_trigger_.trigger(wake_word, NAN);
}

void WakesmithGate::release_microphone_() {
  if (this->holding_) {
    this->hold_->stop();
    this->holding_ = false;
  }
}

void WakesmithGate::loop() {
  if (this->gate_ == nullptr)
    return;
  core::Step step = this->gate_->poll(this->ring_->written(), this->ring_->oldest(), core::monotonic_ms());
  if (step.job.has_value() || step.outcome.has_value())
    this->release_microphone_();
  if (step.short_post_roll) {
    ESP_LOGW(TAG, "The microphone stopped before the post-roll was recorded: set micro_wake_word's "
                  "stop_after_detection: false, or hold_microphone: true");
  }
  if (step.job.has_value() && !this->worker_->submit(*step.job)) {
    core::Reply busy;
    busy.detail = "the Judge task is still busy with an earlier trigger";
    std::optional<core::Outcome> outcome = this->gate_->on_reply(busy);
    if (outcome.has_value())
      this->report_(*outcome);
  }
  if (step.outcome.has_value())
    this->report_(*step.outcome);
  std::optional<core::Reply> reply = this->worker_->take_reply();
  if (reply.has_value()) {
    std::optional<core::Outcome> outcome = this->gate_->on_reply(*reply);
    if (outcome.has_value()) {
      this->report_(*outcome);
    } else {
      ESP_LOGD(TAG, "A late reply from the Judge was dropped (%s)", core::result_name(reply->result));
    }
  }
}

void WakesmithGate::report_(const core::Outcome &outcome) {
  std::string line = outcome.log_line(this->gate_config_.mode);
  switch (outcome.result) {
    case core::Result::Accepted:
      ESP_LOGI(TAG, "%s", line.c_str());
      this->accepted_trigger_.trigger(outcome.wake_word, outcome.score);
      break;
    case core::Result::Rejected:
      ESP_LOGI(TAG, "%s", line.c_str());
      this->rejected_trigger_.trigger(outcome.wake_word, outcome.score);
      break;
    case core::Result::Timeout:
      ESP_LOGW(TAG, "%s", line.c_str());
      this->timeout_trigger_.trigger(outcome.wake_word, outcome.score);
      break;
    case core::Result::Error:
      ESP_LOGW(TAG, "%s", line.c_str());
      this->error_trigger_.trigger(outcome.wake_word, outcome.score);
      break;
  }
  if (outcome.action == core::Action::Wake)
    this->wake_trigger_.trigger(outcome.wake_word, outcome.score);
  else if (outcome.action == core::Action::Cancel)
    this->cancel_trigger_.trigger(outcome.wake_word, outcome.score);
}

}  // namespace esphome::wakesmith_gate

#endif  // USE_ESP32
