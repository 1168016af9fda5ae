// JSON shapes the API returns for the data model (field names are the v1 contract).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "common/render.h"  // AppendRecordJson: records in every answer that lists them
#include "netsnap/record.h"
#include "netsnap/store.h"
#include "netsnap/version.h"

namespace netsnap::api {

// RFC 3339 UTC with nanoseconds, or null for 0 ("never").
boost::json::value TimeJson(int64_t ns);
// {"pid","process","cmdline"}, or null when unknown.
boost::json::value ActorJson(const Actor& actor);
// {"version","time","cause","records","added","removed","changed","hash","actor","last_seen",
//  "note"}
boost::json::object VersionJson(const VersionHeader& h);
// Appends VersionJson(h) serialized, without building the object (the hot path of version
// pages); the same bytes as boost::json::serialize(VersionJson(h)).
void AppendVersionJson(const VersionHeader& h, std::string* out);
// Appends one line: `ip route` / `ip rule` form, resolver files as their text.
void AppendRecordText(RecordRef rec, std::string* out);
// Appends a diff's changed record: {"key","old","new"}.
void AppendChangedJson(const ChangedRecord& c, std::string* out);
// A stored event as the API shows it: {"id","time","type","source", fields…}.
boost::json::value EventJson(const StoredEvent& e);

// Parses a request body that must be a JSON object; an empty body is an empty object.
Status ParseObject(std::string_view body, boost::json::object* out);

}  // namespace netsnap::api
