// FromDump and ToDump: pcap files in, pcap files out.
//
// Input files are built byte by byte here (classic pcap in both byte orders and both
// timestamp resolutions, and pcapng), so each test states exactly what is on disk. Output
// files are compared byte for byte, or read back with libpcap.

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "graph/registry.h"
#include "graph/router.h"
#include "harness.h"
#include "io/from_dump.h"
#include "io/to_dump.h"

namespace uplane::io {
namespace {

using graph::DropReason;
using testing::Harness;
using testing::PacketSpec;
using Bytes = std::vector<std::uint8_t>;

// --- files ---

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/uplane_io_test_XXXXXX";
    const char* d = mkdtemp(tmpl);
    path_ = d != nullptr ? d : "/tmp";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Bytes read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

struct Record {
  std::uint32_t sec = 0;
  std::uint32_t frac = 0;  // microseconds, or nanoseconds in a nano file
  Bytes data;
  std::uint32_t len = 0;              // original length; 0 means data.size()
  std::uint32_t caplen = UINT32_MAX;  // the caplen field; UINT32_MAX means data.size()
};

struct PcapOptions {
  bool nano = false;
  bool swapped = false;
  std::uint32_t linktype = 1;
  std::uint32_t snaplen = 2000;
};

void put32(Bytes& b, std::uint32_t v, bool swapped) {
  if (swapped) v = __builtin_bswap32(v);
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  b.insert(b.end(), p, p + 4);
}
void put16(Bytes& b, std::uint16_t v, bool swapped) {
  if (swapped) v = __builtin_bswap16(v);
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  b.insert(b.end(), p, p + 2);
}

// A classic pcap file, written in host byte order unless `swapped`.
Bytes pcap_file(const std::vector<Record>& recs, PcapOptions o = {}) {
  Bytes b;
  put32(b, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, o.swapped);
  put16(b, 2, o.swapped);
  put16(b, 4, o.swapped);
  put32(b, 0, o.swapped);  // thiszone
  put32(b, 0, o.swapped);  // sigfigs
  put32(b, o.snaplen, o.swapped);
  put32(b, o.linktype, o.swapped);
  for (const Record& r : recs) {
    put32(b, r.sec, o.swapped);
    put32(b, r.frac, o.swapped);
    put32(b, r.caplen != UINT32_MAX ? r.caplen : static_cast<std::uint32_t>(r.data.size()),
          o.swapped);
    put32(b, r.len != 0 ? r.len : static_cast<std::uint32_t>(r.data.size()), o.swapped);
    b.insert(b.end(), r.data.begin(), r.data.end());
  }
  return b;
}

// A pcapng file: section header, one interface (microsecond timestamps), enhanced packet
// blocks.
Bytes pcapng_file(const std::vector<Record>& recs, std::uint16_t linktype = 1) {
  Bytes b;
  put32(b, 0x0a0d0d0a, false);
  put32(b, 28, false);
  put32(b, 0x1a2b3c4d, false);
  put16(b, 1, false);
  put16(b, 0, false);
  put32(b, 0xffffffff, false);  // section length unknown (64 bits)
  put32(b, 0xffffffff, false);
  put32(b, 28, false);
  put32(b, 1, false);  // interface description block
  put32(b, 20, false);
  put16(b, linktype, false);
  put16(b, 0, false);
  put32(b, 0, false);  // snaplen: none
  put32(b, 20, false);
  for (const Record& r : recs) {
    const std::uint32_t padded = (static_cast<std::uint32_t>(r.data.size()) + 3) & ~3u;
    const std::uint64_t us = std::uint64_t{r.sec} * 1'000'000 + r.frac;
    put32(b, 6, false);
    put32(b, 32 + padded, false);
    put32(b, 0, false);
    put32(b, static_cast<std::uint32_t>(us >> 32), false);
    put32(b, static_cast<std::uint32_t>(us), false);
    put32(b, static_cast<std::uint32_t>(r.data.size()), false);
    put32(b, r.len != 0 ? r.len : static_cast<std::uint32_t>(r.data.size()), false);
    b.insert(b.end(), r.data.begin(), r.data.end());
    b.resize(b.size() + (padded - r.data.size()), 0);
    put32(b, 32 + padded, false);
  }
  return b;
}

struct ReadBack {
  std::string error;
  int linktype = -1;
  int snaplen = -1;
  std::vector<Record> recs;  // frac in nanoseconds
};

ReadBack read_pcap(const std::string& path) {
  ReadBack out;
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) {
    out.error = errbuf;
    return out;
  }
  out.linktype = pcap_datalink(p);
  out.snaplen = pcap_snapshot(p);
  pcap_pkthdr* h;
  const u_char* d;
  int r;
  while ((r = pcap_next_ex(p, &h, &d)) == 1) {
    Record rec;
    rec.sec = static_cast<std::uint32_t>(h->ts.tv_sec);
    rec.frac = static_cast<std::uint32_t>(h->ts.tv_usec);
    rec.data.assign(d, d + h->caplen);
    rec.len = h->len;
    out.recs.push_back(std::move(rec));
  }
  if (r != PCAP_ERROR_BREAK) out.error = pcap_geterr(p);
  pcap_close(p);
  return out;
}

// --- packets ---

Bytes udp_frame(std::uint16_t sport, std::size_t payload) {
  return PacketSpec()
      .eth()
      .ipv4("10.0.0.1", "10.0.0.2")
      .udp(sport, 53)
      .payload_size(payload)
      .bytes();
}

Bytes arp_frame() {
  return PacketSpec()
      .eth("ff:ff:ff:ff:ff:ff", "00:00:00:00:00:01")
      .arp(1, "00:00:00:00:00:01", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2")
      .bytes();
}

Bytes ip_only(const Bytes& frame) { return Bytes(frame.begin() + 14, frame.end()); }

// --- running ---

// Runs the router on its own thread until it stops by itself, or until `limit` passes
// (then it is stopped). True when it stopped by itself (a STOP).
bool run_bounded(graph::Router& r, std::chrono::milliseconds limit) {
  std::thread t([&r] { EXPECT_TRUE(r.run().is_ok()); });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!r.stop_requested() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const bool by_itself = r.stop_requested();
  r.please_stop();
  t.join();
  return by_itself;
}

// A sink with a pull input, for FromDump's pull mode: grab() pulls once.
class PullGrab final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "PullGrab", .ports = "1/0", .processing = "l/a"};
  std::size_t grab(std::uint32_t max) {
    graph::Batch b;
    input_pull(0, b, max);
    for (mem::Packet* p : b.packets()) {
      got.emplace_back(p->data(), p->data() + p->length());
      stamps.push_back(p->timestamp_ns());
    }
    const std::size_t n = b.size();
    graph::free_batch(b);
    return n;
  }
  std::vector<Bytes> got;
  std::vector<std::uint64_t> stamps;
};
UPLANE_REGISTER_ELEMENT(PullGrab);

