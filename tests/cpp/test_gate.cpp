// Unit tests of the gate core's behaviour: the state machine, the Judge client against scripted peers
// (unreachable, slow, closing, malformed) and the loop/task hand-off.

#include "core_fixtures.h"

#include <thread>

// ---- gate state machine ----------------------------------------------------------------------

namespace {

constexpr uint64_t AT = 100000;  // the trigger's stream sample
constexpr uint64_t PRE = 32000;  // 2 s
constexpr uint64_t POST = 4000;  // 0.25 s

Reply reply_of(Result result, float score = NAN) {
  Reply reply;
  reply.result = result;
  reply.score = score;
  return reply;
}

/// Triggers at AT, records the post-roll, takes the job, answers `reply`.
std::optional<Outcome> run_gate(Gate &gate, const Reply &reply) {
  TriggerInfo info;
  info.wake_word = "hey katya";
  gate.trigger(info, AT, 1000);
  Step step = gate.poll(AT + POST, 0, 1300);
  if (!step.job.has_value())
    return std::nullopt;
  return gate.on_reply(reply);
}

}  // namespace

TEST(gate_defaults_are_the_cascade_buffer) {
  GateConfig config;
  CHECK_EQ(config.pre_roll_ms, 2000u);
  CHECK_EQ(config.post_roll_ms, 250u);
  CHECK(config.mode == Mode::Confirm);
}

TEST(gate_waits_for_the_post_roll_then_cuts_pre_plus_post) {
  Gate gate(GateConfig{});
  TriggerInfo info;
  info.wake_word = "hey katya";
  TriggerDecision decision = gate.trigger(info, AT, 1000);
  CHECK(decision.started && !decision.wake_now);
  CHECK(!gate.poll(AT + POST - 1, 0, 1240).job.has_value());
  Step step = gate.poll(AT + POST + 123, 0, 1260);
  CHECK(step.job.has_value() && !step.short_post_roll);
  CHECK_EQ(step.job->start, AT - PRE);
  CHECK_EQ(step.job->end, AT + POST);
  CHECK_EQ(step.job->deadline_ms, 1260u + DEFAULT_TIMEOUT_MS);
  CHECK(gate.awaiting_reply());
}

TEST(gate_confirm_wakes_only_when_the_judge_accepts) {
  Gate gate(GateConfig{});
  auto accepted = run_gate(gate, reply_of(Result::Accepted, 0.9f));
  CHECK(accepted.has_value() && accepted->action == Action::Wake && accepted->score == 0.9f);
  auto rejected = run_gate(gate, reply_of(Result::Rejected, 0.1f));
  CHECK(rejected.has_value() && rejected->action == Action::None && rejected->result == Result::Rejected);
  CHECK(gate.idle());
}

TEST(gate_optimistic_wakes_at_the_trigger_and_cancels_on_reject) {
  GateConfig config;
  config.mode = Mode::Optimistic;
  Gate gate(config);
  TriggerDecision decision = gate.trigger(TriggerInfo{}, AT, 0);
  CHECK(decision.started && decision.wake_now);
  gate.poll(AT + POST, 0, 250);
  auto rejected = gate.on_reply(reply_of(Result::Rejected, 0.1f));
  CHECK(rejected.has_value() && rejected->action == Action::Cancel);
  auto accepted = run_gate(gate, reply_of(Result::Accepted, 0.9f));
  CHECK(accepted.has_value() && accepted->action == Action::None);
}

TEST(gate_policies_decide_timeouts_and_errors) {
  struct Row {
    Mode mode;
    Policy timeout_policy, error_policy;
    Action on_timeout, on_error;
  } rows[] = {
      {Mode::Confirm, Policy::Accept, Policy::Accept, Action::Wake, Action::Wake},
      {Mode::Confirm, Policy::Reject, Policy::Accept, Action::None, Action::Wake},
      {Mode::Confirm, Policy::Accept, Policy::Reject, Action::Wake, Action::None},
      {Mode::Optimistic, Policy::Accept, Policy::Accept, Action::None, Action::None},
      {Mode::Optimistic, Policy::Reject, Policy::Reject, Action::Cancel, Action::Cancel},
  };
  for (const auto &row : rows) {
    GateConfig config;
    config.mode = row.mode;
    config.timeout_policy = row.timeout_policy;
    config.error_policy = row.error_policy;
    Gate gate(config);
    CHECK(run_gate(gate, reply_of(Result::Timeout))->action == row.on_timeout);
    CHECK(run_gate(gate, reply_of(Result::Error))->action == row.on_error);
  }
}

