#include "alarm/alarms.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"

namespace vigil::alarm {

namespace {

// How often the thread looks for alarms to escalate and records to send.
constexpr auto kTickEvery = std::chrono::milliseconds(250);

int64_t millis(WallTime t) { return t.unixMicros() / 1000; }

std::string describe(const link::Peer& p) { return p.parent ? "parent" : "child " + p.childId; }

// What this node fails to queue (its own outbox.db) stays unsent in
// alarms.db for the thread's tick to retry: it is never a reason to refuse
// a neighbour's message, which the outbox would then give again and again,
// holding back all that neighbour sends, alarms too.
Status queuedOrLogged(Status queued, const std::string& id) {
  if (!queued.isOk()) log::error("alarm.not_queued", {{"id", id}, {"error", queued}});
  return Status::ok();
}

}  // namespace

Alarms::Alarms(AlarmsContext context) : context_(std::move(context)) {
  for (std::string_view type : {kRaiseMessage, kUpdateMessage}) {
    context_.outbox->receive(std::string(type), [this, type](const link::Peer& from, std::span<const uint8_t> body) {
      return receive(from, type, body);
    });
  }
}

Alarms::~Alarms() { stop(); }

void Alarms::start() {
  if (thread_.joinable()) return;
  if (Status s = refreshOpen(); !s.isOk()) log::error("alarm.read_failed", {{"error", s}});
  thread_ = std::thread([this] { run(); });
}

void Alarms::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Alarms::run() {
  MutexLock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    if (Status s = tick(); !s.isOk()) log::error("alarm.tick_failed", {{"error", s}});
    lock.lock();
    lock.waitFor(wake_, kTickEvery, [&]() REQUIRES(mutex_) { return stopping_; });
  }
}

Result<StoredAlarm> Alarms::raise(const std::string& user, Kind kind, const std::string& note,
                                  const std::vector<std::string>& cameras) {
  if (!canRaise()) return Status::failedPrecondition("this node has no parent link: an alarm has no desk to go to");
  if (!isValidText(note, kMaxTextChars)) {
    return Status::invalidArgument(fmt::format("note: must be text of at most {} characters", kMaxTextChars));
  }
  if (cameras.size() > kMaxCameras) return Status::invalidArgument(fmt::format("cameras: at most {}", kMaxCameras));
  const WallTime now = context_.clock->now();
  StoredAlarm a{.alarm = {.id = newAlarmId(),
                          .node = context_.selfId,
                          .kind = kind,
                          .note = note,
                          .cameras = cameras,
                          .raisedAt = millis(now)},
                .up = true,
                .receivedAt = now};
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(context_.store->add(a, now, {"raised by " + user}));
  log::info("alarm.raised", {{"id", a.alarm.id}, {"kind", kindName(kind)}, {"user", user}});
  // Stored: the alarm stands even if the outbox fails now (the thread retries).
  if (Status s = flushUnsent(); !s.isOk()) log::error("alarm.not_queued", {{"id", a.alarm.id}, {"error", s}});
  auto stored = context_.store->get(a.alarm.id);
  if (!stored) return stored.status();
  if (Status s = refreshOpen(); !s.isOk()) log::error("alarm.read_failed", {{"error", s}});
  return **stored;
}

