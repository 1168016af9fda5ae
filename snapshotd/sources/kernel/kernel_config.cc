#include "sources/kernel/kernel_config.h"

#include <toml++/toml.h>

#include <limits>

namespace netsnap::kernel {

namespace {

class Parser {
 public:
  Parser(const std::string& source, const toml::table& t) : source_(source), t_(t) {}

  // "FILE:LINE: source 'NAME': KEY: why" when the table came from a file.
  Status Bad(const toml::node& n, std::string_view key, const std::string& why) const {
    const std::string line = std::to_string(n.source().begin.line);
    const auto& path = n.source().path;
    if (path && !path->empty()) {
      return Status::InvalidArgument(*path + ":" + line + ": source '" + source_ +
                                     "': " + std::string(key) + ": " + why);
    }
    return Status::InvalidArgument("source '" + source_ + "': line " + line + ": " +
                                   std::string(key) + ": " + why);
  }

  Status Int(std::string_view key, int64_t lo, int64_t hi, int* out) const {
    const toml::node* n = t_.get(key);
    if (!n) return Status::OK();
    auto v = n->value<int64_t>();
    if (!n->is_integer() || !v) return Bad(*n, key, "expected an integer");
    if (*v < lo || *v > hi) {
      return Bad(*n, key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    *out = static_cast<int>(*v);
    return Status::OK();
  }

  Status Bool(std::string_view key, bool* out) const {
    const toml::node* n = t_.get(key);
    if (!n) return Status::OK();
    if (!n->is_boolean()) return Bad(*n, key, "expected true or false");
    *out = *n->value<bool>();
    return Status::OK();
  }

  Status String(std::string_view key, std::string* out) const {
    const toml::node* n = t_.get(key);
    if (!n) return Status::OK();
    if (!n->is_string()) return Bad(*n, key, "expected a string");
    *out = *n->value<std::string>();
    if (out->empty()) return Bad(*n, key, "must not be empty");
    return Status::OK();
  }

  Status Tables(std::string_view key, std::vector<uint32_t>* out) const {
    const toml::node* n = t_.get(key);
    if (!n) return Status::OK();
    const toml::array* a = n->as_array();
    if (!a) return Bad(*n, key, "expected an array of table numbers or names");
    for (const toml::node& e : *a) {
      if (auto i = e.value<int64_t>(); e.is_integer() && i) {
        if (*i < 1 || *i > std::numeric_limits<uint32_t>::max()) {
          return Bad(e, key, "table number out of range");
        }
        out->push_back(static_cast<uint32_t>(*i));
      } else if (auto s = e.value<std::string>(); e.is_string() && s) {
        if (*s == "main") {
          out->push_back(254);
        } else if (*s == "local") {
          out->push_back(255);
        } else if (*s == "default") {
          out->push_back(253);
        } else {
          return Bad(e, key, "unknown table name '" + *s + "'");
        }
      } else {
        return Bad(e, key, "expected a table number or name");
      }
    }
    return Status::OK();
  }

 private:
  const std::string& source_;
  const toml::table& t_;
};

constexpr std::string_view kKnownKeys[] = {
    "name",
    "kind",
    "netns",
    "debounce_ms",
    "max_delay_ms",
    "resync_s",
    "rcvbuf",
    "include_protocol_kernel",
    "include_local_table",
    "include_ipv6_housekeeping",
    "tables",
    "exclude_tables",
};

}  // namespace

Status ParseKernelConfig(const std::string& source_name, const toml::table* table,
                         KernelConfig* out) {
  KernelConfig c;
  if (table) {
    Parser p(source_name, *table);
    for (const auto& [k, v] : *table) {
      bool known = false;
      for (std::string_view name : kKnownKeys) known |= k.str() == name;
      if (!known) return p.Bad(v, k.str(), "unknown setting for a kernel source");
    }
    NETSNAP_RETURN_IF_ERROR(p.String("netns", &c.netns));
    NETSNAP_RETURN_IF_ERROR(p.Int("debounce_ms", 0, 60'000, &c.debounce_ms));
    NETSNAP_RETURN_IF_ERROR(p.Int("max_delay_ms", 0, 600'000, &c.max_delay_ms));
    NETSNAP_RETURN_IF_ERROR(p.Int("resync_s", 0, 7 * 86'400, &c.resync_s));
    NETSNAP_RETURN_IF_ERROR(p.Int("rcvbuf", 1024, 1 << 30, &c.rcvbuf));
    NETSNAP_RETURN_IF_ERROR(p.Bool("include_protocol_kernel", &c.filter.include_protocol_kernel));
    NETSNAP_RETURN_IF_ERROR(p.Bool("include_local_table", &c.filter.include_local_table));
    NETSNAP_RETURN_IF_ERROR(
        p.Bool("include_ipv6_housekeeping", &c.filter.include_ipv6_housekeeping));
    NETSNAP_RETURN_IF_ERROR(p.Tables("tables", &c.filter.tables));
    NETSNAP_RETURN_IF_ERROR(p.Tables("exclude_tables", &c.filter.exclude_tables));
    if (c.max_delay_ms < c.debounce_ms) {
      const toml::node* n = table->get("max_delay_ms");
      if (!n) n = table->get("debounce_ms");
      return p.Bad(*n, "max_delay_ms", "must not be shorter than debounce_ms");
    }
  }
  *out = std::move(c);
  return Status::OK();
}

}  // namespace netsnap::kernel
