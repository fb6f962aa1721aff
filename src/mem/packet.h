#pragma once
// Packet: the metadata at the head of every pool frame, and the window of packet data that
// lies after it.
//
// A frame is [Packet (128 bytes) | headroom | data ... | tailroom]. The data window moves
// inside the frame: push() grows it at the front (for encapsulation), pull() shrinks it at
// the front (decapsulation), put() grows it at the back, take() shrinks it at the back.
// Each fails cleanly, changing nothing, when the frame has no room — unlike Click, where
// pull() past the end asserts.
//
// Offsets (data, network header, transport header) are relative to the frame start, so
// they survive push/pull and mean the same in every process that maps the pool. Frames are
// at most 32 KiB (kMaxFrameSize), so every offset fits its 16-bit field.
//
// Trust: the accessors believe the metadata (frame size, offsets, length). That holds for
// frames only trusted code writes; frames coming back from an untrusted tenant are checked
// and their metadata rebuilt by the host before any of this is used on them. A Packet
// is owned by its pool: get one from PacketPool and give it back with PacketPool::put or
// free_packet(); never copy or construct one.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace uplane::mem {

// Click's packet-type annotation (Packet::PacketType).
enum class PacketType : std::uint8_t {
  kHost = 0,
  kBroadcast = 1,
  kMulticast = 2,
  kOtherHost = 3,
  kOutgoing = 4,
  kLoopback = 5,
  kFastroute = 6,
};

class alignas(64) Packet {
 public:
  static constexpr std::uint16_t kNoOffset = 0xFFFF;
  static constexpr std::size_t kUserAnnoBytes = 48;  // as Click's anno area
  static constexpr std::uint16_t kNoPort = 0xFFFF;

  Packet(const Packet&) = delete;
  Packet& operator=(const Packet&) = delete;

  // --- the data window ---
  std::uint8_t* data() noexcept { return frame() + data_off_; }
  const std::uint8_t* data() const noexcept { return frame() + data_off_; }
  std::uint32_t length() const noexcept { return length_; }
  std::uint8_t* end_data() noexcept { return data() + length_; }
  std::uint32_t headroom() const noexcept { return data_off_ - sizeof(Packet); }
  std::uint32_t tailroom() const noexcept { return frame_size() - data_off_ - length_; }
  std::uint32_t frame_size() const noexcept { return 1u << frame_shift_; }

  // Grows the window by n bytes at the front; returns the new data() or nullptr (no change)
  // when the headroom is smaller than n.
  [[nodiscard]] std::uint8_t* push(std::uint32_t n) noexcept {
    if (n > headroom()) return nullptr;
    data_off_ = static_cast<std::uint16_t>(data_off_ - n);
    length_ = static_cast<std::uint16_t>(length_ + n);
    return data();
  }
  // Drops n bytes from the front; false (no change) when the packet is shorter than n.
  [[nodiscard]] bool pull(std::uint32_t n) noexcept {
    if (n > length_) return false;
    data_off_ = static_cast<std::uint16_t>(data_off_ + n);
    length_ = static_cast<std::uint16_t>(length_ - n);
    return true;
  }
  // Grows the window by n bytes at the back; returns a pointer to the first new byte or
  // nullptr (no change) when the tailroom is smaller than n.
  [[nodiscard]] std::uint8_t* put(std::uint32_t n) noexcept {
    if (n > tailroom()) return nullptr;
    std::uint8_t* p = end_data();
    length_ = static_cast<std::uint16_t>(length_ + n);
    return p;
  }
  // Drops n bytes from the back; false (no change) when the packet is shorter than n.
  [[nodiscard]] bool take(std::uint32_t n) noexcept {
    if (n > length_) return false;
    length_ = static_cast<std::uint16_t>(length_ - n);
    return true;
  }
  // Replaces the contents with `len` bytes from `src`, after `headroom_bytes` of headroom.
  // False (no change) when they do not fit in the frame.
  [[nodiscard]] bool assign(const void* src, std::uint32_t len,
                            std::uint32_t headroom_bytes) noexcept {
    const std::uint64_t off = std::uint64_t{sizeof(Packet)} + headroom_bytes;
    if (off + len > frame_size()) return false;
    data_off_ = static_cast<std::uint16_t>(off);
    length_ = static_cast<std::uint16_t>(len);
    if (len != 0) std::memcpy(data(), src, len);
    return true;
  }

