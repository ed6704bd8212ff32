#include "app/node_notify.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace vigil::app {
namespace {

using json = nlohmann::json;

json timeJson(int64_t millis) {
  return millis == 0 ? json(nullptr) : json(WallTime::fromUnixMicros(millis * 1000).toRfc3339());
}
json textJson(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

notify::Event alarmEvent(const alarm::StoredAlarm& s) {
  const alarm::Alarm& a = s.alarm;
  const json body = {{"event", "alarm"},
                     {"id", a.id},
                     {"node", a.node},
                     {"kind", alarm::kindName(a.kind)},
                     {"note", a.note},
                     {"state", alarm::stateName(a.state())},
                     {"raised_at", timeJson(a.raisedAt)},
                     {"delivered_at", timeJson(a.deliveredAt)},
                     {"acknowledged_by", textJson(a.acknowledgedBy)},
                     {"assigned_to", textJson(a.assignedTo)},
                     {"closed_at", timeJson(a.closedAt)},
                     {"outcome", textJson(a.outcome)},
                     {"escalated_to", textJson(a.escalatedTo)},
                     {"change", s.change}};
  return {.id = fmt::format("{}.{}", a.id, s.change), .topic = std::string(notify::kAlarmTopic), .json = body.dump()};
}

void notifyAlarmChange(notify::Notifier& notifier, alarm::AlarmStore& store, const alarm::StoredAlarm& a) {
  if (Status s = notifier.publish(alarmEvent(a)); !s.isOk()) {
    log::error("notify.not_queued", {{"alarm", a.alarm.id}, {"change", a.change}, {"error", s}});
  }
  publishAlarmOpen(notifier, store);
}

void publishAlarmOpen(notify::Notifier& notifier, alarm::AlarmStore& store) {
  bool open = false;
  for (alarm::State state : {alarm::State::kOpen, alarm::State::kAcknowledged}) {
    auto some = store.list(state, 1);
    if (!some) {
      log::error("notify.alarm_state_unread", {{"error", some.status()}});
      return;
    }
    open = open || !some->empty();
  }
  notifier.setState(std::string(notify::kAlarmOpenTopic), open ? "ON" : "OFF");
}

void notifyNoticeReceived(notify::Notifier& notifier, const alarm::Notice& n) {
  const json body = {{"event", "notice"},
                     {"id", n.id},
                     {"from", n.from},
                     {"text", n.text},
                     {"priority", alarm::priorityName(n.priority)},
                     {"sent_at", timeJson(n.sentAt)},
                     {"expires_at", timeJson(n.expiresAt)},
                     {"has_audio", !n.audioType.empty()}};
  const notify::Event event{.id = n.id, .topic = std::string(notify::kNoticeTopic), .json = body.dump()};
  if (Status s = notifier.publish(event); !s.isOk()) {
    log::error("notify.not_queued", {{"notice", n.id}, {"error", s}});
  }
}

void raiseFromCommand(alarm::Alarms& alarms, const notify::RaiseCommand& command) {
  const std::optional<alarm::Kind> kind = alarm::kindFromName(command.kind);
  if (!kind) {
    log::warn("notify.raise_refused", {{"error", "kind: must be intrusion, fire, medical or other"}});
    return;
  }
  auto raised = alarms.raise("mqtt", *kind, command.note, {});
  if (!raised) {
    log::warn("notify.raise_refused", {{"error", raised.status()}});
    return;
  }
  log::info("notify.raised", {{"alarm", raised->alarm.id}, {"kind", command.kind}});
}

}  // namespace vigil::app
