// Unit tests of the gate core's codecs: the ring buffer, JSON and Wyoming framing.
// Built with the other test_*.cpp into one runner by tests/cpp/conftest.py; `--list` names every case.

#include "core_fixtures.h"

#include <thread>

// ---- ring ------------------------------------------------------------------------------------

TEST(ring_reads_back_what_was_written) {
  std::vector<int16_t> storage(100);
  SampleRing ring(storage.data(), storage.size());
  std::vector<int16_t> samples = ramp(60, 5);
  ring.write(samples.data(), 60);
  CHECK_EQ(ring.written(), 60u);
  CHECK_EQ(ring.oldest(), 0u);
  std::vector<int16_t> out(60);
  CHECK(ring.read(0, out.data(), 60));
  CHECK(out == samples);
}

TEST(ring_overwrites_the_oldest_and_refuses_overwritten_reads) {
  std::vector<int16_t> storage(100);
  SampleRing ring(storage.data(), storage.size());
  for (int i = 0; i < 7; ++i) {  // 7 writes of 30 samples wrap the ring twice, at odd offsets
    std::vector<int16_t> samples = ramp(30, static_cast<int16_t>(30 * i));
    ring.write(samples.data(), samples.size());
  }
  CHECK_EQ(ring.written(), 210u);
  CHECK_EQ(ring.oldest(), 110u);
  std::vector<int16_t> out(100);
  CHECK(ring.read(110, out.data(), 100));
  CHECK(out == ramp(100, 110));
  CHECK(!ring.read(109, out.data(), 10));  // sample 109 is gone
}

TEST(ring_write_larger_than_capacity_keeps_the_newest) {
  std::vector<int16_t> storage(50);
  SampleRing ring(storage.data(), storage.size());
  std::vector<int16_t> samples = ramp(130);
  ring.write(samples.data(), samples.size());
  std::vector<int16_t> out(50);
  CHECK_EQ(ring.oldest(), 80u);
  CHECK(ring.read(80, out.data(), 50));
  CHECK(out == ramp(50, 80));
}

TEST(ring_refuses_samples_not_yet_written) {
  std::vector<int16_t> storage(50);
  SampleRing ring(storage.data(), storage.size());
  std::vector<int16_t> samples = ramp(20);
  ring.write(samples.data(), samples.size());
  std::vector<int16_t> out(10);
  CHECK(ring.read(10, out.data(), 10));
  CHECK(!ring.read(11, out.data(), 10));
}

// ---- json ------------------------------------------------------------------------------------

TEST(json_parses_nested_values_and_escapes) {
  JsonValue v = json(R"( {"a": [1, -2.5e1, true, null], "b": {"c": "x\"\\\/\n\u00e9\ud83d\ude00"}, "a2": 0} )");
  CHECK(v.is_object());
  const JsonValue *a = v.get("a");
  CHECK(a != nullptr && a->is_array() && a->items().size() == 4);
  CHECK_EQ(a->items()[1].as_number(), -25.0);
  CHECK(a->items()[2].as_bool());
  CHECK(a->items()[3].is_null());
  CHECK_EQ(v.get("b")->get("c")->as_string(), std::string("x\"\\/\n\xc3\xa9\xf0\x9f\x98\x80"));
}

TEST(json_refuses_what_is_not_json) {
  const char *bad[] = {"",          "{",         "{\"a\": 1,}",       "{'a': 1}",      "[1 2]",  "01",
                       "NaN",       "1e999",     "\"\\x\"",           "\"a\nb\"",      "{} {}",  "tru",
                       "\"\\ud800\"", "[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]", "{\"a\" 1}", "-"};
  for (const char *text : bad) {
    JsonValue v;
    std::string error;
    if (parse_json(text, v, error))
      check::fail(__FILE__, __LINE__, std::string("accepted bad JSON: ") + text);
    else if (error.empty())
      check::fail(__FILE__, __LINE__, std::string("no message for: ") + text);
  }
}

TEST(json_writes_what_it_reads) {
  std::string text = R"({"type":"detect","n":[1,0.25,-3],"s":"tab\there \"q\" \u0001","t":true,"z":null})";
  JsonValue v = json(text);
  std::string written = to_json(v);
  CHECK_EQ(written, std::string(R"({"type":"detect","n":[1,0.25,-3],"s":"tab\there \"q\" \u0001","t":true,"z":null})"));
  CHECK_EQ(to_json(JsonValue::number(NAN)), std::string("null"));
}

// ---- wyoming ---------------------------------------------------------------------------------

