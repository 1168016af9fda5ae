// Renderers for kinds whose codecs have not landed yet; each moves to its kind's file.
#include "render_kinds.h"

namespace netsnap {

const KindRenderer* RuleRenderer() { return nullptr; }
const KindRenderer* NexthopRenderer() { return nullptr; }

}  // namespace netsnap
