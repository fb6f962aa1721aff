#pragma once
// =c
// FromDump(FILENAME [, TIMING, KEYWORDS])
// =s traces
// reads packets from a tcpdump (pcap or pcapng) file
// =d
// Reads packets from a file written by `tcpdump -w FILENAME`, Wireshark or ToDump, and
// emits them on output 0, optionally asking the router to stop when the file ends. The
// file is read with libpcap: classic pcap in either byte order, with microsecond or
// nanosecond timestamps, and pcapng. FILENAME `-` reads standard input.
//
// Each packet carries the record's captured bytes and its timestamp annotation. A record
// captured short of the packet's length (caplen < len, a snaplen cut) is emitted with the
// bytes that were captured, and the missing length goes in the extra-length annotation
// (which ToDump writes back by default). A record that claims more captured bytes than its
// packet length is emitted at the packet length, the excess skipped (as Click and tcpdump
// do). A file that ends in the middle of a record, or whose next record header is
// impossible, ends the trace there: the packets before it are emitted, a warning names the
// file and the problem, and the `errors` handler counts it.
//
// With FORCE_IP, only IP packets leave on output 0, with their network header annotation,
// transport header annotation and (IPv4) destination IP annotation set; other packets go
// to output 1 when it exists and are dropped otherwise. An IPv4 packet counts as IP when
// it has version 4, IHL at least 5 and the whole header captured; IPv6 when it has version
// 6 and its 40-byte header captured. Ethernet frames count when their EtherType is IPv4
// or IPv6 (no VLAN tag). Files of link type raw IP always behave as if FORCE_IP were true.
//
// Output 0 is push or pull. When it is push, a task reads and pushes up to BURST packets
// each time it runs. When it is pull, each pull reads up to what was asked (at most
// BURST).
//
// Keywords:
//   TIMING    Boolean. Replay at the recorded pace: the first packet goes at once, each
//             later one when its time since the first packet has passed. Default false.
//   STOP      Boolean. Ask the router to stop when the file ends (or END is reached).
//             Default false.
//   ACTIVE    Boolean. When false, emit nothing until the `active` handler is written.
//             Default true.
//   SAMPLE    Real number between 0 and 1: emit each packet with this probability (28-bit
//             fixed point; the `sampling_prob` handler reports the value used). Default 1.
//   FORCE_IP  Boolean. See above. Default false.
//   START     Absolute time in seconds since the epoch: skip packets before it.
//   START_AFTER  Time interval: skip packets less than this after the first packet's time.
//   END       Absolute time in seconds since the epoch: the trace ends at the first packet
//             at or after it (that packet is not emitted).
//   END_AFTER Time interval: the trace ends at the first packet at least this long after
//             the first packet's time.
//   INTERVAL  Time interval: the trace ends at the first packet at least this long after
//             the first packet emitted.
//   FILEPOS   File offset: start reading records there (dangerous, as in Click: a wrong
//             offset reads garbage, which ends the trace as a corrupt file).
//   MMAP      Boolean. Accepted for compatibility; has no effect.
//   BURST     Unsigned, 1-32. Packets read per task run or pull. Default 32.
// At most one of START and START_AFTER, and at most one of END, END_AFTER and INTERVAL.
// When the trace ends at END (or its cousins) without STOP, FromDump turns inactive.
// =h count read-only
// Packets emitted on output 0.
// =h reset_counts write-only
// Resets count to zero.
// =h active read/write
// Whether FromDump emits packets (a Boolean).
// =h stop write-only
// Makes FromDump inactive and asks the router to stop.
// =h encap read-only
// The file's link type: ETHER, IP, FDDI, ATM, 802.11, AIRONET, or ?? for others.
// =h filename read-only
// The FILENAME argument (`<stdin>` for `-`).
// =h filesize read-only
// The file's size in bytes, or `-` when it is not a regular file.
// =h filepos read/write
// The file offset after the last record read; writing seeks to an offset.
// =h packet_filepos read-only
// The file offset of the last record read.
// =h sampling_prob read-only
// The sampling probability actually used (see SAMPLE).
// =h extend_interval write-only
// A time interval: moves the END time (or its cousins) later by that much and makes
// FromDump active again.
// =h reset_timing write-only
// Forgets the first-packet time, so relative times and TIMING start over at the next
// packet read.
// =h errors read-only
// Times the trace ended at a corrupt or cut record (0 or 1 unless filepos was written).
// =e
//   FromDump(trace.pcap, STOP true, FORCE_IP true) -> CheckIPHeader -> ...
// =a ToDump, FromDevice
// =uplane
// Compressed (gzip, bzip2) files are refused with a message instead of being piped
// through zcat. END_CALL is not supported (a handler cannot be called from the data path);
// use STOP, or the default of turning inactive at END. MMAP has no effect. FORCE_IP
// recognizes Ethernet and raw IP files; on other link types it is a configuration error.
// Packets larger than a pool frame can hold are dropped (counted under no_room) with a
// warning. Sampling uses a fixed-seed generator, so a given file and SAMPLE always select
// the same packets. The `errors` handler and the BURST keyword are uplane's; Click's task
// handlers (scheduled, tickets, ...) are absent. The extra-length annotation lives in the
// user annotation bytes at Click's offset (28, four bytes, host order).

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "graph/element.h"
#include "mem/packet.h"

