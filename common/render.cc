#include "netsnap/render.h"

#include <boost/json.hpp>

#include "coding.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

const KindRenderer* RendererFor(RecordKind kind) {
  switch (kind) {
    case RecordKind::kRoute:
      return RouteRenderer();
    case RecordKind::kRule:
      return RuleRenderer();
    case RecordKind::kNexthop:
      return NexthopRenderer();
    case RecordKind::kResolverRule:
    case RecordKind::kResolverSetting:
    case RecordKind::kFile:
      return ResolverRenderer();
  }
  return nullptr;
}

boost::json::object Fallback(RecordRef rec, const Status& why) {
  boost::json::object o;
  o["kind"] = RecordKindName(KindOfKey(rec.key));
  o["key_hex"] = HexEncode(rec.key);
  o["value_hex"] = HexEncode(rec.value);
  if (!why.ok()) o["error"] = why.message();
  return o;
}

}  // namespace

boost::json::object RecordToJson(RecordRef rec) {
  const KindRenderer* r = RendererFor(KindOfKey(rec.key));
  if (!r || !r->to_json) return Fallback(rec, Status::OK());
  boost::json::object o;
  Status s = r->to_json(rec, &o);
  return s.ok() ? o : Fallback(rec, s);
}

boost::json::object RecordKeyToJson(RecordRef rec) {
  const KindRenderer* r = RendererFor(KindOfKey(rec.key));
  if (!r || !r->key_json) return Fallback(rec, Status::OK());
  boost::json::object o;
  Status s = r->key_json(rec, &o);
  return s.ok() ? o : Fallback(rec, s);
}

std::string RecordToText(RecordRef rec) {
  const KindRenderer* r = RendererFor(KindOfKey(rec.key));
  std::string out;
  if (r && r->to_text && r->to_text(rec, &out).ok()) return out;
  return std::string(RecordKindName(KindOfKey(rec.key))) + " " + HexEncode(rec.key) + " " +
         HexEncode(rec.value);
}

}  // namespace netsnap
