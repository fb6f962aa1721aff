#include "elements/ip/ip_lookup_table.h"

#include <fmt/format.h>

#include <climits>

#include "base/log.h"
#include "net/ipv4.h"

namespace uplane::elements {

namespace {

std::string ip_string(std::uint32_t host) { return net::Ipv4Addr::from_host(host).to_string(); }

}  // namespace

std::string IPRoute::unparse(bool tabs) const {
  // Click's layout: with tabs, a second tab follows a prefix shorter than 16 characters and
  // a gateway shorter than 8, so columns line up for the usual widths.
  const char tab = tabs ? '\t' : ' ';
  std::string s = fmt::format("{}/{}", ip_string(addr), prefix_len());
  s += tab;
  if (tabs && s.size() < 17) s += '\t';
  const std::size_t gw_start = s.size();
  s += gw != 0 ? ip_string(gw) : std::string("-");
  s += tab;
  if (tabs && s.size() < gw_start + 9) s += '\t';
  s += std::to_string(port);
  return s;
}

bool parse_ip_route(const std::vector<std::string>& words, bool remove, IPRoute& out,
                    std::string& why) {
  if (words.empty()) {
    why = "missing ADDR/MASK";
    return false;
  }
  graph::Ipv4Prefix prefix;
  if (std::string e = graph::ArgParser<graph::Ipv4Prefix>::parse(words[0], prefix); !e.empty()) {
    why = fmt::format("{}, got '{}'", e, words[0]);
    return false;
  }
  const int len = prefix.prefix_length();
  if (len < 0) {
    why = fmt::format("mask of '{}' is not a prefix (uplane needs contiguous masks)", words[0]);
    return false;
  }
  IPRoute r;
  r.mask = prefix_mask(len);
  r.addr = prefix.addr.to_host() & r.mask;
  std::size_t i = 1;
  // The second word is a gateway when it is "-" or an address; otherwise it is OUT.
  if (i < words.size()) {
    net::Ipv4Addr gw;
    if (words[i] == "-") {
      ++i;
    } else if (graph::ArgParser<net::Ipv4Addr>::parse(words[i], gw).empty()) {
      r.gw = gw.to_host();
      ++i;
    }
  }
  if (i < words.size()) {
    std::int32_t port = 0;
    if (!graph::ArgParser<std::int32_t>::parse(words[i], port).empty()) {
      why = fmt::format("expected OUTPUT, got '{}'", words[i]);
      return false;
    }
    r.port = port;
    ++i;
  } else if (!remove) {
    why = "missing OUTPUT";
    return false;
  }
  if (i < words.size()) {
    why = fmt::format("unexpected '{}' after OUTPUT", words[i]);
    return false;
  }
  out = r;
  return true;
}

bool parse_ip_route(std::string_view text, bool remove, IPRoute& out, std::string& why) {
  return parse_ip_route(graph::split_words(text), remove, out, why);
}

NextHop NextHop::to(std::uint32_t gw_host, std::int32_t port) noexcept {
  NextHop h;
  h.gw_raw = __builtin_bswap32(gw_host);
  h.code = port;
  return h;
}

// --- configure ---

Status IPRouteTable::configure(graph::Args& args) {
  std::vector<graph::RawArg> routes;
  args.rest("ROUTE", routes);
  if (!args.ok()) return args.done();
  if (Status st = init_table(); !st.is_ok()) return args.fail(st.message()).done();
  int duplicates = 0;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    IPRoute r;
    std::string why;
    if (!parse_ip_route(std::string_view(routes[i].text), false, r, why)) {
      args.fail(fmt::format("argument {} should be 'ADDR/MASK [GATEWAY] OUTPUT': {}", i + 1, why));
      break;
    }
    if (r.port < 0 || r.port >= noutputs()) {
      args.fail(fmt::format("argument {} bad OUTPUT {} (the element has {} output{})", i + 1,
                            r.port, noutputs(), noutputs() == 1 ? "" : "s"));
      break;
    }
    // Click keeps the first route for a prefix and warns about the rest.
    const Change c = add_route(r, false, nullptr);
    if (c == Change::kExists) {
      ++duplicates;
    } else if (c != Change::kOk) {
      args.fail(fmt::format("argument {}: no memory to store route '{}'", i + 1, r.unparse()));
      break;
    }
  }
  if (duplicates > 0 && args.ok())
    UPLANE_LOG(kWarn, "{}: {} route{} for a prefix already given ignored (the first wins)",
               args.context(), duplicates, duplicates == 1 ? "" : "s");
  commit_routes();
  return args.done();
}

// --- handlers ---

void IPRouteTable::add_handlers() {
  add_read_handler(
      "table", [this] { return dump_routes(); }, true);
  if (dynamic()) {
    add_write_handler("add", [this](std::string_view v) { return add_handler(v, false); });
    add_write_handler("set", [this](std::string_view v) { return add_handler(v, true); });
    add_write_handler("remove", [this](std::string_view v) { return remove_handler(v); });
    add_write_handler("ctrl", [this](std::string_view v) { return ctrl_handler(v); });
  }
  if (has_flush()) {
    add_write_handler("flush", [this](std::string_view) {
      flush_routes();
      commit_routes();
      return Status();
    });
  }
}

