// Rendering records for people and programs: JSON with `ip -j` field names, and one line of text
// in the form `ip route` / `ip rule` print. Each kind's renderer comes with its descriptor
// (netsnap/record_kind.h); a kind unknown to the table renders as hex.
#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "netsnap/record.h"

namespace netsnap {

// {"kind": "...", field: value...}. A record that does not decode renders as
// {"kind": "...", "key_hex": ..., "value_hex": ..., "error": ...}.
boost::json::object RecordToJson(RecordRef rec);
// Appends RecordToJson(rec) serialized: the same bytes, written without building the object
// where the kind can (routes, the bulk of a whole version).
void AppendRecordJson(RecordRef rec, std::string* out);
// Only the key fields, for diffs ("changed" entries name the key).
boost::json::object RecordKeyToJson(RecordRef rec);
// One line without a trailing newline ("10.0.0.0/8 via 192.0.2.1 dev eth0 proto static").
std::string RecordToText(RecordRef rec);
// One line for people from a record's JSON as RecordToJson makes it and a client receives it:
// the kind's short form where it has one (routes: "10.0.0.0/8 via 192.0.2.1 dev eth0"), else
// "kind field=value ...". `cell` prints one value.
std::string RecordJsonLine(const boost::json::object& o,
                           std::string (*cell)(const boost::json::value&));

}  // namespace netsnap