  // Where the data window starts, in bytes from the frame start.
  std::uint32_t data_offset() const noexcept { return data_off_; }
  // Sets the data window to `len` bytes at `offset` from the frame start (bytes another
  // process wrote there: a tenant link's frames). False (no change) when the window would
  // overlap the metadata or run past the frame.
  [[nodiscard]] bool set_window(std::uint32_t offset, std::uint32_t len) noexcept {
    if (offset < sizeof(Packet) || std::uint64_t{offset} + len > frame_size()) return false;
    data_off_ = static_cast<std::uint16_t>(offset);
    length_ = static_cast<std::uint16_t>(len);
    return true;
  }

  // Makes this packet a copy of `src`: the same data at the same offset in the frame, the
  // headroom bytes in front of it, and every annotation; identity (pool, frame index)
  // stays. False (no change) when src's data does not fit this frame.
  [[nodiscard]] bool copy_from(const Packet& src) noexcept {
    if (std::uint32_t{src.data_off_} + src.length_ > frame_size()) return false;
    const std::uint32_t index = frame_index_;
    const std::uint16_t pool = pool_id_;
    const std::uint8_t shift = frame_shift_;
    std::memcpy(static_cast<void*>(this), &src, sizeof(Packet));
    frame_index_ = index;
    pool_id_ = pool;
    frame_shift_ = shift;
    tenant_ = 0;  // a copy is not charged to the original's owner (PacketPool::charge)
    // The headroom too: a Click clone shares the original's buffer, so what a later push
    // (Unstrip) uncovers on a copy must be the original's bytes, not the frame's old ones.
    const std::uint32_t head = src.headroom();
    if (head + length_ != 0) std::memcpy(data() - head, src.data() - head, head + length_);
    return true;
  }

  // --- identity (set by the pool, read-only to everyone else) ---
  std::uint32_t frame_index() const noexcept { return frame_index_; }
  std::uint16_t pool_id() const noexcept { return pool_id_; }

  // --- metadata and Click-style annotations ---
  std::uint16_t input_port() const noexcept { return input_port_; }
  void set_input_port(std::uint16_t p) noexcept { input_port_ = p; }
  // The owner this frame is charged to (PacketPool::charge: a tenant's frames budget), or
  // 0. Only the pool sets it; it survives reset() and is cleared when the frame comes back.
  std::uint16_t charged_to() const noexcept { return tenant_; }
  // Arrival time in nanoseconds since the Unix epoch (CLOCK_REALTIME, as pcap records
  // it); 0 when unknown.
  std::uint64_t timestamp_ns() const noexcept { return timestamp_ns_; }
  void set_timestamp_ns(std::uint64_t t) noexcept { timestamp_ns_ = t; }

  // Destination IP annotation, in network byte order (Click's DST_IP_ANNO).
  std::uint32_t dst_ip_anno_raw() const noexcept { return dst_ip_anno_; }
  void set_dst_ip_anno_raw(std::uint32_t be) noexcept { dst_ip_anno_ = be; }
  std::uint8_t paint() const noexcept { return paint_; }
  void set_paint(std::uint8_t c) noexcept { paint_ = c; }
  PacketType packet_type() const noexcept { return packet_type_; }
  void set_packet_type(PacketType t) noexcept { packet_type_ = t; }
  std::uint16_t vlan_tci() const noexcept { return vlan_tci_; }  // host order
  void set_vlan_tci(std::uint16_t tci) noexcept { vlan_tci_ = tci; }
  std::uint32_t flow_hash() const noexcept { return flow_hash_; }
  void set_flow_hash(std::uint32_t h) noexcept { flow_hash_ = h; }

