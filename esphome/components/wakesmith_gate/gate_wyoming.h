#pragma once
// Wyoming event framing, as the `wyoming` Python library writes and reads it:
//
//   {"type": "...", "version": "...", "data_length": N, "payload_length": M}\n   one JSON header line
//   <N bytes: the event's data as a JSON object>                                  (when N > 0)
//   <M bytes: the payload, e.g. PCM audio>                                        (when M > 0)
//
// A header may also carry its data inline ("data": {...}); inline and separate data are merged, the
// separate bytes winning, as in wyoming.event.read_event. The decoder is incremental (fed whatever a
// socket returns) and strict: every length is bounded and every violation is an error with a message.

#include "gate_json.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wakesmith::gate {

/// The `version` the gate writes in each header (the wyoming library version it was written against).
extern const char *const WYOMING_VERSION;

struct WyomingEvent {
  std::string type;
  JsonValue data = JsonValue::object();
  std::vector<uint8_t> payload;
};

/// Header line + data bytes of one event; the payload (if any) is sent after them, uncopied.
std::string encode_event_head(const std::string &type, const JsonValue &data, size_t payload_length = 0);

struct WyomingLimits {
  size_t max_header_bytes{4096};
  size_t max_data_bytes{16384};
  size_t max_payload_bytes{65536};
};

class EventDecoder {
 public:
  explicit EventDecoder(WyomingLimits limits = {}) : limits_(limits) {}

  /// Consumes bytes up to the end of the next complete event (or all of them). Returns how many were
  /// consumed; afterwards check has_event() / failed(). Feeding a failed decoder consumes nothing.
  size_t feed(const uint8_t *bytes, size_t length);

  bool has_event() const { return state_ == State::Done; }
  /// The complete event; the decoder is then ready for the next one.
  WyomingEvent take_event();

  bool failed() const { return state_ == State::Failed; }
  const std::string &error() const { return error_; }
  /// True when part of an event has been read but not all of it (a peer closing now cut an event).
  bool in_event() const;

 private:
  enum class State { Header, Data, Payload, Done, Failed };
  bool fail_(const std::string &message);
  bool finish_header_();
  bool finish_data_();

  WyomingLimits limits_;
  State state_{State::Header};
  std::string header_;
  std::string data_;
  size_t data_length_{0};
  size_t payload_length_{0};
  WyomingEvent event_;
  std::string error_;
};

}  // namespace wakesmith::gate