TEST(gate_times_out_a_silent_judge_and_ignores_its_late_reply) {
  GateConfig config;
  config.timeout_ms = 800;
  config.timeout_policy = Policy::Reject;
  Gate gate(config);
  gate.trigger(TriggerInfo{}, AT, 1000);
  Step job = gate.poll(AT + POST, 0, 1250);
  CHECK(job.job.has_value());
  CHECK(!gate.poll(AT + POST, 0, 2049).outcome.has_value());
  Step timeout = gate.poll(AT + POST, 0, 2050);
  CHECK(timeout.outcome.has_value() && timeout.outcome->result == Result::Timeout);
  CHECK(timeout.outcome->action == Action::None);
  CHECK_EQ(timeout.outcome->latency_ms, 800u);
  // the Judge task is still out: no new trigger until it is back, and its late verdict is dropped
  CHECK(!gate.trigger(TriggerInfo{}, AT + 50000, 2100).started);
  CHECK(!gate.on_reply(reply_of(Result::Accepted, 0.9f)).has_value());
  CHECK(gate.idle());
  CHECK(gate.trigger(TriggerInfo{}, AT + 50000, 2200).started);
}

TEST(gate_refuses_a_trigger_while_busy) {
  Gate gate(GateConfig{});
  CHECK(gate.trigger(TriggerInfo{}, AT, 0).started);
  TriggerDecision second = gate.trigger(TriggerInfo{}, AT + 10, 10);
  CHECK(!second.started && !second.wake_now);
  CHECK_CONTAINS(second.reason, "busy");
}

TEST(gate_cuts_short_what_the_microphone_did_not_record) {
  Gate gate(GateConfig{});
  gate.trigger(TriggerInfo{}, AT, 1000);
  // just booted: only 0.5 s before the trigger is held; the microphone stopped 1000 samples after it
  CHECK(!gate.poll(AT + 1000, AT - 8000, 1000 + 250 + POST_ROLL_GRACE_MS - 1).job.has_value());
  Step step = gate.poll(AT + 1000, AT - 8000, 1000 + 250 + POST_ROLL_GRACE_MS);
  CHECK(step.job.has_value() && step.short_post_roll);
  CHECK_EQ(step.job->start, AT - 8000);
  CHECK_EQ(step.job->end, AT + 1000);
}

TEST(gate_without_microphone_audio_is_an_error) {
  GateConfig config;
  config.error_policy = Policy::Reject;
  Gate gate(config);
  gate.trigger(TriggerInfo{}, 0, 1000);
  Step step = gate.poll(0, 0, 2000);
  CHECK(!step.job.has_value() && step.outcome.has_value());
  CHECK(step.outcome->result == Result::Error && step.outcome->action == Action::None);
  CHECK_CONTAINS(step.outcome->detail, "microphone was not running");
  CHECK(gate.idle());
}

TEST(gate_log_lines_say_what_the_judge_said_and_what_happens) {
  Outcome out;
  out.wake_word = "hey katya";
  out.result = Result::Accepted;
  out.score = 0.9123f;
  out.latency_ms = 87;
  out.action = Action::Wake;
  CHECK_EQ(out.log_line(Mode::Confirm), std::string("'hey katya' accepted by the Judge (score 0.912, 87 ms): wake"));
  out.result = Result::Error;
  out.score = NAN;
  out.detail = "Judge unreachable: cannot connect";
  out.action = Action::Cancel;
  CHECK_EQ(out.log_line(Mode::Optimistic),
           std::string("'hey katya' not judged (error) (no score, 87 ms, Judge unreachable: cannot connect): "
                       "cancel the wake (optimistic)"));
  Mode mode;
  Policy policy;
  CHECK(parse_mode("optimistic", mode) && mode == Mode::Optimistic);
  CHECK(!parse_mode("Confirm", mode));
  CHECK(parse_policy("reject", policy) && policy == Policy::Reject);
  CHECK(!parse_policy("maybe", policy));
}

