#include "gate_socket.h"

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#if __has_include(<netinet/tcp.h>)
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif

namespace wakesmith::gate {

uint64_t monotonic_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

#ifdef MSG_NOSIGNAL
static constexpr int SEND_FLAGS = MSG_NOSIGNAL;  // a closed peer is an error code, not SIGPIPE
#else
static constexpr int SEND_FLAGS = 0;
#endif

IoStatus SocketTransport::fail_(IoStatus status, const std::string &message) {
  error_ = message;
  return status;
}

IoStatus SocketTransport::wait_(bool for_write, uint64_t deadline_ms) {
  while (true) {
    uint64_t now = monotonic_ms();
    if (now >= deadline_ms)
      return fail_(IoStatus::Timeout, "timed out");
    uint64_t left = deadline_ms - now;
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(left / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((left % 1000) * 1000);
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd_, &set);
    int ready = select(fd_ + 1, for_write ? nullptr : &set, for_write ? &set : nullptr, nullptr, &tv);
    if (ready > 0)
      return IoStatus::Ok;
    if (ready == 0)
      return fail_(IoStatus::Timeout, "timed out");
    if (errno != EINTR)
      return fail_(IoStatus::Failed, std::string("select failed: ") + std::strerror(errno));
  }
}

IoStatus SocketTransport::connect(const std::string &host, uint16_t port, uint64_t deadline_ms) {
  close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *found = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr)
    return fail_(IoStatus::Failed, "cannot resolve host '" + host + "'");
  IoStatus status = IoStatus::Failed;
  for (addrinfo *ai = found; ai != nullptr; ai = ai->ai_next) {
    fd_ = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd_ < 0) {
      status = fail_(IoStatus::Failed, std::string("socket() failed: ") + std::strerror(errno));
      continue;
    }
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL, 0) | O_NONBLOCK);
    if (::connect(fd_, ai->ai_addr, ai->ai_addrlen) == 0) {
      status = IoStatus::Ok;
    } else if (errno == EINPROGRESS) {
      status = wait_(true, deadline_ms);
      if (status == IoStatus::Ok) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0)
          status = fail_(IoStatus::Failed, std::strerror(err));
      }
    } else {
      status = fail_(IoStatus::Failed, std::strerror(errno));
    }
    if (status == IoStatus::Ok)
      break;
    ::close(fd_);
    fd_ = -1;
    if (status == IoStatus::Timeout)
      break;
  }
  freeaddrinfo(found);
  if (status != IoStatus::Ok)
    return fail_(status, "cannot connect to " + host + ":" + service + ": " + error_);
#ifdef TCP_NODELAY
  int one = 1;  // small events (detect, audio-stop) go out at once
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
#endif
  return IoStatus::Ok;
}

IoStatus SocketTransport::send(const uint8_t *bytes, size_t length, uint64_t deadline_ms) {
  if (fd_ < 0)
    return fail_(IoStatus::Failed, "not connected");
  size_t sent = 0;
  while (sent < length) {
    ssize_t n = ::send(fd_, bytes + sent, length - sent, SEND_FLAGS);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      IoStatus status = wait_(true, deadline_ms);
      if (status != IoStatus::Ok)
        return status;
      continue;
    }
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
      return fail_(IoStatus::Closed, "the Judge closed the connection");
    return fail_(IoStatus::Failed, std::string("send failed: ") + std::strerror(errno));
  }
  return IoStatus::Ok;
}

IoStatus SocketTransport::receive(uint8_t *out, size_t capacity, size_t &received, uint64_t deadline_ms) {
  received = 0;
  if (fd_ < 0)
    return fail_(IoStatus::Failed, "not connected");
  while (true) {
    ssize_t n = ::recv(fd_, out, capacity, 0);
    if (n > 0) {
      received = static_cast<size_t>(n);
      return IoStatus::Ok;
    }
    if (n == 0)
      return fail_(IoStatus::Closed, "the Judge closed the connection");
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      IoStatus status = wait_(false, deadline_ms);
      if (status != IoStatus::Ok)
        return status;
      continue;
    }
    if (errno == ECONNRESET)
      return fail_(IoStatus::Closed, "the Judge reset the connection");
    return fail_(IoStatus::Failed, std::string("receive failed: ") + std::strerror(errno));
  }
}

void SocketTransport::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace wakesmith::gate
