#pragma once
// A small, strict JSON reader and writer for the gate's Wyoming events (hardware-free core).
//
// The reader accepts RFC 8259 JSON only (no comments, no trailing commas, no NaN) and refuses input
// nested deeper than a limit, so a malformed or hostile reply fails with a message instead of
// exhausting a satellite's stack or heap. Sizes are bounded by the caller (the event decoder).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace wakesmith::gate {

class JsonValue {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  JsonValue() = default;
  static JsonValue boolean(bool value);
  static JsonValue number(double value);
  static JsonValue string(std::string value);
  static JsonValue array();
  static JsonValue object();

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_number() const { return kind_ == Kind::Number; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_object() const { return kind_ == Kind::Object; }

  bool as_bool() const { return bool_; }
  double as_number() const { return number_; }
  const std::string &as_string() const { return string_; }
  const std::vector<JsonValue> &items() const { return items_; }
  const std::vector<std::pair<std::string, JsonValue>> &members() const { return members_; }

  /// The member `key` of an object (the last one when a key repeats), or nullptr.
  const JsonValue *get(const std::string &key) const;
  /// Sets (or replaces) the member `key` of an object.
  void set(const std::string &key, JsonValue value);
  void push(JsonValue value) { items_.push_back(std::move(value)); }

 private:
  Kind kind_{Kind::Null};
  bool bool_{false};
  double number_{0.0};
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

/// Parses `text` as one JSON value. On failure returns false and says why in `error`.
bool parse_json(const char *text, size_t length, JsonValue &out, std::string &error, int max_depth = 16);
inline bool parse_json(const std::string &text, JsonValue &out, std::string &error, int max_depth = 16) {
  return parse_json(text.data(), text.size(), out, error, max_depth);
}

/// Compact JSON text of `value` (non-finite numbers are written as null: JSON has no NaN).
std::string to_json(const JsonValue &value);

}  // namespace wakesmith::gate
