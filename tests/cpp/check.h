// A minimal test harness for the gate core: TEST(name) registers a case, CHECK* record failures.
// `tests --list` prints the cases; `tests PREFIX...` runs the cases whose names start with a prefix.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace check {

struct Case {
  const char *name;
  std::function<void()> body;
};

inline std::vector<Case> &cases() {
  static std::vector<Case> all;
  return all;
}

inline int &failures() {
  static int count = 0;
  return count;
}

struct Register {
  Register(const char *name, std::function<void()> body) { cases().push_back({name, std::move(body)}); }
};

inline void fail(const char *file, int line, const std::string &what) {
  ++failures();
  std::printf("    %s:%d: %s\n", file, line, what.c_str());
}

template<typename A, typename B> std::string describe(const A &a, const B &b) {
  std::ostringstream out;
  out << "got " << a << ", expected " << b;
  return out.str();
}

inline int run(int argc, char **argv) {
  if (argc > 1 && std::strcmp(argv[1], "--list") == 0) {
    for (const auto &c : cases())
      std::printf("%s\n", c.name);
    return 0;
  }
  int ran = 0, failed = 0;
  for (const auto &c : cases()) {
    bool selected = argc <= 1;
    for (int i = 1; i < argc; ++i)
      selected = selected || std::strncmp(c.name, argv[i], std::strlen(argv[i])) == 0;
    if (!selected)
      continue;
    int before = failures();
    c.body();
    ++ran;
    bool ok = failures() == before;
    failed += ok ? 0 : 1;
    std::printf("%s %s\n", ok ? "PASS" : "FAIL", c.name);
  }
  std::printf("%d passed, %d failed\n", ran - failed, failed);
  return failed == 0 && ran > 0 ? 0 : 1;
}

}  // namespace check

#define CHECK_CAT_(a, b) a##b
#define CHECK_NAME_(a, b) CHECK_CAT_(a, b)
#define TEST(name)                                                                  \
  static void name();                                                               \
  static check::Register CHECK_NAME_(register_, name)(#name, name);                 \
  static void name()
#define CHECK(cond)                                      \
  do {                                                   \
    if (!(cond))                                         \
      check::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)
#define CHECK_EQ(a, b)                                                           \
  do {                                                                           \
    auto check_a_ = (a);                                                         \
    auto check_b_ = (b);                                                         \
    if (!(check_a_ == check_b_))                                                 \
      check::fail(__FILE__, __LINE__, #a " == " #b ": " + check::describe(check_a_, check_b_)); \
  } while (0)
#define CHECK_CONTAINS(text, part)                                                             \
  do {                                                                                         \
    std::string check_t_ = (text);                                                             \
    if (check_t_.find(part) == std::string::npos)                                              \
      check::fail(__FILE__, __LINE__, "'" + check_t_ + "' does not contain '" + (part) + "'"); \
  } while (0)
