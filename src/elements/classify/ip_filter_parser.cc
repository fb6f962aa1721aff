#include "elements/classify/ip_filter_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "graph/args.h"
#include "net/ether.h"
#include "net/ipv4.h"

namespace uplane::elements::classify {

namespace {

using Id = ExprBuilder::Id;
constexpr Id kNothing = -1;  // a parse step that consumed no words

// --- what words mean ---

// Transport protocols. Above 255, Click's pseudo-protocols.
constexpr int kProtoUnknown = -1;
constexpr int kProtoIcmp = 1;
constexpr int kProtoTcp = 6;
constexpr int kProtoUdp = 17;
constexpr int kProtoDccp = 33;
constexpr int kProtoTcpOrUdp = 256;
constexpr int kProtoTransp = 258;  // any transport protocol
constexpr int kProtoPayload = 259;

// The type of a test, and the type of the word that gave its data.
enum class Type : std::uint8_t {
  kNone,
  kInt,  // data only: a plain number
  kHost,
  kNet,
  kEther,
  kProto,
  kFrag,
  kUnfrag,
  kPort,
  kTcpOpt,
  kEct,
  kCe,
  kField,
};

// A header field: `bits` bits from `bit_offset` of the IP header (proto 0) or of the
// transport header of protocol `proto`.
struct Field {
  int proto = 0;
  std::uint32_t bit_offset = 0;
  std::uint32_t bits = 0;
  friend bool operator==(const Field&, const Field&) = default;
};

struct Kind {
  Type type = Type::kNone;
  Field field;
  friend bool operator==(const Kind&, const Kind&) = default;
  bool is_field() const noexcept { return type == Type::kField; }
};

constexpr Kind plain(Type t) { return Kind{t, {}}; }
constexpr Kind field(int proto, std::uint32_t bit_offset, std::uint32_t bits) {
  return Kind{Type::kField, Field{proto, bit_offset, bits}};
}

constexpr Kind kFieldIpLen = field(0, 16, 16);
constexpr Kind kFieldIpId = field(0, 32, 16);
constexpr Kind kFieldIpVers = field(0, 0, 4);
constexpr Kind kFieldIpHl = field(0, 4, 4);
constexpr Kind kFieldIpTos = field(0, 8, 8);
constexpr Kind kFieldIpDscp = field(0, 8, 6);
constexpr Kind kFieldIpTtl = field(0, 64, 8);
constexpr Kind kFieldTcpWin = field(kProtoTcp, 112, 16);
constexpr Kind kFieldIcmpType = field(kProtoIcmp, 0, 8);

struct TypeWord {
  std::string_view name;
  bool syntax;  // src, dst, ip ...: handled by the parser itself
  Kind kind;
};
constexpr TypeWord kTypeWords[] = {
    {"ce", false, plain(Type::kCe)},
    {"dest", true, {}},
    {"dscp", false, kFieldIpDscp},
    {"dst", true, {}},
    {"ect", false, plain(Type::kEct)},
    {"ether", true, {}},
    {"frag", false, plain(Type::kFrag)},
    {"hl", false, kFieldIpHl},
    {"host", false, plain(Type::kHost)},
    {"id", false, kFieldIpId},
    {"ip", true, {}},
    {"len", false, kFieldIpLen},
    {"net", false, plain(Type::kNet)},
    {"not", true, {}},
    {"opt", false, plain(Type::kTcpOpt)},
    {"port", false, plain(Type::kPort)},
    {"proto", false, plain(Type::kProto)},
    {"src", true, {}},
    {"tos", false, kFieldIpTos},
    {"ttl", false, kFieldIpTtl},
    {"type", false, kFieldIcmpType},
    {"unfrag", false, plain(Type::kUnfrag)},
    {"vers", false, kFieldIpVers},
    {"win", false, kFieldTcpWin},
};

struct NamedValue {
  std::string_view name;
  std::uint32_t value;
};
// Click's built-in name tables (IPNameInfo, IPFilter's TCP options). uplane does not read
// /etc/services or /etc/protocols.
constexpr NamedValue kProtocols[] = {
    {"dccp", kProtoDccp},
    {"gre", 47},
    {"icmp", kProtoIcmp},
    {"igmp", 2},
    {"ipip", 4},
    {"payload", kProtoPayload},
    {"sctp", 132},
    {"tcp", kProtoTcp},
    {"tcpudp", kProtoTcpOrUdp},
    {"transp", kProtoTransp},
    {"udp", kProtoUdp},
};
constexpr NamedValue kPorts[] = {
    {"auth", 113},        {"bootpc", 68},      {"bootps", 67},       {"chargen", 19},
    {"daytime", 13},      {"discard", 9},      {"dns", 53},          {"domain", 53},
    {"echo", 7},          {"finger", 79},      {"ftp", 21},          {"ftp-data", 20},
    {"https", 443},       {"imap3", 220},      {"imaps", 993},       {"irc", 194},
    {"netbios-dgm", 138}, {"netbios-ns", 137}, {"netbios-ssn", 139}, {"nntp", 119},
    {"ntp", 123},         {"pop3", 110},       {"pop3s", 995},       {"pptp", 1723},
    {"rip", 520},         {"route", 520},      {"smtp", 25},         {"snmp", 161},
    {"snmp-trap", 162},   {"ssh", 22},         {"sunrpc", 111},      {"telnet", 23},
    {"tftp", 69},         {"www", 80},
};
constexpr NamedValue kTcpOpts[] = {
    {"ack", 0x10}, {"fin", 0x01}, {"psh", 0x08}, {"rst", 0x04}, {"syn", 0x02}, {"urg", 0x20},
};
constexpr NamedValue kIcmpTypes[] = {
    {"echo", 8},         {"echo-reply", 0},       {"inforeq", 15},          {"inforeq-reply", 16},
    {"maskreq", 17},     {"maskreq-reply", 18},   {"parameterproblem", 12}, {"redirect", 5},
    {"routeradvert", 9}, {"routersolicit", 10},   {"sourcequench", 4},      {"timeexceeded", 11},
    {"timestamp", 13},   {"timestamp-reply", 14}, {"unreachable", 3},
};

template <std::size_t N>
std::optional<std::uint32_t> find_name(const NamedValue (&table)[N], std::string_view word) {
  for (const NamedValue& nv : table)
    if (nv.name == word) return nv.value;
  return std::nullopt;
}

const TypeWord* find_type_word(std::string_view word) {
  for (const TypeWord& t : kTypeWords)
    if (t.name == word) return &t;
  return nullptr;
}

enum SrcDst { kSdNone = 0, kSdSrc = 1, kSdDst = 2, kSdAnd = 3, kSdOr = 4 };

std::string proto_name(int proto) {
  switch (proto) {
    case kProtoUnknown:
      return "";
    case kProtoIcmp:
      return "icmp";
    case 2:
      return "igmp";
    case 4:
      return "ipip";
    case kProtoTcp:
      return "tcp";
    case kProtoUdp:
      return "udp";
    case kProtoTcpOrUdp:
      return "tcpudp";
    case kProtoTransp:
      return "transp";
    default:
      return fmt::format("ip proto {}", proto);
  }
}

// How Click names a test type in messages: "src ip host", "tcp opt", "ip ttl", "tcp[...]".
std::string type_name(int srcdst, const Kind& k) {
  std::string s;
  switch (srcdst) {
    case kSdSrc:
      s = "src ";
      break;
    case kSdDst:
      s = "dst ";
      break;
    case kSdOr:
      s = "src or dst ";
      break;
    case kSdAnd:
      s = "src and dst ";
      break;
    default:
      break;
  }
  switch (k.type) {
    case Type::kNone:
      return s + "<none>";
    case Type::kInt:
      return s + "<int>";
    case Type::kHost:
      return s + "ip host";
    case Type::kNet:
      return s + "ip net";
    case Type::kEther:
      return s + "ether host";
    case Type::kProto:
      return s + "proto";
    case Type::kFrag:
      return s + "ip frag";
    case Type::kUnfrag:
      return s + "ip unfrag";
    case Type::kPort:
      return s + "port";
    case Type::kTcpOpt:
      return s + "tcp opt";
    case Type::kEct:
      return s + "ip ect";
    case Type::kCe:
      return s + "ip ce";
    case Type::kField:
      break;
  }
  if (k == kFieldIpLen) return s + "ip len";
  if (k == kFieldIpId) return s + "ip id";
  if (k == kFieldIpVers) return s + "ip vers";
  if (k == kFieldIpHl) return s + "ip hl";
  if (k == kFieldIpTos) return s + "ip tos";
  if (k == kFieldIpDscp) return s + "ip dscp";
  if (k == kFieldIpTtl) return s + "ip ttl";
  if (k == kFieldTcpWin) return s + "tcp win";
  if (k == kFieldIcmpType) return s + "icmp type";
  return s + (k.field.proto != 0 ? proto_name(k.field.proto) : std::string("ip")) + "[...]";
}

// "tcp opt syn", "port www": how a word would have had to be written.
std::string word_with_type(const Kind& k, int proto, std::string_view word) {
  std::string s = k.type == Type::kNone ? std::string() : type_name(kSdNone, k);
  const std::string p = proto_name(proto);
  if (!p.empty()) s += (s.empty() ? "" : " ") + p;
  if (!word.empty()) s += (s.empty() ? "" : " ") + std::string(word);
  return s;
}

// What a word names. kType: a test type (host, ttl ...); kValue: data (a protocol, a port,
// a TCP flag, an ICMP type), with its kind and value; kUnnamed: none of these (a syntax
// word, a number, an address, or junk); kError: ambiguous or meaningless here.
struct Lookup {
  enum What { kUnnamed, kType, kValue, kError } what = kUnnamed;
  Kind kind;
  std::uint32_t value = 0;
  std::string error;
};

Lookup lookup(std::string_view word, const Kind& type, int proto) {
  Lookup r;
  if (type.type == Type::kNone) {
    if (const TypeWord* t = find_type_word(word)) {
      if (!t->syntax) {
        r.what = Lookup::kType;
        r.kind = t->kind;
      }
      return r;
    }
  }
  const Kind db_kind[5] = {plain(Type::kProto), plain(Type::kPort), plain(Type::kPort),
                           plain(Type::kTcpOpt), kFieldIcmpType};
  std::optional<std::uint32_t> got[5] = {find_name(kProtocols, word), find_name(kPorts, word),
                                         find_name(kPorts, word), find_name(kTcpOpts, word),
                                         find_name(kIcmpTypes, word)};
  bool any = false;
  for (const auto& g : got) any |= g.has_value();
  if (!any) return r;

  const bool untyped = type.type == Type::kNone;
  const bool unknown = proto == kProtoUnknown;
  bool ok[5] = {
      got[0] && (untyped || type.type == Type::kProto),
      got[1] && (untyped || type.type == Type::kPort) &&
          (unknown || proto == kProtoTcp || proto == kProtoTcpOrUdp),
      got[2] && (untyped || type.type == Type::kPort) &&
          (unknown || proto == kProtoUdp || proto == kProtoTcpOrUdp),
      got[3] && (untyped || type.type == Type::kTcpOpt) &&
          (unknown || proto == kProtoTcp || proto == kProtoTcpOrUdp),
      got[4] && (untyped || type == kFieldIcmpType) && (unknown || proto == kProtoIcmp),
  };
  if (ok[1] && ok[2] && *got[1] == *got[2]) ok[2] = false;  // TCP and UDP agree
  int n = 0;
  int which = -1;
  for (int i = 0; i < 5; ++i)
    if (ok[i]) ++n, which = i;
  if (n == 1) {
    r.what = Lookup::kValue;
    r.kind = db_kind[which];
    r.value = *got[which];
    return r;
  }
  std::string options;
  std::vector<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    if (!got[i]) continue;
    std::string o = word_with_type(db_kind[i], kProtoUnknown, word);
    if (std::find(seen.begin(), seen.end(), o) != seen.end()) continue;
    seen.push_back(o);
    options += fmt::format("{}'{}'", options.empty() ? "" : ", ", o);
  }
  r.what = Lookup::kError;
  r.error = fmt::format("'{}' is {}; try {}", word_with_type(type, proto, word),
                        n > 1 ? "ambiguous" : "meaningless", options);
  return r;
}

bool parse_int(std::string_view text, std::int32_t& out) {
  return graph::ArgParser<std::int32_t>::parse(text, out).empty();
}
bool parse_uint(std::string_view text, std::uint32_t& out) {
  return graph::ArgParser<std::uint32_t>::parse(text, out).empty();
}
bool parse_ip(std::string_view text, std::uint32_t& out) {
  net::Ipv4Addr a{};
  if (!graph::ArgParser<net::Ipv4Addr>::parse(text, a).empty()) return false;
  out = a.to_host();
  return true;
}
// A prefix written with a '/' (Click's IPPrefixArg without bare addresses).
bool parse_prefix(std::string_view text, std::uint32_t& addr, std::uint32_t& mask) {
  if (text.find('/') == std::string_view::npos) return false;
  graph::Ipv4Prefix p{};
  if (!graph::ArgParser<graph::Ipv4Prefix>::parse(text, p).empty()) return false;
  addr = p.addr.to_host();
  mask = p.mask.to_host();
  return true;
}
bool parse_ether(std::string_view text, std::array<std::uint8_t, 6>& out) {
  net::EtherAddr e{};
  if (!graph::ArgParser<net::EtherAddr>::parse(text, e).empty()) return false;
  std::copy(std::begin(e.bytes), std::end(e.bytes), out.begin());
  return true;
}

// --- tests ---

enum class Op : std::uint8_t { kEq, kGt, kLt };

// One test being parsed (Click's IPFilter::Primitive).
struct Prim {
  Kind type;
  Kind data;
  Op op = Op::kEq;
  bool op_negated = false;
  int srcdst = kSdNone;
  int proto = kProtoUnknown;
  std::uint32_t u = 0;
  std::uint32_t mask = 0;
  std::array<std::uint8_t, 6> ether{};
  std::array<std::uint8_t, 6> ether_mask{};

