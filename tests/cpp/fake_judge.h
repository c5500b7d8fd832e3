// A scripted Wyoming peer on loopback, for the bad-input tests of the gate's Judge client.
#pragma once

#include "gate_wyoming.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fake {

using wakesmith::gate::EventDecoder;
using wakesmith::gate::WyomingEvent;

/// One accepted connection, seen from the fake Judge.
class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}

  /// Reads events until audio-stop (true) or until the peer closes / sends garbage (false).
  bool read_stream(std::vector<WyomingEvent> &events) {
    EventDecoder decoder({4096, 16384, 1 << 20});
    uint8_t buffer[4096];
    while (true) {
      ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0)
        return false;
      size_t offset = 0;
      while (offset < static_cast<size_t>(n)) {
        offset += decoder.feed(buffer + offset, static_cast<size_t>(n) - offset);
        if (decoder.failed())
          return false;
        if (decoder.has_event()) {
          events.push_back(decoder.take_event());
          if (events.back().type == "audio-stop")
            return true;
        }
      }
    }
  }

  void write(const std::string &bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        return;
      sent += static_cast<size_t>(n);
    }
  }

  /// Waits until the peer closes (or `ms` pass).
  void wait_for_close(int ms) {
    uint8_t buffer[256];
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
      fd_set set;
      FD_ZERO(&set);
      FD_SET(fd_, &set);
      timeval tv{0, 20000};
      if (select(fd_ + 1, &set, nullptr, nullptr, &tv) > 0 && ::recv(fd_, buffer, sizeof(buffer), 0) <= 0)
        return;
    }
  }

 private:
  int fd_;
};

/// Serves connections one after another with `script(conn, index)`; the connection closes after it.
class FakeJudge {
 public:
  using Script = std::function<void(Conn &, int)>;

  explicit FakeJudge(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(listen_fd_, 4);
    thread_ = std::thread([this] { serve_(); });
  }

  ~FakeJudge() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void serve_() {
    while (!stop_) {
      fd_set set;
      FD_ZERO(&set);
      FD_SET(listen_fd_, &set);
      timeval tv{0, 20000};
      if (select(listen_fd_ + 1, &set, nullptr, nullptr, &tv) <= 0)
        continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0)
        continue;
      Conn conn(fd);
      script_(conn, connections_++);
      ::close(fd);
    }
  }

  Script script_;
  int listen_fd_{-1};
  uint16_t port_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

/// A free loopback port with nothing listening on it (bound, then released).
inline uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace fake
