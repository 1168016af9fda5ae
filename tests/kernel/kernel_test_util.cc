#include "kernel_test_util.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <thread>

#include "common/render.h"
#include "netsnap/nexthop.h"
#include "netsnap/route.h"
#include "sources/kernel/kernel_filter.h"
#include "sources/kernel/kernel_source.h"
#include "temp_dir.h"

namespace netsnap::testing {

namespace json = boost::json;

// FoldingSink -----------------------------------------------------------------------------

void FoldingSink::Record(Delivery d, const Snapshot& next) {
  d.diff = ComputeDiff(current_, next);
  current_ = next;
  deliveries_.push_back(std::move(d));
  last_ = std::chrono::steady_clock::now();
  cv_.notify_all();
}

void FoldingSink::OnSnapshot(Snapshot snapshot, Cause cause, const Actor& actor, int64_t t,
                             Writer writer) {
  std::lock_guard<std::mutex> l(mu_);
  Record({true, cause, actor, {}, t, writer}, snapshot);
  if (on_delivery) on_delivery(t);
}

void FoldingSink::OnChanges(Delta changes, Cause cause, const Actor& actor, int64_t t,
                            Writer writer) {
  std::lock_guard<std::mutex> l(mu_);
  Snapshot next;
  Status s = ApplyDelta(current_, changes, &next);
  if (!s.ok()) {
    errors_.push_back("ApplyDelta: " + s.ToString());
    return;
  }
  Record({false, cause, actor, {}, t, writer}, next);
  if (on_delivery) on_delivery(t);
}

void FoldingSink::OnError(const Status& error) {
  std::lock_guard<std::mutex> l(mu_);
  errors_.push_back(error.ToString());
}

void FoldingSink::Count(std::string_view counter, uint64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  counters_[std::string(counter)] += n;
}

Snapshot FoldingSink::current() {
  std::lock_guard<std::mutex> l(mu_);
  return current_;
}

std::vector<Delivery> FoldingSink::deliveries() {
  std::lock_guard<std::mutex> l(mu_);
  return deliveries_;
}

std::vector<Delivery> FoldingSink::effective() {
  std::vector<Delivery> out;
  for (Delivery& d : deliveries()) {
    if (!d.diff.empty()) out.push_back(std::move(d));
  }
  return out;
}

uint64_t FoldingSink::counter(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = counters_.find(name);
  return it == counters_.end() ? 0 : it->second;
}

std::vector<std::string> FoldingSink::errors() {
  std::lock_guard<std::mutex> l(mu_);
  return errors_;
}

bool FoldingSink::WaitFor(const std::function<bool(const Snapshot&)>& pred,
                          std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  std::unique_lock<std::mutex> l(mu_);
  while (!pred(current_)) {
    if (cv_.wait_until(l, deadline) == std::cv_status::timeout) return pred(current_);
  }
  return true;
}

void FoldingSink::WaitQuiet(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> l(mu_);
      if (now - last_ >= quiet) return;
    }
    if (now >= deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Sources ---------------------------------------------------------------------------------

Status MakeKernelSource(const std::string& toml_body, std::unique_ptr<Source>* out) {
  toml::table t;
  try {
    t = toml::parse(toml_body);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(std::string("toml: ") + std::string(e.description()));
  }
  SourceSpec spec{"kernel-test", "kernel", &t};
  return NewKernelSource(spec, out);
}

// ip output ---------------------------------------------------------------------------------

namespace {

json::array IpJson(const NetNs& ns, const std::string& args) {
  std::string out;
  if (ns.Ip("-j " + args, &out) != 0) return {};
  std::error_code ec;
  json::value v = json::parse(out, ec);
  if (ec || !v.is_array()) return {};
  return v.as_array();
}

std::string Str(const json::object& o, const char* key, const std::string& dflt = "") {
  auto it = o.find(key);
  if (it == o.end()) return dflt;
  if (it->value().is_string()) return std::string(it->value().as_string());
  return json::serialize(it->value());
}

uint32_t TableNumber(const std::string& name) {
  if (name == "main" || name.empty()) return 254;
  if (name == "local") return 255;
  if (name == "default") return 253;
  return static_cast<uint32_t>(std::stoul(name));
}

uint8_t ProtocolNumber(const std::string& name) {
  for (int p = 0; p < 256; ++p) {
    if (ProtocolName(static_cast<uint8_t>(p)) == name) return static_cast<uint8_t>(p);
  }
  return 0;
}

struct RouteLine {
  std::string family, table, dst, type, gateway, dev, protocol, metric, prefsrc, nhid, nexthops;
  std::string str() const {
    return family + " table " + table + " " + type + " " + dst + " via " + gateway + " dev " + dev +
           " proto " + protocol + " metric " + metric + " src " + prefsrc + " nhid " + nhid +
           " nh[" + nexthops + "]";
  }
};

}  // namespace

std::set<std::string> IpRoutes(const NetNs& ns) {
  std::set<std::string> out;
  kernel::KernelFilter filter;
  for (const char* fam : {"-4", "-6"}) {
    for (const json::value& v : IpJson(ns, std::string(fam) + " route show table all")) {
      const json::object& o = v.as_object();
      Route r;
      std::string dst = Str(o, "dst") == "default" && fam[1] == '6' ? "::/0" : Str(o, "dst");
      EXPECT_TRUE(Prefix::Parse(dst, &r.dst).ok()) << "ip printed a prefix we cannot read: " << dst;
      r.family = fam[1] == '6' ? 10 : 2;
      r.dst.family = r.family;
      r.table = TableNumber(Str(o, "table"));
      r.protocol = ProtocolNumber(Str(o, "protocol", "boot"));
      if (!filter.KeepRoute(r)) continue;
      RouteLine l;
      l.family = fam;
      l.table = std::to_string(r.table);
      l.dst = Str(o, "dst");
      l.type = Str(o, "type", "unicast");
      l.gateway = Str(o, "gateway");
      l.dev = Str(o, "dev");
      l.protocol = Str(o, "protocol", "boot");
      l.metric = Str(o, "metric", "0");
      l.prefsrc = Str(o, "prefsrc");
      l.nhid = Str(o, "nhid");
      if (l.nhid.empty() && o.contains("nexthops")) {
        for (const json::value& n : o.at("nexthops").as_array()) {
          const json::object& no = n.as_object();
          l.nexthops += Str(no, "gateway") + "," + Str(no, "dev") + "," + Str(no, "weight") + ";";
        }
      }
      if (!l.nhid.empty()) l.gateway = l.dev = "";  // echoed from the next-hop object
      out.insert(l.str());
    }
  }
  return out;
}

std::set<std::string> CapturedRoutes(const Snapshot& snap) {
  std::set<std::string> out;
  for (RecordRef rec : snap) {
    if (KindOfKey(rec.key) != RecordKind::kRoute) continue;
    Route r;
    if (!Route::FromRecord(rec, &r).ok()) {
      out.insert("undecodable");
      continue;
    }
    RouteLine l;
    l.family = r.family == 10 ? "-6" : "-4";
    l.table = std::to_string(r.table);
    l.dst = r.dst.len == 0 ? "default" : r.dst.ToString();
    l.type = RouteTypeName(r.type);
    l.gateway = r.gateway.ToString();
    l.dev = r.dev;
    l.protocol = ProtocolName(r.protocol);
    l.metric = std::to_string(r.metric);
    l.prefsrc = r.prefsrc.ToString();
    l.nhid = r.nhid ? std::to_string(r.nhid) : "";
    for (const RouteNexthop& nh : r.nexthops) {
      l.nexthops += nh.gateway.ToString() + "," + nh.dev + "," + std::to_string(nh.weight) + ";";
    }
    out.insert(l.str());
  }
  return out;
}

namespace {

// Only the fields `ip -j rule show` prints, in a stable order.
std::string RuleLine(const std::string& family, json::object o) {
  o.erase("kind");
  o.erase("family");
  o.erase("protocol");
  o.erase("raw_attributes");
  o.erase("flags");
  std::map<std::string, std::string> sorted;
  for (const auto& kv : o) sorted[std::string(kv.key())] = json::serialize(kv.value());
  std::string s = family;
  for (const auto& [k, v] : sorted) s += " " + k + "=" + v;
  return s;
}

}  // namespace

std::set<std::string> IpRules(const NetNs& ns) {
  std::set<std::string> out;
  for (const char* fam : {"-4", "-6"}) {
    for (const json::value& v : IpJson(ns, std::string(fam) + " rule show")) {
      out.insert(RuleLine(fam, v.as_object()));
    }
  }
  return out;
}

std::set<std::string> CapturedRules(const Snapshot& snap) {
  std::set<std::string> out;
  for (RecordRef rec : snap) {
    if (KindOfKey(rec.key) != RecordKind::kRule) continue;
    json::object o = RecordToJson(rec);
    std::string fam = Str(o, "family") == "inet6" ? "-6" : "-4";
    out.insert(RuleLine(fam, std::move(o)));
  }
  return out;
}

namespace {

std::string NexthopLine(const json::object& o) {
  std::string s = "id " + Str(o, "id") + " via " + Str(o, "gateway") + " dev " + Str(o, "dev");
  if (o.contains("blackhole")) s += " blackhole";
  if (o.contains("group")) s += " group " + json::serialize(o.at("group"));
  return s;
}

}  // namespace

std::set<std::string> IpNexthops(const NetNs& ns) {
  std::set<std::string> out;
  for (const json::value& v : IpJson(ns, "nexthop show")) out.insert(NexthopLine(v.as_object()));
  return out;
}

std::set<std::string> CapturedNexthops(const Snapshot& snap) {
  std::set<std::string> out;
  for (RecordRef rec : snap) {
    if (KindOfKey(rec.key) != RecordKind::kNexthop) continue;
    out.insert(NexthopLine(RecordToJson(rec)));
  }
  return out;
}

int IpBatchLines(const NetNs& ns, const std::vector<std::string>& lines) {
  TempDir dir;
  std::string path = dir.Sub("batch");
  std::vector<std::string> single;
  {
    std::ofstream f(path);
    for (const std::string& l : lines) {
      // Batch lines take no options ("-6 rule ..."): run those one by one.
      if (l.rfind("-", 0) == 0) {
        single.push_back(l);
      } else {
        f << l << "\n";
      }
    }
  }
  int rc = ns.IpBatch(path);
  for (const std::string& l : single) {
    if (rc == 0) rc = ns.Ip(l);
  }
  return rc;
}

std::string SetDifference(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::string s;
  int n = 0;
  for (const std::string& x : a) {
    if (!b.count(x) && n++ < 20) s += "  " + x + "\n";
  }
  return s;
}

}  // namespace netsnap::testing