// A source with a pull output, for ToDump's pull task: hands out what load() stored.
class PullFeed final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "PullFeed", .ports = "0/1", .processing = "a/l"};
  void load(const std::vector<Bytes>& pkts) {
    for (const Bytes& b : pkts) {
      mem::Packet* p = pool().alloc();
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(p->assign(b.data(), static_cast<std::uint32_t>(b.size()), 64));
      stored_.push_back(p);
    }
  }
  void pull(int, graph::Batch& out, std::uint32_t max) noexcept override {
    while (max-- > 0 && !stored_.empty()) {
      (void)out.push_back(stored_.front());
      stored_.erase(stored_.begin());
    }
  }
  void cleanup() noexcept override {
    for (mem::Packet* p : stored_) mem::free_packet(p);
    stored_.clear();
  }

 private:
  std::vector<mem::Packet*> stored_;
};
UPLANE_REGISTER_ELEMENT(PullFeed);

PullGrab* grab_of(Harness& h, std::string_view name) {
  return dynamic_cast<PullGrab*>(h.element(name));
}

std::string quoted(const std::string& path) { return "\"" + path + "\""; }

// ==================== FromDump ====================

TEST(FromDump, RoundTripIsByteExact) {
  TempDir dir;
  const std::vector<Record> recs = {{1000, 1, udp_frame(1, 10)},
                                    {1000, 999999, udp_frame(2, 0)},
                                    {1001, 500000, arp_frame()},
                                    {1700000000, 123456, udp_frame(3, 1400)}};
  const Bytes in = pcap_file(recs);
  write_file(dir.file("in.pcap"), in);
  {
    Harness h("src :: FromDump(" + quoted(dir.file("in.pcap")) + ", STOP true) -> out :: ToDump(" +
              quoted(dir.file("out.pcap")) + ")");
    ASSERT_TRUE(h.ok()) << h.error();
    EXPECT_TRUE(run_bounded(h.router(), std::chrono::seconds(20)));
    EXPECT_EQ(h.read("src.count"), "4\n");
    EXPECT_EQ(h.read("out.count"), "4\n");
    EXPECT_EQ(h.read("src.errors"), "0\n");
    EXPECT_EQ(h.read("src.active"), "false\n");  // STOP turns it off
  }
  // ToDump writes what Click writes: magic a1b2c3d4, 2.4, snaplen 2000, ETHER, records as
  // read. The input was written the same way, so the files are identical.
  EXPECT_EQ(read_file(dir.file("out.pcap")), in);
}

TEST(FromDump, TimestampsAndBytesSurviveEveryInputFormat) {
  const std::vector<Record> recs = {{12, 345678, udp_frame(1, 3)}, {13, 0, arp_frame()}};
  struct Case {
    const char* name;
    Bytes file;
    std::vector<std::uint32_t> want_ns;
  };
  PcapOptions nano{.nano = true};
  PcapOptions swapped{.swapped = true};
  std::vector<Record> nano_recs = recs;
  nano_recs[0].frac = 345678901;
  const std::vector<Case> cases = {
      {"micro", pcap_file(recs), {345678000, 0}},
      {"swapped", pcap_file(recs, swapped), {345678000, 0}},
      {"nano", pcap_file(nano_recs, nano), {345678901, 0}},
      {"pcapng", pcapng_file(recs), {345678000, 0}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    write_file(dir.file("in"), c.file);
    {
      Harness h("FromDump(" + quoted(dir.file("in")) + ", STOP true) -> ToDump(" +
                quoted(dir.file("out")) + ", NANO true)");
      ASSERT_TRUE(h.ok()) << h.error();
      EXPECT_TRUE(run_bounded(h.router(), std::chrono::seconds(20)));
    }
    const ReadBack rb = read_pcap(dir.file("out"));
    ASSERT_EQ(rb.error, "");
    ASSERT_EQ(rb.recs.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(rb.recs[i].sec, recs[i].sec);
      EXPECT_EQ(rb.recs[i].frac, c.want_ns[i]);
      EXPECT_EQ(rb.recs[i].data, recs[i].data);
    }
  }
}

TEST(FromDump, NanosecondInputWrittenInMicroseconds) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({{5, 999999999, udp_frame(1, 0)}}, {.nano = true}));
  {
    Harness h("FromDump(" + quoted(dir.file("in")) + ", STOP true) -> ToDump(" +
              quoted(dir.file("out")) + ")");
    ASSERT_TRUE(h.ok()) << h.error();
    EXPECT_TRUE(run_bounded(h.router(), std::chrono::seconds(20)));
  }
  const Bytes out = read_file(dir.file("out"));
  ASSERT_GE(out.size(), 24u + 16u);
  std::uint32_t magic, sec, usec;
  std::memcpy(&magic, out.data(), 4);
  std::memcpy(&sec, out.data() + 24, 4);
  std::memcpy(&usec, out.data() + 28, 4);
  EXPECT_EQ(magic, 0xa1b2c3d4u);
  EXPECT_EQ(sec, 5u);
  EXPECT_EQ(usec, 999999u);  // truncated, as Click's Timestamp::usec()
}

