// Output for people: aligned tables and ANSI colours (only when stdout is a terminal and
// NO_COLOR is unset), and short forms of API values.
#pragma once

#include <boost/json/value.hpp>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace netsnap::cli {

enum class Color { kNone, kRed, kGreen, kYellow, kBold, kDim };
// `s` wrapped in the colour's escape codes when `enabled`.
std::string Paint(Color c, std::string_view s, bool enabled);

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void Row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Columns padded to their widest cell; the header bold when `color`.
  void Print(bool color, std::ostream& os = std::cout) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// A JSON scalar for a table cell: strings as-is, numbers in decimal, null as "-".
std::string Cell(const boost::json::value& v);
// "2026-11-27T08:00:00.123456789Z" -> "2026-11-27 08:00:00"
std::string ShortTime(const boost::json::value& v);
// Pretty-prints JSON (for --json).
void PrintJson(const boost::json::value& v);

}  // namespace netsnap::cli
