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

void AppendRecordJson(RecordRef rec, std::string* out) {
  const KindRenderer* r = RendererFor(KindOfKey(rec.key));
  if (r && r->append_json) {
    size_t start = out->size();
    if (r->append_json(rec, out).ok()) return;
    out->resize(start);  // a record that does not decode renders as RecordToJson's fallback
  }
  out->append(boost::json::serialize(RecordToJson(rec)));
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