TEST(FromDump, TruncatedCapturesKeepTheirOriginalLength) {
  TempDir dir;
  const Bytes full = udp_frame(7, 100);
  Record cut{20, 0, Bytes(full.begin(), full.begin() + 40)};
  cut.len = static_cast<std::uint32_t>(full.size());
  Record whole{21, 0, udp_frame(8, 0)};
  write_file(dir.file("in"), pcap_file({cut, whole}, {.snaplen = 40}));
  {
    Harness h("FromDump(" + quoted(dir.file("in")) + ", STOP true) -> a :: ToDump(" +
              quoted(dir.file("a")) + ") -> b :: ToDump(" + quoted(dir.file("b")) +
              ", EXTRA_LENGTH false) -> c :: ToDump(" + quoted(dir.file("c")) +
              ", SNAPLEN 30) -> TestSink");
    ASSERT_TRUE(h.ok()) << h.error();
    EXPECT_TRUE(run_bounded(h.router(), std::chrono::seconds(20)));
    EXPECT_EQ(h.read("a.count"), "2\n");
  }
  const ReadBack a = read_pcap(dir.file("a")), b = read_pcap(dir.file("b")),
                 c = read_pcap(dir.file("c"));
  ASSERT_EQ(a.recs.size(), 2u);
  ASSERT_EQ(b.recs.size(), 2u);
  ASSERT_EQ(c.recs.size(), 2u);
  // The captured bytes go on; the packet's wire length comes back through the annotation.
  EXPECT_EQ(a.recs[0].data, cut.data);
  EXPECT_EQ(a.recs[0].len, full.size());
  EXPECT_EQ(a.recs[1].len, whole.data.size());
  EXPECT_EQ(b.recs[0].data, cut.data);
  EXPECT_EQ(b.recs[0].len, 40u);  // EXTRA_LENGTH false: only what is in the packet
  EXPECT_EQ(c.snaplen, 30);
  EXPECT_EQ(c.recs[0].data, Bytes(cut.data.begin(), cut.data.begin() + 30));
  EXPECT_EQ(c.recs[0].len, full.size());
  EXPECT_EQ(c.recs[1].data, Bytes(whole.data.begin(), whole.data.begin() + 30));
  EXPECT_EQ(c.recs[1].len, whole.data.size());
}

TEST(FromDump, ExtraLengthAnnotationAtClicksOffset) {
  TempDir dir;
  const Bytes full = udp_frame(7, 100);
  Record cut{20, 0, Bytes(full.begin(), full.begin() + 40)};
  cut.len = 1000;
  write_file(dir.file("in"), pcap_file({cut}));
  Harness h("FromDump(" + quoted(dir.file("in")) + ") -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(2);
  ASSERT_EQ(h.sink("out").size(), 1u);
  const auto& anno = h.sink("out")[0].user_anno;
  std::uint32_t extra;
  std::memcpy(&extra, anno.data() + kExtraLengthAnnoOffset, 4);
  EXPECT_EQ(extra, 960u);
  EXPECT_EQ(h.sink("out")[0].bytes, cut.data);
}

TEST(FromDump, RecordLongerThanItsPacketIsCutToThePacket) {
  // caplen > len (tcptrace's off-by-one): the packet is `len` bytes and the excess is
  // skipped, as Click and tcpdump do; the next record still reads correctly.
  TempDir dir;
  const Bytes f1 = udp_frame(1, 10), f2 = udp_frame(2, 0);
  Record bad{1, 0, f1};
  bad.len = static_cast<std::uint32_t>(f1.size() - 1);
  write_file(dir.file("in"), pcap_file({bad, {2, 0, f2}}));
  Harness h("FromDump(" + quoted(dir.file("in")) + ") -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(2);
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, Bytes(f1.begin(), f1.end() - 1));
  EXPECT_EQ(h.sink("out")[1].bytes, f2);
  EXPECT_EQ(h.read("FromDump@1.errors"), "0\n");
}

TEST(FromDump, FileCutMidRecordEndsTheTraceCleanly) {
  const std::vector<Record> recs = {{1, 0, udp_frame(1, 10)}, {2, 0, udp_frame(2, 10)}};
  const Bytes whole = pcap_file(recs);
  const std::size_t first_end = 24 + 16 + recs[0].data.size();
  // Cut inside the second record's data, inside its header, and right after the file
  // header of a file whose first record header is incomplete.
  const std::vector<std::pair<std::size_t, std::size_t>> cuts = {
      {whole.size() - 5, 1}, {first_end + 7, 1}, {24 + 3, 0}};
  for (auto [size, emitted] : cuts) {
    SCOPED_TRACE(size);
    TempDir dir;
    write_file(dir.file("in"), Bytes(whole.begin(), whole.begin() + static_cast<long>(size)));
    Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", STOP true) -> out :: ToDump(" +
              quoted(dir.file("out")) + ")");
    ASSERT_TRUE(h.ok()) << h.error();
    EXPECT_TRUE(run_bounded(h.router(), std::chrono::seconds(20)));
    EXPECT_EQ(h.read("src.count"), std::to_string(emitted) + "\n");
    EXPECT_EQ(h.read("src.errors"), "1\n");
    EXPECT_EQ(h.read("out.count"), std::to_string(emitted) + "\n");
  }
}

