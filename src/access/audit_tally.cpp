#include "access/audit_tally.h"

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace vigil::access {

using std::chrono::steady_clock;

AuditTally::AuditTally(AuditLog& audit, const Clock& clock, AuditTallyOptions options)
    : audit_(audit), clock_(clock), options_(options) {}

AuditTally::~AuditTally() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status s = flush(true); !s.isOk()) log::error("access.audit_tally_lost", {{"status", s}});
}

bool AuditTally::windowOver(const Entry& e, steady_clock::time_point now) const {
  return !e.lastRow || now - *e.lastRow >= options_.window;
}

Status AuditTally::count(const AuditEvent& event, const std::string& counter) {
  const auto now = clock_.steadyNow();
  const WallTime at = clock_.now();
  MutexLock lock(mutex_);
  Key key{event.action, event.client, event.camera, event.detail, event.user};
  if (!entries_.contains(key) && event.user != kAnyone) {
    // The client's names being counted: past namesPerClient, one more is "*".
    auto sameClient = [&](const Key& k) {
      return std::tie(std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k)) ==
             std::tie(event.action, event.client, event.camera, event.detail);
    };
    size_t names = 0;
    for (auto it = entries_.lower_bound({event.action, event.client, event.camera, event.detail, ""});
         it != entries_.end() && sameClient(it->first) && names < options_.namesPerClient; ++it) {
      names += std::get<4>(it->first) != kAnyone;
    }
    if (names >= options_.namesPerClient) key = {event.action, event.client, event.camera, event.detail, kAnyone};
  }
  if (!entries_.contains(key) && entries_.size() >= options_.maxKeys) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.counts.empty() && windowOver(kv.second, now); });
    if (entries_.size() >= options_.maxKeys) {
      key = {event.action, kAnyone, "", options_.overflowDetail.value_or(event.detail), kAnyone};
    }
  }
  Entry& e = entries_[key];
  const bool firstOfWindow = e.counts.empty();
  if (firstOfWindow) e.first = at;
  ++e.counts[counter];
  e.last = at;
  if (windowOver(e, now)) return write(key, e, now);
  if (!firstOfWindow || !options_.background) return Status::ok();
  // The first count left for the window's end: the thread must know when.
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  lock.unlock();
  wake_.notify_all();
  return Status::ok();
}

Status AuditTally::write(const Key& key, Entry& e, steady_clock::time_point now) {
  const auto& [action, client, camera, detail, user] = key;
  nlohmann::json j = nlohmann::json::parse(detail, nullptr, false);
  if (!j.is_object()) j = nlohmann::json::object();
  for (const auto& [counter, n] : e.counts) j[counter] = n;
  j["first"] = e.first.toRfc3339();
  j["last"] = e.last.toRfc3339();
  VIGIL_RETURN_IF_ERROR(audit_.record({user, action, camera, client, j.dump()}));
  // As rate-limited as the rows: "access.login_failed user=admin client=... detail={...}".
  log::warn("access." + action, {{"user", user}, {"client", client}, {"detail", j.dump()}});
  e.counts.clear();
  e.lastRow = now;
  return Status::ok();
}

Status AuditTally::flush(bool all) {
  const auto now = clock_.steadyNow();
  MutexLock lock(mutex_);
  Status first = Status::ok();
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (!e.counts.empty() && (all || windowOver(e, now))) {
      if (Status s = write(it->first, e, now); !s.isOk() && first.isOk()) first = s;
    }
    it = e.counts.empty() && windowOver(e, now) ? entries_.erase(it) : std::next(it);
  }
  return first;
}

void AuditTally::run() {
  MutexLock lock(mutex_);
  while (!stopping_) {
    std::optional<steady_clock::time_point> due;
    for (const auto& [key, e] : entries_) {
      if (e.counts.empty()) continue;
      const auto at = e.lastRow ? *e.lastRow + options_.window : clock_.steadyNow();
      if (!due || at < *due) due = at;
    }
    if (!due) {
      lock.wait(wake_);
      continue;
    }
    const auto wait = *due - clock_.steadyNow();
    if (wait > steady_clock::duration::zero()) {
      lock.waitFor(wake_, wait);
      continue;  // woken early by a new count or by stopping: look again
    }
    lock.unlock();
    if (Status s = flush(); !s.isOk()) {
      log::error("access.audit_tally_write", {{"status", s}});
      lock.lock();
      // The database is down: try again a window later, not in a loop.
      lock.waitFor(wake_, options_.window, [&]() REQUIRES(mutex_) { return stopping_; });
      continue;
    }
    lock.lock();
  }
}

}  // namespace vigil::access