struct pcap;
struct pcap_pkthdr;

namespace uplane::io {

// Click's EXTRA_LENGTH_ANNO: how many bytes longer the packet was on the wire than its
// data (the part a capture did not keep). Four bytes at offset 28 of the user annotations,
// host order, as in Click's anno layout.
inline constexpr std::size_t kExtraLengthAnnoOffset = 28;
std::uint32_t extra_length_anno(const mem::Packet& p) noexcept;
void set_extra_length_anno(mem::Packet& p, std::uint32_t extra) noexcept;

// The name Click gives a pcap link type ("ETHER", "IP", ...), or "??".
std::string_view encap_name(int dlt) noexcept;
// The pcap link type for a Click encapsulation name, or -1.
int encap_from_name(std::string_view name) noexcept;

class FromDump final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "FromDump", .ports = "0/1-2", .processing = "a/ah"};

  FromDump();
  ~FromDump() override;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void cleanup() noexcept override;
  void add_handlers() override;
  void pull(int port, graph::Batch& out, std::uint32_t max) noexcept override;
  bool run_task(graph::Task& task) noexcept override;
  void run_timer(graph::Timer& timer) noexcept override;

  // The file's link type (a DLT_ value); valid after initialize().
  int linktype() const noexcept { return linktype_; }

 private:
  // What reading the next record gave.
  enum class Read : std::uint8_t {
    kPacket,    // a packet, in `out`
    kSkip,      // a record not emitted (before START, sampled out, too big)
    kWait,      // TIMING: the next packet is not due yet (it is held)
    kEnd,       // end of the trace: end of file, a corrupt record, or END reached
    kNoMemory,  // the pool is empty; the record is kept for the next try
  };

  Read read_one(mem::Packet*& out) noexcept;
  // Reads up to `max` packets: IP (or all) into out0, non-IP under FORCE_IP into out1.
  Read fill(graph::Batch& out0, graph::Batch& out1, std::uint32_t max) noexcept;
  // Sends what fill() produced for output 1, and acts on how it ended.
  void finish_fill(graph::Batch& out1, Read last) noexcept;
  bool force_ip(mem::Packet& p) const noexcept;
  void prepare_times(std::int64_t ts_ns) noexcept;
  void reach_end() noexcept;
  void set_active(bool active) noexcept;
  Status seek(std::uint64_t offset);

  // --- configuration ---
  std::string filename_;
  bool timing_ = false;
  bool stop_ = false;
  bool force_ip_ = false;
  std::uint32_t burst_ = graph::Batch::kMax;
  std::uint32_t sampling_prob_ = kSamplingOne;
  std::uint64_t start_filepos_ = 0;
  // Times in nanoseconds since the epoch once prepared; before that, relative ones are
  // offsets from the first packet's time.
  std::int64_t first_time_ = 0;
  std::int64_t last_time_ = 0;
  bool have_first_time_ = false;
  bool have_last_time_ = false;
  bool first_time_relative_ = false;
  bool last_time_relative_ = false;
  bool last_time_interval_ = false;
  bool have_end_action_ = false;  // STOP or an END time: something happens at the end

  static constexpr int kSamplingShift = 28;
  static constexpr std::uint32_t kSamplingOne = 1u << kSamplingShift;

  // --- state (the element's worker thread, or the control thread while stopped) ---
  pcap* pcap_ = nullptr;
  bool is_stdin_ = false;
  int linktype_ = -1;
  bool have_any_times_ = false;
  std::int64_t timing_offset_ = 0;  // monotonic ns minus packet ns
  bool at_end_ = false;             // no more records will be read
  mem::Packet* held_ = nullptr;     // TIMING: read, not yet due
  // A record libpcap returned that could not become a packet yet (the pool was empty).
  const pcap_pkthdr* pending_hdr_ = nullptr;
  const std::uint8_t* pending_data_ = nullptr;
  std::uint64_t rng_ = 0x9e3779b97f4a7c15ull;
  bool warned_oversize_ = false;
  graph::Task* task_ = nullptr;
  graph::Timer* timer_ = nullptr;

  // --- read by handlers on any thread ---
  std::atomic<bool> active_{true};
  std::atomic<std::uint64_t> filepos_{0};
  std::atomic<std::uint64_t> packet_filepos_{0};
  graph::Counter64 count_;
  graph::Counter64 errors_;
};

}  // namespace uplane::io