  // Network and transport header annotations, as offsets from data(); nullptr / -1 when
  // unset or when the header's first byte now lies outside the data window.
  bool has_network_header() const noexcept { return in_window(network_off_); }
  std::uint8_t* network_header() noexcept {
    return has_network_header() ? frame() + network_off_ : nullptr;
  }
  std::int32_t network_header_offset() const noexcept {
    return has_network_header() ? network_off_ - data_off_ : -1;
  }
  void set_network_header(const std::uint8_t* h) noexcept { network_off_ = offset_of(h); }
  bool has_transport_header() const noexcept { return in_window(transport_off_); }
  std::uint8_t* transport_header() noexcept {
    return has_transport_header() ? frame() + transport_off_ : nullptr;
  }
  void set_transport_header(const std::uint8_t* h) noexcept { transport_off_ = offset_of(h); }
  void clear_headers() noexcept { network_off_ = transport_off_ = kNoOffset; }

  // Click's user annotation bytes; what they hold is up to the elements that agree on it.
  std::uint8_t* user_anno() noexcept { return user_anno_; }
  const std::uint8_t* user_anno() const noexcept { return user_anno_; }

  // Clears the data window and every annotation, keeping identity and `headroom_bytes` of
  // headroom. What PacketPool::alloc does to each packet it hands out.
  void reset(std::uint32_t headroom_bytes) noexcept {
    data_off_ = static_cast<std::uint16_t>(sizeof(Packet) + headroom_bytes);
    length_ = 0;
    input_port_ = kNoPort;
    timestamp_ns_ = 0;
    dst_ip_anno_ = 0;
    flow_hash_ = 0;
    network_off_ = transport_off_ = kNoOffset;
    vlan_tci_ = 0;
    paint_ = 0;
    packet_type_ = PacketType::kHost;
    std::memset(user_anno_, 0, sizeof(user_anno_));
  }

 private:
  friend class PacketPool;
  Packet() = default;  // only PacketPool makes packets, once per frame, at pool creation

  std::uint8_t* frame() noexcept { return reinterpret_cast<std::uint8_t*>(this); }
  const std::uint8_t* frame() const noexcept { return reinterpret_cast<const std::uint8_t*>(this); }
  bool in_window(std::uint16_t off) const noexcept {
    return off != kNoOffset && off >= data_off_ && off < data_off_ + length_;
  }
  std::uint16_t offset_of(const std::uint8_t* h) const noexcept {
    if (h == nullptr || h < frame() || h > frame() + frame_size() - 1) return kNoOffset;
    return static_cast<std::uint16_t>(h - frame());
  }

  // Line 0: what the data path touches on every packet.
  std::uint32_t frame_index_;
  std::uint16_t pool_id_;
  std::uint16_t data_off_;  // from the frame start
  std::uint16_t length_;
  std::uint8_t frame_shift_;  // frame size = 1 << frame_shift_
  PacketType packet_type_;
  std::uint16_t input_port_;
  std::uint16_t tenant_;  // charged_to()
  std::uint64_t timestamp_ns_;
  std::uint32_t dst_ip_anno_;
  std::uint32_t flow_hash_;
  std::uint16_t network_off_;    // from the frame start, or kNoOffset
  std::uint16_t transport_off_;  // from the frame start, or kNoOffset
  std::uint16_t vlan_tci_;
  std::uint8_t paint_;
  std::uint8_t reserved0_;
  std::uint8_t reserved_[24];
  // Line 1: Click's user annotations.
  std::uint8_t user_anno_[kUserAnnoBytes];
  std::uint8_t reserved1_[16];
};
static_assert(sizeof(Packet) == 128, "Packet metadata is two cache lines");

}  // namespace uplane::mem
