#include "elements/standard/static_thread_sched.h"

#include "base/log.h"
#include "graph/registry.h"
#include "graph/router.h"

namespace uplane::elements {

Status StaticThreadSched::configure(graph::Args&) {
  // Each argument is two words. The arguments are read here rather than through Args: an
  // element name in capitals ("RX 1") would look like a keyword argument to Args.
  for (const std::string& arg : graph::split_args(config_string())) {
    const std::vector<std::string> words = graph::split_words(arg);
    if (words.size() != 2)
      return make_error(Errc::kInvalidArgument,
                        "ELEMENT THREAD: expected an element and a thread, got '{}'", arg);
    const std::string name = graph::unquote(words[0]);
    graph::Element* e = router().find(name);
    if (e == nullptr)
      return make_error(Errc::kInvalidArgument, "ELEMENT: no element named '{}'", name);
    std::int32_t thread = 0;
    const std::string why = graph::ArgParser<std::int32_t>::parse(words[1], thread);
    if (!why.empty())
      return make_error(Errc::kInvalidArgument, "THREAD: {}, got '{}'", why, words[1]);
    if (thread < -1 || thread >= router().nthreads()) {
      UPLANE_LOG(kWarn, "{}: thread preference {} out of range (threads 0-{})", declaration(),
                 thread, router().nthreads() - 1);
      thread = thread < 0 ? -1 : 0;
    }
    if (thread >= 0) router().set_home_thread(e, thread);
  }
  return {};
}

UPLANE_REGISTER_ELEMENT(StaticThreadSched);

}  // namespace uplane::elements
