#include "elements/ip/ip_fragmenter.h"

#include <fmt/format.h>

#include <cstring>
#include <string_view>

#include "base/cpu.h"
#include "base/log.h"
#include "graph/registry.h"
#include "net/checksum.h"
#include "net/ipv4.h"

namespace uplane::elements {

namespace {

constexpr std::uint8_t kOptEnd = 0;  // RFC 791 "End of Option List"
constexpr std::uint8_t kOptNop = 1;  // RFC 791 "No Operation"
constexpr std::uint8_t kOptCopied = 0x80;
constexpr std::uint32_t kMaxOptions = net::Ipv4::kMaxLength - net::Ipv4::kMinLength;

// Copies the options of a header (`hlen` bytes at h) that RFC 791 says go into every
// fragment (the "copied" flag, the type's top bit), padded with End of Option List to a
// multiple of 4; returns how many bytes it wrote to out (at most 40). A malformed option
// ends the walk.
std::uint32_t copy_options(const std::uint8_t* h, std::uint32_t hlen,
                           std::uint8_t (&out)[kMaxOptions]) noexcept {
  std::uint32_t n = 0;
  for (std::uint32_t i = net::Ipv4::kMinLength; i < hlen;) {
    const std::uint8_t type = h[i];
    if (type == kOptEnd) break;
    if (type == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= hlen) break;
    const std::uint32_t len = h[i + 1];
    if (len < 2 || i + len > hlen) break;
    if (type & kOptCopied) {
      std::memcpy(out + n, h + i, len);
      n += len;
    }
    i += len;
  }
  while (n % 4 != 0) out[n++] = kOptEnd;
  return n;
}

void copy_annotations(graph::Packet& to, const graph::Packet& from) noexcept {
  to.set_input_port(from.input_port());
  to.set_timestamp_ns(from.timestamp_ns());
  to.set_dst_ip_anno_raw(from.dst_ip_anno_raw());
  to.set_paint(from.paint());
  to.set_packet_type(from.packet_type());
  to.set_vlan_tci(from.vlan_tci());
  to.set_flow_hash(from.flow_hash());
  std::memcpy(to.user_anno(), from.user_anno(), graph::Packet::kUserAnnoBytes);
}

}  // namespace

Status IPFragmenter::configure(graph::Args& args) {
  args.required("MTU", mtu_)
      .optional_positional("HONOR_DF", honor_df_)
      .optional_positional("VERBOSE", verbose_)
      .optional("HEADROOM", headroom_, 0u, 0xffffu);
  headroom_given_ = args.found();
  if (args.ok() && mtu_ < 8) args.fail("MTU: must be at least 8");
  return args.done();
}

Status IPFragmenter::initialize() {
  const std::uint32_t room =
      pool().frame_size() - static_cast<std::uint32_t>(sizeof(graph::Packet));
  if (!headroom_given_) headroom_ = pool().headroom();
  // The smallest fragment is a 20-byte header and 8 bytes of data.
  if (headroom_ + net::Ipv4::kMinLength + 8 > room)
    return make_error(Errc::kInvalidArgument,
                      "HEADROOM: {} leaves no room for a fragment in {}-byte frames", headroom_,
                      pool().frame_size());
  // xorshift32 needs a non-zero state.
  rng_ = static_cast<std::uint32_t>(now_ns() ^ reinterpret_cast<std::uintptr_t>(this)) | 1u;
  return {};
}

void IPFragmenter::add_handlers() {
  add_read_handler("drops", [this] { return fmt::format("{}\n", drops_.get()); });
  add_read_handler("fragments", [this] { return fmt::format("{}\n", fragments_.get()); });
}

std::uint16_t IPFragmenter::random_id() noexcept {
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 17;
  rng_ ^= rng_ << 5;
  return static_cast<std::uint16_t>(rng_ >> 8);
}

void IPFragmenter::push(int, graph::Batch& batch) noexcept {
  graph::Batch out;
  graph::Batch too_big;
  for (graph::Packet* p : batch.packets()) {
    const std::int32_t nh = p->network_header_offset();
    if (nh < 0) {
      drop(p, graph::DropReason::kBadHeader);
      continue;
    }
    const std::uint32_t nlen = p->length() - static_cast<std::uint32_t>(nh);
    if (nlen > mtu_) {
      // Click reads these fields unchecked; validate them before trusting any length.
      if (nlen < net::Ipv4::kMinLength) {
        drop(p, graph::DropReason::kTooShort);
        continue;
      }
      const auto* ip = reinterpret_cast<const net::Ipv4*>(p->network_header());
      const std::uint32_t hlen = static_cast<std::uint32_t>(ip->header_length());
      const std::uint32_t total = ip->total_length.to_host();
      if (hlen < net::Ipv4::kMinLength) {
        drop(p, graph::DropReason::kBadHeader);
        continue;
      }
      if (hlen > nlen) {
        drop(p, graph::DropReason::kTooShort);
        continue;
      }
      if (total < hlen || total > nlen) {
        drop(p, graph::DropReason::kBadLength);
        continue;
      }
      if (total > mtu_) {
        const std::int64_t first_dlen = (std::int64_t{mtu_} - hlen) & ~std::int64_t{7};
        if ((honor_df_ && ip->dont_fragment()) || first_dlen < 8) {
          if ((verbose_ || drops_.get() < 5) && LogLevel::kWarn >= log_level()) {
            const std::uint32_t s = ip->src.to_host(), d = ip->dst.to_host();
            char buf[160];
            const auto r = fmt::format_to_n(
                buf, sizeof(buf), "{}: IPFragmenter({}) DF {}.{}.{}.{} {}.{}.{}.{} len={}", name(),
                mtu_, s >> 24, (s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff, d >> 24,
                (d >> 16) & 0xff, (d >> 8) & 0xff, d & 0xff, p->length());
            log_write(LogLevel::kWarn,
                      std::string_view(buf, r.size < sizeof(buf) ? r.size : sizeof(buf)));
          }
          drops_.add();
          if (noutputs() > 1) {
            (void)too_big.push_back(p);  // at most batch.size() packets
          } else {
            drop(p, graph::DropReason::kFragmentNeeded);
          }
          continue;
        }
        // The last fragment's offset field must fit 13 bits.
        const std::uint32_t in_dlen = total - hlen;
        if (ip->fragment_offset() + ((in_dlen - 1) >> 3) > 0x1fff) {
          drop(p, graph::DropReason::kBadLength);
          continue;
        }
        fragment(p, out);
        continue;
      }
      // Only bytes after the IP total length (link padding) made it too long.
      (void)p->take(nlen - total);
    }
    if (out.full()) {
      output_push(0, out);
      out.clear();
    }
    (void)out.push_back(p);
  }
  batch.clear();
  if (!out.empty()) output_push(0, out);
  if (!too_big.empty()) output_push(1, too_big);
}

void IPFragmenter::fragment(graph::Packet* p, graph::Batch& out) noexcept {
  const std::uint8_t* h = p->network_header();
  const auto* ip = reinterpret_cast<const net::Ipv4*>(h);
  const std::uint32_t nlen = p->length() - static_cast<std::uint32_t>(p->network_header_offset());
  const std::uint32_t hlen = static_cast<std::uint32_t>(ip->header_length());
  const std::uint32_t in_dlen = ip->total_length.to_host() - hlen;
  const std::uint32_t first_dlen = (mtu_ - hlen) & ~7u;  // caller checked: >= 8
  const bool had_mf = ip->more_fragments();

  // The fixed header every fragment starts from: DF cleared (with a fresh ID, as the old
  // one cannot be trusted to be unique when the sender asked for no fragmentation) and MF
  // set; each fragment then adds its own offset, length and checksum.
  net::Ipv4 base;
  std::memcpy(&base, ip, sizeof(base));
  if (base.dont_fragment()) {
    base.id = net::be16_t::from_host(random_id());
    base.frag_off = base.frag_off & ~net::kIpv4DontFragment;
  }
  base.frag_off = base.frag_off | net::kIpv4MoreFragments;

  std::uint8_t opts[kMaxOptions];
  const std::uint32_t out_hlen = net::Ipv4::kMinLength + copy_options(h, hlen, opts);
  const std::uint32_t out_dlen_max = (mtu_ - out_hlen) & ~7u;  // >= first_dlen

  std::uint32_t start = out.size();  // this datagram's fragments in `out` begin here
  auto append = [&](graph::Packet* q) noexcept {
    if (out.full()) {
      fragments_.add(out.size() - start);
      output_push(0, out);
      out.clear();
      start = 0;
    }
    (void)out.push_back(q);
  };
  // A datagram missing a fragment cannot be reassembled: on failure, free the fragments not
  // yet sent and drop the original.
  auto fail = [&](graph::DropReason r) noexcept {
    for (std::uint32_t i = start; i < out.size(); ++i) pool().free(out[i]);
    out.set_size(start);
    drop(p, r);
  };

  // First fragment: the original packet (link header and all options kept), cut short.
  graph::Packet* first = pool().alloc();
  if (first == nullptr) return fail(graph::DropReason::kNoMemory);
  if (!first->copy_from(*p)) {
    pool().free(first);
    return fail(graph::DropReason::kNoRoom);
  }
  auto* fip = reinterpret_cast<net::Ipv4*>(first->network_header());
  fip->id = base.id;
  fip->frag_off = base.frag_off;
  fip->total_length = net::be16_t::from_host(static_cast<std::uint16_t>(hlen + first_dlen));
  fip->checksum = net::ipv4_header_checksum(*fip);
  (void)first->take(nlen - hlen - first_dlen);
  append(first);

  const std::uint8_t* data = h + hlen;
  for (std::uint32_t off = first_dlen; off < in_dlen;) {
    const std::uint32_t dlen = in_dlen - off < out_dlen_max ? in_dlen - off : out_dlen_max;
    graph::Packet* q = pool().alloc();
    if (q == nullptr) return fail(graph::DropReason::kNoMemory);
    q->reset(headroom_);
    std::uint8_t* d = q->put(out_hlen + dlen);
    if (d == nullptr) {
      pool().free(q);
      return fail(graph::DropReason::kNoRoom);
    }
    std::memcpy(d, &base, sizeof(base));
    std::memcpy(d + sizeof(base), opts, out_hlen - sizeof(base));
    std::memcpy(d + out_hlen, data + off, dlen);
    auto* qip = reinterpret_cast<net::Ipv4*>(d);
    qip->set_version_ihl(out_hlen);
    // Offsets count 8-byte units; off is a multiple of 8 (RFC 791, "Fragmentation").
    auto frag_off =
        net::be16_t::from_host(static_cast<std::uint16_t>(base.frag_off.to_host() + (off >> 3)));
    if (off + dlen >= in_dlen && !had_mf) frag_off = frag_off & ~net::kIpv4MoreFragments;
    qip->frag_off = frag_off;
    qip->total_length = net::be16_t::from_host(static_cast<std::uint16_t>(out_hlen + dlen));
    qip->checksum = net::ipv4_header_checksum(*qip);
    q->set_network_header(d);
    q->set_transport_header(d + out_hlen);
    copy_annotations(*q, *p);
    append(q);
    off += dlen;
  }
  fragments_.add(out.size() - start);
  mem::free_packet(p);  // fully replaced by its fragments
}

UPLANE_REGISTER_ELEMENT(IPFragmenter);

}  // namespace uplane::elements