  std::string name() const { return type_name(srcdst, type); }
  std::string op_text() const {
    switch (op) {
      case Op::kGt:
        return op_negated ? "<=" : ">";
      case Op::kLt:
        return op_negated ? ">=" : "<";
      case Op::kEq:
        break;
    }
    return op_negated ? "!=" : "=";
  }
};

// A mask after '&': a number, an IP address, or an Ethernet address.
struct Mask {
  Type kind = Type::kNone;  // kNone, kInt, kHost or kEther
  std::uint32_t u = 0;
  std::array<std::uint8_t, 6> ether{};
};

class Parser {
 public:
  Parser(const std::vector<Word>& words, ExprBuilder& b, std::vector<std::string>* warnings)
      : words_(words), b_(b), warnings_(warnings) {}

  // Parses words[start..] as one expression; everything must be used.
  Result<Id> run(std::size_t start) {
    pos_ = start;
    const Id e = parse_expr();
    if (!error_.empty()) return Status(Errc::kInvalidArgument, error_);
    if (pos_ < words_.size()) {
      fail_at(fmt::format("garbage after expression at '{}'", words_[pos_].text), pos_);
      return Status(Errc::kInvalidArgument, error_);
    }
    return e;
  }

 private:
  static constexpr int kMaxDepth = 100;