// ---- Judge client, against scripted peers ------------------------------------------------------

TEST(client_sends_detect_with_the_trigger_then_the_buffer_and_reads_the_verdict) {
  std::vector<WyomingEvent> seen;
  fake::FakeJudge judge([&](fake::Conn &conn, int) {
    if (conn.read_stream(seen))
      conn.write(verdict_event("detection", true, 0.8125));
  });
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  Job job = job_for(4000, 40000, 2000);
  job.trigger.model = "hey_katya";
  Reply reply = client.verify(job, mic.ring);
  CHECK(reply.result == Result::Accepted);
  CHECK_EQ(reply.score, 0.8125f);
  CHECK(transport.is_open());  // kept for the next trigger
  CHECK(seen.size() >= 4);
  CHECK_EQ(seen.front().type, std::string("detect"));
  const JsonValue *trigger = seen.front().data.get("context")->get("trigger");
  CHECK_EQ(trigger->get("satellite")->as_string(), std::string("kitchen"));
  CHECK_EQ(trigger->get("wake_word")->as_string(), std::string("hey katya"));
  CHECK_EQ(trigger->get("sentry_score")->as_number(), 0.875);
  CHECK_EQ(trigger->get("listening_s")->as_number(), 12.5);
  CHECK_EQ(seen.front().data.get("names")->items()[0].as_string(), std::string("hey_katya"));
  CHECK_EQ(seen[1].type, std::string("audio-start"));
  CHECK_EQ(seen[1].data.get("rate")->as_number(), 16000.0);
  CHECK_EQ(seen[1].data.get("width")->as_number(), 2.0);
  CHECK_EQ(seen[1].data.get("channels")->as_number(), 1.0);
  CHECK_EQ(seen.back().type, std::string("audio-stop"));
  std::vector<uint8_t> pcm;
  for (const auto &e : seen) {
    if (e.type == "audio-chunk")
      pcm.insert(pcm.end(), e.payload.begin(), e.payload.end());
  }
  CHECK_EQ(pcm.size(), 36000u * 2);
  bool same = pcm.size() == 72000;
  for (size_t i = 0; same && i < 36000; ++i)  // little-endian int16, samples 4000..39999 of the ramp
    same = static_cast<int16_t>(pcm[2 * i] | (pcm[2 * i + 1] << 8)) == static_cast<int16_t>(4000 + i);
  CHECK(same);
}

TEST(client_judge_unreachable_is_an_error) {
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(fake::closed_port()));
  Reply reply = client.verify(job_for(0, 36000, 2000), mic.ring);
  CHECK(reply.result == Result::Error);
  CHECK_CONTAINS(reply.detail, "Judge unreachable: cannot connect to 127.0.0.1:");
  CHECK(reply.latency_ms < 1000);
  CHECK(!transport.is_open());
}

TEST(client_unknown_host_is_an_error) {
  Recording mic(48000, 40000);
  SocketTransport transport;
  ClientConfig config = client_config(10400);
  config.host = "judge.invalid";
  JudgeClient client(transport, config);
  Reply reply = client.verify(job_for(0, 36000, 2000), mic.ring);
  CHECK(reply.result == Result::Error);
  CHECK_CONTAINS(reply.detail, "cannot resolve host 'judge.invalid'");
}

TEST(client_slow_judge_times_out_by_the_deadline) {
  fake::FakeJudge judge([](fake::Conn &conn, int) {
    std::vector<WyomingEvent> events;
    if (conn.read_stream(events))
      conn.wait_for_close(3000);  // reads everything, never answers
  });
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  Reply reply = client.verify(job_for(0, 36000, 300), mic.ring);
  CHECK(reply.result == Result::Timeout);
  CHECK_CONTAINS(reply.detail, "no verdict within 300 ms (waiting for the Judge");
  CHECK(reply.latency_ms >= 300 && reply.latency_ms < 600);
  CHECK(!transport.is_open());  // a late verdict must not be read as the next trigger's
}