TEST(FromDump, ImpossibleRecordHeaderEndsTheTrace) {
  TempDir dir;
  std::vector<Record> recs = {{1, 0, udp_frame(1, 10)}, {2, 0, udp_frame(2, 10)}};
  Bytes file = pcap_file(recs);
  const std::size_t second = 24 + 16 + recs[0].data.size();
  const std::uint32_t huge = 0x7fffffff;
  std::memcpy(&file[second + 8], &huge, 4);   // caplen
  std::memcpy(&file[second + 12], &huge, 4);  // len
  write_file(dir.file("in"), file);
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ") -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(3);
  EXPECT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.read("src.errors"), "1\n");
  EXPECT_FALSE(h.router().stop_requested());  // no STOP
}

TEST(FromDump, MissingOrBadFilesAreInitializeErrorsNamingTheFile) {
  TempDir dir;
  const std::string missing = dir.file("nope.pcap");
  std::string err = testing::config_error("FromDump(" + quoted(missing) + ") -> TestSink");
  EXPECT_NE(err.find(missing), std::string::npos) << err;
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;

  write_file(dir.file("empty.pcap"), {});
  err = testing::config_error("FromDump(" + quoted(dir.file("empty.pcap")) + ") -> TestSink");
  EXPECT_NE(err.find(dir.file("empty.pcap")), std::string::npos) << err;

  write_file(dir.file("text.pcap"), Bytes(100, 'x'));
  err = testing::config_error("FromDump(" + quoted(dir.file("text.pcap")) + ") -> TestSink");
  EXPECT_NE(err.find("not a pcap"), std::string::npos) << err;

  const Bytes header = pcap_file({});
  write_file(dir.file("short.pcap"), Bytes(header.begin(), header.begin() + 10));
  err = testing::config_error("FromDump(" + quoted(dir.file("short.pcap")) + ") -> TestSink");
  EXPECT_NE(err.find(dir.file("short.pcap")), std::string::npos) << err;

  write_file(dir.file("z.pcap.gz"), {0x1f, 0x8b, 8, 0, 0, 0, 0, 0});
  err = testing::config_error("FromDump(" + quoted(dir.file("z.pcap.gz")) + ") -> TestSink");
  EXPECT_NE(err.find("gzip"), std::string::npos) << err;
}

TEST(FromDump, ConfigurationErrorsNameTheKeyword) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({}));
  const std::string f = quoted(dir.file("in"));
  struct Case {
    std::string args;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"", "FILENAME"},
      {f + ", BURST 0", "BURST"},
      {f + ", BURST 33", "BURST"},
      {f + ", STOP maybe", "STOP"},
      {f + ", SAMPLE -0.5", "SAMPLE"},
      {f + ", START 1, START_AFTER 2", "START and START_AFTER"},
      {f + ", END 1, INTERVAL 2", "mutually exclusive"},
      {f + ", END_CALL x.stop", "END_CALL"},
      {f + ", BOGUS 1", "BOGUS"},
      {f + ", FILEPOS 100000", "FILEPOS"},
  };
  for (const Case& c : cases) {
    const std::string err = testing::config_error("FromDump(" + c.args + ") -> TestSink");
    EXPECT_NE(err.find(c.want), std::string::npos) << c.args << " -> " << err;
  }
}

TEST(FromDump, ForceIpOnEthernetSetsAnnotationsAndSplitsNonIp) {
  TempDir dir;
  const Bytes ip = udp_frame(1, 4);
  const Bytes arp = arp_frame();
  Bytes runt = Bytes(ip.begin(), ip.begin() + 20);  // IPv4 EtherType, header not all there
  Bytes bad_ihl = ip;
  bad_ihl[14] = 0x44;  // IHL 4
  const Bytes vlan = PacketSpec().eth().vlan(5).ipv4().udp().bytes();
  write_file(
      dir.file("in"),
      pcap_file(
          {{1, 0, ip}, {2, 0, arp}, {3, 0, runt}, {4, 0, bad_ihl}, {5, 0, vlan}, {6, 0, Bytes{}}}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) +
            ", FORCE_IP true) -> ip :: TestSink; src[1] -> other :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(2);
  ASSERT_EQ(h.sink("ip").size(), 1u);
  EXPECT_EQ(h.sink("ip")[0].bytes, ip);
  EXPECT_EQ(h.sink("ip")[0].network_header_offset, 14);
  EXPECT_EQ(h.sink("ip")[0].dst_ip_anno, net::Ipv4Addr::from_octets(10, 0, 0, 2).value.raw());
  ASSERT_EQ(h.sink("other").size(), 5u);
  EXPECT_EQ(h.sink("other")[0].bytes, arp);
  EXPECT_EQ(h.sink("other")[4].bytes, Bytes{});
  EXPECT_EQ(h.read("src.count"), "1\n");  // output 0 only, as Click
}

TEST(FromDump, ForceIpWithoutSecondOutputDrops) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({{1, 0, udp_frame(1, 0)}, {2, 0, arp_frame()}}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", FORCE_IP true) -> ip :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(2);
  EXPECT_EQ(h.sink("ip").size(), 1u);
  EXPECT_EQ(h.drops("src", DropReason::kFiltered), 1u);
}

TEST(FromDump, RawIpFilesForceIp) {
  TempDir dir;
  const Bytes ip = ip_only(udp_frame(1, 8));
  Bytes v5 = ip;
  v5[0] = 0x55;
  write_file(dir.file("in"),
             pcap_file({{1, 0, ip}, {2, 0, v5}, {3, 0, Bytes{0x45}}}, {.linktype = 101}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) +
            ") -> ip :: TestSink; src[1] -> other :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(2);
  EXPECT_EQ(h.read("src.encap"), "IP\n");
  ASSERT_EQ(h.sink("ip").size(), 1u);
  EXPECT_EQ(h.sink("ip")[0].network_header_offset, 0);
  EXPECT_EQ(h.sink("other").size(), 2u);
}

TEST(FromDump, ForceIpOnUnknownLinkTypeIsAnError) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({}, {.linktype = 113}));  // Linux cooked
  const std::string err =
      testing::config_error("FromDump(" + quoted(dir.file("in")) + ", FORCE_IP true) -> TestSink");
  EXPECT_NE(err.find("can't force IP"), std::string::npos) << err;
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ") -> TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("src.encap"), "??\n");
}

