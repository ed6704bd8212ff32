#include "link/overview.h"

#include <algorithm>

namespace vigil::link {

std::vector<NodeRow> nodesBelow(const std::vector<ChildLinkStatus>& children,
                                const std::map<std::string, HealthSummary>& summaries) {
  std::vector<ChildLinkStatus> sorted = children;
  std::sort(sorted.begin(), sorted.end(), [](const ChildLinkStatus& a, const ChildLinkStatus& b) { return a.id < b.id; });
  std::vector<NodeRow> rows;
  for (const ChildLinkStatus& c : sorted) {
    NodeRow row{.node = {.path = {c.id},
                         .name = c.name,
                         .tier = std::string(tierName(c.tier)),
                         .connected = c.state == "connected",
                         .lastSeen = c.traffic.lastSeen}};
    auto s = summaries.find(c.id);
    if (s == summaries.end() || s->second.withheld) {
      rows.push_back(std::move(row));
      continue;
    }
    row.totals = true;
    row.node.camerasTotal = s->second.camerasTotal;
    row.node.camerasOnline = s->second.camerasOnline;
    row.node.figures = s->second.figures;
    row.daily = s->second.daily;
    rows.push_back(std::move(row));
    for (const NodeBelow& b : s->second.below) {
      NodeRow under{.node = b, .totals = true};
      under.node.path.insert(under.node.path.begin(), c.id);
      rows.push_back(std::move(under));
    }
  }
  return rows;
}

DailyRates combineDaily(const std::vector<std::pair<DailyRates, int64_t>>& weighted) {
  size_t days = 0;
  for (const auto& [rates, weight] : weighted) days = std::max(days, rates.size());
  DailyRates out(days);
  for (size_t d = 0; d < days; ++d) {
    double sum = 0;
    double weights = 0;
    for (const auto& [rates, weight] : weighted) {
      const size_t back = days - d;  // days before the end, 1 = today
      if (back > rates.size() || weight <= 0) continue;
      const std::optional<double>& r = rates[rates.size() - back];
      if (!r) continue;
      sum += *r * static_cast<double>(weight);
      weights += static_cast<double>(weight);
    }
    if (weights > 0) out[d] = sum / weights;
  }
  return out;
}

void addNodesBelow(HealthSummary& own, const std::vector<NodeRow>& rows) {
  std::vector<std::pair<DailyRates, int64_t>> weighted{{own.daily, own.camerasTotal}};
  for (const NodeRow& r : rows) {
    if (!r.totals) continue;
    if (r.node.path.size() == 1) {
      // A child's daily rates are its subtree's: weighted by the cameras there.
      int64_t cameras = r.node.camerasTotal;
      for (const NodeRow& under : rows) {
        if (under.totals && under.node.path.size() > 1 && under.node.path.front() == r.node.path.front()) {
          cameras += under.node.camerasTotal;
        }
      }
      weighted.emplace_back(r.daily, cameras);
    }
    if (r.node.path.size() <= 2) own.below.push_back(r.node);
  }
  own.daily = combineDaily(weighted);
  if (own.daily.size() > kMaxDailyRates) own.daily.erase(own.daily.begin(), own.daily.end() - kMaxDailyRates);
}

}  // namespace vigil::link
