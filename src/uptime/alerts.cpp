#include "uptime/alerts.h"

#include <fmt/format.h>

#include <algorithm>

namespace vigil::uptime {

std::string_view alertChangeName(AlertChange::Type type) {
  switch (type) {
    case AlertChange::Type::kRaised: return "raised";
    case AlertChange::Type::kReminder: return "reminder";
    case AlertChange::Type::kResolved: return "resolved";
  }
  return "raised";
}

std::string AlertChange::id() const {
  const std::string what =
      type == Type::kReminder ? fmt::format("reminder-{}", reminder) : std::string(alertChangeName(type));
  return fmt::format("{}.{}.{}.{}", kind, subject, since.unixMicros(), what);
}

AlertChange Alerts::change(AlertChange::Type type, const Episode& e, WallTime at) const {
  const AlertCondition& c = e.condition;
  return {type, c.kind, c.subject, c.detail, c.since, at, type == AlertChange::Type::kReminder ? e.reminders : 0};
}

std::vector<AlertChange> Alerts::observe(const std::vector<AlertCondition>& holding, WallTime now) {
  std::vector<AlertChange> out;
  std::map<std::pair<std::string, std::string>, const AlertCondition*> heldNow;
  for (const AlertCondition& c : holding) heldNow[{c.kind, c.subject}] = &c;
  // Episodes over: gone, or a new one began (its start moved).
  for (auto it = episodes_.begin(); it != episodes_.end();) {
    auto held = heldNow.find(it->first);
    if (held == heldNow.end() || held->second->since != it->second.condition.since) {
      if (it->second.told) out.push_back(change(AlertChange::Type::kResolved, it->second, now));
      it = episodes_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [key, c] : heldNow) {
    Episode& e = episodes_[key];
    const bool fresh = e.condition.kind.empty();
    e.condition.kind = c->kind;
    e.condition.subject = c->subject;
    e.condition.since = c->since;
    if (fresh || !e.told) e.condition.detail = c->detail;  // told with the words it was raised with
    auto delay = options_.delay.find(c->kind);
    const auto wait = delay == options_.delay.end() ? std::chrono::seconds(0) : delay->second;
    if (!e.told) {
      if (now - c->since >= wait) {
        e.told = true;
        e.lastTold = now;
        out.push_back(change(AlertChange::Type::kRaised, e, now));
      }
    } else if (now - e.lastTold >= options_.remindEvery) {
      ++e.reminders;
      e.lastTold = now;
      e.condition.detail = c->detail;
      out.push_back(change(AlertChange::Type::kReminder, e, now));
    }
  }
  return out;
}

std::vector<ToldAlert> Alerts::told() const {
  std::vector<ToldAlert> out;
  for (const auto& [key, e] : episodes_) {
    if (e.told) out.push_back({e.condition, e.lastTold, e.reminders});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.condition.since < b.condition.since; });
  return out;
}

std::vector<AlertCondition> Alerts::open() const {
  std::vector<AlertCondition> out;
  for (ToldAlert& t : told()) out.push_back(std::move(t.condition));
  return out;
}

void Alerts::restore(const std::vector<ToldAlert>& told) {
  for (const ToldAlert& t : told) {
    episodes_[{t.condition.kind, t.condition.subject}] = {
        .condition = t.condition, .told = true, .lastTold = t.lastTold, .reminders = t.reminders};
  }
}

}  // namespace vigil::uptime
