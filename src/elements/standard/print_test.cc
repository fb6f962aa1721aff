// Print's lines, character for character, as Click's print.cc writes them: LABEL ": ",
// the timestamp, the length as "%4d", " (h.. t..)", " | " and the annotation bytes, then
// " | " and the contents (hex with a space after every 4 bytes, or ASCII with a space
// before every 8 characters).

#include "elements/standard/print.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "harness.h"

namespace uplane::elements {
namespace {

using namespace testing;

// Sends every Print's lines to a temporary file for the life of the object.
class Captured {
 public:
  Captured() : f_(std::tmpfile()) { Print::set_output(f_); }
  ~Captured() {
    Print::set_output(nullptr);
    if (f_ != nullptr) std::fclose(f_);
  }
  std::string text() {
    std::fflush(f_);
    std::rewind(f_);
    std::string s;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f_)) > 0) s.append(buf, n);
    return s;
  }

 private:
  std::FILE* f_;
};

Bytes counting(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}

std::string run(const std::string& print_config, const std::vector<Bytes>& packets,
                const std::function<void(mem::Packet&)>& annotate = {}) {
  Captured cap;
  Harness h("in :: TestSource -> p :: " + print_config + " -> out :: TestSink");
  EXPECT_TRUE(h.ok()) << h.error();
  if (!h.ok()) return "";
  h.push("in", packets, annotate);
  EXPECT_EQ(h.sink("out").size(), packets.size());
  return cap.text();
}

TEST(Print, LabelLengthAndTwentyFourBytesOfHex) {
  EXPECT_EQ(run("Print(ok)", {counting(60)}),
            "ok:   60 | 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617\n");
}

TEST(Print, NoLabel) {
  EXPECT_EQ(run("Print", {counting(60)}),
            "  60 | 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617\n");
  EXPECT_EQ(run("Print(\"\")", {counting(2)}), "   2 | 0001\n");
}

TEST(Print, MaxLength) {
  EXPECT_EQ(run("Print(x, 4)", {counting(60)}), "x:   60 | 00010203\n");
  EXPECT_EQ(run("Print(x, MAXLENGTH 5)", {counting(60)}), "x:   60 | 00010203 04\n");
  EXPECT_EQ(run("Print(x, -1)", {counting(10)}), "x:   10 | 00010203 04050607 0809\n");
  EXPECT_EQ(run("Print(x, LENGTH 2)", {counting(10)}), "x:   10 | 0001\n");
  EXPECT_EQ(run("Print(x, NBYTES 1)", {counting(10)}), "x:   10 | 00\n");
  EXPECT_EQ(run("Print(x, 0)", {counting(10)}), "x:   10\n");
}

TEST(Print, ShortAndEmptyPackets) {
  EXPECT_EQ(run("Print(ok)", {counting(3), Bytes{}, counting(1)}),
            "ok:    3 | 000102\nok:    0\nok:    1 | 00\n");
}

TEST(Print, WideLengths) {
  const std::string line = run("Print(big, 2)", {counting(1500)});
  EXPECT_EQ(line, "big: 1500 | 0001\n");
}

TEST(Print, Contents) {
  EXPECT_EQ(run("Print(ok, CONTENTS NONE)", {counting(60)}), "ok:   60\n");
  EXPECT_EQ(run("Print(ok, CONTENTS false)", {counting(60)}), "ok:   60\n");
  EXPECT_EQ(run("Print(ok, CONTENTS true)", {counting(2)}), "ok:    2 | 0001\n");
  const std::string hello = "Hello, world!";
  Bytes b(hello.begin(), hello.end());
  b.push_back(0x01);
  b.push_back(0x7f);
  EXPECT_EQ(run("Print(ok, CONTENTS ascii)", {b}), "ok:   15 |  Hello, w orld!..\n");
}

TEST(Print, Timestamp) {
  auto stamp = [](mem::Packet& p) { p.set_timestamp_ns(1234567890123456789ull); };
  EXPECT_EQ(run("Print(ok, 2, TIMESTAMP true)", {counting(60)}, stamp),
            "ok: 1234567890.123456:   60 | 0001\n");
  EXPECT_EQ(run("Print(MAXLENGTH 2, TIMESTAMP true)", {counting(60)}, stamp),
            "1234567890.123456:   60 | 0001\n");
  EXPECT_EQ(run("Print(t, 0, TIMESTAMP true)", {counting(1)},
                [](mem::Packet& p) { p.set_timestamp_ns(5'000'001'000); }),
            "t: 5.000001:    1\n");
}

TEST(Print, Headroom) {
  // A 2048-byte frame: 128 bytes of metadata, 128 of headroom, 60 of data, 1732 left.
  EXPECT_EQ(run("Print(ok, 2, HEADROOM true)", {counting(60)}), "ok:   60 (h128 t1732) | 0001\n");
}

TEST(Print, Annotations) {
  const std::string line = run("Print(ok, 2, PRINTANNO true)", {counting(60)}, [](mem::Packet& p) {
    p.user_anno()[0] = 0xab;
    p.user_anno()[47] = 0x01;
  });
  EXPECT_EQ(line, "ok:   60 | ab" + std::string(92, '0') + "01 | 0001\n");
}

TEST(Print, ActiveHandler) {
  Captured cap;
  Harness h("in :: TestSource -> p :: Print(ok, 1, ACTIVE false) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {counting(3)});
  EXPECT_EQ(cap.text(), "");
  EXPECT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.read("p.active"), "false\n");
  ASSERT_TRUE(h.write("p.active", "true").is_ok());
  h.push("in", {counting(3)});
  EXPECT_EQ(cap.text(), "ok:    3 | 00\n");
  EXPECT_FALSE(h.write("p.active", "loud").is_ok());
}

TEST(Print, PullContext) {
  Captured cap;
  Harness h("in :: TestSource -> q :: Queue -> Print(pulled, 4) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {counting(8), counting(9)});
  EXPECT_EQ(cap.text(), "");
  EXPECT_EQ(h.pull("out"), 2u);
  EXPECT_EQ(cap.text(), "pulled:    8 | 00010203\npulled:    9 | 00010203\n");
}

TEST(Print, ConfigurationErrors) {
  EXPECT_NE(config_error("TestSource -> Print(x, CONTENTS BINARY) -> TestSink").find("CONTENTS"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Print(x, many) -> TestSink").find("MAXLENGTH"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Print(x, TIMESTAMP 3) -> TestSink").find("TIMESTAMP"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Print(x, CPU true) -> TestSink").find("CPU"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Print(two words) -> TestSink").find("LABEL"),
            std::string::npos);
}

}  // namespace
}  // namespace uplane::elements
