// A host "satellite" built from the gate's core: plays a WAV into the ring as a microphone would,
// fires the sentry's triggers at the given samples and asks a real Judge over Wyoming TCP, exactly as
// the ESPHome component does (same Gate, Worker, JudgeClient, SocketTransport).
//
//   gate_loopback --port P --wav clip.wav --at 27000 --at 80000 [--host H] [--model NAME]
//                 [--mode confirm|optimistic] [--timeout-ms N] [--satellite NAME] [--sentry-score S]
//
// Prints one JSON line with the gate's defaults, then one per trigger: result, score, action, the
// samples sent and the log line. The simulated microphone pauses while a verification is out, so
// the ring cannot be overtaken on a slow test machine (the component's ring has a margin instead).

#include "gate_client.h"
#include "gate_machine.h"
#include "gate_ring.h"
#include "gate_socket.h"
#include "gate_worker.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

using namespace wakesmith::gate;

namespace {

constexpr size_t MIC_CHUNK = 512;     // samples per microphone callback (32 ms)
constexpr uint32_t RING_MARGIN_MS = 500;

[[noreturn]] void die(const std::string &message) {
  std::cerr << "gate_loopback: " << message << "\n";
  std::exit(2);
}

uint32_t le32(const unsigned char *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }
uint16_t le16(const unsigned char *p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

/// 16 kHz mono 16-bit PCM from a RIFF/WAVE file; anything else is refused.
std::vector<int16_t> read_wav(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    die("cannot open " + path);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0)
    die(path + " is not a WAV file");
  bool format_ok = false;
  for (size_t at = 12; at + 8 <= bytes.size();) {
    uint32_t size = le32(&bytes[at + 4]);
    const unsigned char *body = &bytes[at + 8];
    if (at + 8 + size > bytes.size())
      die(path + ": a chunk runs past the end of the file");
    if (std::memcmp(&bytes[at], "fmt ", 4) == 0 && size >= 16) {
      format_ok = le16(body) == 1 && le16(body + 2) == 1 && le32(body + 4) == SAMPLE_RATE && le16(body + 14) == 16;
      if (!format_ok)
        die(path + " must be 16 kHz mono 16-bit PCM (what the microphone source gives the gate)");
    } else if (std::memcmp(&bytes[at], "data", 4) == 0) {
      if (!format_ok)
        die(path + ": no fmt chunk before the data");
      std::vector<int16_t> samples(size / 2);
      for (size_t i = 0; i < samples.size(); ++i)
        samples[i] = static_cast<int16_t>(le16(body + 2 * i));
      return samples;
    }
    at += 8 + size + (size & 1);
  }
  die(path + " has no data chunk");
}

std::string json_string(const std::string &s) { return to_json(JsonValue::string(s)); }

std::string number(double value) { return to_json(JsonValue::number(value)); }

}  // namespace

int main(int argc, char **argv) {
  ClientConfig client_config;
  client_config.host = "127.0.0.1";
  GateConfig gate_config;
  std::string wav, satellite = "loopback", model;
  float sentry_score = NAN;
  std::vector<uint64_t> triggers;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc)
      die("missing value after " + arg);
    std::string value = argv[++i];
    if (arg == "--host")
      client_config.host = value;
    else if (arg == "--port")
      client_config.port = static_cast<uint16_t>(std::stoi(value));
    else if (arg == "--wav")
      wav = value;
    else if (arg == "--at")
      triggers.push_back(std::stoull(value));
    else if (arg == "--model")
      model = value;
    else if (arg == "--satellite")
      satellite = value;
    else if (arg == "--sentry-score")
      sentry_score = std::stof(value);
    else if (arg == "--timeout-ms")
      gate_config.timeout_ms = static_cast<uint32_t>(std::stoul(value));
    else if (arg == "--mode" && !parse_mode(value, gate_config.mode))
      die("--mode is confirm or optimistic, not " + value);
    else if (arg != "--mode")
      die("unknown option " + arg);
  }
  if (wav.empty() || triggers.empty())
    die("usage: gate_loopback --port P --wav clip.wav --at SAMPLE [--at SAMPLE ...]");
  std::vector<int16_t> audio = read_wav(wav);

  std::printf("{\"pre_roll_ms\": %u, \"post_roll_ms\": %u, \"samples\": %zu}\n", gate_config.pre_roll_ms,
              gate_config.post_roll_ms, audio.size());
  std::vector<int16_t> storage((gate_config.pre_roll_ms + gate_config.post_roll_ms + RING_MARGIN_MS) * SAMPLE_RATE / 1000);
  SampleRing ring(storage.data(), storage.size());
  SocketTransport transport;
  JudgeClient client(transport, client_config);
  Worker worker(client, ring);
  std::thread task([&] { worker.serve(); });
  Gate gate(gate_config);

  size_t next_trigger = 0;
  size_t played = 0;
  std::vector<Job> jobs;
  auto report = [&](const Outcome &out, const Job *job) {
    std::printf("{\"result\": \"%s\", \"score\": %s, \"action\": \"%s\", \"latency_ms\": %u, \"start\": %s, "
                "\"end\": %s, \"line\": %s}\n",
                result_name(out.result), std::isfinite(out.score) ? number(out.score).c_str() : "null",
                out.action == Action::Wake ? "wake" : out.action == Action::Cancel ? "cancel" : "none", out.latency_ms,
                job ? number(static_cast<double>(job->start)).c_str() : "null",
                job ? number(static_cast<double>(job->end)).c_str() : "null",
                json_string(out.log_line(gate_config.mode)).c_str());
    std::fflush(stdout);
  };
  while (next_trigger < triggers.size() || !gate.idle()) {
    // the sentry fires when the stream reaches the trigger sample (as micro_wake_word's callback would)
    if (gate.idle() && next_trigger < triggers.size() && ring.written() >= triggers[next_trigger]) {
      TriggerInfo info;
      info.satellite = satellite;
      info.wake_word = "hey katya";
      info.model = model;
      info.sentry_score = sentry_score;
      info.listening_s = static_cast<double>(ring.written()) / SAMPLE_RATE;
      TriggerDecision decision = gate.trigger(info, triggers[next_trigger++], monotonic_ms());
      if (!decision.started)
        die("trigger refused: " + decision.reason);
    }
    Step step = gate.poll(ring.written(), ring.oldest(), monotonic_ms());
    if (step.job.has_value()) {
      jobs.push_back(*step.job);
      if (!worker.submit(*step.job))
        die("the Judge task is still busy");
    }
    if (step.outcome.has_value())
      report(*step.outcome, jobs.empty() ? nullptr : &jobs.back());
    if (auto reply = worker.take_reply()) {
      if (auto out = gate.on_reply(*reply))
        report(*out, &jobs.back());
    }
    if (gate.awaiting_reply() || played >= audio.size()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    size_t count = std::min(MIC_CHUNK, audio.size() - played);
    ring.write(audio.data() + played, count);
    played += count;
  }
  worker.stop();
  task.join();
  return 0;
}
