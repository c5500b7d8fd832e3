#include "gate_wyoming.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace wakesmith::gate {

const char *const WYOMING_VERSION = "1.5.3";

std::string encode_event_head(const std::string &type, const JsonValue &data, size_t payload_length) {
  JsonValue header = JsonValue::object();
  header.set("type", JsonValue::string(type));
  header.set("version", JsonValue::string(WYOMING_VERSION));
  std::string data_text;
  if (data.is_object() && !data.members().empty()) {
    data_text = to_json(data);
    header.set("data_length", JsonValue::number(static_cast<double>(data_text.size())));
  }
  if (payload_length > 0)
    header.set("payload_length", JsonValue::number(static_cast<double>(payload_length)));
  std::string out = to_json(header);
  out += '\n';
  out += data_text;
  return out;
}

bool EventDecoder::in_event() const {
  return (state_ == State::Header && !header_.empty()) || state_ == State::Data || state_ == State::Payload;
}

bool EventDecoder::fail_(const std::string &message) {
  state_ = State::Failed;
  error_ = message;
  return false;
}

namespace {

/// A header length field: absent or null is 0; otherwise a non-negative integer up to `limit`.
bool read_length(const JsonValue &header, const char *key, size_t limit, size_t &out, std::string &error) {
  out = 0;
  const JsonValue *value = header.get(key);
  if (value == nullptr || value->is_null())
    return true;
  double n = value->is_number() ? value->as_number() : -1.0;
  if (!value->is_number() || n < 0 || n != std::floor(n)) {
    error = std::string(key) + " must be a non-negative integer";
    return false;
  }
  if (n > static_cast<double>(limit)) {
    error = std::string(key) + " " + std::to_string(static_cast<unsigned long long>(n)) + " is over the limit of " +
            std::to_string(limit) + " bytes";
    return false;
  }
  out = static_cast<size_t>(n);
  return true;
}

std::string excerpt(const std::string &text) {
  constexpr size_t MAX_EXCERPT = 80;
  std::string out = text.substr(0, MAX_EXCERPT);
  for (char &c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F)
      c = '?';
  }
  return out + (text.size() > MAX_EXCERPT ? "..." : "");
}

}  // namespace

bool EventDecoder::finish_header_() {
  JsonValue header;
  std::string error;
  if (!parse_json(header_, header, error))
    return fail_("malformed event header (" + error + "): " + excerpt(header_));
  if (!header.is_object())
    return fail_("the event header is not a JSON object: " + excerpt(header_));
  const JsonValue *type = header.get("type");
  if (type == nullptr || !type->is_string() || type->as_string().empty())
    return fail_("the event header has no 'type': " + excerpt(header_));
  event_ = WyomingEvent{};
  event_.type = type->as_string();
  const JsonValue *data = header.get("data");
  if (data != nullptr && !data->is_null()) {
    if (!data->is_object())
      return fail_("the 'data' of a " + event_.type + " event is not an object");
    event_.data = *data;
  }
  if (!read_length(header, "data_length", limits_.max_data_bytes, data_length_, error) ||
      !read_length(header, "payload_length", limits_.max_payload_bytes, payload_length_, error))
    return fail_("bad " + event_.type + " event header: " + error);
  header_.clear();
  data_.clear();
  event_.payload.clear();
  event_.payload.reserve(payload_length_);
  state_ = data_length_ > 0 ? State::Data : (payload_length_ > 0 ? State::Payload : State::Done);
  return true;
}

bool EventDecoder::finish_data_() {
  JsonValue data;
  std::string error;
  if (!parse_json(data_, data, error))
    return fail_("malformed " + event_.type + " data (" + error + "): " + excerpt(data_));
  if (!data.is_object())
    return fail_("the data of a " + event_.type + " event is not a JSON object");
  for (const auto &member : data.members())
    event_.data.set(member.first, member.second);
  data_.clear();
  state_ = payload_length_ > 0 ? State::Payload : State::Done;
  return true;
}

size_t EventDecoder::feed(const uint8_t *bytes, size_t length) {
  size_t used = 0;
  while (used < length) {
    switch (state_) {
      case State::Done:
      case State::Failed:
        return used;
      case State::Header: {
        char c = static_cast<char>(bytes[used++]);
        if (c == '\n') {
          if (!finish_header_())
            return used;
        } else if (header_.size() >= limits_.max_header_bytes) {
          fail_("an event header is longer than " + std::to_string(limits_.max_header_bytes) + " bytes");
          return used;
        } else {
          header_ += c;
        }
        break;
      }
      case State::Data: {
        size_t take = std::min(length - used, data_length_ - data_.size());
        data_.append(reinterpret_cast<const char *>(bytes + used), take);
        used += take;
        if (data_.size() == data_length_ && !finish_data_())
          return used;
        break;
      }
      case State::Payload: {
        size_t take = std::min(length - used, payload_length_ - event_.payload.size());
        event_.payload.insert(event_.payload.end(), bytes + used, bytes + used + take);
        used += take;
        if (event_.payload.size() == payload_length_)
          state_ = State::Done;
        break;
      }
    }
  }
  return used;
}

WyomingEvent EventDecoder::take_event() {
  WyomingEvent out = std::move(event_);
  event_ = WyomingEvent{};
  state_ = State::Header;
  return out;
}

}  // namespace wakesmith::gate
