#pragma once
// Between a node's alarms and notify (design/NOTIFY.md), which knows no
// alarm: each alarm change becomes an event (MQTT <prefix>/<node>/alarm,
// webhooks) and the "alarm open" state; a raise command from MQTT becomes
// an alarm raised by user "mqtt".

#include "alarm/alarms.h"
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
// Raises the command's alarm at this node as user "mqtt"; a refusal is logged.
void raiseFromCommand(alarm::Alarms& alarms, const notify::RaiseCommand& command);

}  // namespace vigil::app
