#include "api/chunked_body.h"

namespace netsnap::api {

void ChunkedBody::Text(std::string text) {
  if (text.empty()) return;
  Part p;
  p.text = std::move(text);
  parts_.push_back(std::move(p));
}

void ChunkedBody::Items(size_t count, std::function<void(size_t, std::string*)> render,
                        std::string separator) {
  if (count == 0) return;
  parts_.push_back({"", count, std::move(render), std::move(separator)});
}

bool ChunkedBody::Next(std::string* out) {
  if (part_ == parts_.size()) return false;
  size_t start = out->size();
  while (part_ < parts_.size() && out->size() - start < kPieceBytes) {
    Part& p = parts_[part_];
    if (p.count == 0) {
      out->append(p.text);
      ++part_;
      continue;
    }
    if (item_ > 0) out->append(p.separator);
    p.render(item_, out);
    if (++item_ == p.count) {
      item_ = 0;
      ++part_;
    }
  }
  return true;
}

std::string ChunkedBody::All() {
  std::string out;
  while (Next(&out)) {
  }
  return out;
}

}  // namespace netsnap::api
