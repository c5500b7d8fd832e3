// The writing half of gate_json.h: compact JSON, UTF-8 passed through as json.dumps(ensure_ascii=False) does.
#include "gate_json.h"

#include <cmath>
#include <cstdio>

namespace wakesmith::gate {

namespace {

void write_string(std::string &out, const std::string &s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;  // UTF-8 passes through, as json.dumps(ensure_ascii=False) writes it
        }
    }
  }
  out += '"';
}

void write_value(std::string &out, const JsonValue &v) {
  switch (v.kind()) {
    case JsonValue::Kind::Null:
      out += "null";
      break;
    case JsonValue::Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      break;
    case JsonValue::Kind::Number: {
      double n = v.as_number();
      if (!std::isfinite(n)) {
        out += "null";
        break;
      }
      char buf[32];
      if (n == std::floor(n) && std::fabs(n) < 1e15) {
        std::snprintf(buf, sizeof(buf), "%.0f", n);
      } else {
        std::snprintf(buf, sizeof(buf), "%.9g", n);
      }
      out += buf;
      break;
    }
    case JsonValue::Kind::String:
      write_string(out, v.as_string());
      break;
    case JsonValue::Kind::Array: {
      out += '[';
      bool first = true;
      for (const auto &item : v.items()) {
        if (!first)
          out += ',';
        first = false;
        write_value(out, item);
      }
      out += ']';
      break;
    }
    case JsonValue::Kind::Object: {
      out += '{';
      bool first = true;
      for (const auto &member : v.members()) {
        if (!first)
          out += ',';
        first = false;
        write_string(out, member.first);
        out += ':';
        write_value(out, member.second);
      }
      out += '}';
      break;
    }
  }
}

}  // namespace

std::string to_json(const JsonValue &value) {
  std::string out;
  write_value(out, value);
  return out;
}

}  // namespace wakesmith::gate