  bool at_end() const { return pos_ >= words_.size(); }
  bool at(std::string_view w) const { return pos_ < words_.size() && words_[pos_].text == w; }
  const std::string& word(std::size_t i) const { return words_[i].text; }
  bool failed() const { return !error_.empty(); }

  Id fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return kNothing;
  }
  // The message and where: "(column 12)" for a word, "(at end)" past the last one.
  Id fail_at(std::string message, std::size_t at) {
    if (at < words_.size()) return fail(fmt::format("{} (column {})", message, words_[at].column));
    return fail(message + " (at end)");
  }
  void warn(std::string message) {
    if (warnings_ != nullptr) warnings_->push_back(std::move(message));
  }

  struct DepthGuard {
    explicit DepthGuard(int& d) : d_(++d) {}
    ~DepthGuard() { --d_; }
    int& d_;
  };

  Id parse_expr() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return fail_at("expression nested too deeply", pos_);
    const Id c = parse_or();
    if (failed() || !at("?")) return c;
    ++pos_;
    const Id t = parse_expr();
    if (failed()) return kNothing;
    if (!at(":")) return fail_at("missing ':' in ternary expression", pos_);
    ++pos_;
    const Id e = parse_expr();
    if (failed()) return kNothing;
    return b_.choose(c, t, e);
  }

  Id parse_or() {
    std::vector<Id> terms{parse_term()};
    while (!failed() && (at("or") || at("||"))) {
      ++pos_;
      terms.push_back(parse_term());
    }
    return failed() ? kNothing : b_.any(std::move(terms));
  }

  Id parse_term() {
    std::vector<Id> factors;
    Id f = parse_factor();
    if (failed()) return kNothing;
    if (f == kNothing) return fail_at("missing expression", pos_);
    factors.push_back(f);
    for (;;) {
      if (at("and") || at("&&")) {
        ++pos_;
        f = parse_factor();
        if (failed()) return kNothing;
        if (f == kNothing) return fail_at("missing expression", pos_);
      } else {
        f = parse_factor();  // juxtaposition
        if (failed()) return kNothing;
        if (f == kNothing) break;
      }
      factors.push_back(f);
    }
    return b_.all(std::move(factors));
  }

  Id parse_factor() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return fail_at("expression nested too deeply", pos_);
    if (at("not") || at("!")) {
      const std::size_t op = pos_++;
      const Id f = parse_factor();
      if (failed()) return kNothing;
      if (f == kNothing)
        return fail_at(fmt::format("missing expression after '{}'", word(op)), pos_);
      return b_.negate(f);
    }
    if (at("(")) {
      const std::size_t open = pos_++;
      if (at(")")) return fail_at("missing expression after '('", pos_);
      const Id e = parse_expr();
      if (failed()) return kNothing;
      if (!at(")"))
        return fail_at(fmt::format("missing ')' for the '(' at column {}", words_[open].column),
                       pos_);
      ++pos_;
      return e;
    }
    return parse_test(false);
  }

  // One test. kNothing, with pos_ unchanged, when the next word cannot start one.
  Id parse_test(bool negated) {
    if (at_end() || at(")") || at("||") || at("or") || at("?") || at(":")) return kNothing;
    if (at("true") || at("false")) {
      const bool v = at("true");
      ++pos_;
      return b_.constant(v != negated);
    }

    const std::size_t first = pos_;
    Prim prim;
    char header = 0;  // 'i' after "ip", 'e' after "ether"

    // Qualifiers.
    for (; pos_ < words_.size(); ++pos_) {
      const std::string& wd = word(pos_);
      const Lookup l = lookup(wd, Kind{}, kProtoUnknown);
      if (l.what == Lookup::kType) {
        if (prim.type.type != Type::kNone) return fail_at("type specified twice", pos_);
        prim.type = l.kind;
        if (l.kind.is_field() && l.kind.field.proto != 0 &&
            !set_proto(prim, l.kind.field.proto, pos_))
          return kNothing;
      } else if (l.what == Lookup::kValue && l.kind.type == Type::kProto) {
        if (!set_proto(prim, static_cast<int>(l.value), pos_)) return kNothing;
      } else if (l.what != Lookup::kUnnamed) {
        break;  // data (or an ambiguous word, an error reported below)
      } else if (wd == "src") {
        int sd = kSdSrc;
        if (pos_ + 2 < words_.size() && (word(pos_ + 2) == "dst" || word(pos_ + 2) == "dest")) {
          if (word(pos_ + 1) == "and" || word(pos_ + 1) == "&&") {
            sd = kSdAnd;
          } else if (word(pos_ + 1) == "or" || word(pos_ + 1) == "||") {
            sd = kSdOr;
          }
        }
        if (prim.srcdst != kSdNone) return fail_at("'src' or 'dst' specified twice", pos_);
        prim.srcdst = sd;
        if (sd != kSdSrc) pos_ += 2;
      } else if (wd == "dst" || wd == "dest") {
        if (prim.srcdst != kSdNone) return fail_at("'src' or 'dst' specified twice", pos_);
        prim.srcdst = kSdDst;
      } else if (wd == "ip" || wd == "ether") {
        if (header != 0) break;
        header = wd[0];
      } else if (wd == "not" || wd == "!") {
        negated = !negated;
      } else {
        break;
      }
    }

    // Qualifiers cut the link to the previous test. (Click also carries "ether" over from a
    // previous 'ether host' test, which makes "ether host A and tcp" an error; an Ethernet
    // address is recognized without it, so uplane does not.)
    if (pos_ != first) prev_ = Prim{};

    // ip[POS:LEN], tcp[POS] ...
    if (at("[") && pos_ > first && prim.type.type == Type::kNone && !parse_brackets(prim))
      return kNothing;

    // & MASK
    Mask mask;
    if (at("&")) {
      const std::size_t amp = pos_;
      if (pos_ + 1 >= words_.size()) return fail_at("missing mask after '&'", pos_ + 1);
      const std::string& mw = word(pos_ + 1);
      if (parse_uint(mw, mask.u)) {
        mask.kind = Type::kInt;
      } else if (header != 'e' && parse_ip(mw, mask.u)) {
        mask.kind = Type::kHost;
      } else if (header != 'i' && parse_ether(mw, mask.ether)) {
        mask.kind = Type::kEther;
      } else {
        return fail_at(fmt::format("bad mask '{}'", mw), pos_ + 1);
      }
      if (mask.kind != Type::kEther && mask.u == 0) return fail_at("zero mask ignored", amp + 1);
      pos_ += 2;
    }

    // Relation.
    std::optional<std::size_t> relop;
    if (at("=") || at("==")) {
      relop = pos_++;
    } else if (at("!=")) {
      prim.op_negated = true;
      relop = pos_++;
    } else if (at(">")) {
      prim.op = Op::kGt;
      relop = pos_++;
    } else if (at("<")) {
      prim.op = Op::kLt;
      relop = pos_++;
    } else if (at(">=")) {
      prim.op = Op::kLt;
      prim.op_negated = true;
      relop = pos_++;
    } else if (at("<=")) {
      prim.op = Op::kGt;
      prim.op_negated = true;
      relop = pos_++;
    }

    // Data.
    bool have_data = false;
    if (!at_end()) {
      const std::string& wd = word(pos_);
      const Lookup l = lookup(wd, prim.type, prim.proto);
      std::int32_t i = 0;
      if (l.what == Lookup::kError) return fail_at(l.error, pos_);
      if (l.what == Lookup::kValue) {
        prim.data = l.kind;
        prim.u = l.value;
        have_data = true;
      } else if (parse_int(wd, i)) {
        prim.data = plain(Type::kInt);
        prim.u = static_cast<std::uint32_t>(i);
        have_data = true;
      } else if (parse_uint(wd, prim.u)) {  // beyond Click's int32: "transp[0:4] = 0xffffffff"
        prim.data = plain(Type::kInt);
        have_data = true;
      } else if (header != 'e' && parse_ip(wd, prim.u)) {
        if (pos_ + 2 < words_.size() && word(pos_ + 1) == "mask") {
          if (!parse_ip(word(pos_ + 2), prim.mask))
            return fail_at(fmt::format("bad mask '{}'", word(pos_ + 2)), pos_ + 2);
          prim.data = plain(Type::kNet);
          pos_ += 2;
        } else {
          prim.data = plain(Type::kHost);
        }
        have_data = true;
      } else if (header != 'e' && parse_prefix(wd, prim.u, prim.mask)) {
        prim.data = plain(Type::kNet);
        have_data = true;
      } else if (header != 'i' && parse_ether(wd, prim.ether)) {
        prim.data = plain(Type::kEther);
        have_data = true;
      }
      if (have_data) ++pos_;
    }
    if (relop && !have_data) {
      return fail_at(
          fmt::format("dangling operator near '{}'", at_end() ? word(*relop) : word(pos_)),
          at_end() ? *relop : pos_);
    }
    if (pos_ == first) {
      return fail_at(fmt::format("empty term near '{}'", word(pos_)), pos_);
    }

    if (!check(prim, header, mask, first)) return kNothing;
    Id e = compile(prim);
    if (negated) e = b_.negate(e);
    prev_ = prim;
    return e;
  }

  bool set_proto(Prim& p, int proto, std::size_t at) {
    if (p.proto != kProtoUnknown && p.proto != proto) {
      fail_at("transport protocol specified twice", at);
      return false;
    }
    p.proto = proto;
    return true;
  }

  // "[POS]", "[POS:LEN]" or "[POS,END]" after ip, transp or a protocol name.
  bool parse_brackets(Prim& prim) {
    const std::size_t open = pos_++;
    std::string inside;
    while (!at_end() && !at("]")) inside += word(pos_++);
    if (at_end()) {
      fail_at("missing ']'", open);
      return false;
    }
    ++pos_;
    std::int32_t start = 0;
    std::int32_t len = 1;
    bool ok = false;
    if (const auto colon = inside.find(':');
        colon != std::string::npos && colon + 1 < inside.size()) {
      ok = parse_int(std::string_view(inside).substr(0, colon), start) &&
           parse_int(std::string_view(inside).substr(colon + 1), len);
    } else if (const auto comma = inside.find(',');
               comma != std::string::npos && comma + 1 < inside.size()) {
      std::int32_t end = 0;
      ok = parse_int(std::string_view(inside).substr(0, comma), start) &&
           parse_int(std::string_view(inside).substr(comma + 1), end);
      len = static_cast<std::int32_t>(static_cast<std::int64_t>(end) - start + 1);
    } else {
      ok = parse_int(inside, start);
    }
    if (!ok) {
      fail_at("syntax error after '[', expected '[POS]' or '[POS:LEN]'", open);
      return false;
    }
    if (len < 1 || len > 4) {
      fail_at("LEN in '[POS:LEN]' out of range, should be between 1 and 4", open);
      return false;
    }
    if (start < 0 || static_cast<std::uint32_t>(start) > kMaxTestOffset + 3) {
      fail_at(fmt::format("POS in '[POS:LEN]' out of range, should be between 0 and {}",
                          kMaxTestOffset + 3),
              open);
      return false;
    }
    const std::uint32_t bit = static_cast<std::uint32_t>(start) * 8;
    const std::uint32_t bits = static_cast<std::uint32_t>(len) * 8;
    if ((bit & ~31u) != ((bit + bits - 1) & ~31u)) {
      fail_at(fmt::format("field [{}:{}] does not fit in a single word", start, len), open);
      return false;
    }
    prim.type = field(prim.proto == kProtoUnknown ? 0 : prim.proto, bit, bits);
    return true;
  }

  // Click's set_mask: checks the value (and mask) against the field's width and turns
  // < into a negated >, folding relations that are always true or false.
  bool set_mask(Prim& p, std::uint32_t full, const Mask& m, std::size_t at) {
    const std::uint32_t data = p.u;
    const std::uint32_t mask = m.kind != Type::kNone ? m.u : full;
    if ((mask & full) != mask) {
      fail_at(fmt::format("'{}': mask out of range, bound 0x{:X}", p.name(), full), at);
      return false;
    }
    if (p.op == Op::kGt || p.op == Op::kLt) {
      if ((p.op == Op::kLt && (data == 0 || data > mask)) || (p.op == Op::kGt && data >= mask)) {
        const bool will_be = (p.op == Op::kLt && data > mask) ? !p.op_negated : p.op_negated;
        warn(fmt::format("relation '{} {}' is always {} (range 0-{})", p.op_text(), data,
                         will_be ? "true" : "false", mask));
        p.u = p.mask = 0;
        p.op_negated = !will_be;
        p.op = Op::kEq;
        return true;
      }
      if (p.op == Op::kLt) {  // x < U  is  !(x > U - 1)
        p.u = data - 1;
        p.op_negated = !p.op_negated;
        p.op = Op::kGt;
      }
      p.mask = mask;
      // x & mask > U equals x & mask > U', U' the largest value <= U made only of mask bits:
      // take the highest bit of U outside the mask, fill every bit below it, keep mask bits.
      if ((p.u & mask) != p.u) {
        const std::uint32_t missing = p.u & ~mask;
        const int top = 31 - __builtin_clz(missing);
        const std::uint32_t below = top == 0 ? 0 : (0xffffffffu >> (32 - top));
        p.u = (p.u | below) & mask;
      }
      return true;
    }
    if (data > full) {
      fail_at(fmt::format("'{}': out of range, bound {}", p.name(), full), at);
      return false;
    }
    p.mask = mask;
    return true;
  }

  // Click's Primitive::check: fills in what was left out and checks that type, data,
  // operator and mask agree.
  bool check(Prim& p, char header, const Mask& m, std::size_t at) {
    const int old_srcdst = p.srcdst;
    auto error = [&](std::string_view what) {
      fail_at(fmt::format("'{}': {}", p.name(), what), at);
      return false;
    };
    // A missing value is best pointed at the word where it was expected.
    auto missing = [&](std::string_view what) {
      if (pos_ < words_.size())
        fail_at(fmt::format("'{}': {} near '{}'", p.name(), what, word(pos_)), pos_);
      else
        fail_at(fmt::format("'{}': {}", p.name(), what), pos_);
      return false;
    };

    if (p.type.type == Type::kNone) {
      Kind d = p.data;
      if (d.type == Type::kInt) {
        // A bare number continues the previous test: "port 80 or 81", "ttl 5 or 6".
        if (!prev_.type.is_field() && prev_.type.type != Type::kProto &&
            prev_.type.type != Type::kPort) {
          fail_at("specify header field or 'port'", at);
          return false;
        }
        d = prev_.type;
        p.data = d;
      }
      switch (d.type) {
        case Type::kHost:
        case Type::kNet:
        case Type::kTcpOpt:
        case Type::kEther:
          p.type = d;
          if (p.srcdst == kSdNone) p.srcdst = prev_.srcdst;
          break;
        case Type::kProto:
          p.type = d;
          break;
        case Type::kPort:
          p.type = d;
          if (p.srcdst == kSdNone) p.srcdst = prev_.srcdst;
          if (p.proto == kProtoUnknown) p.proto = prev_.proto;
          break;
        case Type::kNone:
          if (p.proto == kProtoUnknown) {
            fail_at("partial directive", at);
            return false;
          }
          p.type = plain(Type::kProto);
          break;
        case Type::kField:
          p.type = d;
          if (d.field.proto != 0 && p.proto == kProtoUnknown) p.proto = d.field.proto;
          break;
        default:
          fail_at(fmt::format("unknown type '{}'", type_name(kSdNone, d)), at);
          return false;
      }
    }

    if (header == 0) header = p.data.type == Type::kEther ? 'e' : 'i';
    if (header == 'e' && p.type.type == Type::kHost) p.type = plain(Type::kEther);

    switch (p.type.type) {
      case Type::kHost:
      case Type::kNet:
        if (header != 'i' || p.data.type != p.type.type) return missing("address missing");
        if (p.op != Op::kEq) return error("operator not supported");
        if (p.type.type == Type::kHost) p.mask = 0xffffffffu;
        p.type = plain(Type::kHost);
        if (m.kind != Type::kNone && m.kind != Type::kInt && m.kind != Type::kHost)
          return error("bad mask");
        if (m.kind != Type::kNone) p.mask = m.u;  // a number reads as the dotted mask would
        break;

      case Type::kEther:
        if (header != 'e' || p.data.type != Type::kEther) return missing("address missing");
        if (p.op != Op::kEq) return error("operator not supported");
        p.ether_mask.fill(0xff);
        if (m.kind != Type::kNone && m.kind != Type::kEther) return error("bad mask");
        if (m.kind == Type::kEther) p.ether_mask = m.ether;
        break;

      case Type::kProto:
        if (header != 'i') return error("ip only");
        if (p.data.type == Type::kInt || p.data.type == Type::kProto) {
          if (p.proto != kProtoUnknown && static_cast<std::uint32_t>(p.proto) != p.u)
            return error("specified twice");
          p.data = Kind{};
        } else if (p.data.type == Type::kNone && p.proto != kProtoUnknown) {
          p.u = static_cast<std::uint32_t>(p.proto);
        } else {
          return missing("value missing");
        }
        p.proto = kProtoUnknown;
        if (p.u >= 256) {
          if (p.op != Op::kEq || m.kind != Type::kNone)
            return error(fmt::format("'{}': operator or mask not supported",
                                     proto_name(static_cast<int>(p.u))));
          p.mask = 0xff;
        } else if (m.kind != Type::kNone && m.kind != Type::kInt) {
          return error("bad mask");
        } else if (!set_mask(p, 0xff, m, at)) {
          return false;
        }
        if (p.op == Op::kEq && p.mask == 0xff && !p.op_negated) p.proto = static_cast<int>(p.u);
        break;

      case Type::kPort:
        if (header != 'i') return error("ip only");
        if (p.data.type == Type::kInt) p.data = plain(Type::kPort);
        if (p.data.type != Type::kPort) return missing("value missing");
        if (p.proto == kProtoUnknown) {
          p.proto = kProtoTcpOrUdp;
        } else if (p.proto != kProtoTcp && p.proto != kProtoUdp && p.proto != kProtoTcpOrUdp &&
                   p.proto != kProtoDccp) {
          fail_at(fmt::format("'port': bad protocol {}", p.proto), at);
          return false;
        }
        if (m.kind != Type::kNone && m.kind != Type::kInt) return error("bad mask");
        if (!set_mask(p, 0xffff, m, at)) return false;
        break;

      case Type::kTcpOpt:
        if (header != 'i') return error("ip only");
        if (p.data.type == Type::kInt) p.data = plain(Type::kTcpOpt);
        if (p.data.type != Type::kTcpOpt) return missing("value missing");
        if (p.proto == kProtoUnknown) {
          p.proto = kProtoTcp;
        } else if (p.proto != kProtoTcp) {
          fail_at(fmt::format("'tcp opt': bad protocol {}", p.proto), at);
          return false;
        }
        if (p.op != Op::kEq || p.op_negated || m.kind != Type::kNone)
          return error("operator or mask not supported");
        if (p.u > 255) {
          fail_at(fmt::format("'tcp opt': value {} out of range", static_cast<std::int32_t>(p.u)),
                  at);
          return false;
        }
        p.mask = p.u;
        break;

      case Type::kEct:
        if (header != 'i') return error("ip only");
        if (p.data.type != Type::kNone && p.data.type != Type::kInt)
          return missing("value missing");
        if (p.data.type == Type::kNone) {
          // "ip ect": either ECN bit set.
          p.u = 0;
          p.op_negated = true;
        } else if (m.kind != Type::kNone && m.kind != Type::kInt) {
          return error("bad mask");
        }
        if (!set_mask(p, 0x3, m, at)) return false;
        p.type = kFieldIpTos;
        break;

      case Type::kCe:
        if (header != 'i') return error("ip only");
        if (p.data.type != Type::kNone || m.kind != Type::kNone)
          return error("value not supported");
        p.mask = 0x3;
        p.u = 0x3;
        p.type = kFieldIpTos;
        break;

      case Type::kFrag:
      case Type::kUnfrag:
        if (header != 'i') return error("ip only");
        if (p.data.type != Type::kNone || m.kind != Type::kNone)
          return error("value not supported");
        if (p.type.type == Type::kUnfrag) p.op_negated = true;
        p.type = plain(Type::kFrag);
        break;

      case Type::kField: {
        if (header != 'i') return error("ip only");
        if (p.data.type != Type::kInt && p.data != p.type) return missing("value missing");
        if (m.kind != Type::kNone && m.kind != Type::kInt) return error("bad mask");
        const std::uint32_t bits = p.type.field.bits;
        const std::uint32_t full = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
        if (!set_mask(p, full, m, at)) return false;
        break;
      }

      case Type::kNone:
      case Type::kInt:
        fail_at("partial directive", at);
        return false;
    }

    if (p.type.type == Type::kHost || p.type.type == Type::kPort || p.type.type == Type::kEther) {
      if (p.srcdst == kSdNone) p.srcdst = kSdOr;
    } else if (old_srcdst != kSdNone) {
      warn(fmt::format("'{}': 'src' or 'dst' ignored", p.name()));
    }
    return true;
  }

  // --- compiling a checked test ---

  Id proto_test(int proto) {
    if (proto == kProtoTcpOrUdp)
      return b_.any({b_.test(Base::kNet, 8, 0x00ff0000, kProtoTcp << 16),
                     b_.test(Base::kNet, 8, 0x00ff0000, kProtoUdp << 16)});
    if (proto >= 256) return b_.constant(true);  // transp, payload: any protocol
    return b_.test(Base::kNet, 8, 0x00ff0000, static_cast<std::uint32_t>(proto) << 16);
  }

  // (word & m > u), m the field's mask in place, u a subset of m: tested from the top bit
  // down, a run of bits at a time. Where u has zeros, any one bit set means greater; where u
  // has ones, any bit clear means not greater; equal on every bit is not greater.
  Id greater(Base base, std::uint32_t offset, std::uint32_t m, std::uint32_t u) {
    std::vector<std::pair<std::uint32_t, bool>> runs;  // (bits, u's value there)
    while (m != 0 && (u & m) != m) {
      const std::uint32_t top = 0x80000000u >> __builtin_clz(m);
      const bool one = (u & top) != 0;
      std::uint32_t run = 0;
      for (std::uint32_t bit = top; bit != 0; bit >>= 1) {
        if ((m & bit) == 0) continue;
        if (((u & bit) != 0) != one) break;
        run |= bit;
      }
      runs.emplace_back(run, one);
      m &= ~run;
      u &= m;
    }
    Id rest = b_.constant(false);
    for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
      if (it->second) {
        rest = b_.all({b_.test(base, offset, it->first, it->first), rest});
      } else {
        rest = b_.any({b_.negate_relation(b_.test(base, offset, it->first, 0)), rest});
      }
    }
    return rest;
  }

  // The test of p's value against the field at `offset` from `base`, shifted left by
  // `shift`; negated relations apply here when `apply_negation`.
  Id comparison(const Prim& p, Base base, std::uint32_t offset, int shift, bool apply_negation) {
    const std::uint64_t m64 = std::uint64_t{p.mask} << shift;
    const std::uint64_t u64 = std::uint64_t{p.u & p.mask} << shift;
    const auto m = static_cast<std::uint32_t>(m64);
    const auto u = static_cast<std::uint32_t>(u64);
    Id e = p.op == Op::kEq ? b_.test(base, offset, m, u) : greater(base, offset, m, u);
    if (p.op_negated && apply_negation) e = b_.negate_relation(e);
    return e;
  }

  Id src_dst(const Prim& p, Id src, Id dst) {
    std::vector<Id> parts;
    if (p.srcdst == kSdSrc || p.srcdst == kSdAnd || p.srcdst == kSdOr) parts.push_back(src);
    if (p.srcdst == kSdDst || p.srcdst == kSdAnd || p.srcdst == kSdOr) parts.push_back(dst);
    Id e = p.srcdst == kSdOr ? b_.any(std::move(parts)) : b_.all(std::move(parts));
    if (p.op_negated) e = b_.negate_relation(e);
    return e;
  }

  Id compile(const Prim& p) {
    std::vector<Id> parts;
    if (p.proto != kProtoUnknown) parts.push_back(proto_test(p.proto));
    const bool transport = p.type.type == Type::kPort || p.type.type == Type::kTcpOpt ||
                           (p.type.is_field() && p.type.field.proto != 0);
    // Transport-layer tests only hold on first fragments (fragment offset 0).
    if (transport) parts.push_back(b_.test(Base::kNet, 4, 0x00001fff, 0));

    switch (p.type.type) {
      case Type::kHost: {
        const Id src = b_.test(Base::kNet, 12, p.mask, p.u);
        const Id dst = b_.test(Base::kNet, 16, p.mask, p.u);
        parts.push_back(src_dst(p, src, dst));
        break;
      }
      case Type::kEther: {
        const auto& e = p.ether;
        const auto& k = p.ether_mask;
        auto be = [](std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
          return std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d;
        };
        // Destination: bytes 0-5; source: bytes 6-11 of the link header.
        const Id dst =
            b_.all({b_.test(Base::kData, 0, be(k[0], k[1], k[2], k[3]), be(e[0], e[1], e[2], e[3])),
                    b_.test(Base::kData, 4, be(k[4], k[5], 0, 0), be(e[4], e[5], 0, 0))});
        const Id src = b_.all(
            {b_.test(Base::kData, 4, be(0, 0, k[0], k[1]), be(0, 0, e[0], e[1])),
             b_.test(Base::kData, 8, be(k[2], k[3], k[4], k[5]), be(e[2], e[3], e[4], e[5]))});
        parts.push_back(src_dst(p, src, dst));
        break;
      }
      case Type::kProto:
        if (p.u < 256) {
          parts.push_back(comparison(p, Base::kNet, 8, 16, true));
        } else if (p.op_negated) {
          // "ip proto != tcpudp". (Click compiles this to nothing, matching everything.)
          parts.push_back(b_.negate_relation(proto_test(static_cast<int>(p.u))));
        }
        break;
      case Type::kFrag: {
        // More-fragments bit or a fragment offset: a fragment.
        const Id whole = b_.test(Base::kNet, 4, 0x00003fff, 0);
        parts.push_back(p.op_negated ? whole : b_.negate_relation(whole));
        break;
      }
      case Type::kPort:
        parts.push_back(src_dst(p, comparison(p, Base::kTransp, 0, 16, false),
                                comparison(p, Base::kTransp, 0, 0, false)));
        break;
      case Type::kTcpOpt:
        parts.push_back(b_.test(Base::kTransp, 12, p.mask << 16, p.u << 16));
        break;
      case Type::kField: {
        const Field& f = p.type.field;
        const std::uint32_t word_offset = (f.bit_offset / 8) & ~3u;
        const int shift = static_cast<int>(32 - ((f.bit_offset & 31) + f.bits));
        parts.push_back(
            comparison(p, f.proto != 0 ? Base::kTransp : Base::kNet, word_offset, shift, true));
        break;
      }
      default:
        break;
    }
    return b_.all(std::move(parts));
  }

  const std::vector<Word>& words_;
  ExprBuilder& b_;
  std::vector<std::string>* warnings_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  Prim prev_;  // the previous test, whose qualifiers a bare value continues
  std::string error_;
};

