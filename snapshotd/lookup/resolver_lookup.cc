#include "lookup/resolver_lookup.h"

#include <cctype>

#include "netsnap/resolver.h"

namespace netsnap::lookup {

namespace {

Status Normalize(std::string_view name, std::string* out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) {
    return Status::InvalidArgument("name must be a domain name of 1 to 253 characters");
  }
  out->clear();
  for (char c : name)
    out->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (out->front() == '.' || out->find("..") != std::string::npos) {
    return Status::InvalidArgument("name '" + std::string(name) + "' has an empty label");
  }
  return Status::OK();
}

// Takes the rule of `domain` when there is one (*taken).
Status Take(RecordReader* reader, const std::string& domain, ResolverAnswer* out, bool* taken) {
  // Parsers keep a domain as written; try it bare and with the trailing dot some formats use.
  for (const std::string& d : {domain, domain + "."}) {
    std::optional<Record> rec;
    NETSNAP_RETURN_IF_ERROR(reader->Get(ResolverRule::KeyFor(d), &rec));
    if (rec) {
      out->rule = std::move(rec);
      out->matched = domain;
      *taken = true;
      return Status::OK();
    }
  }
  *taken = false;
  return Status::OK();
}

}  // namespace

Status ResolverLookup(const Snapshot& snap, std::string_view name, ResolverAnswer* out) {
  SnapshotReader reader(snap);
  return ResolverLookup(&reader, name, out);
}

Status ResolverLookup(RecordReader* reader, std::string_view name, ResolverAnswer* out) {
  *out = ResolverAnswer{};
  std::string n;
  NETSNAP_RETURN_IF_ERROR(Normalize(name, &n));
  bool taken = false;
  for (std::string_view suffix = n;;) {
    NETSNAP_RETURN_IF_ERROR(Take(reader, std::string(suffix), out, &taken));
    if (taken) return Status::OK();
    size_t dot = suffix.find('.');
    if (dot == std::string_view::npos) break;
    suffix.remove_prefix(dot + 1);
  }
  std::optional<Record> rec;
  if (n.find('.') == std::string::npos) {
    NETSNAP_RETURN_IF_ERROR(reader->Get(ResolverRule::KeyFor(""), &rec));
    if (rec) {
      out->rule = std::move(rec);
      out->matched = "";
      return Status::OK();
    }
  }
  NETSNAP_RETURN_IF_ERROR(reader->Get(ResolverRule::KeyFor("."), &rec));
  if (rec) {
    out->rule = std::move(rec);
    out->matched = ".";
  }
  return Status::OK();
}

}  // namespace netsnap::lookup
