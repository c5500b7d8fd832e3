#include "gate_client.h"

#include <vector>

namespace wakesmith::gate {

const char *result_name(Result result) {
  switch (result) {
    case Result::Accepted:
      return "accepted";
    case Result::Rejected:
      return "rejected";
    case Result::Timeout:
      return "timeout";
    case Result::Error:
      return "error";
  }
  return "unknown";
}

namespace {

Reply make_reply(Result result, std::string detail) {
  Reply reply;
  reply.result = result;
  reply.detail = std::move(detail);
  return reply;
}

JsonValue audio_format() {
  JsonValue data = JsonValue::object();
  data.set("rate", JsonValue::number(SAMPLE_RATE));
  data.set("width", JsonValue::number(SAMPLE_WIDTH));
  data.set("channels", JsonValue::number(CHANNELS));
  return data;
}

JsonValue detect_data(const TriggerInfo &info) {
  JsonValue trigger = JsonValue::object();
  trigger.set("satellite", JsonValue::string(info.satellite));
  trigger.set("wake_word", JsonValue::string(info.wake_word));
  if (std::isfinite(info.sentry_score))
    trigger.set("sentry_score", JsonValue::number(info.sentry_score));
  if (info.listening_s >= 0.0)
    trigger.set("listening_s", JsonValue::number(std::round(info.listening_s * 1000.0) / 1000.0));
  JsonValue context = JsonValue::object();
  context.set("trigger", trigger);
  JsonValue data = JsonValue::object();
  if (!info.model.empty()) {
    JsonValue names = JsonValue::array();
    names.push(JsonValue::string(info.model));
    data.set("names", names);
  }
  data.set("context", context);
  return data;
}

double milliseconds(uint64_t samples) { return static_cast<double>(samples) * 1000.0 / SAMPLE_RATE; }

}  // namespace

Reply parse_verdict(const WyomingEvent &event) {
  bool accepted = event.type == "detection";
  Reply reply = make_reply(accepted ? Result::Accepted : Result::Rejected, "");
  const JsonValue *context = event.data.get("context");
  const JsonValue *verdict = context != nullptr && context->is_object() ? context->get("verdict") : nullptr;
  if (verdict == nullptr) {
    // A plain Wyoming wake service answers without a score; its verdict still counts.
    reply.detail = "no score in the reply (not a wakesmith Judge?)";
    return reply;
  }
  const JsonValue *confidence = verdict->is_object() ? verdict->get("confidence") : nullptr;
  const JsonValue *prediction = verdict->is_object() ? verdict->get("prediction") : nullptr;
  if (confidence == nullptr || !confidence->is_number() || confidence->as_number() < 0.0 ||
      confidence->as_number() > 1.0)
    return make_reply(Result::Error, "malformed verdict: context.verdict.confidence must be a number in [0, 1]");
  if (prediction == nullptr || !prediction->is_bool())
    return make_reply(Result::Error, "malformed verdict: context.verdict.prediction must be true or false");
  if (prediction->as_bool() != accepted)
    return make_reply(Result::Error, "malformed verdict: a " + event.type + " event whose prediction is " +
                                         (prediction->as_bool() ? "true" : "false"));
  reply.score = static_cast<float>(confidence->as_number());
  const JsonValue *model = verdict->get("model");
  if (model != nullptr && model->is_string())
    reply.detail = "model " + model->as_string();
  return reply;
}

bool JudgeClient::send_event_(const std::string &type, const JsonValue &data, const uint8_t *payload,
                              size_t payload_length, uint64_t deadline_ms, IoStatus &status) {
  std::string head = encode_event_head(type, data, payload_length);
  status = transport_.send(reinterpret_cast<const uint8_t *>(head.data()), head.size(), deadline_ms);
  if (status == IoStatus::Ok && payload_length > 0)
    status = transport_.send(payload, payload_length, deadline_ms);
  return status == IoStatus::Ok;
}

Reply JudgeClient::io_failure_(IoStatus status, Stage stage, const Job &job) {
  transport_.close();
  std::string where = config_.host + ":" + std::to_string(config_.port);
  if (status == IoStatus::Timeout) {
    const char *what = stage == Stage::Connecting ? "connecting to" : stage == Stage::Sending ? "sending to" : "waiting for";
    return make_reply(Result::Timeout, std::string("no verdict within ") +
                                           std::to_string(job.deadline_ms - job.started_ms) + " ms (" + what +
                                           " the Judge at " + where + ")");
  }
  if (stage == Stage::Connecting)
    return make_reply(Result::Error, "Judge unreachable: " + transport_.error());
  if (stage == Stage::Waiting && status == IoStatus::Closed)
    return make_reply(Result::Error, "the Judge at " + where + " closed the connection before its verdict");
  return make_reply(Result::Error, "lost the Judge at " + where + ": " + transport_.error());
}

Reply JudgeClient::read_verdict_(const Job &job, bool &received_any) {
  EventDecoder decoder(config_.limits);
  std::vector<uint8_t> buffer(512);
  size_t others = 0;
  while (true) {
    size_t received = 0;
    IoStatus status = transport_.receive(buffer.data(), buffer.size(), received, job.deadline_ms);
    if (status != IoStatus::Ok) {
      if (status == IoStatus::Closed && decoder.in_event()) {
        transport_.close();
        return make_reply(Result::Error, "the Judge closed the connection in the middle of its reply");
      }
      return io_failure_(status, Stage::Waiting, job);
    }
    received_any = true;
    size_t offset = 0;
    while (offset < received) {
      offset += decoder.feed(buffer.data() + offset, received - offset);
      if (decoder.failed()) {
        transport_.close();
        return make_reply(Result::Error, "malformed reply from the Judge: " + decoder.error());
      }
      if (!decoder.has_event())
        continue;
      WyomingEvent event = decoder.take_event();
      if (event.type == "detection" || event.type == "not-detected") {
        Reply reply = parse_verdict(event);
        if (reply.result == Result::Error || offset < received)
          transport_.close();  // a bad verdict, or bytes after it: this connection is not trusted again
        return reply;
      }
      if (event.type == "error") {
        const JsonValue *text = event.data.get("text");
        transport_.close();
        return make_reply(Result::Error, "the Judge refused the trigger: " +
                                             (text != nullptr && text->is_string() ? text->as_string()
                                                                                   : std::string("(no text)")));
      }
      if (++others > config_.max_other_events) {
        transport_.close();
        return make_reply(Result::Error, "malformed reply from the Judge: " + std::to_string(others) +
                                             " events and no verdict (last: " + event.type + ")");
      }
    }
  }
}

Reply JudgeClient::attempt_(const Job &job, const SampleRing &ring, bool &retry) {
  retry = false;
  bool reused = transport_.is_open();
  if (!reused) {
    IoStatus status = transport_.connect(config_.host, config_.port, job.deadline_ms);
    if (status != IoStatus::Ok)
      return io_failure_(status, Stage::Connecting, job);
  }
  IoStatus status = IoStatus::Ok;
  auto sent = [&](const std::string &type, const JsonValue &data, const uint8_t *payload, size_t length) {
    return send_event_(type, data, payload, length, job.deadline_ms, status);
  };
  auto send_failed = [&]() {
    retry = reused && status != IoStatus::Timeout;
    return io_failure_(status, Stage::Sending, job);
  };

  if (!sent("detect", detect_data(job.trigger), nullptr, 0))
    return send_failed();
  JsonValue start = audio_format();
  start.set("timestamp", JsonValue::number(0));
  if (!sent("audio-start", start, nullptr, 0))
    return send_failed();

  std::vector<int16_t> samples(config_.chunk_samples);
  std::vector<uint8_t> pcm(config_.chunk_samples * SAMPLE_WIDTH);
  for (uint64_t at = job.start; at < job.end; at += config_.chunk_samples) {
    size_t count = static_cast<size_t>(std::min<uint64_t>(config_.chunk_samples, job.end - at));
    if (!ring.read(at, samples.data(), count)) {
      transport_.close();
      return make_reply(Result::Error,
                        "the trigger audio was overwritten before it was sent (the link to the Judge is slower "
                        "than the microphone)");
    }
    for (size_t i = 0; i < count; ++i) {  // little-endian PCM on the wire, whatever the host
      pcm[2 * i] = static_cast<uint8_t>(static_cast<uint16_t>(samples[i]) & 0xFF);
      pcm[2 * i + 1] = static_cast<uint8_t>(static_cast<uint16_t>(samples[i]) >> 8);
    }
    JsonValue chunk = audio_format();
    chunk.set("timestamp", JsonValue::number(std::round(milliseconds(at - job.start))));
    if (!sent("audio-chunk", chunk, pcm.data(), count * SAMPLE_WIDTH))
      return send_failed();
  }
  JsonValue stop = JsonValue::object();
  stop.set("timestamp", JsonValue::number(std::round(milliseconds(job.end - job.start))));
  if (!sent("audio-stop", stop, nullptr, 0))
    return send_failed();

  bool received_any = false;
  Reply reply = read_verdict_(job, received_any);
  // A kept connection the Judge had closed while idle fails here, before any reply: try once more.
  retry = reused && !received_any && reply.result == Result::Error;
  return reply;
}

Reply JudgeClient::verify(const Job &job, const SampleRing &ring) {
  bool retry = false;
  Reply reply = attempt_(job, ring, retry);
  if (retry && monotonic_ms() < job.deadline_ms)
    reply = attempt_(job, ring, retry);
  reply.latency_ms = static_cast<uint32_t>(monotonic_ms() - job.started_ms);
  return reply;
}

}  // namespace wakesmith::gate
