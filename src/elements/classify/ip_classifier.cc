#include "elements/classify/ip_classifier.h"

#include <cctype>

#include <fmt/format.h>

#include "base/log.h"
#include "elements/classify/ip_filter_parser.h"
#include "graph/registry.h"

namespace uplane::elements {

Status IPClassifier::configure(graph::Args& args) {
  Result<std::vector<std::string>> patterns = patterns_per_output(args);
  if (!patterns.is_ok()) return patterns.status();
  Result<classify::IpProgram> p = classify::compile_ip_classifier(*patterns);
  if (!p.is_ok())
    return make_error(Errc::kInvalidArgument, "{}: {}", args.context(), p.status().message());
  log_warnings(args, p->warnings);
  set_program(std::move(p->program));
  patterns_ = std::move(*patterns);
  return {};
}

void IPClassifier::add_handlers() {
  ClassifyElement::add_handlers();
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const std::string name = fmt::format("pattern{}", i);
    add_read_handler(
        name, [this, i] { return patterns_[i]; }, true);
    add_write_handler(name, [this, i](std::string_view value) -> Status {
      // Click reconfigures the element with argument i replaced.
      std::vector<std::string> patterns = patterns_;
      std::string_view v = value;
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
      patterns[i] = std::string(v);
      Result<classify::IpProgram> p = classify::compile_ip_classifier(patterns);
      if (!p.is_ok())
        return make_error(Errc::kInvalidArgument, "{}: {}", declaration(), p.status().message());
      for (const std::string& w : p->warnings) UPLANE_LOG(kWarn, "{}: {}", declaration(), w);
      set_program(std::move(p->program));
      patterns_ = std::move(patterns);
      return Status();
    });
  }
}

UPLANE_REGISTER_ELEMENT(IPClassifier);

}  // namespace uplane::elements