Status IPRouteTable::add_handler(std::string_view text, bool set) {
  Status st = run_command(set ? Command::kSet : Command::kAdd, graph::split_words(text), nullptr);
  commit_routes();
  return st;
}

Status IPRouteTable::remove_handler(std::string_view text) {
  Status st = run_command(Command::kRemove, graph::split_words(text), nullptr);
  commit_routes();
  return st;
}

Status IPRouteTable::ctrl_handler(std::string_view text) {
  std::vector<Undo> undo;
  Status st;
  while (!text.empty() && st.is_ok()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    std::vector<std::string> words = graph::split_words(line);
    if (words.empty()) continue;
    const std::string command = words.front();
    words.erase(words.begin());
    if (command == "add") {
      st = run_command(Command::kAdd, words, &undo);
    } else if (command == "set") {
      st = run_command(Command::kSet, words, &undo);
    } else if (command == "remove") {
      st = run_command(Command::kRemove, words, &undo);
    } else {
      st = make_error(Errc::kInvalidArgument, "bad command '{}'", command);
    }
  }
  if (!st.is_ok()) rollback(undo);
  commit_routes();
  return st;
}

Status IPRouteTable::run_command(Command c, const std::vector<std::string>& words,
                                 std::vector<Undo>* undo) {
  const bool remove = c == Command::kRemove;
  IPRoute r;
  std::string why;
  if (!parse_ip_route(words, remove, r, why))
    return make_error(Errc::kInvalidArgument, "expected 'ADDR/MASK [GATEWAY{}': {}",
                      remove ? " OUTPUT]" : "] OUTPUT", why);
  if (r.port < (remove ? -1 : 0) || r.port >= noutputs())
    return make_error(Errc::kInvalidArgument, "bad OUTPUT {} (the element has {} output{})", r.port,
                      noutputs(), noutputs() == 1 ? "" : "s");
  IPRoute old;  // port stays -1 unless a stored route was found
  Change ch = Change::kOk;
  switch (c) {
    case Command::kAdd:
      ch = add_route(r, false, &old);
      break;
    case Command::kSet:
      ch = add_route(r, true, &old);
      break;
    case Command::kRemove:
      ch = remove_route(r, &old);
      break;
  }
  switch (ch) {
    case Change::kOk:
      if (undo != nullptr) {
        if (old.port < 0)
          undo->push_back(Undo{Command::kAdd, r});
        else
          undo->push_back(Undo{c, old});
      }
      return {};
    case Change::kExists:
      return make_error(Errc::kAlreadyExists, "conflict with existing route '{}'", old.unparse());
    case Change::kNotFound:
      return make_error(Errc::kNotFound, "route '{}' not found", r.unparse());
    case Change::kNoMemory:
      return make_error(Errc::kResourceExhausted, "no memory to store route '{}'", r.unparse());
  }
  return {};
}

void IPRouteTable::rollback(std::vector<Undo>& undo) {
  // Reverse order: each step returns the table to the state before the matching command.
  while (!undo.empty()) {
    const Undo& u = undo.back();
    switch (u.done) {
      case Command::kAdd:
        (void)remove_route(u.route, nullptr);
        break;
      case Command::kSet:
        (void)add_route(u.route, true, nullptr);
        break;
      case Command::kRemove:
        (void)add_route(u.route, false, nullptr);
        break;
    }
    undo.pop_back();
  }
}

// --- the data path ---

void IPRouteTable::emit(graph::Batch& batch, const std::int16_t* codes) noexcept {
  const std::uint32_t n = batch.size();
  if (n == 0) return;
  std::int16_t differ = 0;
  for (std::uint32_t i = 0; i < n; ++i) differ |= static_cast<std::int16_t>(codes[i] ^ codes[0]);
  if (differ == 0 && codes[0] >= 0) [[likely]] {
    output_push(codes[0], batch);
    return;
  }
  std::uint64_t ports = 0;  // bit p: output p (< 64) has packets; higher ports go one by one
  for (std::uint32_t i = 0; i < n; ++i) {
    const int c = codes[i];
    if (c < 0) {
      drop(batch[i], static_cast<graph::DropReason>(-1 - c));
    } else if (c < 64) {
      ports |= std::uint64_t{1} << c;
    } else {
      output_push_one(c, batch[i]);
    }
  }
  while (ports != 0) {
    const int port = __builtin_ctzll(ports);
    ports &= ports - 1;
    graph::Batch out;
    for (std::uint32_t i = 0; i < n; ++i)
      if (codes[i] == port) (void)out.push_back(batch[i]);
    output_push(port, out);
  }
  batch.clear();
}

}  // namespace uplane::elements
