#pragma once
// A Transport over BSD sockets: non-blocking connect and I/O bounded by select(), so no call outlives
// its deadline (name resolution excepted: getaddrinfo has no timeout; an IP address needs none).

#include "gate_transport.h"

namespace wakesmith::gate {

class SocketTransport : public Transport {
 public:
  SocketTransport() = default;
  SocketTransport(const SocketTransport &) = delete;
  SocketTransport &operator=(const SocketTransport &) = delete;
  ~SocketTransport() override { close(); }

  IoStatus connect(const std::string &host, uint16_t port, uint64_t deadline_ms) override;
  IoStatus send(const uint8_t *bytes, size_t length, uint64_t deadline_ms) override;
  IoStatus receive(uint8_t *out, size_t capacity, size_t &received, uint64_t deadline_ms) override;
  void close() override;
  bool is_open() const override { return fd_ >= 0; }
  std::string error() const override { return error_; }

 private:
  /// Waits until the socket is readable (or writable); Ok, Timeout or Failed.
  IoStatus wait_(bool for_write, uint64_t deadline_ms);
  IoStatus fail_(IoStatus status, const std::string &message);

  int fd_{-1};
  std::string error_;
};

}  // namespace wakesmith::gate
