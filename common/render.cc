#include "common/render.h"

#include <boost/json.hpp>

#include "coding.h"
#include "render_kinds.h"

namespace netsnap {

namespace {

// The renderer of the record's kind; null for a kind unknown to the table (rendered as hex).
const KindRenderer* RendererFor(std::string_view key) {
  const RecordKindOps* k = KindOpsOf(key);
  return k ? k->render : nullptr;
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
  const KindRenderer* r = RendererFor(rec.key);
  if (!r || !r->to_json) return Fallback(rec, Status::OK());
  boost::json::object o;
  Status s = r->to_json(rec, &o);
  return s.ok() ? o : Fallback(rec, s);
}

void AppendRecordJson(RecordRef rec, std::string* out) {
  const KindRenderer* r = RendererFor(rec.key);
  if (r && r->append_json) {
    size_t start = out->size();
    if (r->append_json(rec, out).ok()) return;
    out->resize(start);  // a record that does not decode renders as RecordToJson's fallback
  }
  out->append(boost::json::serialize(RecordToJson(rec)));
}

boost::json::object RecordKeyToJson(RecordRef rec) {
  const KindRenderer* r = RendererFor(rec.key);
  if (!r || !r->key_json) return Fallback(rec, Status::OK());
  boost::json::object o;
  Status s = r->key_json(rec, &o);
  return s.ok() ? o : Fallback(rec, s);
}

std::string RecordToText(RecordRef rec) {
  const KindRenderer* r = RendererFor(rec.key);
  std::string out;
  if (r && r->to_text && r->to_text(rec, &out).ok()) return out;
  return std::string(RecordKindName(KindOfKey(rec.key))) + " " + HexEncode(rec.key) + " " +
         HexEncode(rec.value);
}

std::string RecordJsonLine(const boost::json::object& o,
                           std::string (*cell)(const boost::json::value&)) {
  const boost::json::value* kind = o.if_contains("kind");
  std::optional<RecordKind> k;
  if (kind && kind->is_string()) k = RecordKindFromName(kind->as_string());
  const RecordKindOps* ops = k ? FindRecordKind(*k) : nullptr;
  std::string s;
  if (ops && ops->render && ops->render->json_line && ops->render->json_line(o, cell, &s)) {
    return s;
  }
  for (const auto& kv : o) {
    if (kv.key() == "kind") continue;
    s += (s.empty() ? "" : " ") + std::string(kv.key()) + "=" + cell(kv.value());
  }
  return (kind ? cell(*kind) + " " : "") + s;
}

}  // namespace netsnap
