// A response body written in pieces, for answers that may be megabytes (a whole version, a
// diff): literal text and runs of items, each item rendered only when its piece is due, so a
// response holds about one piece of rendered text at a time however large it is. The session
// asks for the next piece from a worker thread and writes it with HTTP/1.1 chunked encoding.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace netsnap::api {

class ChunkedBody {
 public:
  // About this many bytes a piece (an item is never split): 64 KiB is a few hundred routes,
  // around a millisecond of rendering, and many socket writes' worth.
  static constexpr size_t kPieceBytes = 64 << 10;

  // Appends `text` as it is.
  void Text(std::string text);
  // Appends `count` items, `separator` between two of them; render(i, out) appends item i.
  void Items(size_t count, std::function<void(size_t i, std::string* out)> render,
             std::string separator = "");

  // Appends the next piece to *out; false when the body is done (and *out untouched).
  bool Next(std::string* out);
  // The whole body at once (tests, and answers known to be small).
  std::string All();

 private:
  struct Part {
    std::string text;  // when count == 0
    size_t count = 0;
    std::function<void(size_t, std::string*)> render;
    std::string separator;
  };
  std::vector<Part> parts_;
  size_t part_ = 0;  // the part being written
  size_t item_ = 0;  // its next item
};

}  // namespace netsnap::api