bool is_word_char(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '/' || c == '@' || c == '_' || c == ':';
}

bool matches_everything(const std::vector<Word>& words, std::size_t from) {
  return words.size() == from ||
         (words.size() == from + 1 &&
          (words[from].text == "-" || words[from].text == "any" || words[from].text == "all"));
}

}  // namespace

std::vector<Word> split_ip_words(std::string_view s) {
  std::vector<Word> words;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    std::size_t len = 1;
    if (c == '&' || c == '|') {
      if (i + 1 < s.size() && s[i + 1] == s[i]) len = 2;
    } else if (c == '<' || c == '>' || c == '!' || c == '=') {
      if (i + 1 < s.size() && s[i + 1] == '=') len = 2;
    } else if (is_word_char(c)) {
      while (i + len < s.size() && is_word_char(static_cast<unsigned char>(s[i + len]))) ++len;
    }
    words.push_back(Word{std::string(s.substr(i, len)), static_cast<std::uint32_t>(i + 1)});
    i += len;
  }
  return words;
}

Result<ExprBuilder::Id> parse_ip_expression(std::string_view text, ExprBuilder& exprs,
                                            std::vector<std::string>* warnings) {
  const std::vector<Word> words = split_ip_words(text);
  if (matches_everything(words, 0)) return exprs.constant(true);
  return Parser(words, exprs, warnings).run(0);
}

