// Maps a source kind ("kernel", "resolver") to the function that builds it.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "netsnap/source.h"

namespace netsnap {

using SourceFactory = Status (*)(const SourceSpec& spec, std::unique_ptr<Source>* out);

// Builds the source a spec describes; InvalidArgument names the problem for an unknown kind or
// bad settings.
Status NewSource(const SourceSpec& spec, std::unique_ptr<Source>* out);
// Known kinds, for error messages.
std::vector<std::string_view> SourceKinds();

}  // namespace netsnap
