#include "lookup/answer_interval.h"

namespace netsnap::lookup {

namespace {

constexpr size_t kPage = 32;

// Calls visit(header) for the versions after (or before) `at`, nearest first, until it returns
// false or `max_walk` versions were visited. *exhausted tells whether the history ran out.
Status Walk(Store* store, const std::string& source, const VersionHeader& at, bool forward,
            size_t max_walk, const std::function<Status(const VersionHeader&, bool*)>& visit,
            bool* exhausted) {
  VersionQuery q;
  if (forward) {
    q.since_ns = at.time_ns;
    q.order = Order::kOldestFirst;
  } else {
    q.until_ns = at.time_ns;
    q.order = Order::kNewestFirst;
  }
  q.limit = kPage;
  size_t visited = 0;
  *exhausted = false;
  for (;;) {
    VersionPage page;
    NETSNAP_RETURN_IF_ERROR(store->ListVersions(source, q, &page));
    for (const VersionHeader& h : page.versions) {
      // Versions sharing at's time sort by number; only the far side of `at` counts.
      if (forward ? h.version <= at.version : h.version >= at.version) continue;
      if (visited++ == max_walk) return Status::OK();
      bool more = true;
      NETSNAP_RETURN_IF_ERROR(visit(h, &more));
      if (!more) return Status::OK();
    }
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  *exhausted = true;
  return Status::OK();
}

}  // namespace

Status AnswerHeld(Store* store, const std::string& source, const VersionHeader& at,
                  const std::string& at_fingerprint, const Fingerprint& fingerprint,
                  size_t max_walk, Held* out) {
  *out = Held{};
  out->since = at;
  auto same = [&](const VersionHeader& h, bool* equal) -> Status {
    Snapshot snap;
    NETSNAP_RETURN_IF_ERROR(store->Reconstruct(source, h.version, &snap));
    std::string fp;
    NETSNAP_RETURN_IF_ERROR(fingerprint(snap, &fp));
    *equal = fp == at_fingerprint;
    return Status::OK();
  };
  // A side is complete when the answer changed on it or its history ran out.
  bool back_changed = false, back_exhausted = false;
  NETSNAP_RETURN_IF_ERROR(Walk(
      store, source, at, false, max_walk,
      [&](const VersionHeader& h, bool* more) -> Status {
        NETSNAP_RETURN_IF_ERROR(same(h, more));
        if (*more) out->since = h;
        back_changed = !*more;
        return Status::OK();
      },
      &back_exhausted));
  bool forward_exhausted = false;
  NETSNAP_RETURN_IF_ERROR(Walk(
      store, source, at, true, max_walk,
      [&](const VersionHeader& h, bool* more) -> Status {
        NETSNAP_RETURN_IF_ERROR(same(h, more));
        if (!*more) out->until = h;
        return Status::OK();
      },
      &forward_exhausted));
  out->complete = (back_changed || back_exhausted) && (out->until || forward_exhausted);
  return Status::OK();
}

}  // namespace netsnap::lookup