Result<StoredAlarm> Alarms::act(const std::string& id, const std::string& user, Action action,
                                const std::string& text) {
  if (action == Action::kAssign && (text.empty() || text.size() > kMaxActorBytes || !isValidText(text, kMaxActorBytes))) {
    return Status::invalidArgument(fmt::format("to: must be text of 1 to {} bytes", kMaxActorBytes));
  }
  if ((action == Action::kNote || action == Action::kClose) && (text.empty() || !isValidText(text, kMaxTextChars))) {
    return Status::invalidArgument(fmt::format("{}: must be text of 1 to {} characters",
                                               action == Action::kNote ? "text" : "outcome", kMaxTextChars));
  }
  const std::string by = user + "@" + context_.selfId;
  const WallTime now = context_.clock->now();
  MutexLock lock(mutex_);
  auto changed = context_.store->update(id, now, [&](StoredAlarm& s, std::vector<std::string>& history) -> Result<bool> {
    if (s.fromChild.empty()) {
      return Status::permissionDenied(action == Action::kAcknowledge
                                          ? "a household cannot acknowledge its own alarm"
                                          : "this node raised the alarm: only a desk it reached acts on it");
    }
    Alarm& a = s.alarm;
    const Alarm before = a;
    if (action == Action::kAcknowledge && !a.acknowledgedBy.empty()) {
      return Status::failedPrecondition("already acknowledged by " + a.acknowledgedBy);
    }
    if (action != Action::kAcknowledge && a.state() == State::kClosed) {
      return Status::failedPrecondition("the alarm is closed");
    }
    // Whoever assigns, notes or closes has answered it.
    if (a.acknowledgedBy.empty()) {
      a.acknowledgedBy = by;
      a.acknowledgedAt = millis(now);
    }
    switch (action) {
      case Action::kAcknowledge: break;
      case Action::kAssign:
        a.assignedTo = text;
        a.assignedAt = std::max(millis(now), a.assignedAt + 1);  // the latest assignment wins everywhere
        break;
      case Action::kNote:
        if (a.notes.size() >= kMaxNotes) return Status::failedPrecondition(fmt::format("at most {} notes", kMaxNotes));
        a.notes.push_back({by, millis(now), text});
        break;
      case Action::kClose:
        a.closedBy = by;
        a.closedAt = millis(now);
        a.outcome = text;
        break;
    }
    history = describeChanges(before, a);
    return true;
  });
  if (!changed) return changed.status();
  log::info("alarm.changed", {{"id", id}, {"by", by}, {"state", stateName(changed->alarm.state())}});
  if (Status s = flushUnsent(); !s.isOk()) log::error("alarm.not_queued", {{"id", id}, {"error", s}});
  return changed;
}

std::optional<std::string> Alarms::openHere() const {
  MutexLock lock(openMutex_);
  return open_;
}

Status Alarms::refreshOpen() {
  auto open = context_.store->openRaisedHere(context_.clock->now() +
                                             -std::chrono::microseconds(context_.config.accessTail));
  if (!open) return open.status();
  MutexLock lock(openMutex_);
  if (*open != open_) log::info("alarm.access", {{"open", open->value_or("none")}});
  open_ = std::move(*open);
  return Status::ok();
}

std::string_view Alarms::delivery(const StoredAlarm& a) {
  if (!a.fromChild.empty()) return "";
  if (a.alarm.deliveredAt != 0) return "delivered";
  if (!a.unsent && a.raiseSeq > 0) {
    auto acked = context_.outbox->lastAcknowledged(link::Peer::theParent(), kRaiseMessage);
    if (acked && *acked && (*acked)->seq >= a.raiseSeq) return "delivered";
    if (context_.bus->connected(link::Peer::theParent())) return "sent";
  }
  return "stored";
}

Status Alarms::flush(const StoredAlarm& a, const std::optional<link::Peer>& except) {
  int64_t raiseSeq = 0;
  const std::vector<uint8_t> body = encode(a.alarm);
  if (a.up && except != link::Peer::theParent()) {
    auto seq = context_.outbox->enqueue(link::Peer::theParent(), kRaiseMessage, body);
    if (!seq) return seq.status();
    raiseSeq = *seq;
  }
  if (!a.fromChild.empty() && except != link::Peer::child(a.fromChild)) {
    auto seq = context_.outbox->enqueue(link::Peer::child(a.fromChild), kUpdateMessage, body);
    if (!seq) return seq.status();
  }
  if (context_.onChange) context_.onChange(a);
  return context_.store->markSent(a.alarm.id, a.change, raiseSeq);
}

Status Alarms::flushUnsent() {
  auto unsent = context_.store->unsent();
  if (!unsent) return unsent.status();
  for (const StoredAlarm& a : *unsent) VIGIL_RETURN_IF_ERROR(flush(a, std::nullopt));
  return Status::ok();
}

Status Alarms::receive(const link::Peer& from, std::string_view type, std::span<const uint8_t> body) {
  auto a = decodeAlarm(body);
  const auto refuse = [&](std::string_view why) {
    log::warn("alarm.refused", {{"from", describe(from)}, {"type", type}, {"error", why}});
    return Status::ok();  // sending it again changes nothing
  };
  if (!a) return refuse(a.status().message());
  if (from.parent != (type == kUpdateMessage)) return refuse("an alarm.raise goes up, an alarm.update down");
  MutexLock lock(mutex_);
  // A change a kill -9 left unsent goes first, to every neighbour: the
  // merge below forwards only its own change, and not back to `from`.
  if (Status queued = flushUnsent(); !queued.isOk()) log::error("alarm.not_queued", {{"error", queued}});
  Status s = from.parent ? receiveFromParent(*a) : receiveFromChild(from.childId, std::move(*a));
  if (s.code() == StatusCode::kPermissionDenied) return refuse(s.message());
  return s;
}