TEST(client_judge_closing_mid_verdict_is_an_error) {
  fake::FakeJudge judge([](fake::Conn &conn, int) {
    std::vector<WyomingEvent> events;
    if (conn.read_stream(events))
      conn.write(verdict_event("detection", true, 0.9).substr(0, 25));
  });
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  Reply reply = client.verify(job_for(0, 36000, 2000), mic.ring);
  CHECK(reply.result == Result::Error);
  CHECK_CONTAINS(reply.detail, "closed the connection in the middle of its reply");
  CHECK_EQ(judge.connections(), 1);  // not retried: the Judge had started answering
}

TEST(client_judge_closing_before_its_verdict_is_an_error) {
  fake::FakeJudge judge([](fake::Conn &conn, int) {
    std::vector<WyomingEvent> events;
    conn.read_stream(events);
  });
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  Reply reply = client.verify(job_for(0, 36000, 2000), mic.ring);
  CHECK(reply.result == Result::Error);
  CHECK_CONTAINS(reply.detail, "closed the connection before its verdict");
}

TEST(client_malformed_replies_are_errors) {
  struct Bad {
    std::string reply;
    const char *message;
  } cases[] = {
      {"this is not json\n", "malformed reply from the Judge: malformed event header"},
      {"{\"type\": \"detection\", \"payload_length\": 999999999}\n", "payload_length 999999999 is over the limit"},
      {std::string(5000, '{'), "longer than 4096 bytes"},
      {encode_event_head("detection", json(R"({"context": {"verdict": {"prediction": true, "confidence": "high"}}})")),
       "context.verdict.confidence must be a number in [0, 1]"},
      {encode_event_head("detection", json(R"({"context": {"verdict": {"prediction": true, "confidence": 1.5}}})")),
       "confidence must be a number in [0, 1]"},
      {verdict_event("not-detected", true, 0.9), "a not-detected event whose prediction is true"},
      {pongs(20),
       "events and no verdict (last: pong)"},
  };
  for (const auto &bad : cases) {
    fake::FakeJudge judge([&](fake::Conn &conn, int) {
      std::vector<WyomingEvent> events;
      if (conn.read_stream(events))
        conn.write(bad.reply);
      conn.wait_for_close(2000);
    });
    Recording mic(48000, 40000);
    SocketTransport transport;
    JudgeClient client(transport, client_config(judge.port()));
    Reply reply = client.verify(job_for(0, 36000, 2000), mic.ring);
    CHECK(reply.result == Result::Error);
    CHECK_CONTAINS(reply.detail, bad.message);
    CHECK(!transport.is_open());
  }
}

TEST(client_error_event_is_an_error_with_the_judges_text) {
  fake::FakeJudge judge([](fake::Conn &conn, int) {
    std::vector<WyomingEvent> events;
    if (conn.read_stream(events))
      conn.write(encode_event_head("error", json(R"({"text": "Unknown wake model 'x'.", "code": "ConfigError"})")));
  });
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  Reply reply = client.verify(job_for(0, 36000, 2000), mic.ring);
  CHECK(reply.result == Result::Error);
  CHECK_CONTAINS(reply.detail, "the Judge refused the trigger: Unknown wake model 'x'.");
}

