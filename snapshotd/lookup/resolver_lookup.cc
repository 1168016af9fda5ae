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

bool Take(const Snapshot& snap, const std::string& domain, ResolverAnswer* out) {
  // Parsers keep a domain as written; try it bare and with the trailing dot some formats use.
  for (const std::string& d : {domain, domain + "."}) {
    if (std::optional<RecordRef> rec = snap.Find(ResolverRule::KeyFor(d))) {
      out->rule = Record{std::string(rec->key), std::string(rec->value)};
      out->matched = domain;
      return true;
    }
  }
  return false;
}

}  // namespace

Status ResolverLookup(const Snapshot& snap, std::string_view name, ResolverAnswer* out) {
  *out = ResolverAnswer{};
  std::string n;
  NETSNAP_RETURN_IF_ERROR(Normalize(name, &n));
  for (std::string_view suffix = n;;) {
    if (Take(snap, std::string(suffix), out)) return Status::OK();
    size_t dot = suffix.find('.');
    if (dot == std::string_view::npos) break;
    suffix.remove_prefix(dot + 1);
  }
  if (n.find('.') == std::string::npos) {
    if (std::optional<RecordRef> rec = snap.Find(ResolverRule::KeyFor(""))) {
      out->rule = Record{std::string(rec->key), std::string(rec->value)};
      out->matched = "";
      return Status::OK();
    }
  }
  if (std::optional<RecordRef> rec = snap.Find(ResolverRule::KeyFor("."))) {
    out->rule = Record{std::string(rec->key), std::string(rec->value)};
    out->matched = ".";
  }
  return Status::OK();
}

}  // namespace netsnap::lookup