TEST(FromDump, WithoutStopTheRouterKeepsRunning) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({{1, 0, udp_frame(1, 0)}}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ") -> c :: ToDump(" +
            quoted(dir.file("out")) + ")");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_FALSE(run_bounded(h.router(), std::chrono::milliseconds(300)));
  EXPECT_EQ(h.read("c.count"), "1\n");
  EXPECT_EQ(h.read("src.active"), "true\n");
}

TEST(FromDump, ActiveFalseEmitsNothingUntilWritten) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({{1, 0, udp_frame(1, 0)}, {2, 0, udp_frame(2, 0)}}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", ACTIVE false) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(3);
  EXPECT_EQ(h.sink("out").size(), 0u);
  EXPECT_EQ(h.read("src.active"), "false\n");
  EXPECT_FALSE(h.write("src.active", "maybe").is_ok());
  ASSERT_TRUE(h.write("src.active", "true").is_ok());
  h.run_tasks(3);
  EXPECT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.read("src.count"), "2\n");
  ASSERT_TRUE(h.write("src.reset_counts", "").is_ok());
  EXPECT_EQ(h.read("src.count"), "0\n");
}

TEST(FromDump, BurstBoundsEachTaskRun) {
  TempDir dir;
  std::vector<Record> recs;
  for (std::uint32_t i = 0; i < 10; ++i)
    recs.push_back({i, 0, udp_frame(static_cast<std::uint16_t>(i), 0)});
  write_file(dir.file("in"), pcap_file(recs));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", BURST 4) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 4u);
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 8u);
  h.run_tasks(2);
  ASSERT_EQ(h.sink("out").size(), 10u);
  for (std::uint32_t i = 0; i < 10; ++i) EXPECT_EQ(h.sink("out")[i].bytes, recs[i].data);
}

TEST(FromDump, StartEndAndIntervalSelectByTime) {
  TempDir dir;
  std::vector<Record> recs;
  for (std::uint32_t i = 0; i < 6; ++i)  // at 100.0, 100.5, 101.0, ... 102.5
    recs.push_back({100 + i / 2, (i % 2) * 500000, udp_frame(static_cast<std::uint16_t>(i), 0)});
  write_file(dir.file("in"), pcap_file(recs));
  struct Case {
    std::string kw;
    std::vector<int> want;
    bool active_after;
  };
  const std::vector<Case> cases = {
      {"START 101", {2, 3, 4, 5}, true},        {"START_AFTER 0.5", {1, 2, 3, 4, 5}, true},
      {"END 101.5", {0, 1, 2}, false},          {"END_AFTER 1", {0, 1}, false},
      {"START 101, INTERVAL 1", {2, 3}, false}, {"INTERVAL 500ms", {0}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.kw);
    Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", " + c.kw + ") -> out :: TestSink");
    ASSERT_TRUE(h.ok()) << h.error();
    h.run_tasks(3);
    ASSERT_EQ(h.sink("out").size(), c.want.size());
    for (std::size_t i = 0; i < c.want.size(); ++i)
      EXPECT_EQ(h.sink("out")[i].bytes, recs[static_cast<std::size_t>(c.want[i])].data);
    EXPECT_EQ(h.read("src.active"), c.active_after ? "true\n" : "false\n");
  }
}

TEST(FromDump, EndWithStopStopsTheRouter) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({{1, 0, udp_frame(1, 0)}, {5, 0, udp_frame(2, 0)}}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", END 3, STOP true) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(2);
  EXPECT_EQ(h.sink("out").size(), 1u);
  EXPECT_TRUE(h.router().stop_requested());
}

