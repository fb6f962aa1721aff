// The IPClassifier/IPFilter pattern language, without a router: each primitive on
// hand-built packets, precedence, qualifier elision, fragments, truncated packets, errors
// and warnings. Every match is computed three ways (optimized program, plain program,
// direct evaluation of the expression) and the three must agree.

#include "elements/classify/ip_filter_parser.h"

#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.h"

namespace uplane::elements::classify {
namespace {

using namespace testing;

// The windows the IP elements give a packet whose IP header starts at `nh`.
struct IpWindows {
  Window w[kBaseCount];
  IpWindows(const Bytes& b, std::uint32_t nh) {
    const auto len = static_cast<std::uint32_t>(b.size());
    w[0] = Window{b.data(), nh};
    w[1] = Window{b.data() + nh, len - nh};
    const std::uint32_t hl = (b[nh] & 0x0f) * 4u;
    if (hl <= len - nh) w[2] = Window{b.data() + nh + hl, len - nh - hl};
  }
};

// Whether `pattern` matches the packet (IP header at byte `nh`), checked three ways.
bool matches(std::string_view pattern, const Bytes& pkt, std::uint32_t nh = 14) {
  ExprBuilder b;
  std::vector<std::string> warnings;
  Result<ExprBuilder::Id> e = parse_ip_expression(pattern, b, &warnings);
  EXPECT_TRUE(e.is_ok()) << pattern << ": " << e.status().message();
  if (!e.is_ok()) return false;
  const IpWindows iw(pkt, nh);
  const bool direct = b.evaluate(*e, iw.w);
  const Program opt = compile_rules(b, {{*e, 0}}, true);
  const Program plain = compile_rules(b, {{*e, 0}}, false);
  EXPECT_EQ(opt.match(iw.w) == 0, direct) << pattern << "\n" << opt.unparse(false);
  EXPECT_EQ(plain.match(iw.w) == 0, direct) << pattern << "\n" << plain.unparse(false);
  // And through the IPClassifier entry point.
  Result<IpProgram> c = compile_ip_classifier({std::string(pattern)});
  EXPECT_TRUE(c.is_ok());
  if (c.is_ok()) {
    EXPECT_EQ(c->program.match(iw.w) == 0, direct) << pattern;
  }
  return direct;
}

std::string error_of(std::string_view pattern) {
  ExprBuilder b;
  Result<ExprBuilder::Id> e = parse_ip_expression(pattern, b);
  return e.is_ok() ? std::string("<no error>") : e.status().message();
}

std::vector<std::string> warnings_of(std::string_view pattern) {
  ExprBuilder b;
  std::vector<std::string> w;
  Result<ExprBuilder::Id> e = parse_ip_expression(pattern, b, &w);
  EXPECT_TRUE(e.is_ok()) << e.status().message();
  return w;
}

// 10.0.0.1:1234 -> 10.0.0.2:80, SYN.
Bytes tcp_syn() { return PacketSpec().eth().ipv4().tcp(1234, 80, 0x02).bytes(); }
Bytes udp_dns() { return PacketSpec().eth().ipv4("10.0.0.1", "10.0.0.2").udp(5353, 53).bytes(); }
Bytes icmp_echo() { return PacketSpec().eth().ipv4().icmp(8, 0).bytes(); }

// --- tokens ---

TEST(IpWords, SplitsLikeClick) {
  const auto w = split_ip_words("src host 10.0.0.1&&!(tcp[13]&2!=0)||x>=5 ? a : b#");
  std::vector<std::string> t;
  for (const Word& x : w) t.push_back(x.text);
  EXPECT_EQ(t, (std::vector<std::string>{"src", "host", "10.0.0.1", "&&", "!",  "(", "tcp", "[",
                                         "13",  "]",    "&",        "2",  "!=", "0", ")",   "||",
                                         "x",   ">=",   "5",        "?",  "a",  ":", "b",   "#"}));
  EXPECT_EQ(w[0].column, 1u);
  EXPECT_EQ(w[2].column, 10u);
  EXPECT_TRUE(split_ip_words("  \t ").empty());
  // ':' is a word character: "0:2" stays one word, so does an Ethernet address.
  EXPECT_EQ(split_ip_words("ip[0:2]")[2].text, "0:2");
  EXPECT_EQ(split_ip_words("00:11:22:33:44:55")[0].text, "00:11:22:33:44:55");
}

// --- primitives ---

TEST(IpPattern, Proto) {
  EXPECT_TRUE(matches("ip proto tcp", tcp_syn()));
  EXPECT_TRUE(matches("ip proto 6", tcp_syn()));
  EXPECT_TRUE(matches("tcp", tcp_syn()));
  EXPECT_FALSE(matches("udp", tcp_syn()));
  EXPECT_TRUE(matches("udp", udp_dns()));
  EXPECT_TRUE(matches("icmp", icmp_echo()));
  EXPECT_FALSE(matches("icmp", udp_dns()));
  EXPECT_TRUE(matches("ip proto 17", udp_dns()));
  EXPECT_TRUE(matches("ip proto != tcp", udp_dns()));
  EXPECT_FALSE(matches("ip proto != tcp", tcp_syn()));
  EXPECT_TRUE(matches("ip proto > 10", udp_dns()));
  EXPECT_FALSE(matches("ip proto > 10", tcp_syn()));
  EXPECT_TRUE(matches("ip proto < 7", tcp_syn()));
  EXPECT_TRUE(matches("tcpudp", udp_dns()));
  EXPECT_TRUE(matches("tcpudp", tcp_syn()));
  EXPECT_FALSE(matches("tcpudp", icmp_echo()));
  EXPECT_TRUE(matches("ip proto != tcpudp", icmp_echo()));
  EXPECT_FALSE(matches("ip proto != tcpudp", tcp_syn()));
  EXPECT_TRUE(matches("transp", icmp_echo()));
  const Bytes esp = PacketSpec().eth().ipv4().ip_proto(50).payload_size(8).bytes();
  EXPECT_TRUE(matches("ip proto 50", esp));
  EXPECT_FALSE(matches("ip proto 51", esp));
  EXPECT_TRUE(matches("ip proto & 0xf0 = 0x30", esp));
  EXPECT_TRUE(matches("gre", PacketSpec().eth().ipv4().ip_proto(47).payload_size(4).bytes()));
}

TEST(IpPattern, Host) {
  const Bytes p = tcp_syn();  // 10.0.0.1 -> 10.0.0.2
  EXPECT_TRUE(matches("host 10.0.0.1", p));
  EXPECT_TRUE(matches("host 10.0.0.2", p));
  EXPECT_FALSE(matches("host 10.0.0.3", p));
  EXPECT_TRUE(matches("src host 10.0.0.1", p));
  EXPECT_FALSE(matches("src host 10.0.0.2", p));
  EXPECT_TRUE(matches("dst host 10.0.0.2", p));
  EXPECT_TRUE(matches("dest host 10.0.0.2", p));
  EXPECT_FALSE(matches("src and dst host 10.0.0.1", p));
  EXPECT_TRUE(matches("src or dst host 10.0.0.1", p));
  EXPECT_TRUE(matches("src && dst host 10.0.0.1",
                      PacketSpec().eth().ipv4("10.0.0.1", "10.0.0.1").udp().bytes()));
  EXPECT_TRUE(matches("10.0.0.2", p));  // "host" left out
  EXPECT_TRUE(matches("ip host 10.0.0.1", p));
  EXPECT_TRUE(matches("host == 10.0.0.1", p));
  // != negates the whole src-or-dst test: neither address is 10.0.0.1.
  EXPECT_FALSE(matches("host != 10.0.0.1", p));
  EXPECT_TRUE(matches("host != 10.9.9.9", p));
  EXPECT_FALSE(matches("src host != 10.0.0.1", p));
  EXPECT_TRUE(matches("dst host != 10.0.0.1", p));
  EXPECT_TRUE(matches("tcp host 10.0.0.1", p));
  EXPECT_FALSE(matches("udp host 10.0.0.1", p));
  // With a mask: "DIRECTIVE & MASK [OP] VALUE".
  EXPECT_TRUE(matches("src host & 0.0.0.255 10.9.9.1", p));
  EXPECT_TRUE(matches("src host & 255.255.255.0 == 10.0.0.77", p));
  EXPECT_TRUE(matches("src host & 0xffffff00 10.0.0.77", p));
  EXPECT_FALSE(matches("src host & 0xffffff00 10.0.1.77", p));
  EXPECT_TRUE(matches("host & 255.0.0.0 != 11.0.0.0", p));
}

TEST(IpPattern, Net) {
  const Bytes p = PacketSpec().eth().ipv4("192.168.1.10", "10.1.2.3").udp().bytes();
  EXPECT_TRUE(matches("net 10.0.0.0/8", p));
  EXPECT_TRUE(matches("net 192.168.0.0/16", p));
  EXPECT_FALSE(matches("net 172.16.0.0/12", p));
  EXPECT_TRUE(matches("src net 192.168.1.0/24", p));
  EXPECT_FALSE(matches("dst net 192.168.1.0/24", p));
  EXPECT_TRUE(matches("dst net 10.0.0.0 mask 255.0.0.0", p));
  EXPECT_TRUE(matches("10.1.0.0 mask 255.255.0.0", p));
  EXPECT_TRUE(matches("dst net 10.1.2.0/255.255.255.0", p));
  EXPECT_TRUE(matches("10.0.0.0/8", p));      // "net" left out
  EXPECT_TRUE(matches("net 10.1.2.3/8", p));  // host bits ignored
  EXPECT_TRUE(matches("src net != 10.0.0.0/8", p));
  EXPECT_FALSE(matches("net != 10.0.0.0/8", p));
  EXPECT_TRUE(matches("10/8", p));
  EXPECT_TRUE(matches("net 0.0.0.0/0", p));
}

TEST(IpPattern, Ports) {
  const Bytes p = tcp_syn();  // 1234 -> 80
  EXPECT_TRUE(matches("port 80", p));
  EXPECT_TRUE(matches("port 1234", p));
  EXPECT_FALSE(matches("port 81", p));
  EXPECT_TRUE(matches("src port 1234", p));
  EXPECT_FALSE(matches("src port 80", p));
  EXPECT_TRUE(matches("dst port 80", p));
  EXPECT_TRUE(matches("dst port www", p));
  EXPECT_TRUE(matches("port www", p));
  EXPECT_TRUE(matches("www", p));  // "port" left out
  EXPECT_TRUE(matches("tcp port 80", p));
  EXPECT_TRUE(matches("tcp dst port 80", p));
  EXPECT_FALSE(matches("udp port 80", p));
  EXPECT_TRUE(matches("udp dst port 53", udp_dns()));
  EXPECT_TRUE(matches("dst port domain", udp_dns()));
  EXPECT_TRUE(matches("dst port dns", udp_dns()));
  EXPECT_FALSE(matches("port 80", icmp_echo()));
  EXPECT_TRUE(matches("src and dst port 80", PacketSpec().eth().ipv4().tcp(80, 80).bytes()));
  EXPECT_FALSE(matches("src and dst port 80", p));
  // Relations: on 'src or dst port', a negated relation negates the whole test.
  EXPECT_TRUE(matches("port > 1023", p));
  EXPECT_TRUE(matches("dst port < 1024", p));
  EXPECT_FALSE(matches("src port < 1024", p));
  EXPECT_FALSE(matches("port < 1024", p));  // = not (src > 1023 or dst > 1023)
  EXPECT_TRUE(matches("port < 1024", PacketSpec().eth().ipv4().tcp(53, 80).bytes()));
  EXPECT_TRUE(matches("dst port >= 80", p));
  EXPECT_FALSE(matches("dst port >= 81", p));
  EXPECT_TRUE(matches("dst port <= 80", p));
  EXPECT_FALSE(matches("dst port <= 79", p));
  EXPECT_TRUE(matches("dst port != 81", p));
  EXPECT_FALSE(matches("port != 80", p));
  EXPECT_TRUE(matches("src port != 80", p));
  EXPECT_FALSE(matches("tcp src port != 5", udp_dns()));       // needs TCP
  EXPECT_TRUE(matches("not tcp src port 5", udp_dns()));       // does not
  EXPECT_TRUE(matches("src tcp port & 0xff00 == 0x0400", p));  // 1234 = 0x04d2
  EXPECT_TRUE(matches("dst port & 0xfff0 = 0x50", p));
  EXPECT_TRUE(matches("dst port & 0xfff0 > 0x40", p));
  EXPECT_TRUE(matches("dccp port 80", PacketSpec().eth().ipv4().ip_proto(33).udp(7, 80).bytes()));
}

TEST(IpPattern, TcpFlags) {
  EXPECT_TRUE(matches("tcp opt syn", tcp_syn()));
  EXPECT_TRUE(matches("syn", tcp_syn()));
  EXPECT_FALSE(matches("ack", tcp_syn()));
  EXPECT_FALSE(matches("tcp opt fin", tcp_syn()));
  const Bytes finack = PacketSpec().eth().ipv4().tcp(1, 2, 0x11).bytes();
  EXPECT_TRUE(matches("fin ack", finack));
  EXPECT_TRUE(matches("tcp opt fin and tcp opt ack", finack));
  EXPECT_FALSE(matches("fin syn", finack));
  EXPECT_TRUE(matches("tcp opt 0x11", finack));
  EXPECT_TRUE(matches("rst", PacketSpec().eth().ipv4().tcp(1, 2, 0x04).bytes()));
  EXPECT_TRUE(matches("psh", PacketSpec().eth().ipv4().tcp(1, 2, 0x08).bytes()));
  EXPECT_TRUE(matches("urg", PacketSpec().eth().ipv4().tcp(1, 2, 0x20).bytes()));
  EXPECT_FALSE(matches("syn", udp_dns()));
  EXPECT_TRUE(matches("not syn", udp_dns()));
  EXPECT_TRUE(matches("tcp win 65535", tcp_syn()));
  EXPECT_TRUE(matches("tcp win > 1000", tcp_syn()));
  EXPECT_FALSE(matches("tcp win < 1000", tcp_syn()));
  EXPECT_TRUE(matches("tcp[13] & 2 != 0", tcp_syn()));
  EXPECT_FALSE(matches("tcp[13] & 0x10 != 0", tcp_syn()));
}

TEST(IpPattern, IcmpType) {
  EXPECT_TRUE(matches("icmp type echo", icmp_echo()));
  EXPECT_TRUE(matches("icmp echo", icmp_echo()));
  EXPECT_TRUE(matches("icmp type 8", icmp_echo()));
  EXPECT_FALSE(matches("icmp type echo-reply", icmp_echo()));
  EXPECT_TRUE(matches("icmp type echo-reply", PacketSpec().eth().ipv4().icmp(0).bytes()));
  EXPECT_TRUE(matches("icmp type unreachable", PacketSpec().eth().ipv4().icmp(3, 1).bytes()));
  EXPECT_TRUE(matches("icmp type timeexceeded", PacketSpec().eth().ipv4().icmp(11).bytes()));
  EXPECT_TRUE(matches("icmp type != 0", icmp_echo()));
  EXPECT_FALSE(matches("icmp type != 0", tcp_syn()));  // needs ICMP
  EXPECT_TRUE(matches("icmp type > 5", icmp_echo()));
  EXPECT_TRUE(matches("type echo", icmp_echo()));
  EXPECT_TRUE(matches("icmp[0] = 8", icmp_echo()));
}

TEST(IpPattern, IpHeaderFields) {
  const Bytes p = PacketSpec().eth().ipv4().ttl(17).tos(0xb9).ip_id(0x1234).udp().bytes();
  EXPECT_TRUE(matches("ip ttl 17", p));
  EXPECT_TRUE(matches("ttl 17", p));
  EXPECT_FALSE(matches("ip ttl 18", p));
  EXPECT_TRUE(matches("ip ttl > 16", p));
  EXPECT_FALSE(matches("ip ttl > 17", p));
  EXPECT_TRUE(matches("ip ttl < 18", p));
  EXPECT_FALSE(matches("ip ttl < 17", p));
  EXPECT_TRUE(matches("ip ttl <= 17", p));
  EXPECT_TRUE(matches("ip ttl >= 17", p));
  EXPECT_FALSE(matches("ip ttl >= 18", p));
  EXPECT_TRUE(matches("ip ttl != 5", p));
  EXPECT_TRUE(matches("ip tos 0xb9", p));
  EXPECT_TRUE(matches("ip dscp 46", p));  // 0xb9 >> 2
  EXPECT_FALSE(matches("ip dscp 47", p));
  EXPECT_TRUE(matches("ip ect", p));  // ECN 01
  EXPECT_TRUE(matches("ip ect 1", p));
  EXPECT_FALSE(matches("ip ect 2", p));
  EXPECT_FALSE(matches("ip ce", p));
  EXPECT_TRUE(matches("ip ce", PacketSpec().eth().ipv4().tos(0x03).udp().bytes()));
  EXPECT_FALSE(matches("ip ect", PacketSpec().eth().ipv4().tos(0xb8).udp().bytes()));
  EXPECT_TRUE(matches("ect", p));
  EXPECT_TRUE(matches("ip id 0x1234", p));
  EXPECT_TRUE(matches("ip id 4660", p));
  EXPECT_TRUE(matches("ip vers 4", p));
  EXPECT_TRUE(matches("ip hl 5", p));
  EXPECT_TRUE(matches("ip hl 6", PacketSpec().eth().ipv4().ip_options({1, 1, 1, 0}).udp().bytes()));
  EXPECT_TRUE(matches("ip len 28", p));  // 20 + 8
  EXPECT_TRUE(matches("ip len > 20", p));
  EXPECT_TRUE(matches("ip ttl & 0xf0 = 0x10", p));
  EXPECT_TRUE(matches("ip ttl & 0x0f > 0", p));
  EXPECT_TRUE(matches("ip ttl > 16 and < 18", p));  // the second test continues the first
}

TEST(IpPattern, Fragments) {
  const Bytes whole = tcp_syn();
  const Bytes df = PacketSpec().eth().ipv4().frag(0x4000).tcp(1234, 80).bytes();
  const Bytes first = PacketSpec().eth().ipv4().frag(0x2000).tcp(1234, 80).bytes();
  const Bytes later = PacketSpec().eth().ipv4().frag(0x0001).tcp(1234, 80).bytes();
  EXPECT_FALSE(matches("ip frag", whole));
  EXPECT_FALSE(matches("ip frag", df));
  EXPECT_TRUE(matches("ip frag", first));
  EXPECT_TRUE(matches("ip frag", later));
  EXPECT_TRUE(matches("ip unfrag", df));
  EXPECT_TRUE(matches("unfrag", whole));
  EXPECT_FALSE(matches("unfrag", later));
  EXPECT_TRUE(matches("frag", first));
  // Transport tests hold on first fragments only.
  EXPECT_TRUE(matches("tcp port 80", first));
  EXPECT_FALSE(matches("tcp port 80", later));
  EXPECT_FALSE(matches("syn", later));
  EXPECT_FALSE(matches("tcp[13] & 2 != 0", later));
  EXPECT_FALSE(matches("transp[0:2] = 1234", later));
  EXPECT_FALSE(matches("tcp win 65535", later));
  EXPECT_FALSE(matches("icmp type echo", PacketSpec().eth().ipv4().frag(0x0010).icmp(8).bytes()));
  EXPECT_FALSE(matches("port != 81", later));
  // IP-level tests do not care.
  EXPECT_TRUE(matches("tcp", later));
  EXPECT_TRUE(matches("host 10.0.0.1", later));
  EXPECT_TRUE(matches("ip[9] = 6", later));
}

TEST(IpPattern, ByteFields) {
  const Bytes p = tcp_syn();
  EXPECT_TRUE(matches("ip[9] = 6", p));
  EXPECT_TRUE(matches("ip[9] == 6", p));
  EXPECT_TRUE(matches("ip[9]=6", p));
  EXPECT_FALSE(matches("ip[9] = 17", p));
  EXPECT_TRUE(matches("ip[9] 6", p));
  EXPECT_TRUE(matches("ip[12:4] = 0x0a000001", p));
  EXPECT_TRUE(matches("ip[16:4] == 167772162", p));
  EXPECT_TRUE(matches("ip[8:2] = 0x4006", p));  // ttl 64, proto 6
  EXPECT_TRUE(matches("ip[12,15] = 0x0a000001", p));
  EXPECT_TRUE(matches("ip[0] & 0xf0 = 0x40", p));
  EXPECT_TRUE(matches("ip[0] & 0x0f > 4", p));
  EXPECT_TRUE(matches("transp[0:2] = 1234", p));
  EXPECT_TRUE(matches("transp[0:2] & 0xff00 = 0x0400", p));
  EXPECT_TRUE(matches("transp[0:2] & 0xff00 = 0", PacketSpec().eth().ipv4().udp(53, 1).bytes()));
  EXPECT_TRUE(matches("transp[2:2] = 80", p));
  EXPECT_TRUE(matches("tcp[2:2] = 80", p));
  EXPECT_FALSE(matches("udp[2:2] = 80", p));
  EXPECT_TRUE(matches("udp[2:2] = 53", udp_dns()));
  EXPECT_TRUE(matches("transp[0:4] = 0x04d20050", p));
  EXPECT_TRUE(matches("transp[0:4] != 0xffffffff", p));
  EXPECT_TRUE(matches("transp[13] & 0x02 != 0", p));
  EXPECT_TRUE(matches("ip[9] > 5 and ip[9] < 7", p));
  // IP options move the transport header.
  const Bytes opt = PacketSpec().eth().ipv4().ip_options({1, 1, 1, 0}).tcp(1234, 80).bytes();
  EXPECT_TRUE(matches("transp[2:2] = 80", opt));
  EXPECT_TRUE(matches("dst port 80", opt));
  EXPECT_TRUE(matches("ip[20] = 1", opt));
}

TEST(IpPattern, EtherHost) {
  // PacketSpec: dst 00:00:00:00:00:02, src 00:00:00:00:00:01.
  const Bytes p = tcp_syn();
  EXPECT_TRUE(matches("ether host 00:00:00:00:00:01", p));
  EXPECT_TRUE(matches("ether host 00:00:00:00:00:02", p));
  EXPECT_FALSE(matches("ether host 00:00:00:00:00:03", p));
  EXPECT_TRUE(matches("ether src host 00:00:00:00:00:01", p));
  EXPECT_FALSE(matches("ether src host 00:00:00:00:00:02", p));
  EXPECT_TRUE(matches("ether dst host 00:00:00:00:00:02", p));
  EXPECT_TRUE(matches("src ether host 00:00:00:00:00:01", p));
  EXPECT_TRUE(matches("ether host != 00:00:00:00:00:09", p));
  EXPECT_TRUE(matches("host 00:00:00:00:00:02", p));  // an Ethernet address: ether host
  EXPECT_TRUE(
      matches("ether src host & ff:00:00:00:00:00 02:00:00:00:00:01",
              PacketSpec().eth("00:00:00:00:00:02", "02:99:99:99:99:99").ipv4().udp().bytes()));
  EXPECT_TRUE(matches("ether src host 00:00:00:00:00:09 or 00:00:00:00:00:01", p));
  EXPECT_TRUE(matches("ether src host 00:00:00:00:00:01 and tcp and syn", p));
  // Without a link header in front of the IP header, nothing to compare.
  const Bytes bare(p.begin() + 14, p.end());
  EXPECT_FALSE(matches("ether host 00:00:00:00:00:01", bare, 0));
  EXPECT_TRUE(matches("tcp", bare, 0));
}

TEST(IpPattern, TrueFalseAndEverything) {
  const Bytes p = tcp_syn();
  EXPECT_TRUE(matches("true", p));
  EXPECT_FALSE(matches("false", p));
  EXPECT_TRUE(matches("-", p));
  EXPECT_TRUE(matches("all", p));
  EXPECT_TRUE(matches("any", p));
  EXPECT_TRUE(matches("", p));
  EXPECT_TRUE(matches("not false", p));
  EXPECT_FALSE(matches("tcp and false", p));
  EXPECT_TRUE(matches("false or tcp", p));
}

// --- combining ---

TEST(IpPattern, Connectives) {
  const Bytes p = tcp_syn();
  EXPECT_TRUE(matches("tcp and dst port 80", p));
  EXPECT_TRUE(matches("tcp && dst port 80", p));
  EXPECT_TRUE(matches("tcp dst port 80", p));  // juxtaposition is and
  EXPECT_FALSE(matches("tcp dst port 81", p));
  EXPECT_TRUE(matches("udp or tcp", p));
  EXPECT_TRUE(matches("udp || tcp", p));
  EXPECT_FALSE(matches("not tcp", p));
  EXPECT_FALSE(matches("! tcp", p));
  EXPECT_FALSE(matches("!tcp", p));
  EXPECT_TRUE(matches("not not tcp", p));
  EXPECT_TRUE(matches("!(udp or icmp)", p));
  EXPECT_TRUE(matches("(dst port www or dst port ssh) and tcp opt syn", p));
  EXPECT_TRUE(matches("tcp ? dst port 80 : icmp", p));
  EXPECT_FALSE(matches("tcp ? dst port 81 : true", p));
  EXPECT_TRUE(matches("udp ? false : tcp", p));
  EXPECT_TRUE(matches("udp ? false : icmp ? false : tcp", p));
  EXPECT_TRUE(matches("icmp ? false : udp ? false : true", p));
}

TEST(IpPattern, AndBindsTighterThanOr) {
  const Bytes p = tcp_syn();
  // tcp or (udp and false)
  EXPECT_TRUE(matches("tcp or udp and false", p));
  EXPECT_FALSE(matches("(tcp or udp) and false", p));
  // (false and udp) or tcp
  EXPECT_TRUE(matches("false and udp or tcp", p));
  // juxtaposition binds like and
  EXPECT_TRUE(matches("tcp or udp false", p));
  EXPECT_FALSE(matches("udp or tcp false", p));
  // not binds tightest: (not udp) and tcp
  EXPECT_TRUE(matches("not udp and tcp", p));
  EXPECT_FALSE(matches("not (udp or tcp)", p));
  // ?: binds loosest: (false or tcp) ? true : false
  EXPECT_TRUE(matches("false or tcp ? true : false", p));
}

TEST(IpPattern, QualifierElision) {
  const Bytes p = tcp_syn();  // 10.0.0.1:1234 -> 10.0.0.2:80
  EXPECT_TRUE(matches("src host 10.0.0.9 or 10.0.0.1", p));
  EXPECT_FALSE(matches("src host 10.0.0.9 or 10.0.0.2", p));  // 10.0.0.2 is the dst
  EXPECT_TRUE(matches("dst host 10.0.0.9 or 10.0.0.2", p));
  EXPECT_TRUE(matches("src port 80 or 81 or 1234", p));
  EXPECT_FALSE(matches("src port 80 or 81", p));
  EXPECT_TRUE(matches("dst tcp port 8000 or 80", p));
  EXPECT_FALSE(matches("dst udp port 8000 or 80", p));  // the second is udp too
  EXPECT_TRUE(matches("ip ttl 5 or 64", p));
  EXPECT_TRUE(matches("ip proto 1 or 6", p));
  EXPECT_TRUE(matches("icmp type echo-reply or 8", icmp_echo()));
  // A name the previous test does not settle stays ambiguous, as in Click.
  EXPECT_EQ(error_of("icmp type echo-reply or echo"),
            "'echo' is ambiguous; try 'port echo', 'icmp type echo' (column 25)");
  EXPECT_TRUE(matches("src net 10.9.0.0/16 or 10.0.0.0/24", p));
  EXPECT_TRUE(matches("dst tcp port > 1000 or 80", p));
  // The chain follows the previous test: after 'tcp', 53 means 'ip proto 53'.
  EXPECT_TRUE(matches("dst port 81 or 53", udp_dns()));
  EXPECT_FALSE(matches("dst port 81 or udp or 53", PacketSpec().eth().ipv4().tcp(1, 53).bytes()));
  EXPECT_TRUE(matches("dst port 81 or udp or 6", PacketSpec().eth().ipv4().tcp(1, 53).bytes()));
  // The IPClassifier example.
  EXPECT_TRUE(matches("dst tcp port 8000 or 8080", PacketSpec().eth().ipv4().tcp(1, 8080).bytes()));
}

TEST(IpPattern, TruncatedPackets) {
  // The IP header and 2 bytes of TCP header (the source port).
  Bytes p = tcp_syn();
  p.resize(14 + 20 + 2);
  EXPECT_TRUE(matches("tcp", p));
  EXPECT_TRUE(matches("src port 1234", p));
  EXPECT_FALSE(matches("dst port 80", p));
  EXPECT_FALSE(matches("dst port != 80", p));  // a relation on missing bytes is false
  EXPECT_TRUE(matches("not dst port 80", p));  // its negation is true
  EXPECT_FALSE(matches("dst port > 0", p));
  EXPECT_FALSE(matches("dst port <= 80", p));
  EXPECT_FALSE(matches("syn", p));
  EXPECT_TRUE(matches("not syn", p));
  EXPECT_FALSE(matches("tcp win 65535", p));
  EXPECT_FALSE(matches("transp[0:4] != 0", p));
  EXPECT_TRUE(matches("transp[0:2] != 0", p));
  // The IP header alone.
  p.resize(14 + 20);
  EXPECT_FALSE(matches("src port 1234", p));
  EXPECT_TRUE(matches("host 10.0.0.1", p));
  // Cut inside the IP header: what is there still counts.
  p.resize(14 + 10);
  EXPECT_TRUE(matches("tcp", p));
  EXPECT_FALSE(matches("src host 10.0.0.1", p));
  EXPECT_FALSE(matches("host != 10.0.0.1", p));
  EXPECT_TRUE(matches("not src host 10.0.0.1", p));
  EXPECT_FALSE(matches("ip[40] = 0", p));
  // An IHL that points past the end: no transport header at all.
  Bytes bad = tcp_syn();
  bad[14] = 0x4f;
  EXPECT_FALSE(matches("src port 1234", bad));
  EXPECT_TRUE(matches("tcp", bad));
  // One byte of IP header.
  Bytes one = tcp_syn();
  one.resize(15);
  EXPECT_FALSE(matches("tcp", one));
  EXPECT_TRUE(matches("ip vers 4", one));
  EXPECT_FALSE(matches("src port 1234", one));
}

// --- errors and warnings ---

TEST(IpPatternError, UnknownWord) {
  EXPECT_EQ(error_of("tcp and foo"), "empty term near 'foo' (column 9)");
  EXPECT_EQ(error_of("foo"), "empty term near 'foo' (column 1)");
  EXPECT_EQ(error_of("tcp foo"), "empty term near 'foo' (column 5)");
  EXPECT_EQ(error_of("tcp )"), "garbage after expression at ')' (column 5)");
  EXPECT_EQ(error_of("tcp ]"), "empty term near ']' (column 5)");
}

TEST(IpPatternError, Parentheses) {
  EXPECT_EQ(error_of("(tcp"), "missing ')' for the '(' at column 1 (at end)");
  EXPECT_EQ(error_of("((tcp) or udp"), "missing ')' for the '(' at column 1 (at end)");
  EXPECT_EQ(error_of("tcp)"), "garbage after expression at ')' (column 4)");
  EXPECT_EQ(error_of("()"), "missing expression after '(' (column 2)");
  EXPECT_EQ(error_of("not"), "missing expression after 'not' (at end)");
  EXPECT_EQ(error_of("tcp and"), "missing expression (at end)");
  EXPECT_EQ(error_of("tcp or"), "missing expression (at end)");
  EXPECT_EQ(error_of("or tcp"), "missing expression (column 1)");
  EXPECT_EQ(error_of("tcp ? udp"), "missing ':' in ternary expression (at end)");
  EXPECT_EQ(error_of(std::string(1000, '(') + "tcp" + std::string(1000, ')')),
            "expression nested too deeply (column 51)");
  EXPECT_EQ(error_of(std::string(1000, '!') + "tcp"), "expression nested too deeply (column 100)");
}

TEST(IpPatternError, BadValues) {
  EXPECT_EQ(error_of("host 1.2.3"), "'ip host': address missing near '1.2.3' (column 6)");
  EXPECT_EQ(error_of("host 1.2.3.256"), "'ip host': address missing near '1.2.3.256' (column 6)");
  EXPECT_EQ(error_of("net 10.0.0.1"), "'ip net': address missing (at end)");
  EXPECT_EQ(error_of("net 10.0.0.0/33"), "'ip net': address missing near '10.0.0.0/33' (column 5)");
  EXPECT_EQ(error_of("ip ttl 300"), "'ip ttl': out of range, bound 255 (column 1)");
  EXPECT_EQ(error_of("port 70000"), "'port': out of range, bound 65535 (column 1)");
  EXPECT_EQ(error_of("ip ttl"), "'ip ttl': value missing (at end)");
  EXPECT_EQ(error_of("ip ttl > "), "dangling operator near '>' (column 8)");
  EXPECT_EQ(error_of("ip ttl > bar"), "dangling operator near 'bar' (column 10)");
  EXPECT_EQ(error_of("tcp opt != syn"), "'tcp opt': operator or mask not supported (column 1)");
  EXPECT_EQ(error_of("tcp opt 300"), "'tcp opt': value 300 out of range (column 1)");
  EXPECT_EQ(error_of("udp opt syn"),
            "'tcp opt udp syn' is meaningless; try 'tcp opt syn' (column 9)");
  EXPECT_EQ(error_of("echo"), "'echo' is ambiguous; try 'port echo', 'icmp type echo' (column 1)");
  EXPECT_EQ(error_of("icmp port 80"), "'port': bad protocol 1 (column 1)");
  EXPECT_EQ(error_of("host & 0 10.0.0.1"), "zero mask ignored (column 8)");
  EXPECT_EQ(error_of("ip ttl & zz = 1"), "bad mask 'zz' (column 10)");
  EXPECT_EQ(error_of("ip ttl & 0x1ff = 1"), "'ip ttl': mask out of range, bound 0xFF (column 1)");
  EXPECT_EQ(error_of("host > 10.0.0.1"), "'ip host': operator not supported (column 1)");
  EXPECT_EQ(error_of("ip frag 3"), "'ip frag': value not supported (column 1)");
  EXPECT_EQ(error_of("ip ce 3"), "'ip ce': value not supported (column 1)");
  EXPECT_EQ(error_of("5"), "specify header field or 'port' (column 1)");
  EXPECT_EQ(error_of("src"), "partial directive (column 1)");
  EXPECT_EQ(error_of("src src host 1.2.3.4"), "'src' or 'dst' specified twice (column 5)");
  EXPECT_EQ(error_of("host ttl 3"), "type specified twice (column 6)");
  EXPECT_EQ(error_of("tcp udp port 3"), "transport protocol specified twice (column 5)");
  EXPECT_EQ(error_of("ether ttl 3"), "'ip ttl': ip only (column 1)");
  EXPECT_EQ(error_of("ip proto 6 and ip proto"), "'proto': value missing (at end)");
  EXPECT_EQ(error_of("tcp ip proto 17"), "'proto': specified twice (column 1)");
  EXPECT_EQ(error_of("net 10.0.0.0 mask 255.0.0"), "bad mask '255.0.0' (column 19)");
}

TEST(IpPatternError, Brackets) {
  EXPECT_EQ(error_of("ip[1:4] = 0"), "field [1:4] does not fit in a single word (column 3)");
  EXPECT_EQ(error_of("ip[2:3] = 0"), "field [2:3] does not fit in a single word (column 3)");
  EXPECT_EQ(error_of("ip[0:5] = 0"),
            "LEN in '[POS:LEN]' out of range, should be between 1 and 4 (column 3)");
  EXPECT_EQ(error_of("ip[0:0] = 0"),
            "LEN in '[POS:LEN]' out of range, should be between 1 and 4 (column 3)");
  EXPECT_EQ(error_of("ip[x] = 0"),
            "syntax error after '[', expected '[POS]' or '[POS:LEN]' (column 3)");
  EXPECT_EQ(error_of("ip[9 = 0"), "missing ']' (column 3)");
  EXPECT_EQ(error_of("ip[-1] = 0"),
            "POS in '[POS:LEN]' out of range, should be between 0 and 65535 (column 3)");
  EXPECT_EQ(error_of("ip[0:2] = 0x10000"), "'ip[...]': out of range, bound 65535 (column 1)");
  EXPECT_EQ(error_of("ether[0] = 1"), "'ip[...]': ip only (column 1)");
  EXPECT_EQ(error_of("[9] = 6"), "empty term near '[' (column 1)");
}

TEST(IpPatternWarning, AlwaysTrueOrFalseRelations) {
  EXPECT_EQ(warnings_of("ip ttl > 255"),
            (std::vector<std::string>{"relation '> 255' is always false (range 0-255)"}));
  EXPECT_EQ(warnings_of("ip ttl < 0"),
            (std::vector<std::string>{"relation '< 0' is always false (range 0-255)"}));
  EXPECT_EQ(warnings_of("ip ttl <= 300"),
            (std::vector<std::string>{"relation '<= 300' is always true (range 0-255)"}));
  EXPECT_FALSE(matches("ip ttl > 255", tcp_syn()));
  EXPECT_TRUE(matches("ip ttl <= 300", tcp_syn()));
  EXPECT_FALSE(matches("ip ttl < 0", tcp_syn()));
  EXPECT_TRUE(matches("ip ttl >= 0", tcp_syn()));
  EXPECT_EQ(warnings_of("src ip ttl 5"),
            (std::vector<std::string>{"'src ip ttl': 'src' or 'dst' ignored"}));
}

// --- IPFilter and IPClassifier rule lists ---

TEST(IpRules, FilterActions) {
  Result<IpProgram> r =
      compile_ip_filter({"allow tcp", "1 udp", "drop icmp", "deny ip proto 50", "2 all"}, 3);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  auto out = [&](const Bytes& b) { return r->program.match(IpWindows(b, 14).w); };
  EXPECT_EQ(out(tcp_syn()), 0);
  EXPECT_EQ(out(udp_dns()), 1);
  EXPECT_EQ(out(icmp_echo()), kNoMatch);
  EXPECT_EQ(out(PacketSpec().eth().ipv4().ip_proto(50).payload_size(8).bytes()), kNoMatch);
  EXPECT_EQ(out(PacketSpec().eth().ipv4().ip_proto(47).payload_size(8).bytes()), 2);
  EXPECT_EQ(
      r->warnings,
      (std::vector<std::string>{"pattern 3: meaning of 'deny' has changed (now it means 'drop')"}));
}

TEST(IpRules, FilterRuleOrderAndNoMatch) {
  Result<IpProgram> r = compile_ip_filter({"drop src host 10.0.0.1", "allow tcp"}, 1);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->program.match(IpWindows(tcp_syn(), 14).w), kNoMatch);
  EXPECT_EQ(r->program.match(IpWindows(PacketSpec().eth().ipv4("10.0.0.9").tcp().bytes(), 14).w),
            0);
  EXPECT_EQ(r->program.match(IpWindows(PacketSpec().eth().ipv4("10.0.0.9").udp().bytes(), 14).w),
            kNoMatch);
  // An action alone matches everything.
  Result<IpProgram> all = compile_ip_filter({"allow"}, 1);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(all->program.match(IpWindows(udp_dns(), 14).w), 0);
  // Quoted patterns are unquoted.
  Result<IpProgram> q = compile_ip_filter({"\"allow udp\""}, 1);
  ASSERT_TRUE(q.is_ok()) << q.status().message();
  EXPECT_EQ(q->program.match(IpWindows(udp_dns(), 14).w), 0);
}

TEST(IpRules, FilterErrors) {
  auto err = [](std::vector<std::string> rules, int n) {
    Result<IpProgram> r = compile_ip_filter(rules, n);
    return r.is_ok() ? std::string("<no error>") : r.status().message();
  };
  EXPECT_EQ(err({"allow tcp", "bogus udp"}, 2), "pattern 1: unknown slot ID 'bogus'");
  EXPECT_EQ(err({"3 tcp"}, 2), "pattern 0: slot '3' out of range");
  EXPECT_EQ(err({"-1 tcp"}, 2), "pattern 0: slot '-1' out of range");
  EXPECT_EQ(err({"allow tcp"}, 0), "pattern 0: 'allow' is meaningless, element has zero outputs");
  EXPECT_EQ(err({"allow tcp", ""}, 1), "empty pattern 1");
  EXPECT_EQ(err({"allow tcp and (udp"}, 1),
            "pattern 0: missing ')' for the '(' at column 15 (at end)");
  EXPECT_EQ(err({"allow tcp", "drop host 1.2.3.4.5"}, 1),
            "pattern 1: 'ip host': address missing near '1.2.3.4.5' (column 11)");
  EXPECT_EQ(err({"drop all"}, 0), "<no error>");
}

TEST(IpRules, ClassifierOutputsAndWarnings) {
  Result<IpProgram> r = compile_ip_classifier({"tcp", "udp", "tcp", "-"});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->program.match(IpWindows(tcp_syn(), 14).w), 0);
  EXPECT_EQ(r->program.match(IpWindows(udp_dns(), 14).w), 1);
  EXPECT_EQ(r->program.match(IpWindows(icmp_echo(), 14).w), 3);
  EXPECT_EQ(r->warnings, (std::vector<std::string>{"output 2 matches no packets"}));
  Result<IpProgram> e = compile_ip_classifier({"tcp", "udp and foo"});
  ASSERT_FALSE(e.is_ok());
  EXPECT_EQ(e.status().message(), "pattern 1: empty term near 'foo' (column 9)");
}

