#pragma once
// =c
// ToDump(FILENAME [, SNAPLEN, ENCAP, KEYWORDS])
// =s traces
// writes packets to a tcpdump (pcap) file
// =d
// Writes every packet it receives to FILENAME in `tcpdump -w` (classic pcap) format, for
// tcpdump, Wireshark or FromDump to read. FILENAME `-` writes to standard output. The
// file's header says which first header packets carry (ENCAP); it must be right, or
// readers will misparse the packets.
//
// Each record gets the packet's timestamp annotation, or the current time when the packet
// has none (a zero timestamp); its captured length is the packet's length, cut to SNAPLEN;
// its original length is the packet's length plus, with EXTRA_LENGTH, the extra-length
// annotation (set by FromDump for records that were captured short).
//
// ToDump has no output or one. With an output, every packet leaves on it after being
// written (push or pull, as the input is). With a pull input and no output, ToDump pulls
// on its own with a task, up to BURST packets each time it runs.
//
// Write errors (a full disk, a closed pipe) are reported once in the log; the packet that
// failed and every later one are counted by the `write_errors` handler and not written, and
// packets still pass to the output. ToDump flushes and closes the file in cleanup.
//
// Keywords:
//   SNAPLEN   Unsigned. Write at most this many bytes of each packet; 0 means no limit.
//             Default 2000.
//   ENCAP     The link type: ETHER, IP, FDDI, ATM, 802.11 or AIRONET. Default ETHER.
//   USE_ENCAP_FROM  Space-separated element names: use the link type their `encap`
//             handlers report (FromDump's); they must agree. At most one of ENCAP and
//             USE_ENCAP_FROM.
//   EXTRA_LENGTH  Boolean. Add the extra-length annotation to each record's original
//             length. Default true.
//   UNBUFFERED  Boolean. Write each record to the file at once instead of through a
//             buffer. Default false.
//   NANO      Boolean. Nanosecond timestamps (pcap magic a1b23c4d) instead of
//             microseconds. Default false.
//   BURST     Unsigned, 1-32. Packets pulled per task run. Default 32.
// =h count read-only
// Packets written.
// =h reset_counts write-only
// Resets count to zero.
// =h filename read-only
// The FILENAME argument (`<stdout>` for `-`).
// =h write_errors read-only
// Packets not written because writing failed.
// =e
//   FromDump(in.pcap, STOP true) -> ... -> ToDump(out.pcap, USE_ENCAP_FROM src)
// =a FromDump, ToDevice
// =uplane
// Compressed output (a FILENAME ending in .gz or .bz2) is not supported; the name is used
// as it is. SNAPLEN 0 writes libpcap's largest snapshot length (262144) in the file header
// where Click writes 4294967295. Raw IP files carry link type 101 (LINKTYPE_RAW), the
// portable value, where Click writes the host's DLT_RAW. USE_ENCAP_FROM reads FromDump
// elements only (uplane has no other element with an `encap` handler). NANO, BURST and
// write_errors are uplane's. Click's task handlers (scheduled, tickets, ...) are absent.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/element.h"

struct pcap;
struct pcap_dumper;

namespace uplane::io {

class ToDump final : public graph::Element {
 public:
  // Configured and initialized after FromDump (phase), so USE_ENCAP_FROM can read its
  // link type, as in Click.
  static constexpr graph::ElementSpec kSpec{.name = "ToDump",
                                            .ports = "1/0-1",
                                            .processing = "a/a",
                                            .configure_phase = graph::kConfigurePhaseDefault + 100};

  ToDump();
  ~ToDump() override;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void cleanup() noexcept override;
  void add_handlers() override;
  void push(int port, graph::Batch& batch) noexcept override;
  void pull(int port, graph::Batch& out, std::uint32_t max) noexcept override;
  bool run_task(graph::Task& task) noexcept override;

 private:
  void write_batch(const graph::Batch& batch) noexcept;

  std::string filename_;
  std::uint32_t snaplen_ = 2000;
  int linktype_ = -1;
  std::vector<std::string> use_encap_from_;
  bool extra_length_ = true;
  bool unbuffered_ = false;
  bool nano_ = false;
  std::uint32_t burst_ = graph::Batch::kMax;

  pcap* dead_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  bool to_stdout_ = false;
  bool failed_ = false;  // a write failed: nothing more is written

  graph::Counter64 count_;
  graph::Counter64 write_errors_;
};

}  // namespace uplane::io
