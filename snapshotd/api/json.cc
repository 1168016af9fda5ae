#include "api/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/json_writer.h"
#include "common/render.h"
#include "core/event_bus.h"
#include "netsnap/time.h"

namespace netsnap::api {

namespace json = boost::json;

json::value TimeJson(int64_t ns) {
  if (ns == 0) return nullptr;
  return json::value(FormatTime(ns));
}

json::value ActorJson(const Actor& actor) {
  if (!actor.known()) return nullptr;
  json::object o;
  o["pid"] = actor.pid;
  o["process"] = actor.process;
  o["cmdline"] = actor.cmdline;
  return o;
}

json::object VersionJson(const VersionHeader& h) {
  json::object o;
  o.reserve(11);
  o["version"] = h.version;
  o["time"] = FormatTime(h.time_ns);
  o["cause"] = CauseName(h.cause);
  o["records"] = h.records;
  o["added"] = h.diff.added;
  o["removed"] = h.diff.removed;
  o["changed"] = h.diff.changed;
  o["hash"] = h.hash.Hex();
  o["actor"] = ActorJson(h.actor);
  o["last_seen"] = TimeJson(h.last_seen_ns);
  o["note"] = h.note;
  return o;
}

namespace {
void AppendQuoted(const std::string& plain, std::string* out) {
  out->push_back('"');
  out->append(plain);
  out->push_back('"');
}
void AppendField(const char* name, std::string* out) {
  if (out->back() != '{') out->push_back(',');
  out->push_back('"');
  out->append(name);
  out->append("\":");
}
}  // namespace

void AppendVersionJson(const VersionHeader& h, std::string* out) {
  out->push_back('{');
  AppendField("version", out);
  out->append(std::to_string(h.version));
  AppendField("time", out);
  AppendQuoted(FormatTime(h.time_ns), out);
  AppendField("cause", out);
  AppendJsonString(CauseName(h.cause), out);
  AppendField("records", out);
  out->append(std::to_string(h.records));
  AppendField("added", out);
  out->append(std::to_string(h.diff.added));
  AppendField("removed", out);
  out->append(std::to_string(h.diff.removed));
  AppendField("changed", out);
  out->append(std::to_string(h.diff.changed));
  AppendField("hash", out);
  AppendQuoted(h.hash.Hex(), out);
  AppendField("actor", out);
  if (h.actor.known()) {
    out->append("{\"pid\":");
    out->append(std::to_string(h.actor.pid));
    out->append(",\"process\":");
    AppendJsonString(h.actor.process, out);
    out->append(",\"cmdline\":");
    AppendJsonString(h.actor.cmdline, out);
    out->push_back('}');
  } else {
    out->append("null");
  }
  AppendField("last_seen", out);
  if (h.last_seen_ns) {
    AppendQuoted(FormatTime(h.last_seen_ns), out);
  } else {
    out->append("null");
  }
  AppendField("note", out);
  AppendJsonString(h.note, out);
  out->push_back('}');
}

void AppendRecordText(RecordRef rec, std::string* out) {
  out->append(RecordToText(rec));
  if (out->empty() || out->back() != '\n') out->push_back('\n');
}

void AppendChangedJson(const ChangedRecord& c, std::string* out) {
  out->append("{\"key\":");
  out->append(json::serialize(RecordKeyToJson({c.key, c.old_value})));
  out->append(",\"old\":");
  AppendRecordJson({c.key, c.old_value}, out);
  out->append(",\"new\":");
  AppendRecordJson({c.key, c.new_value}, out);
  out->push_back('}');
}

json::value EventJson(const StoredEvent& e) { return EventToJson(e); }

Status ParseObject(std::string_view body, json::object* out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    out->clear();
    return Status::OK();
  }
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return Status::InvalidArgument("body is not valid JSON: " + ec.message());
  if (!v.is_object()) return Status::InvalidArgument("body must be a JSON object");
  *out = std::move(v.as_object());
  return Status::OK();
}

}  // namespace netsnap::api
