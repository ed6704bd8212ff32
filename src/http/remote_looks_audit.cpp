#include "http/remote_looks_audit.h"

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "access/audit.h"

namespace vigil::http {

namespace {

namespace kind = access::audit_kind;

nlohmann::json remoteDetail(const access::AuditRow& row) {
  const std::string& a = row.action;
  if (a != kind::kLiveStart && a != kind::kLiveStop && a != kind::kSnapshot && a != kind::kPlayback &&
      a != kind::kExport && a != kind::kRefused) {
    return nullptr;
  }
  nlohmann::json detail = nlohmann::json::parse(row.detail, nullptr, false);
  if (!detail.is_object()) return nullptr;
  auto remote = detail.find("remote");
  if (remote == detail.end() || *remote != true) return nullptr;
  return detail;
}

std::string text(const nlohmann::json& detail, const char* key) {
  auto it = detail.find(key);
  return it != detail.end() && it->is_string() ? it->get<std::string>() : std::string();
}

nlohmann::json summary(const access::AuditRow& row, const nlohmann::json& detail) {
  const bool refused = row.action == kind::kRefused;
  std::string what = row.action;
  if (row.action == kind::kLiveStart || row.action == kind::kLiveStop) what = "live";
  if (refused) what = text(detail, "right");
  nlohmann::json look{{"who", row.user},
                      {"via", detail.value("via", nlohmann::json::array())},
                      {"tier", text(detail, "tier")},
                      {"what", what},
                      {"refused", refused}};
  if (refused) {
    look["reason"] = text(detail, "reason");
    // Refusals are counted, one row a minute per asker (link/at_source.h).
    auto n = detail.find("refused");
    look["count"] = n != detail.end() && n->is_number_integer() ? n->get<int64_t>() : 1;
  }
  for (const char* key : {"start", "end"}) {
    if (!text(detail, key).empty()) look[key] = text(detail, key);
  }
  if (row.action == kind::kLiveStop) {
    if (auto s = detail.find("seconds"); s != detail.end() && s->is_number()) look["seconds"] = *s;
    look["ended"] = text(detail, "reason");
    look["ended_at"] = row.at.toRfc3339();
  }
  return look;
}

// The same look's rows share these.
std::string lookKey(const access::AuditRow& row, const nlohmann::json& detail) {
  return nlohmann::json{row.user, row.camera, text(detail, "tier"), detail.value("via", nlohmann::json::array())}
      .dump();
}

}  // namespace

bool isRemoteLook(const access::AuditRow& row) { return !remoteDetail(row).is_null(); }

int64_t countRemoteLooks(const std::vector<access::AuditRow>& rows) {
  int64_t n = 0;
  for (const access::AuditRow& row : rows) {
    if (row.action == kind::kLiveStop || row.action == kind::kRefused) continue;
    const nlohmann::json detail = remoteDetail(row);
    if (detail.is_null() || detail.value("list", false) == true) continue;
    ++n;
  }
  return n;
}

std::vector<nlohmann::json> lookSummaries(const std::vector<access::AuditRow>& rows) {
  std::vector<nlohmann::json> looks(rows.size());
  std::map<std::string, std::vector<size_t>> unpaired;  // live_starts waiting for their stop
  // Oldest first, so each stop meets the starts before it.
  for (size_t i = rows.size(); i-- > 0;) {
    const access::AuditRow& row = rows[i];
    const nlohmann::json detail = remoteDetail(row);
    if (detail.is_null()) continue;
    looks[i] = summary(row, detail);
    if (row.action == kind::kLiveStart) {
      unpaired[lookKey(row, detail)].push_back(i);
      continue;
    }
    if (row.action != kind::kLiveStop) continue;
    auto open = unpaired.find(lookKey(row, detail));
    if (open == unpaired.end() || open->second.empty()) continue;
    const double seconds = looks[i].value("seconds", 0.0);
    const double openedAt = static_cast<double>(row.at.unixMicros()) - seconds * 1e6;
    auto nearest = open->second.begin();
    double best = std::numeric_limits<double>::infinity();
    for (auto it = open->second.begin(); it != open->second.end(); ++it) {
      const double gap = std::fabs(static_cast<double>(rows[*it].at.unixMicros()) - openedAt);
      if (gap < best) {
        best = gap;
        nearest = it;
      }
    }
    nlohmann::json& start = looks[*nearest];
    for (const char* key : {"seconds", "ended", "ended_at"}) {
      if (looks[i].contains(key)) start[key] = looks[i][key];
    }
    start["stop_seq"] = row.seq;
    looks[i]["start_seq"] = rows[*nearest].seq;
    open->second.erase(nearest);
  }
  return looks;
}

}  // namespace vigil::http
