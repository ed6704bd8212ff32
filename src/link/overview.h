#pragma once
// The nodes under this one for the overview (design/UPTIME.md, "Overview"):
// each child with its link and, when its owner shares them, its totals as
// its last summary says, then the nodes that child holds below it. What a
// child's owner withholds is not here: a child without a summary is its
// link alone.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "link/children.h"
#include "link/health_messages.h"

namespace vigil::link {

struct NodeRow {
  NodeBelow node;  // its path from this node's child down
  bool totals = false;  // its owner shares its totals (else only the link is known)
  std::vector<std::optional<double>> daily;  // a child's: its own cameras' and those below it
};

// Children by id, each followed by what it holds below it.
std::vector<NodeRow> nodesBelow(const std::vector<ChildLinkStatus>& children,
                                const std::map<std::string, HealthSummary>& summaries);

// Online rates per day, aligned on their last day (today), each series
// weighted by its cameras; a day no series knows is none.
using DailyRates = std::vector<std::optional<double>>;
DailyRates combineDaily(const std::vector<std::pair<DailyRates, int64_t>>& weighted);

// For a summary upward: `own` (this node's figures), the nodes below with
// totals (paths of at most two ids) and the daily rates of all of them.
void addNodesBelow(HealthSummary& own, const std::vector<NodeRow>& rows);

}  // namespace vigil::link
