#pragma once
// =c
// IPFragmenter(MTU [, HONOR_DF, VERBOSE, KEYWORDS])
// =s ip
// fragments large IP packets
// =d
// Expects IP packets with the network header annotation set. A packet whose length from
// the network header on is at most MTU leaves unchanged on output 0. A larger one is split
// into fragments (RFC 791) that leave on output 0 in order, first fragment first. But if
// its don't-fragment bit (DF) is set, or MTU leaves fewer than 8 data bytes after the
// header, the packet goes to output 1 instead (usually an ICMPError with type unreachable
// and code needfrag), or is dropped when output 1 is not connected.
//
// The first fragment is the original packet (its link header, IP header and all options
// kept) cut after the first MTU-sized piece. Later fragments are new packets holding only
// an IP header, with the options whose "copied" flag is set, and their share of the data;
// each carries every annotation of the original. Data lengths are multiples of 8 except in
// the last fragment; the fragment offset and more-fragments flag follow RFC 791, so a
// fragment of a fragment is refragmented correctly; every fragment's checksum is computed.
//
// It is best to Strip() the link header before IPFragmenter: only the first fragment
// keeps it.
//
// Keywords:
//   HONOR_DF   Boolean. If false, ignore DF and fragment every packet larger than MTU
//              (DF is then cleared and the IP ID replaced by a random one). Default true.
//   VERBOSE    Boolean. Report every packet sent to output 1, not only the first 5.
//              Default false.
//   HEADROOM   Unsigned. Headroom of the fragments IPFragmenter makes. Default the pool's
//              headroom.
// Drop reasons: kFragmentNeeded (DF set and output 1 not connected); kBadHeader (no network
// header annotation, or IHL below 5); kTooShort (header runs past the packet); kBadLength
// (total length below the header length or beyond the packet, or fragments that would
// end past offset 65535); kNoMemory or kNoRoom (a fragment could not be made: the original
// is dropped and nothing more of it is sent).
// =h drops read-only
// Packets sent to output 1 (or dropped) because of DF or a too-small MTU.
// =h fragments read-only
// Fragments emitted.
// =e
//   ... -> fr :: IPFragmenter(1024) -> Queue(20) -> ...
//   fr[1] -> ICMPError(18.26.4.24, unreachable, needfrag, PMTU 1024) -> ...
// =a ICMPError, CheckLength
// =uplane
// Click's option walk never advances past the first option (it hangs on a packet with IP
// options); uplane walks the options as RFC 791 lays them out and stops at a malformed one.
// Where Click reads past the end of a malformed packet, uplane drops it (reasons above). A
// packet longer than MTU only because of bytes after the IP total length (link padding) is
// cut to the total length and passed on whole, where Click would fragment the padding. The
// random IP ID comes from a per-element generator.

#include <cstdint>

#include "graph/element.h"

namespace uplane::elements {

class IPFragmenter final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "IPFragmenter", .ports = "1/1-2", .processing = "h/h"};
  Status configure(graph::Args& args) override;
  Status initialize() override;
  void add_handlers() override;
  void push(int port, graph::Batch& batch) noexcept override;

 private:
  // Splits p into fragments appended to out (flushing it to output 0 whenever it fills).
  // Consumes p.
  void fragment(graph::Packet* p, graph::Batch& out) noexcept;
  std::uint16_t random_id() noexcept;

  std::uint32_t mtu_ = 0;
  bool honor_df_ = true;
  bool verbose_ = false;
  bool headroom_given_ = false;
  std::uint32_t headroom_ = 0;
  std::uint32_t rng_ = 0;
  graph::Counter64 drops_;
  graph::Counter64 fragments_;
};

}  // namespace uplane::elements
