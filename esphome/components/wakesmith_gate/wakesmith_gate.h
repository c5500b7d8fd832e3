#pragma once
// ESPHome wrapper of the gate core (gate_*.h): microphone in, Judge task out, automations fired.
//
// Threads: the microphone's task writes the ring (SampleRing locks); the main loop runs the Gate and
// fires every trigger; a FreeRTOS task of this component runs the Worker, so the socket I/O to the
// Judge never blocks the loop.

#ifdef USE_ESP32

#include "gate_client.h"
#include "gate_machine.h"
#include "gate_ring.h"
#include "gate_socket.h"
#include "gate_worker.h"

#include "esphome/components/microphone/microphone.h"
#include "esphome/components/microphone/microphone_source.h"
#include "esphome/core/automation.h"
#include "esphome/core/component.h"

#include <freertos/FreeRTOS.h>
#include <freertos/task.h>

#include <memory>
#include <string>

namespace esphome::wakesmith_gate {

namespace core = wakesmith::gate;

class WakesmithGate : public Component {
 public:
  void setup() override;
  void loop() override;
  void dump_config() override;
  float get_setup_priority() const override { return setup_priority::AFTER_CONNECTION; }

  void set_microphone_source(microphone::MicrophoneSource *source) { this->source_ = source; }
  /// The microphone to keep running from the trigger until the post-roll is recorded (hold_microphone).
  void set_hold_microphone(microphone::Microphone *microphone) { this->hold_ = microphone; }
  void set_host(const std::string &host) { this->client_config_.host = host; }
  void set_port(uint16_t port) { this->client_config_.port = port; }
  void set_satellite(const std::string &satellite) { this->satellite_ = satellite; }
  void set_model(const std::string &model) { this->model_ = model; }
  void set_pre_roll_ms(uint32_t ms) { this->gate_config_.pre_roll_ms = ms; }
  void set_post_roll_ms(uint32_t ms) { this->gate_config_.post_roll_ms = ms; }
  void set_timeout_ms(uint32_t ms) { this->gate_config_.timeout_ms = ms; }
  void set_mode(core::Mode mode) { this->gate_config_.mode = mode; }
  void set_timeout_policy(core::Policy policy) { this->gate_config_.timeout_policy = policy; }
  void set_error_policy(core::Policy policy) { this->gate_config_.error_policy = policy; }

  /// The sentry fired (wakesmith_gate.verify in micro_wake_word's on_wake_word_detected).
  /// `sentry_score` is NaN when unknown.
  void verify(const std::string &wake_word, float sentry_score);

  Trigger<std::string, float> *get_wake_trigger() { return &this->wake_trigger_; }
  Trigger<std::string, float> *get_cancel_trigger() { return &this->cancel_trigger_; }
  Trigger<std::string, float> *get_accepted_trigger() { return &this->accepted_trigger_; }
  Trigger<std::string, float> *get_rejected_trigger() { return &this->rejected_trigger_; }
  Trigger<std::string, float> *get_timeout_trigger() { return &this->timeout_trigger_; }
  Trigger<std::string, float> *get_error_trigger() { return &this->error_trigger_; }

 protected:
  static void judge_task(void *params);
  void report_(const core::Outcome &outcome);
  void release_microphone_();

  microphone::MicrophoneSource *source_{nullptr};
  microphone::Microphone *hold_{nullptr};
  bool holding_{false};

  core::ClientConfig client_config_;
  core::GateConfig gate_config_;
  std::string satellite_;
  std::string model_;

  int16_t *storage_{nullptr};
  std::unique_ptr<core::SampleRing> ring_;
  core::SocketTransport transport_;
  std::unique_ptr<core::JudgeClient> client_;
  std::unique_ptr<core::Worker> worker_;
  std::unique_ptr<core::Gate> gate_;
  TaskHandle_t task_{nullptr};

  Trigger<std::string, float> wake_trigger_;
  Trigger<std::string, float> cancel_trigger_;
  Trigger<std::string, float> accepted_trigger_;
  Trigger<std::string, float> rejected_trigger_;
  Trigger<std::string, float> timeout_trigger_;
  Trigger<std::string, float> error_trigger_;
};

template<typename... Ts> class VerifyAction : public Action<Ts...>, public Parented<WakesmithGate> {
  TEMPLATABLE_VALUE(std::string, wake_word);
  TEMPLATABLE_VALUE(float, sentry_score);

 public:
  void play(const Ts &...x) override {
    float score = this->sentry_score_.has_value() ? this->sentry_score_.value(x...) : NAN;
    this->parent_->verify(this->wake_word_.value(x...), score);
  }
};

}  // namespace esphome::wakesmith_gate

#endif  // USE_ESP32
