#include "gate_json.h"

#include <cmath>
#include <cstdlib>

namespace wakesmith::gate {

JsonValue JsonValue::boolean(bool value) {
  JsonValue v;
  v.kind_ = Kind::Bool;
  v.bool_ = value;
  return v;
}

JsonValue JsonValue::number(double value) {
  JsonValue v;
  v.kind_ = Kind::Number;
  v.number_ = value;
  return v;
}

JsonValue JsonValue::string(std::string value) {
  JsonValue v;
  v.kind_ = Kind::String;
  v.string_ = std::move(value);
  return v;
}

JsonValue JsonValue::array() {
  JsonValue v;
  v.kind_ = Kind::Array;
  return v;
}

JsonValue JsonValue::object() {
  JsonValue v;
  v.kind_ = Kind::Object;
  return v;
}

const JsonValue *JsonValue::get(const std::string &key) const {
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (it->first == key)
      return &it->second;
  }
  return nullptr;
}

void JsonValue::set(const std::string &key, JsonValue value) {
  for (auto &member : members_) {
    if (member.first == key) {
      member.second = std::move(value);
      return;
    }
  }
  members_.emplace_back(key, std::move(value));
}

namespace {

class Parser {
 public:
  Parser(const char *text, size_t length, int max_depth) : p_(text), end_(text + length), max_depth_(max_depth) {}

  bool parse(JsonValue &out, std::string &error) {
    skip_space_();
    if (!value_(out, 0)) {
      error = error_;
      return false;
    }
    skip_space_();
    if (p_ != end_) {
      error = "unexpected text after the JSON value";
      return false;
    }
    return true;
  }

 private:
  const char *p_;
  const char *end_;
  int max_depth_;
  std::string error_;

  bool fail_(const char *message) {
    error_ = message;
    return false;
  }

  void skip_space_() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      ++p_;
  }

  bool literal_(const char *word) {
    for (const char *w = word; *w; ++w, ++p_) {
      if (p_ == end_ || *p_ != *w)
        return fail_("invalid literal");
    }
    return true;
  }

  bool value_(JsonValue &out, int depth) {
    if (p_ == end_)
      return fail_("unexpected end of JSON");
    switch (*p_) {
      case '{':
        return object_(out, depth + 1);
      case '[':
        return array_(out, depth + 1);
      case '"': {
        std::string s;
        if (!string_(s))
          return false;
        out = JsonValue::string(std::move(s));
        return true;
      }
      case 't':
        out = JsonValue::boolean(true);
        return literal_("true");
      case 'f':
        out = JsonValue::boolean(false);
        return literal_("false");
      case 'n':
        out = JsonValue();
        return literal_("null");
      default:
        return number_(out);
    }
  }

  bool object_(JsonValue &out, int depth) {
    if (depth > max_depth_)
      return fail_("JSON nested too deeply");
    ++p_;  // '{'
    out = JsonValue::object();
    skip_space_();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      skip_space_();
      if (p_ == end_ || *p_ != '"')
        return fail_("expected a string key in a JSON object");
      std::string key;
      if (!string_(key))
        return false;
      skip_space_();
      if (p_ == end_ || *p_ != ':')
        return fail_("expected ':' in a JSON object");
      ++p_;
      skip_space_();
      JsonValue member;
      if (!value_(member, depth))
        return false;
      out.set(key, std::move(member));
      skip_space_();
      if (p_ == end_)
        return fail_("unterminated JSON object");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      return fail_("expected ',' or '}' in a JSON object");
    }
  }

  bool array_(JsonValue &out, int depth) {
    if (depth > max_depth_)
      return fail_("JSON nested too deeply");
    ++p_;  // '['
    out = JsonValue::array();
    skip_space_();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      skip_space_();
      JsonValue item;
      if (!value_(item, depth))
        return false;
      out.push(std::move(item));
      skip_space_();
      if (p_ == end_)
        return fail_("unterminated JSON array");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      return fail_("expected ',' or ']' in a JSON array");
    }
  }

  static void append_utf8_(std::string &s, unsigned long cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool hex4_(unsigned long &out) {
    if (end_ - p_ < 4)
      return fail_("truncated \\u escape in a JSON string");
    out = 0;
    for (int i = 0; i < 4; ++i, ++p_) {
      char c = *p_;
      out <<= 4;
      if (c >= '0' && c <= '9')
        out |= static_cast<unsigned long>(c - '0');
      else if (c >= 'a' && c <= 'f')
        out |= static_cast<unsigned long>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        out |= static_cast<unsigned long>(c - 'A' + 10);
      else
        return fail_("invalid \\u escape in a JSON string");
    }
    return true;
  }

  bool string_(std::string &out) {
    ++p_;  // opening quote
    while (true) {
      if (p_ == end_)
        return fail_("unterminated JSON string");
      char c = *p_++;
      if (c == '"')
        return true;
      if (static_cast<unsigned char>(c) < 0x20)
        return fail_("control character in a JSON string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p_ == end_)
        return fail_("unterminated JSON string");
      char e = *p_++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned long cp;
          if (!hex4_(cp))
            return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned long low;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
              return fail_("unpaired surrogate in a JSON string");
            p_ += 2;
            if (!hex4_(low) || low < 0xDC00 || low > 0xDFFF)
              return fail_("unpaired surrogate in a JSON string");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail_("unpaired surrogate in a JSON string");
          }
          append_utf8_(out, cp);
          break;
        }
        default:
          return fail_("invalid escape in a JSON string");
      }
    }
  }

  static bool digit_(char c) { return c >= '0' && c <= '9'; }

  bool number_(JsonValue &out) {
    const char *start = p_;
    if (p_ != end_ && *p_ == '-')
      ++p_;
    if (p_ == end_ || !digit_(*p_))
      return fail_("invalid JSON value");
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && digit_(*p_))
        ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !digit_(*p_))
        return fail_("invalid JSON number");
      while (p_ != end_ && digit_(*p_))
        ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-'))
        ++p_;
      if (p_ == end_ || !digit_(*p_))
        return fail_("invalid JSON number");
      while (p_ != end_ && digit_(*p_))
        ++p_;
    }
    // strtod needs a terminated string; numbers are short, so copy (the grammar above bounds it).
    std::string text(start, p_);
    double value = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(value))
      return fail_("JSON number out of range");
    out = JsonValue::number(value);
    return true;
  }
};

}  // namespace

bool parse_json(const char *text, size_t length, JsonValue &out, std::string &error, int max_depth) {
  Parser parser(text, length, max_depth);
  return parser.parse(out, error);
}

}  // namespace wakesmith::gate
