#pragma once
// Between a node's alarms and notices and notify (design/NOTIFY.md), which
// knows neither: each alarm change becomes an event (MQTT
// <prefix>/<node>/alarm, webhooks) and the "alarm open" state, each notice
// received an event (<prefix>/<node>/notice); a raise command from MQTT
// becomes an alarm raised by user "mqtt".

#include "alarm/alarms.h"
#include "alarm/notice.h"
#include "notify/notifier.h"

namespace vigil::app {

// The change as JSON: id, node, kind, state, raised_at, acknowledged_by,
// closed_at, outcome (and note, assigned_to, escalated_to, change); its
// event id is "<alarm id>.<change>".
notify::Event alarmEvent(const alarm::StoredAlarm& a);
// Publishes the change and whether any alarm here is still open.
void notifyAlarmChange(notify::Notifier& notifier, alarm::AlarmStore& store, const alarm::StoredAlarm& a);
// "ON" while an alarm stored here is not closed, else "OFF".
void publishAlarmOpen(notify::Notifier& notifier, alarm::AlarmStore& store);
// A notice received here, whole (design/ALARMS.md, "Broadcasts and
// notices"): id, from, text, priority, sent_at, expires_at, has_audio; its
// event id is "<notice id>". Logged when it cannot be queued.
void notifyNoticeReceived(notify::Notifier& notifier, const alarm::Notice& n);
// Raises the command's alarm at this node as user "mqtt"; a refusal is logged.
void raiseFromCommand(alarm::Alarms& alarms, const notify::RaiseCommand& command);

}  // namespace vigil::app
