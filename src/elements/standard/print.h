#pragma once
// =c
// Print([LABEL, MAXLENGTH, KEYWORDS])
// =s debugging
// prints packet contents
// =d
// Writes one line per packet to standard error and passes the packet on unchanged. The
// line is LABEL and ": " (when there is a label), the packet length right-aligned in four
// columns, then " | " and the first MAXLENGTH bytes of the packet in hex, a space after
// every four bytes:
//
//   ok:   60 | 00000000 00020000 00000001 08004500 002e0000 00004011
//
// Works in push and in pull context.
//
// Keywords:
//   LABEL      String. Printed first. Default none.
//   MAXLENGTH  Integer. Bytes of contents to print; negative for the whole packet. Default
//              24. LENGTH and NBYTES are old names for it.
//   CONTENTS   NONE, HEX or ASCII (or a boolean: true is HEX). ASCII prints printable
//              characters as they are and others as '.', a space before every eight.
//              Default HEX.
//   TIMESTAMP  Boolean. Print the timestamp annotation (seconds.microseconds) after the
//              label. Default false.
//   PRINTANNO  Boolean. Print the 48 user annotation bytes in hex before the contents.
//              Default false.
//   HEADROOM   Boolean. Print " (h<headroom> t<tailroom>)" after the length. Default false.
//   ACTIVE     Boolean. Print at all. Default true.
// =h active read/write
// The ACTIVE keyword.
// =e
// ... -> Print(ok, 64) -> ...
// =a Discard
// =uplane
// PRINTANNO prints uplane's 48-byte user annotation area, which holds neither the paint
// nor the destination IP annotation (Click prints its whole annotation area). Timestamps
// print with microseconds, as a Click built without nanosecond timestamps prints them.
// CPU (Linux kernel module only in Click) is not a keyword. Each line is written with one
// call, so lines from several threads do not mix.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>

#include "graph/element.h"

namespace uplane::elements {

class Print final : public graph::SimpleElement<Print> {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "Print", .ports = "1/1", .processing = "a/a"};
  enum class Contents : std::uint8_t { kNone, kHex, kAscii };

  // Where every Print writes its lines: stderr unless set (tests set a file of their own).
  // nullptr restores stderr.
  static void set_output(std::FILE* f) noexcept { output_.store(f, std::memory_order_relaxed); }

  Status configure(graph::Args& args) override;
  void add_handlers() override;
  graph::Verdict process(graph::Packet& p) noexcept;

  // The line Print writes for p, without the newline (for tests).
  const std::string& format(const graph::Packet& p) noexcept;

 private:
  static std::atomic<std::FILE*> output_;

  std::string label_;
  std::int32_t max_length_ = 24;
  Contents contents_ = Contents::kHex;
  bool timestamp_ = false;
  bool print_anno_ = false;
  bool headroom_ = false;
  bool active_ = true;
  std::string line_;  // reused: grows to the longest line once, then stays
};

}  // namespace uplane::elements
