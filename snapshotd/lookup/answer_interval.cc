#include "lookup/answer_interval.h"

namespace netsnap::lookup {

namespace {

// The oldest stored version of `source`.
Status Oldest(Store* store, const std::string& source, VersionHeader* out) {
  VersionQuery q;
  q.order = Order::kOldestFirst;
  q.limit = 1;
  VersionPage page;
  NETSNAP_RETURN_IF_ERROR(store->ListVersions(source, q, &page));
  if (page.versions.empty()) return Status::NotFound("source '" + source + "' has no versions");
  *out = page.versions.front();
  return Status::OK();
}

}  // namespace

Status AnswerHeld(Store* store, const std::string& source, const VersionHeader& at,
                  const AsOfAnswer& answer, const Evaluate& evaluate, size_t max_steps, Held* out) {
  *out = Held{};
  out->since = at;
  if (answer.before_log) {
    out->complete = false;
    return Status::OK();
  }
  uint64_t log_start = 0;
  NETSNAP_RETURN_IF_ERROR(store->KeyLogStart(source, &log_start));
  // Back: the records read were the same from `change` to `at`; ask the state just before.
  bool back_done = false;
  size_t steps = max_steps;
  for (uint64_t change = answer.last_change;;) {
    if (change == 0 && log_start == 0) {
      NETSNAP_RETURN_IF_ERROR(Oldest(store, source, &out->since));
      back_done = true;
      break;
    }
    if (change == 0) change = log_start;  // unchanged since the log started: ask before it
    if (steps-- == 0) {
      NETSNAP_RETURN_IF_ERROR(store->Header(source, change, &out->since));
      break;
    }
    AsOfAnswer before;
    NETSNAP_RETURN_IF_ERROR(evaluate(change - 1, &before));
    if (before.fingerprint != answer.fingerprint || before.before_log) {
      NETSNAP_RETURN_IF_ERROR(store->Header(source, change, &out->since));
      // Older than the log, the same answer may go back further, or not: unknown.
      back_done = before.fingerprint != answer.fingerprint;
      break;
    }
    change = before.last_change;  // below `change`: it was read as of change - 1
  }
  // Forward: the first change of a record read after which the answer differs.
  bool forward_done = false;
  steps = max_steps;
  for (uint64_t change = answer.next_change; steps-- > 0;) {
    if (change == 0) {
      forward_done = true;
      break;
    }
    AsOfAnswer then;
    NETSNAP_RETURN_IF_ERROR(evaluate(change, &then));
    if (then.fingerprint != answer.fingerprint) {
      VersionHeader h;
      NETSNAP_RETURN_IF_ERROR(store->Header(source, change, &h));
      out->until = h;
      forward_done = true;
      break;
    }
    change = then.next_change;  // above `change`, or 0
  }
  out->complete = back_done && forward_done;
  return Status::OK();
}

}  // namespace netsnap::lookup
