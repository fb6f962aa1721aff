#include "elements/standard/hash_switch.h"

#include "graph/registry.h"

namespace uplane::elements {

Status HashSwitch::configure(graph::Args& args) {
  UPLANE_RETURN_IF_ERROR(args.required("OFFSET", offset_).required("LENGTH", length_).done());
  if (length_ == 0) return make_error(Errc::kInvalidArgument, "LENGTH: must be > 0");
  end_ = std::uint64_t{offset_} + length_;
  return {};
}

UPLANE_REGISTER_ELEMENT(HashSwitch);

}  // namespace uplane::elements