TEST(FromDump, ExtendIntervalResumes) {
  TempDir dir;
  write_file(
      dir.file("in"),
      pcap_file({{1, 0, udp_frame(1, 0)}, {2, 0, udp_frame(2, 0)}, {3, 0, udp_frame(3, 0)}}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", END 2) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(2);
  EXPECT_EQ(h.sink("out").size(), 1u);  // the packet at 2 ends the trace, unsent
  ASSERT_TRUE(h.write("src.extend_interval", "5").is_ok());
  h.run_tasks(2);
  EXPECT_EQ(h.sink("out").size(), 2u);  // the record at 2 was consumed; 3 goes
  EXPECT_FALSE(h.write("src.extend_interval", "soon").is_ok());
}

TEST(FromDump, SampleIsDeterministicAndReported) {
  TempDir dir;
  std::vector<Record> recs;
  for (std::uint32_t i = 0; i < 200; ++i)
    recs.push_back({i, 0, udp_frame(static_cast<std::uint16_t>(i), 0)});
  write_file(dir.file("in"), pcap_file(recs));
  std::size_t first = 0;
  for (int round = 0; round < 2; ++round) {
    Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", SAMPLE 0.5) -> out :: TestSink");
    ASSERT_TRUE(h.ok()) << h.error();
    h.run_tasks(20);
    EXPECT_EQ(h.read("src.sampling_prob"), "0.5\n");
    const std::size_t n = h.sink("out").size();
    EXPECT_GT(n, 60u);
    EXPECT_LT(n, 140u);
    if (round == 0) first = n;
    EXPECT_EQ(n, first);
  }
  Harness one("src :: FromDump(" + quoted(dir.file("in")) + ") -> TestSink");
  ASSERT_TRUE(one.ok()) << one.error();
  EXPECT_EQ(one.read("src.sampling_prob"), "1\n");
  Harness none("src :: FromDump(" + quoted(dir.file("in")) + ", SAMPLE 0) -> out :: TestSink");
  ASSERT_TRUE(none.ok()) << none.error();
  none.run_tasks(20);
  EXPECT_EQ(none.sink("out").size(), 0u);
  EXPECT_EQ(none.read("src.sampling_prob"), "0\n");
  Harness third("src :: FromDump(" + quoted(dir.file("in")) + ", SAMPLE 0.1) -> TestSink");
  ASSERT_TRUE(third.ok()) << third.error();
  EXPECT_EQ(third.read("src.sampling_prob"), "0.1\n");
}

TEST(FromDump, FileHandlers) {
  TempDir dir;
  const std::vector<Record> recs = {{1, 0, udp_frame(1, 0)}, {2, 0, udp_frame(2, 0)}};
  const Bytes file = pcap_file(recs);
  write_file(dir.file("in"), file);
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ") -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("src.filename"), dir.file("in") + "\n");
  EXPECT_EQ(h.read("src.filesize"), std::to_string(file.size()) + "\n");
  EXPECT_EQ(h.read("src.filepos"), "24\n");
  EXPECT_EQ(h.read("src.encap"), "ETHER\n");
  h.run_tasks(2);
  const std::size_t second = 24 + 16 + recs[0].data.size();
  EXPECT_EQ(h.read("src.filepos"), std::to_string(file.size()) + "\n");
  EXPECT_EQ(h.read("src.packet_filepos"), std::to_string(second) + "\n");
  // Seek back to the second record: it is read again.
  ASSERT_TRUE(h.write("src.filepos", std::to_string(second)).is_ok());
  h.run_tasks(2);
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[2].bytes, recs[1].data);
  EXPECT_FALSE(h.write("src.filepos", "99999").is_ok());
  EXPECT_FALSE(h.write("src.filepos", "x").is_ok());
}

TEST(FromDump, FileposKeywordStartsThere) {
  TempDir dir;
  const std::vector<Record> recs = {{1, 0, udp_frame(1, 0)}, {2, 0, udp_frame(2, 0)}};
  write_file(dir.file("in"), pcap_file(recs));
  const std::size_t second = 24 + 16 + recs[0].data.size();
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", FILEPOS " + std::to_string(second) +
            ") -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(2);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, recs[1].data);
}

TEST(FromDump, StopHandlerStopsTheRouter) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({{1, 0, udp_frame(1, 0)}}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", ACTIVE false) -> TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_TRUE(h.write("src.stop", "").is_ok());
  EXPECT_TRUE(h.router().stop_requested());
}

TEST(FromDump, PullModeReadsWhatIsAskedAndStops) {
  TempDir dir;
  std::vector<Record> recs;
  for (std::uint32_t i = 0; i < 5; ++i)
    recs.push_back({i, 7, udp_frame(static_cast<std::uint16_t>(i), 0)});
  recs.push_back({9, 0, arp_frame()});
  write_file(dir.file("in"), pcap_file(recs));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) +
            ", STOP true, FORCE_IP true) -> g :: PullGrab; src[1] -> other :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  PullGrab* g = grab_of(h, "g");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(h.element("src")->tasks().empty());  // pull: no task of its own
  EXPECT_EQ(g->grab(2), 2u);
  EXPECT_EQ(g->grab(2), 2u);
  EXPECT_FALSE(h.router().stop_requested());
  EXPECT_EQ(g->grab(32), 1u);  // the last IP packet; the ARP goes out of output 1
  EXPECT_TRUE(h.router().stop_requested());
  EXPECT_EQ(g->grab(32), 0u);
  ASSERT_EQ(g->got.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(g->got[i], recs[i].data);
    EXPECT_EQ(g->stamps[i], i * 1'000'000'000ull + 7000);
  }
  EXPECT_EQ(h.sink("other").size(), 1u);
  EXPECT_EQ(h.read("src.count"), "5\n");
}

