#pragma once
// How the gate reaches the Judge: a byte stream with deadlines. The POSIX-socket implementation
// (gate_socket.h) serves both the ESP32 (lwIP's BSD sockets) and the host tests; tests may plug in
// their own. Every call returns by its deadline (an absolute monotonic_ms() time).

#include <cstddef>
#include <cstdint>
#include <string>

namespace wakesmith::gate {

/// Milliseconds of a monotonic clock (std::chrono::steady_clock; esp_timer on an ESP32).
uint64_t monotonic_ms();

enum class IoStatus {
  Ok,       ///< done (for receive: at least one byte)
  Closed,   ///< the peer closed the connection
  Timeout,  ///< the deadline passed first
  Failed,   ///< any other error (see the transport's error())
};

class Transport {
 public:
  virtual ~Transport() = default;
  /// Opens a connection (closing any previous one).
  virtual IoStatus connect(const std::string &host, uint16_t port, uint64_t deadline_ms) = 0;
  /// Sends all `length` bytes.
  virtual IoStatus send(const uint8_t *bytes, size_t length, uint64_t deadline_ms) = 0;
  /// Receives between 1 and `capacity` bytes into `out` (count in `received`).
  virtual IoStatus receive(uint8_t *out, size_t capacity, size_t &received, uint64_t deadline_ms) = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  /// What went wrong in the last call that did not return Ok.
  virtual std::string error() const = 0;
};

}  // namespace wakesmith::gate