Status Alarms::receiveFromChild(const std::string& child, Alarm a) {
  Result<bool> relays = context_.childRelays ? context_.childRelays(child) : false;
  if (!relays) return relays.status();
  if (!*relays) {
    // A household has nothing below it and is no desk: what a desk did
    // comes from a desk, not from the household's word.
    if (!a.nodePath.empty()) return Status::permissionDenied("node_path: a household passes on no alarm");
    Alarm facts{.id = std::move(a.id), .node = std::move(a.node), .kind = a.kind, .note = std::move(a.note),
                .cameras = std::move(a.cameras), .raisedAt = a.raisedAt};
    a = std::move(facts);
  }
  // Its path as seen from here; the origin is the path's end.
  a.nodePath.insert(a.nodePath.begin(), child);
  if (a.nodePath.size() > kMaxPathNodes) return Status::permissionDenied("node_path: too long");
  if (a.node != a.nodePath.back()) return Status::permissionDenied("node: not the end of its node_path");
  auto existing = context_.store->get(a.id);
  if (!existing) return existing.status();
  const WallTime now = context_.clock->now();
  if (!*existing) {
    if (!*relays) {
      auto open = context_.store->notClosedFrom(child);
      if (!open) return open.status();
      if (*open >= kMaxOpenPerHousehold) {
        return Status::permissionDenied(
            fmt::format("{} has {} alarms not closed here: no more until the desk closes some", child, *open));
      }
    }
    StoredAlarm s{.alarm = a, .fromChild = child, .receivedAt = now};
    // The first desk: the household learns it was delivered.
    const bool firstDesk = a.deliveredAt == 0;
    if (firstDesk) s.alarm.deliveredAt = millis(now);
    VIGIL_RETURN_IF_ERROR(context_.store->add(s, now, {"received from " + child}));
    log::info("alarm.received", {{"id", a.id}, {"node", a.node}, {"from", child}});
    auto stored = context_.store->get(a.id);
    if (!stored) return stored.status();
    return queuedOrLogged(flush(**stored, firstDesk ? std::nullopt : std::optional(link::Peer::child(child))), a.id);
  }
  if ((*existing)->fromChild != child) return Status::permissionDenied("the alarm came here from another node");
  return mergeFrom(link::Peer::child(child), a);
}

Status Alarms::receiveFromParent(const Alarm& a) {
  auto existing = context_.store->get(a.id);
  if (!existing) return existing.status();
  if (!*existing || !(*existing)->up) return Status::permissionDenied("the alarm was not sent to the parent");
  return mergeFrom(link::Peer::theParent(), a);
}

Status Alarms::mergeFrom(const link::Peer& from, const Alarm& theirs) {
  auto changed = context_.store->update(theirs.id, context_.clock->now(),
                                        [&](StoredAlarm& s, std::vector<std::string>& history) -> Result<bool> {
                                          const Alarm before = s.alarm;
                                          if (!merge(s.alarm, theirs, from.parent)) return false;
                                          history = describeChanges(before, s.alarm);
                                          return true;
                                        });
  if (!changed) return changed.status();
  // Changed: on to the other neighbours, not back (receive() flushed what was left before).
  return changed->unsent ? queuedOrLogged(flush(*changed, from), theirs.id) : Status::ok();
}

Status Alarms::tick() {
  VIGIL_RETURN_IF_ERROR(refreshOpen());
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(flushUnsent());
  if (context_.parentId.empty()) return Status::ok();
  const WallTime now = context_.clock->now();
  auto due = context_.store->unescalated(now + -std::chrono::microseconds(context_.config.escalateAfter));
  if (!due) return due.status();
  for (const StoredAlarm& d : *due) {
    const auto escalate = [&](StoredAlarm& s, std::vector<std::string>& history) -> Result<bool> {
      if (s.up || s.alarm.state() != State::kOpen) return false;
      s.up = true;
      s.alarm.escalatedTo = context_.parentId;
      history.push_back("escalated to " + context_.parentId);
      return true;
    };
    auto escalated = context_.store->update(d.alarm.id, now, escalate);
    if (!escalated) return escalated.status();
    log::warn("alarm.escalated", {{"id", d.alarm.id}, {"to", context_.parentId}});
    VIGIL_RETURN_IF_ERROR(flush(*escalated, std::nullopt));
  }
  return Status::ok();
}

}  // namespace vigil::alarm