TEST(FromDump, PullModeTimingHoldsPacketsUntilDue) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({{50, 0, udp_frame(1, 0)}, {50, 200000, udp_frame(2, 0)}}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ", TIMING true) -> g :: PullGrab");
  ASSERT_TRUE(h.ok()) << h.error();
  PullGrab* g = grab_of(h, "g");
  ASSERT_NE(g, nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(g->grab(32), 1u);  // the first packet goes at once, the second is 200 ms later
  while (g->got.size() < 2 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    g->grab(32);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(g->got.size(), 2u);
  EXPECT_GE(waited, std::chrono::milliseconds(190));
}

TEST(FromDump, PushModeTimingReplaysAtTheRecordedPace) {
  TempDir dir;
  write_file(dir.file("in"), pcap_file({{50, 0, udp_frame(1, 0)},
                                        {50, 150000, udp_frame(2, 0)},
                                        {50, 300000, udp_frame(3, 0)}}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) +
            ", TIMING true, STOP true) -> c :: ToDump(" + quoted(dir.file("out")) + ")");
  ASSERT_TRUE(h.ok()) << h.error();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(run_bounded(h.router(), std::chrono::seconds(20)));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_EQ(h.read("c.count"), "3\n");
}

TEST(FromDump, OversizedPacketsAreDroppedAndCounted) {
  TempDir dir;
  const Bytes big(5000, 0xab);
  write_file(dir.file("in"), pcap_file({{1, 0, big}, {2, 0, udp_frame(1, 0)}}, {.snaplen = 65535}));
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ") -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(2);
  EXPECT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.drops("src", DropReason::kNoRoom), 1u);
}

TEST(FromDump, PoolExhaustionWaitsInsteadOfLosing) {
  TempDir dir;
  std::vector<Record> recs;
  for (std::uint32_t i = 0; i < 40; ++i)
    recs.push_back({i, 0, udp_frame(static_cast<std::uint16_t>(i), 0)});
  write_file(dir.file("in"), pcap_file(recs));
  graph::RouterOptions o = Harness::small_options();
  o.pool.frame_count = 16;
  Harness h("src :: FromDump(" + quoted(dir.file("in")) + ") -> g :: PullGrab", o);
  ASSERT_TRUE(h.ok()) << h.error();
  PullGrab* g = grab_of(h, "g");
  ASSERT_NE(g, nullptr);
  // Hold 16 frames elsewhere so the pool is empty, then free them.
  std::vector<mem::Packet*> hold;
  while (mem::Packet* p = h.router().pool().alloc()) hold.push_back(p);
  EXPECT_EQ(g->grab(8), 0u);
  for (mem::Packet* p : hold) mem::free_packet(p);
  while (g->grab(8) > 0) {
  }
  ASSERT_EQ(g->got.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) EXPECT_EQ(g->got[i], recs[i].data);
}

// ==================== ToDump ====================

TEST(ToDump, WritesClicksHeaderAndRecords) {
  TempDir dir;
  const Bytes pkt = udp_frame(9, 5);
  {
    Harness h("in :: TestSource -> out :: ToDump(" + quoted(dir.file("out")) + ")");
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", {pkt}, [](mem::Packet& p) { p.set_timestamp_ns(7'000'123'456); });
    EXPECT_EQ(h.read("out.count"), "1\n");
    EXPECT_EQ(h.read("out.filename"), dir.file("out") + "\n");
  }
  Bytes want = pcap_file({{7, 123, pkt}});
  EXPECT_EQ(read_file(dir.file("out")), want);
}

TEST(ToDump, ZeroTimestampBecomesNow) {
  TempDir dir;
  const auto before = std::chrono::system_clock::now();
  {
    Harness h("in :: TestSource -> out :: ToDump(" + quoted(dir.file("out")) + ")");
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", {udp_frame(1, 0)});
  }
  const auto after = std::chrono::system_clock::now();
  const ReadBack rb = read_pcap(dir.file("out"));
  ASSERT_EQ(rb.recs.size(), 1u);
  const auto secs = [](auto t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  };
  EXPECT_GE(rb.recs[0].sec, secs(before));
  EXPECT_LE(rb.recs[0].sec, secs(after));
}

TEST(ToDump, EncapAndSnaplen) {
  TempDir dir;
  const Bytes ip = ip_only(udp_frame(1, 100));
  {
    Harness h("in :: TestSource -> a :: ToDump(" + quoted(dir.file("a")) +
              ", 50, IP) -> b :: ToDump(" + quoted(dir.file("b")) +
              ", SNAPLEN 0, ENCAP IP, NANO true) -> out :: TestSink");
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", {ip}, [](mem::Packet& p) { p.set_timestamp_ns(1'000'000'001); });
    EXPECT_EQ(h.sink("out").size(), 1u);  // passes through
  }
  const ReadBack a = read_pcap(dir.file("a")), b = read_pcap(dir.file("b"));
  EXPECT_EQ(a.linktype, DLT_RAW);
  EXPECT_EQ(a.snaplen, 50);
  ASSERT_EQ(a.recs.size(), 1u);
  EXPECT_EQ(a.recs[0].data, Bytes(ip.begin(), ip.begin() + 50));
  EXPECT_EQ(a.recs[0].len, ip.size());
  EXPECT_EQ(a.recs[0].frac, 0u);  // microseconds: 1 ns is lost
  ASSERT_EQ(b.recs.size(), 1u);
  EXPECT_EQ(b.recs[0].data, ip);
  EXPECT_EQ(b.recs[0].frac, 1u);
}

