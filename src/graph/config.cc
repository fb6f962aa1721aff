#include "graph/config.h"

// parse_config() runs the three stages of the configuration language, each in its own file:
//   config_lexer.cc      bytes -> tokens; configuration strings taken raw, comments removed
//   config_parser.cc     tokens -> Program: one Body per scope, classes bound lexically
//   config_elaborate.cc  Program -> FlatConfig: compounds expanded, $variables substituted,
//                        connections rewired through compound ports
// They share positions and the first error (config_source.h). All three follow Click's
// lib/lexer.cc; where they differ from Click, the file that differs says so.

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>

#include "graph/config_elaborate.h"
#include "graph/config_parser.h"
#include "graph/config_program.h"
#include "graph/config_source.h"

namespace uplane::graph {

std::string Landmark::str() const {
  if (line == 0) return file;
  if (col == 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, col);
}

Result<FlatConfig> parse_config(std::string_view text, std::string_view filename) {
  // Click calls an unnamed text "config".
  const std::string name = filename.empty() ? std::string("config") : std::string(filename);
  config_detail::FileTable files(name);
  config_detail::Diagnostics diag(&files);
  config_detail::Program program;
  if (!config_detail::parse_program(text, &files, &diag, &program)) return diag.status();
  FlatConfig flat;
  flat.source_file = name;
  if (!config_detail::elaborate(program, files, &diag, &flat)) return diag.status();
  return flat;
}

Result<FlatConfig> parse_config_file(const std::string& path) {
  const bool use_stdin = path == "-";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
  std::FILE* f = stdin;
  if (!use_stdin) {
    owned.reset(std::fopen(path.c_str(), "rb"));
    if (!owned) return errno_error(errno, fmt::format("cannot open configuration '{}'", path));
    f = owned.get();
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    text.append(buf, n);
    if (n < sizeof buf) break;
  }
  if (std::ferror(f) != 0) {
    return Status(Errc::kIo, fmt::format("cannot read configuration '{}'", path));
  }
  return parse_config(text, use_stdin ? "<stdin>" : path);
}

}  // namespace uplane::graph
