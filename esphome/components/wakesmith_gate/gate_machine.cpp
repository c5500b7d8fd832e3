#include "gate_machine.h"

#include <algorithm>
#include <cstdio>

namespace wakesmith::gate {

const char *mode_name(Mode mode) { return mode == Mode::Confirm ? "confirm" : "optimistic"; }
const char *policy_name(Policy policy) { return policy == Policy::Accept ? "accept" : "reject"; }

bool parse_mode(const std::string &text, Mode &out) {
  if (text == "confirm" || text == "optimistic") {
    out = text == "confirm" ? Mode::Confirm : Mode::Optimistic;
    return true;
  }
  return false;
}

bool parse_policy(const std::string &text, Policy &out) {
  if (text == "accept" || text == "reject") {
    out = text == "accept" ? Policy::Accept : Policy::Reject;
    return true;
  }
  return false;
}

const char *Gate::state_name() const {
  switch (state_) {
    case State::Idle:
      return "idle";
    case State::Collecting:
      return "collecting post-roll";
    case State::Verifying:
      return "verifying";
    case State::TimedOut:
      return "timed out, waiting for the Judge task";
  }
  return "unknown";
}

TriggerDecision Gate::trigger(TriggerInfo info, uint64_t at, uint64_t now_ms) {
  TriggerDecision decision;
  if (state_ != State::Idle) {
    decision.reason = std::string("the gate is busy (") + state_name() + ") with an earlier trigger";
    return decision;
  }
  info_ = std::move(info);
  at_ = at;
  triggered_ms_ = now_ms;
  state_ = State::Collecting;
  decision.started = true;
  decision.wake_now = config_.mode == Mode::Optimistic;
  return decision;
}

Step Gate::poll(uint64_t written, uint64_t oldest, uint64_t now_ms) {
  Step step;
  if (state_ == State::Collecting) {
    uint64_t end = at_ + samples_(config_.post_roll_ms);
    bool recorded = written >= end;
    bool gave_up = now_ms >= triggered_ms_ + config_.post_roll_ms + POST_ROLL_GRACE_MS;
    if (!recorded && !gave_up)
      return step;
    end = std::min(end, written);
    uint64_t wanted = at_ > samples_(config_.pre_roll_ms) ? at_ - samples_(config_.pre_roll_ms) : 0;
    uint64_t start = std::max(wanted, oldest);
    if (end <= start) {
      state_ = State::Idle;
      Reply reply;
      reply.detail = "no microphone audio to send: the microphone was not running when the sentry fired";
      step.outcome = outcome_(reply);
      return step;
    }
    step.short_post_roll = !recorded;
    Job job;
    job.trigger = info_;
    job.start = start;
    job.end = end;
    job.started_ms = now_ms;
    job.deadline_ms = now_ms + config_.timeout_ms;
    started_ms_ = now_ms;
    deadline_ms_ = job.deadline_ms;
    state_ = State::Verifying;
    step.job = std::move(job);
    return step;
  }
  if (state_ == State::Verifying && now_ms >= deadline_ms_) {
    state_ = State::TimedOut;
    Reply reply;
    reply.result = Result::Timeout;
    reply.detail = "no verdict within " + std::to_string(config_.timeout_ms) + " ms";
    reply.latency_ms = static_cast<uint32_t>(now_ms - started_ms_);
    step.outcome = outcome_(reply);
  }
  return step;
}

std::optional<Outcome> Gate::on_reply(const Reply &reply) {
  State was = state_;
  if (was == State::Verifying || was == State::TimedOut)
    state_ = State::Idle;
  if (was != State::Verifying)
    return std::nullopt;
  return outcome_(reply);
}

Outcome Gate::outcome_(const Reply &reply) const {
  Outcome out;
  out.result = reply.result;
  out.wake_word = info_.wake_word;
  out.score = reply.score;
  out.detail = reply.detail;
  out.latency_ms = reply.latency_ms;
  bool go = false;  // does the satellite go on listening to the user?
  switch (reply.result) {
    case Result::Accepted:
      go = true;
      break;
    case Result::Rejected:
      go = false;
      break;
    case Result::Timeout:
      go = config_.timeout_policy == Policy::Accept;
      break;
    case Result::Error:
      go = config_.error_policy == Policy::Accept;
      break;
  }
  if (config_.mode == Mode::Confirm)
    out.action = go ? Action::Wake : Action::None;
  else
    out.action = go ? Action::None : Action::Cancel;
  return out;
}

std::string Outcome::log_line(Mode mode) const {
  char score_text[32] = "no score";
  if (std::isfinite(score))
    std::snprintf(score_text, sizeof(score_text), "score %.3f", static_cast<double>(score));
  std::string line = "'" + wake_word + "' ";
  switch (result) {
    case Result::Accepted:
      line += "accepted by the Judge";
      break;
    case Result::Rejected:
      line += "rejected by the Judge";
      break;
    case Result::Timeout:
      line += "not judged in time";
      break;
    case Result::Error:
      line += "not judged (error)";
      break;
  }
  line += " (" + std::string(score_text) + ", " + std::to_string(latency_ms) + " ms";
  if (!detail.empty())
    line += ", " + detail;
  line += "): ";
  const char *optimistic_kept = "keep the wake (optimistic)";
  switch (action) {
    case Action::Wake:
      line += "wake";
      break;
    case Action::Cancel:
      line += "cancel the wake (optimistic)";
      break;
    case Action::None:
      line += mode == Mode::Optimistic ? optimistic_kept : "stay asleep";
      break;
  }
  return line;
}

}  // namespace wakesmith::gate
