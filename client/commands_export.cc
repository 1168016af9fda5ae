// netsnap export SOURCE [--since T] [--until T] [--format jsonl|text] [--diffs]: every version
// of a source, oldest first, for an archive (docs/cli.md, "Export"). Streamed: one page of
// version headers and one page of records (or one version's diff) in memory at a time.
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"

namespace netsnap::cli {

namespace json = boost::json;

namespace {

constexpr size_t kVersionPage = 1000;  // headers a list page holds (the API's maximum)
constexpr size_t kRecordPage = 10000;  // records a page of one version holds

class Exporter {
 public:
  Exporter(const CliContext& ctx, const ExportArgs& args)
      : ctx_(ctx),
        args_(args),
        text_(args.format == "text"),
        progress_(isatty(STDERR_FILENO)),
        base_("/v1/sources/" + QueryEscape(args.source)) {}

  int Run() {
    std::string cursor;
    for (;;) {
      std::string target = base_ + "/versions?order=asc&limit=" + std::to_string(kVersionPage);
      if (!args_.since.empty()) target += "&since=" + QueryEscape(args_.since);
      if (!args_.until.empty()) target += "&until=" + QueryEscape(args_.until);
      if (!cursor.empty()) target += "&cursor=" + QueryEscape(cursor);
      HttpResponse r;
      if (int rc = Request(ctx_, "GET", target, "", &r)) return Done(rc);
      json::value page = r.Json();
      if (!page.is_object() || !page.as_object().contains("versions")) return Garbled(target);
      for (const json::value& h : page.at("versions").as_array()) {
        if (int rc = Version(h.as_object())) return Done(rc);
      }
      if (!page.at("next_cursor").is_string()) break;
      cursor = std::string(page.at("next_cursor").as_string());
    }
    return Done(kExitOk);
  }

 private:
  // One version: its header, then its records, or (with --diffs, after the first) its diff
  // from the version exported before it.
  int Version(const json::object& h) {
    const std::string v = std::to_string(h.at("version").to_number<uint64_t>());
    if (text_) {
      Out("# " + args_.source + " version " + v + ", " + std::string(h.at("time").as_string()) +
          ", " + std::string(h.at("cause").as_string()) + ", " + json::serialize(h.at("records")) +
          " records\n");
    } else {
      json::object line{{"type", "version"}, {"source", args_.source}};
      for (const auto& kv : h) line[kv.key()] = kv.value();
      Out(json::serialize(line) + "\n");
    }
    int rc = args_.diffs && !previous_.empty() ? Diff(v) : Records(v);
    if (rc != kExitOk) return rc;
    previous_ = v;
    ++done_;
    if (progress_) std::fprintf(stderr, "\rexport: %llu versions (v%s)", done_, v.c_str());
    return std::cout ? kExitOk : WriteFailed();
  }

  int Records(const std::string& v) {
    std::string cursor;
    for (;;) {
      std::string target = base_ + "/versions/" + v + "?limit=" + std::to_string(kRecordPage) +
                           (text_ ? "&format=text" : "") +
                           (cursor.empty() ? "" : "&cursor=" + QueryEscape(cursor));
      HttpResponse r;
      if (int rc = Request(ctx_, "GET", target, "", &r)) return rc;
      if (text_) {
        // Each page starts with the server's "# …" line: the header above stands for it.
        size_t nl = r.body.find('\n');
        if (nl != std::string::npos) Out(std::string_view(r.body).substr(nl + 1));
        cursor = r.next_cursor;
      } else {
        json::value page = r.Json();
        if (!page.is_object() || !page.as_object().contains("records")) return Garbled(target);
        for (const json::value& rec : page.at("records").as_array()) {
          Out(json::serialize(
                  json::object{{"type", "record"}, {"version", std::stoull(v)}, {"record", rec}}) +
              "\n");
        }
        const json::value& next = page.at("next_cursor");
        cursor = next.is_string() ? std::string(next.as_string()) : "";
      }
      if (cursor.empty()) return kExitOk;
      if (!std::cout) return WriteFailed();
    }
  }

  int Diff(const std::string& v) {
    std::string target = base_ + "/diff?from=" + previous_ + "&to=" + v;
    if (text_) target += "&format=text";
    HttpResponse r;
    if (int rc = Request(ctx_, "GET", target, "", &r)) return rc;
    if (text_) {
      // Without the "--- from" and "+++ to" lines: the header above names the version.
      size_t start = 0;
      for (int i = 0; i < 2 && start != std::string::npos; ++i) {
        start = r.body.find('\n', start);
        if (start != std::string::npos) ++start;
      }
      if (start != std::string::npos) Out(std::string_view(r.body).substr(start));
      return kExitOk;
    }
    json::value d = r.Json();
    if (!d.is_object() || !d.as_object().contains("changed")) return Garbled(target);
    uint64_t n = std::stoull(v);
    for (const char* kind : {"removed", "added"}) {
      for (const json::value& rec : d.at(kind).as_array()) {
        Out(json::serialize(json::object{{"type", kind}, {"version", n}, {"record", rec}}) + "\n");
      }
    }
    for (const json::value& c : d.at("changed").as_array()) {
      json::object line{{"type", "changed"}, {"version", n}};
      for (const auto& kv : c.as_object()) line[kv.key()] = kv.value();
      Out(json::serialize(line) + "\n");
    }
    return kExitOk;
  }

  void Out(std::string_view s) {
    std::cout.write(s.data(), static_cast<std::streamsize>(s.size()));
  }

  int Garbled(const std::string& target) {
    std::cerr << "netsnap: the server's answer to " << target << " is not what export expects\n";
    return kExitServer;
  }

  int WriteFailed() {
    std::cerr << "netsnap: export: cannot write to standard output\n";
    return kExitOutput;
  }

  int Done(int rc) {
    std::cout.flush();
    if (progress_ && done_) std::fputc('\n', stderr);
    if (rc == kExitOk && !std::cout) return WriteFailed();
    if (rc == kExitOk && done_ == 0) {
      std::cerr << "netsnap: export: " << args_.source << " has no versions in that range\n";
    }
    return rc;
  }

  const CliContext& ctx_;
  const ExportArgs& args_;
  const bool text_;
  const bool progress_;  // stderr is a terminal
  const std::string base_;
  std::string previous_;  // the version exported last, "" before the first
  unsigned long long done_ = 0;
};

}  // namespace

int CmdExport(const CliContext& ctx, const ExportArgs& args) {
  if (args.format != "jsonl" && args.format != "text") {
    std::cerr << "netsnap: export --format is jsonl or text, not '" << args.format << "'\n";
    return kExitUsage;
  }
  return Exporter(ctx, args).Run();
}

}  // namespace netsnap::cli
