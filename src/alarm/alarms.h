#pragma once
// A node's alarms (design/ALARMS.md): raising one at a household, the
// desk's actions on one received from below, their delivery through the
// durable outbox and escalation to the next tier.
//
//   household            village (desk)                township
//   raise(): stored,  -> alarm.raise: stored once,
//     alarm.raise up     delivered_at set; ack/assign/  (escalate_after
//                        notes/close                     without ack:)
//   <- alarm.update ---- each change goes down     ->   alarm.raise up;
//                        <- alarm.update -------------- its changes down
//
// Upward the record always travels as "alarm.raise" (it creates the alarm
// at the parent or merges into it), downward as "alarm.update". A node
// takes a record only from the neighbour it exchanged that alarm with:
// the child it came from, the parent it went to. Every change is stored
// first (alarms.db) and then put in the outbox; a record left unsent by a
// kill -9 between the two is sent at the next start (merging is
// idempotent, so sending twice changes nothing).
//
// Threads: the API's calls, the outbox's receivers and the escalation
// thread; one mutex orders them, so the outbox gets changes in the order
// they were stored.

#include <condition_variable>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "alarm/config.h"
#include "alarm/store.h"
#include "base/mutex.h"
#include "base/time.h"
#include "link/bus.h"
#include "link/outbox.h"

namespace vigil::alarm {

inline constexpr std::string_view kRaiseMessage = "alarm.raise";    // child -> parent
inline constexpr std::string_view kUpdateMessage = "alarm.update";  // parent -> child

struct AlarmsContext {
  AlarmStore* store = nullptr;
  link::Outbox* outbox = nullptr;
  link::Bus* bus = nullptr;
  const Clock* clock = nullptr;
  std::string selfId;
  std::string parentId;  // empty: no parent; this node can neither raise nor escalate
  // Whether a child passes on alarms from below it and its desk's acts (its
  // tier is above household). Unset, or false: only the facts of the
  // child's own alarms are taken from it. An error: the message is not
  // taken (the outbox gives it again).
  std::function<Result<bool>(const std::string& child)> childRelays;
  AlarmConfig config;
  // Called with each change stored here, in the order stored, before it
  // is marked sent (under the alarms' mutex: keep it short); again after
  // a restart for a change left unsent, so a listener keyed by (id,
  // change) sees every change at least once.
  std::function<void(const StoredAlarm&)> onChange;
};

enum class Action { kAcknowledge, kAssign, kNote, kClose };

class Alarms {
 public:
  // Registers the outbox's receivers of both messages: before the outbox starts.
  explicit Alarms(AlarmsContext context);
  ~Alarms();  // stop()s
  Alarms(const Alarms&) = delete;
  Alarms& operator=(const Alarms&) = delete;

  // Sends what a previous run left unsent; starts the escalation thread.
  void start();
  void stop();

  bool canRaise() const { return !context_.parentId.empty(); }
  // Stores a new alarm raised by `user` of this node and queues it for the
  // parent. FailedPrecondition without a parent; InvalidArgument for a bad note.
  Result<StoredAlarm> raise(const std::string& user, Kind kind, const std::string& note,
                            const std::vector<std::string>& cameras) EXCLUDES(mutex_);
  // A desk's action by `user` of this node; `text`: the assignee, the note
  // or the outcome. NotFound; PermissionDenied on the node that raised it;
  // FailedPrecondition when already acknowledged (by whom: the alarm's
  // acknowledged_by) or closed; InvalidArgument for a bad text.
  Result<StoredAlarm> act(const std::string& id, const std::string& user, Action action, const std::string& text)
      EXCLUDES(mutex_);
  // For the node that raised it: "stored", "sent" (the parent's link is
  // up) or "delivered" (its parent's outbox took it); empty elsewhere.
  std::string_view delivery(const StoredAlarm& a);
  // The id of an alarm raised here that opens the shares "only during an
  // alarm": not closed, or closed less than [alarm] access_tail ago. As of
  // the last change or tick (at most 250 ms old); cheap, from any thread.
  std::optional<std::string> openHere() const EXCLUDES(openMutex_);
  AlarmStore& store() { return *context_.store; }

  // A record from a neighbour, as the outbox gives it. A refused one is
  // logged and taken (OK); a store error is not taken.
  Status receive(const link::Peer& from, std::string_view type, std::span<const uint8_t> body) EXCLUDES(mutex_);
  // Forwards to the parent what waited too long, and sends what is unsent.
  // The thread's work, public for tests.
  Status tick() EXCLUDES(mutex_);

 private:
  // Puts `a`'s messages in the outbox (not to `except`, which sent it).
  Status flush(const StoredAlarm& a, const std::optional<link::Peer>& except) REQUIRES(mutex_);
  // Flushes every record left unsent, in the order stored: one a failed
  // or interrupted flush left behind goes before the change at hand.
  Status flushUnsent() REQUIRES(mutex_);
  Status receiveFromChild(const std::string& child, Alarm a) REQUIRES(mutex_);
  Status receiveFromParent(const Alarm& a) REQUIRES(mutex_);
  // Merges a known alarm's record from `from` and forwards it if it changed.
  Status mergeFrom(const link::Peer& from, const Alarm& theirs) REQUIRES(mutex_);
  void run();
  // Recomputes openHere() from the store.
  Status refreshOpen() EXCLUDES(openMutex_);

  const AlarmsContext context_;
  Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
  mutable Mutex openMutex_;
  std::optional<std::string> open_ GUARDED_BY(openMutex_);
};

}  // namespace vigil::alarm