namespace {

Status pattern_error(std::size_t index, const Status& st) {
  return make_error(Errc::kInvalidArgument, "pattern {}: {}", index, st.message());
}

}  // namespace

Result<IpProgram> compile_ip_filter(const std::vector<std::string>& args, int noutputs) {
  ExprBuilder exprs;
  std::vector<Rule> rules;
  IpProgram out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string text = graph::unquote(args[i]);
    const std::vector<Word> words = split_ip_words(text);
    if (words.empty()) return make_error(Errc::kInvalidArgument, "empty pattern {}", i);

    std::int32_t result = kNoMatch;
    const std::string& action = words[0].text;
    std::int32_t port = 0;
    if (action == "allow") {
      if (noutputs == 0)
        return make_error(Errc::kInvalidArgument,
                          "pattern {}: 'allow' is meaningless, element has zero outputs", i);
      result = 0;
    } else if (action == "deny") {
      if (noutputs > 1)
        out.warnings.push_back(
            fmt::format("pattern {}: meaning of 'deny' has changed (now it means 'drop')", i));
    } else if (action == "drop") {
      // result stays kNoMatch
    } else if (parse_int(action, port)) {
      if (port < 0 || port >= noutputs)
        return make_error(Errc::kInvalidArgument, "pattern {}: slot '{}' out of range", i, port);
      result = port;
    } else {
      return make_error(Errc::kInvalidArgument, "pattern {}: unknown slot ID '{}'", i, action);
    }

    Id e;
    if (matches_everything(words, 1)) {
      e = exprs.constant(true);
    } else {
      std::vector<std::string> warnings;
      Result<Id> r = Parser(words, exprs, &warnings).run(1);
      if (!r.is_ok()) return pattern_error(i, r.status());
      for (auto& w : warnings) out.warnings.push_back(fmt::format("pattern {}: {}", i, w));
      e = *r;
    }
    rules.push_back(Rule{e, result});
  }
  out.program = compile_rules(exprs, rules);
  return out;
}

Result<IpProgram> compile_ip_classifier(const std::vector<std::string>& patterns) {
  ExprBuilder exprs;
  std::vector<Rule> rules;
  IpProgram out;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const std::string text = graph::unquote(patterns[i]);
    std::vector<std::string> warnings;
    Result<Id> r = parse_ip_expression(text, exprs, &warnings);
    if (!r.is_ok()) return pattern_error(i, r.status());
    for (auto& w : warnings) out.warnings.push_back(fmt::format("pattern {}: {}", i, w));
    rules.push_back(Rule{*r, static_cast<std::int32_t>(i)});
  }
  out.program = compile_rules(exprs, rules);
  for (std::size_t i = 0; i < patterns.size(); ++i)
    if (!out.program.reaches(static_cast<std::int32_t>(i)))
      out.warnings.push_back(fmt::format("output {} matches no packets", i));
  return out;
}

}  // namespace uplane::elements::classify