TEST(client_reuses_its_connection_and_reconnects_after_a_judge_restart) {
  fake::FakeJudge judge([](fake::Conn &conn, int index) {
    std::vector<WyomingEvent> events;
    // connection 0 answers two triggers, then the "Judge restarts" (closes while the satellite is idle)
    for (int i = 0; i < (index == 0 ? 2 : 1); ++i) {
      if (!conn.read_stream(events))
        return;
      conn.write(verdict_event(i == 0 ? "detection" : "not-detected", i == 0, i == 0 ? 0.9 : 0.2));
    }
  });
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  CHECK(client.verify(job_for(0, 36000, 2000), mic.ring).result == Result::Accepted);
  CHECK(client.verify(job_for(0, 36000, 2000), mic.ring).result == Result::Rejected);
  CHECK_EQ(judge.connections(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Reply third = client.verify(job_for(0, 36000, 2000), mic.ring);
  CHECK(third.result == Result::Accepted);
  CHECK_EQ(judge.connections(), 2);
}

TEST(client_takes_a_plain_wyoming_verdict_without_a_score) {
  fake::FakeJudge judge([](fake::Conn &conn, int) {
    std::vector<WyomingEvent> events;
    if (conn.read_stream(events))
      conn.write(encode_event_head("not-detected", JsonValue::object()));
  });
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  Reply reply = client.verify(job_for(0, 36000, 2000), mic.ring);
  CHECK(reply.result == Result::Rejected);
  CHECK(std::isnan(reply.score));
  CHECK_CONTAINS(reply.detail, "no score");
}

TEST(client_refuses_audio_the_ring_has_already_overwritten) {
  fake::FakeJudge judge([](fake::Conn &conn, int) {
    std::vector<WyomingEvent> events;
    conn.read_stream(events);
  });
  Recording mic(10000, 40000);  // holds samples 30000..39999 only
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  Reply reply = client.verify(job_for(4000, 40000, 2000), mic.ring);
  CHECK(reply.result == Result::Error);
  CHECK_CONTAINS(reply.detail, "overwritten before it was sent");
}

// ---- worker: the loop never waits for the Judge ------------------------------------------------

TEST(worker_runs_jobs_on_its_thread_while_the_loop_goes_on) {
  fake::FakeJudge judge([](fake::Conn &conn, int) {
    std::vector<WyomingEvent> events;
    if (conn.read_stream(events)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      conn.write(verdict_event("detection", true, 0.7));
    }
  });
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  Worker worker(client, mic.ring);
  std::thread task([&] { worker.serve(); });
  CHECK(worker.submit(job_for(0, 36000, 2000)));
  CHECK(!worker.submit(job_for(0, 36000, 2000)));  // one at a time
  uint64_t begin = monotonic_ms();
  CHECK(!worker.take_reply().has_value());
  CHECK(monotonic_ms() - begin < 50);  // polling returns at once
  std::optional<Reply> reply;
  while (!(reply = worker.take_reply()).has_value() && monotonic_ms() - begin < 3000)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(reply.has_value() && reply->result == Result::Accepted);
  CHECK(!worker.busy());
  worker.stop();
  task.join();
}

TEST(worker_and_gate_time_out_a_slow_judge_and_recover) {
  fake::FakeJudge judge([](fake::Conn &conn, int index) {
    std::vector<WyomingEvent> events;
    if (!conn.read_stream(events))
      return;
    if (index == 0)
      conn.wait_for_close(3000);  // the first trigger is never answered
    else
      conn.write(verdict_event("detection", true, 0.95));
  });
  Recording mic(48000, 40000);
  SocketTransport transport;
  JudgeClient client(transport, client_config(judge.port()));
  Worker worker(client, mic.ring);
  std::thread task([&] { worker.serve(); });
  GateConfig config;
  config.timeout_ms = 300;
  Gate gate(config);
  std::vector<Outcome> outcomes;
  auto loop_until_idle = [&](uint64_t at) {
    gate.trigger(TriggerInfo{}, at, monotonic_ms());
    uint64_t begin = monotonic_ms();
    while (!gate.idle() && monotonic_ms() - begin < 3000) {
      Step step = gate.poll(40000, mic.ring.oldest(), monotonic_ms());
      if (step.job.has_value())
        worker.submit(*step.job);
      if (step.outcome.has_value())
        outcomes.push_back(*step.outcome);
      if (auto reply = worker.take_reply())
        if (auto out = gate.on_reply(*reply))
          outcomes.push_back(*out);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  loop_until_idle(36000);
  loop_until_idle(36000);
  CHECK_EQ(outcomes.size(), 2u);
  if (outcomes.size() == 2) {
    CHECK(outcomes[0].result == Result::Timeout && outcomes[0].action == Action::Wake);
    CHECK(outcomes[1].result == Result::Accepted && outcomes[1].score == 0.95f);
  }
  worker.stop();
  task.join();
}
