#include "elements/classify/ip_filter.h"

#include <string>
#include <vector>

#include "elements/classify/ip_filter_parser.h"
#include "graph/registry.h"

namespace uplane::elements {

Status IPFilter::configure(graph::Args& args) {
  std::vector<graph::RawArg> raw;
  UPLANE_RETURN_IF_ERROR(args.rest("ACTION PATTERN", raw).done());
  std::vector<std::string> rules;
  for (auto& r : raw) rules.push_back(std::move(r.text));
  Result<classify::IpProgram> p = classify::compile_ip_filter(rules, noutputs());
  if (!p.is_ok())
    return make_error(Errc::kInvalidArgument, "{}: {}", args.context(), p.status().message());
  log_warnings(args, p->warnings);
  set_program(std::move(p->program));
  return {};
}

UPLANE_REGISTER_ELEMENT(IPFilter);

}  // namespace uplane::elements