TEST(ToDump, UseEncapFrom) {
  TempDir dir;
  write_file(dir.file("ip"), pcap_file({{1, 0, ip_only(udp_frame(1, 0))}}, {.linktype = 101}));
  write_file(dir.file("eth"), pcap_file({{1, 0, udp_frame(1, 0)}}));
  {
    Harness h("s :: FromDump(" + quoted(dir.file("ip")) + ") -> ToDump(" + quoted(dir.file("out")) +
              ", USE_ENCAP_FROM s)");
    ASSERT_TRUE(h.ok()) << h.error();
  }
  EXPECT_EQ(read_pcap(dir.file("out")).linktype, DLT_RAW);
  std::string err = testing::config_error(
      "a :: FromDump(" + quoted(dir.file("ip")) + ") -> t :: ToDump(" + quoted(dir.file("o2")) +
      ", USE_ENCAP_FROM a b); b :: FromDump(" + quoted(dir.file("eth")) + ") -> TestSink");
  EXPECT_NE(err.find("disagree"), std::string::npos) << err;
  err = testing::config_error("a :: FromDump(" + quoted(dir.file("ip")) + ") -> t :: ToDump(" +
                              quoted(dir.file("o3")) +
                              ", USE_ENCAP_FROM d); d :: TestSource -> TestSink");
  EXPECT_NE(err.find("encap"), std::string::npos) << err;
  err = testing::config_error("a :: FromDump(" + quoted(dir.file("ip")) + ") -> t :: ToDump(" +
                              quoted(dir.file("o4")) + ", ENCAP IP, USE_ENCAP_FROM a)");
  EXPECT_NE(err.find("at most one"), std::string::npos) << err;
  err = testing::config_error("a :: FromDump(" + quoted(dir.file("ip")) + ") -> t :: ToDump(" +
                              quoted(dir.file("o5")) + ", USE_ENCAP_FROM zz)");
  EXPECT_NE(err.find("zz"), std::string::npos) << err;
}

TEST(ToDump, ConfigurationErrors) {
  TempDir dir;
  const std::string f = quoted(dir.file("out"));
  EXPECT_NE(testing::config_error("in :: TestSource -> ToDump()").find("FILENAME"),
            std::string::npos);
  EXPECT_NE(testing::config_error("in :: TestSource -> ToDump(" + f + ", ENCAP PPP)").find("ENCAP"),
            std::string::npos);
  EXPECT_NE(
      testing::config_error("in :: TestSource -> ToDump(" + f + ", SNAPLEN x)").find("SNAPLEN"),
      std::string::npos);
  EXPECT_NE(testing::config_error("in :: TestSource -> ToDump(" + f + ", BURST 0)").find("BURST"),
            std::string::npos);
  const std::string nodir = dir.file("no/such/dir/out.pcap");
  const std::string err =
      testing::config_error("in :: TestSource -> ToDump(" + quoted(nodir) + ")");
  EXPECT_NE(err.find(nodir), std::string::npos) << err;
}

TEST(ToDump, WriteFailuresAreCountedNotFatal) {
  // /dev/full refuses every write with ENOSPC.
  std::string err = testing::config_error("in :: TestSource -> ToDump(/dev/full, UNBUFFERED true)");
  EXPECT_NE(err.find("header"), std::string::npos) << err;
  Harness h("in :: TestSource -> t :: ToDump(/dev/full) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<Bytes> pkts(100, udp_frame(1, 1000));  // more than a stdio buffer
  h.push("in", pkts);
  EXPECT_EQ(h.sink("out").size(), 100u);  // still passed on
  const std::uint64_t count = std::stoull(h.read("t.count"));
  const std::uint64_t errors = std::stoull(h.read("t.write_errors"));
  EXPECT_GT(errors, 0u);
  EXPECT_EQ(count + errors, 100u);
  h.push("in", {udp_frame(1, 0)});
  EXPECT_EQ(std::stoull(h.read("t.write_errors")), errors + 1);
}

TEST(ToDump, PullThroughWritesAndPassesOn) {
  TempDir dir;
  {
    Harness h("in :: TestSource -> t :: ToDump(" + quoted(dir.file("out")) + ") -> g :: PullGrab");
    ASSERT_TRUE(h.ok()) << h.error();
    h.load("in", {udp_frame(1, 0), udp_frame(2, 0), udp_frame(3, 0)});
    PullGrab* g = grab_of(h, "g");
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->grab(2), 2u);
    EXPECT_EQ(h.read("t.count"), "2\n");
    EXPECT_TRUE(h.element("t")->tasks().empty());  // pulled from downstream: no task
  }
  EXPECT_EQ(read_pcap(dir.file("out")).recs.size(), 2u);
}

TEST(ToDump, PullWithoutOutputRunsATask) {
  TempDir dir;
  const std::vector<Bytes> pkts = {udp_frame(1, 0), udp_frame(2, 0), udp_frame(3, 0)};
  {
    Harness h("in :: PullFeed -> t :: ToDump(" + quoted(dir.file("out")) + ", BURST 2)");
    ASSERT_TRUE(h.ok()) << h.error();
    auto* feed = dynamic_cast<PullFeed*>(h.element("in"));
    ASSERT_NE(feed, nullptr);
    feed->load(pkts);
    ASSERT_EQ(h.element("t")->tasks().size(), 1u);
    EXPECT_TRUE(h.run_tasks(1));
    EXPECT_EQ(h.read("t.count"), "2\n");  // BURST 2 per run
    EXPECT_TRUE(h.run_tasks(1));
    EXPECT_FALSE(h.run_tasks(1));
    EXPECT_EQ(h.read("t.count"), "3\n");
  }
  const ReadBack rb = read_pcap(dir.file("out"));
  ASSERT_EQ(rb.recs.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(rb.recs[i].data, pkts[i]);
}

}  // namespace
}  // namespace uplane::io