TEST(wyoming_encodes_the_header_line_then_data) {
  JsonValue data = json(R"({"rate": 16000, "width": 2, "channels": 1})");
  std::string head = encode_event_head("audio-chunk", data, 2048);
  size_t newline = head.find('\n');
  CHECK(newline != std::string::npos);
  JsonValue header = json(head.substr(0, newline));
  std::string body = head.substr(newline + 1);
  CHECK_EQ(header.get("type")->as_string(), std::string("audio-chunk"));
  CHECK_EQ(header.get("version")->as_string(), std::string(WYOMING_VERSION));
  CHECK_EQ(header.get("data_length")->as_number(), static_cast<double>(body.size()));
  CHECK_EQ(header.get("payload_length")->as_number(), 2048.0);
  CHECK_EQ(body, std::string(R"({"rate":16000,"width":2,"channels":1})"));
  // an event without data or payload is the header line alone
  CHECK_EQ(encode_event_head("audio-stop", JsonValue::object()), std::string("{\"type\":\"audio-stop\",\"version\":\"1.5.3\"}\n"));
}

TEST(wyoming_decodes_events_fed_a_byte_at_a_time) {
  std::string bytes = encode_event_head("audio-chunk", json(R"({"rate": 16000})"), 3) + "abc";
  bytes += "{\"type\": \"x\", \"data\": {\"a\": 1, \"b\": 2}, \"data_length\": 8}\n{\"b\": 3}";  // inline + separate data
  EventDecoder decoder;
  std::vector<WyomingEvent> events;
  for (char c : bytes) {
    uint8_t b = static_cast<uint8_t>(c);
    CHECK_EQ(decoder.feed(&b, 1), 1u);
    if (decoder.has_event())
      events.push_back(decoder.take_event());
  }
  CHECK(!decoder.failed() && !decoder.in_event());
  CHECK_EQ(events.size(), 2u);
  CHECK_EQ(events[0].type, std::string("audio-chunk"));
  CHECK_EQ(std::string(events[0].payload.begin(), events[0].payload.end()), std::string("abc"));
  CHECK_EQ(events[1].data.get("a")->as_number(), 1.0);
  CHECK_EQ(events[1].data.get("b")->as_number(), 3.0);  // the separate data wins, as in wyoming.event
}

TEST(wyoming_refuses_oversize_headers_data_and_payloads) {
  WyomingLimits limits{64, 100, 1000};
  struct Bad {
    std::string bytes;
    const char *message;
  } cases[] = {
      {std::string(65, 'x'), "longer than 64 bytes"},
      {"{\"type\": \"a\", \"data_length\": 101}\n", "data_length 101 is over the limit of 100"},
      {"{\"type\": \"a\", \"payload_length\": 1001}\n", "payload_length 1001 is over the limit of 1000"},
      {"{\"type\": \"a\", \"payload_length\": 99999999999999999999}\n", "over the limit"},
  };
  for (const auto &bad : cases) {
    EventDecoder decoder(limits);
    decoder.feed(reinterpret_cast<const uint8_t *>(bad.bytes.data()), bad.bytes.size());
    CHECK(decoder.failed());
    CHECK_CONTAINS(decoder.error(), bad.message);
  }
}

TEST(wyoming_refuses_malformed_headers) {
  struct Bad {
    const char *bytes;
    const char *message;
  } cases[] = {
      {"hello\n", "malformed event header"},
      {"[1, 2]\n", "not a JSON object"},
      {"{\"data\": {}}\n", "no 'type'"},
      {"{\"type\": \"\"}\n", "no 'type'"},
      {"{\"type\": \"a\", \"data\": [1]}\n", "'data' of a a event is not an object"},
      {"{\"type\": \"a\", \"data_length\": -1}\n", "data_length must be a non-negative integer"},
      {"{\"type\": \"a\", \"payload_length\": 2.5}\n", "payload_length must be a non-negative integer"},
      {"{\"type\": \"a\", \"payload_length\": \"9\"}\n", "payload_length must be a non-negative integer"},
      {"{\"type\": \"a\", \"data_length\": 3}\n[1]", "data of a a event is not a JSON object"},
      {"{\"type\": \"a\", \"data_length\": 3}\n{x}", "malformed a data"},
  };
  for (const auto &bad : cases) {
    EventDecoder decoder;
    decoder.feed(reinterpret_cast<const uint8_t *>(bad.bytes), std::strlen(bad.bytes));
    CHECK(decoder.failed());
    CHECK_CONTAINS(decoder.error(), bad.message);
    uint8_t more = '\n';
    CHECK_EQ(decoder.feed(&more, 1), 0u);  // a failed decoder stays failed
  }
}

TEST(wyoming_knows_when_it_is_inside_an_event) {
  EventDecoder decoder;
  std::string head = "{\"type\": \"a\", \"payload_length\": 4}\nab";
  CHECK(!decoder.in_event());
  decoder.feed(reinterpret_cast<const uint8_t *>(head.data()), 3);
  CHECK(decoder.in_event());
  decoder.feed(reinterpret_cast<const uint8_t *>(head.data()) + 3, head.size() - 3);
  CHECK(decoder.in_event() && !decoder.has_event());
}