TEST(IpRules, ManyRulesShareTheirCommonTests) {
  std::vector<std::string> rules;
  for (int i = 1; i <= 1000; ++i) rules.push_back(fmt::format("{} tcp port {}", i % 3, i));
  Result<IpProgram> r = compile_ip_filter(rules, 3);
  ASSERT_TRUE(r.is_ok());
  // The protocol and first-fragment tests are made once, then two port tests per rule.
  EXPECT_LE(r->program.insns().size(), 2u * 1000 + 4);
  EXPECT_EQ(r->program.match(IpWindows(PacketSpec().eth().ipv4().tcp(999, 5000).bytes(), 14).w), 0);
  EXPECT_EQ(r->program.match(IpWindows(PacketSpec().eth().ipv4().tcp(5000, 1000).bytes(), 14).w),
            1);
  EXPECT_EQ(r->program.match(IpWindows(PacketSpec().eth().ipv4().tcp(5000, 5001).bytes(), 14).w),
            kNoMatch);
  EXPECT_EQ(r->program.match(IpWindows(PacketSpec().eth().ipv4().udp(5, 5).bytes(), 14).w),
            kNoMatch);
}

// Random patterns from every primitive, on random packets: the optimizer must agree with
// direct evaluation.
TEST(IpPattern, RandomPatternsAgree) {
  static const char* kPrims[] = {"tcp",
                                 "udp",
                                 "icmp",
                                 "src host 10.0.0.1",
                                 "dst host 10.0.0.2",
                                 "host 10.0.0.3",
                                 "net 10.0.0.0/24",
                                 "src net 10.0.0.0/31",
                                 "port 80",
                                 "src port 1234",
                                 "dst port > 1023",
                                 "port < 1024",
                                 "port != 80",
                                 "tcp port 53",
                                 "udp dst port 53",
                                 "syn",
                                 "ack",
                                 "fin",
                                 "icmp type echo",
                                 "icmp type != 0",
                                 "ip ttl > 63",
                                 "ip ttl <= 5",
                                 "ip tos 0",
                                 "ip ect",
                                 "ip ce",
                                 "ip frag",
                                 "ip unfrag",
                                 "ip hl > 5",
                                 "ip id 1",
                                 "ip len < 60",
                                 "ip[9] = 17",
                                 "transp[0:2] & 0xff00 = 0",
                                 "tcp[13] & 0x12 = 0x12",
                                 "transp[2:2] >= 80",
                                 "tcp win < 100",
                                 "ether src host 00:00:00:00:00:01",
                                 "true",
                                 "false",
                                 "ip proto != 6",
                                 "src or dst port 80 or 53"};
  static const char* kOps[] = {" and ", " or ", " && ", " || "};
  std::mt19937 rng(11);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  std::vector<Bytes> packets;
  for (int i = 0; i < 24; ++i) {
    PacketSpec s;
    s.eth().ipv4(i % 3 == 0 ? "10.0.0.1" : "10.0.0.3", "10.0.0.2").ttl(i % 2 ? 64 : 5);
    if (i % 5 == 1) s.frag(0x2000);
    if (i % 5 == 2) s.frag(0x0003);
    switch (i % 4) {
      case 0:
        s.tcp(static_cast<std::uint16_t>(1000 + i), 80, static_cast<std::uint8_t>(i * 7));
        break;
      case 1:
        s.udp(53, static_cast<std::uint16_t>(i * 100));
        break;
      case 2:
        s.icmp(static_cast<std::uint8_t>(i % 3 == 0 ? 8 : 0));
        break;
      default:
        s.ip_proto(50).payload_size(4);
        break;
    }
    Bytes b = s.bytes();
    if (i % 6 == 5) b.resize(14 + 20 + static_cast<std::size_t>(i % 7));
    packets.push_back(std::move(b));
  }
  for (int n = 0; n < 2000; ++n) {
    std::string pat;
    const std::size_t terms = 1 + pick(4);
    for (std::size_t t = 0; t < terms; ++t) {
      if (t > 0) pat += kOps[pick(std::size(kOps))];
      if (pick(4) == 0) pat += "not ";
      const bool paren = pick(3) == 0;
      if (paren) pat += "(";
      pat += kPrims[pick(std::size(kPrims))];
      if (paren)
        pat += std::string(kOps[pick(std::size(kOps))]) + kPrims[pick(std::size(kPrims))] + ")";
    }
    if (pick(5) == 0) pat = std::string(kPrims[pick(std::size(kPrims))]) + " ? " + pat + " : udp";
    ExprBuilder b;
    Result<ExprBuilder::Id> e = parse_ip_expression(pat, b);
    ASSERT_TRUE(e.is_ok()) << pat << ": " << e.status().message();
    const Program opt = compile_rules(b, {{*e, 0}}, true);
    const Program plain = compile_rules(b, {{*e, 0}}, false);
    for (const Bytes& pkt : packets) {
      const IpWindows iw(pkt, 14);
      const bool direct = b.evaluate(*e, iw.w);
      ASSERT_EQ(opt.match(iw.w) == 0, direct) << pat << "\n" << opt.unparse(false);
      ASSERT_EQ(plain.match(iw.w) == 0, direct) << pat << "\n" << plain.unparse(false);
    }
  }
}

}  // namespace
}  // namespace uplane::elements::classify
