#include "output.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <iostream>

namespace netsnap::cli {

std::string Paint(Color c, std::string_view s, bool enabled) {
  if (!enabled || c == Color::kNone) return std::string(s);
  const char* code = c == Color::kRed      ? "31"
                     : c == Color::kGreen  ? "32"
                     : c == Color::kYellow ? "33"
                     : c == Color::kBold   ? "1"
                                           : "2";
  return std::string("\033[") + code + "m" + std::string(s) + "\033[0m";
}

void Table::Print(bool color, std::ostream& os) const {
  std::vector<size_t> width(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = headers_[i].size();
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string out;
    for (size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      std::string cell = cells[i];
      if (i + 1 < cells.size()) cell.resize(width[i], ' ');
      out += (i ? "  " : "") + cell;
    }
    os << (header ? Paint(Color::kBold, out, color) : out) << "\n";
  };
  line(headers_, true);
  for (const auto& row : rows_) line(row, false);
}

std::string Cell(const boost::json::value& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "yes" : "no";
  return boost::json::serialize(v);
}

std::string ShortTime(const boost::json::value& v) {
  if (!v.is_string()) return "-";
  std::string s(v.as_string());
  if (s.size() >= 19) {
    s = s.substr(0, 19);
    s[10] = ' ';
  }
  return s;
}

namespace {
void Pretty(const boost::json::value& v, std::string* out, int indent) {
  std::string pad(static_cast<size_t>(indent) * 2, ' ');
  if (v.is_object() && !v.as_object().empty()) {
    *out += "{\n";
    bool first = true;
    for (const auto& kv : v.as_object()) {
      if (!first) *out += ",\n";
      first = false;
      *out += pad + "  " + boost::json::serialize(boost::json::value(kv.key())) + ": ";
      Pretty(kv.value(), out, indent + 1);
    }
    *out += "\n" + pad + "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    *out += "[\n";
    bool first = true;
    for (const auto& e : v.as_array()) {
      if (!first) *out += ",\n";
      first = false;
      *out += pad + "  ";
      Pretty(e, out, indent + 1);
    }
    *out += "\n" + pad + "]";
  } else {
    *out += boost::json::serialize(v);
  }
}
}  // namespace

void PrintJson(const boost::json::value& v) {
  std::string out;
  Pretty(v, &out, 0);
  std::cout << out << "\n";
}

}  // namespace netsnap::cli
