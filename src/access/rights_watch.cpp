#include "access/rights_watch.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <vector>

#include "base/log.h"
#include "base/mutex.h"

namespace vigil::access {

using SteadyClock = std::chrono::steady_clock;

struct RightsWatch::Entry {
  HeldRight right;
  OnEnd onEnd;
  std::optional<SteadyClock::duration> idleAfter;
  std::atomic<SteadyClock::rep> lastUse{0};
  // kActive: registered; kEnding: onEnd is running; kDone: neither.
  // Guarded by Core::mutex (not annotated: the analysis cannot name
  // another object's mutex).
  enum class State { kActive, kEnding, kDone } state = State::kActive;
};

struct RightsWatch::Core {
  Core(Accounts& a, std::chrono::milliseconds i) : accounts(a), interval(i) {}

  Accounts& accounts;
  const std::chrono::milliseconds interval;

  Mutex mutex;
  std::condition_variable wake;
  std::condition_variable ended;      // an entry left kEnding
  std::condition_variable roundDone;  // roundsDone grew
  bool stopping GUARDED_BY(mutex) = false;
  bool checkNow GUARDED_BY(mutex) = false;
  uint64_t roundsBegun GUARDED_BY(mutex) = 0;
  uint64_t roundsDone GUARDED_BY(mutex) = 0;
  std::vector<std::shared_ptr<Entry>> entries GUARDED_BY(mutex);  // the active ones
  std::map<std::string, int> holdsByToken GUARDED_BY(mutex);       // of the active ones
  std::thread::id checker GUARDED_BY(mutex);                       // the watch's thread

  // Thread-only: what each held session looked like at its last check,
  // and whether the last round found the store failing (logged once).
  std::map<std::string, SessionMark> marks;
  bool storeFailing = false;

  void requestCheck() {
    {
      MutexLock lock(mutex);
      checkNow = true;
    }
    wake.notify_one();
  }

  void remove(const std::shared_ptr<Entry>& entry) REQUIRES(mutex) {
    std::erase(entries, entry);
    if (--holdsByToken[entry->right.token] == 0) holdsByToken.erase(entry->right.token);
  }

  void end(const std::shared_ptr<Entry>& entry, std::string_view reason) {
    {
      MutexLock lock(mutex);
      if (entry->state != Entry::State::kActive) return;
      entry->state = Entry::State::kEnding;
      remove(entry);
    }
    log::info("access.right_ended",
              {{"user", marks[entry->right.token].user}, {"camera", entry->right.camera}, {"reason", reason}});
    entry->onEnd(reason);
    {
      MutexLock lock(mutex);
      entry->state = Entry::State::kDone;
    }
    ended.notify_all();
  }

  // One round: every held session checked once, whatever it holds.
  void checkAll() {
    std::vector<std::shared_ptr<Entry>> held;
    {
      MutexLock lock(mutex);
      held = entries;
    }
    std::map<std::string, std::optional<SessionCheck>> checks;  // nullopt: the store could not answer
    bool failed = false;
    for (const auto& e : held) {
      if (checks.contains(e->right.token)) continue;
      auto check = accounts.recheck(e->right.token, marks[e->right.token]);
      if (!check && !storeFailing) {
        log::warn("access.recheck_failed", {{"status", check.status()}, {"effect", "what is held stays open"}});
      }
      failed = failed || !check;
      checks[e->right.token] = check ? std::optional(std::move(*check)) : std::nullopt;
    }
    storeFailing = failed;
    std::erase_if(marks, [&](const auto& m) { return !checks.contains(m.first); });
    const SteadyClock::rep now = SteadyClock::now().time_since_epoch().count();
    for (const auto& e : held) {
      const std::optional<SessionCheck>& check = checks[e->right.token];
      if (e->idleAfter && SteadyClock::duration(now - e->lastUse.load()) > *e->idleAfter) {
        end(e, end_reason::kIdle);
      } else if (!check) {
        continue;
      } else if (!check->principal) {
        end(e, check->ended);
      } else if (!check->principal->hasRole(e->right.role) ||
                 (!e->right.camera.empty() && !check->principal->canView(e->right.camera))) {
        end(e, end_reason::kGrantRemoved);
      }
    }
  }

  void run() {
    MutexLock lock(mutex);
    checker = std::this_thread::get_id();
    while (true) {
      lock.waitFor(wake, interval, [&]() REQUIRES(mutex) { return stopping || checkNow; });
      if (stopping) break;
      checkNow = false;
      ++roundsBegun;
      lock.unlock();
      checkAll();
      lock.lock();
      ++roundsDone;
      roundDone.notify_all();
    }
    roundDone.notify_all();  // a checkNow() waiting gives up
  }
};

RightsWatch::Hold::Hold(std::shared_ptr<Core> core, std::shared_ptr<Entry> entry)
    : core_(std::move(core)), entry_(std::move(entry)) {}

RightsWatch::Hold::~Hold() {
  MutexLock lock(core_->mutex);
  if (entry_->state == Entry::State::kActive) {
    core_->remove(entry_);
    entry_->state = Entry::State::kDone;
    return;
  }
  // An onEnd running on the watch's thread finishes first, unless it is
  // that very onEnd destroying its own hold.
  if (std::this_thread::get_id() == core_->checker) return;
  lock.wait(core_->ended, [&] { return entry_->state == Entry::State::kDone; });
}

void RightsWatch::Hold::touch() { entry_->lastUse.store(SteadyClock::now().time_since_epoch().count()); }

RightsWatch::RightsWatch(Accounts& accounts, std::chrono::milliseconds interval)
    : core_(std::make_shared<Core>(accounts, interval)) {
  accounts.setChangeListener([core = core_] { core->requestCheck(); });
  thread_ = std::thread([core = core_] { core->run(); });
}

RightsWatch::~RightsWatch() { stop(); }

std::unique_ptr<RightsWatch::Hold> RightsWatch::hold(HeldRight right, OnEnd onEnd,
                                                     std::optional<SteadyClock::duration> idleAfter) {
  auto entry = std::make_shared<Entry>();
  entry->right = std::move(right);
  entry->onEnd = std::move(onEnd);
  entry->idleAfter = idleAfter;
  entry->lastUse.store(SteadyClock::now().time_since_epoch().count());
  bool newSession = false;
  {
    MutexLock lock(core_->mutex);
    core_->entries.push_back(entry);
    newSession = core_->holdsByToken[entry->right.token]++ == 0;
    // A session seen for the first time is checked at once, so what it
    // looks like is known before it can end (and the reason with it).
    if (newSession) core_->checkNow = true;
  }
  if (newSession) core_->wake.notify_one();
  return std::make_unique<Hold>(core_, std::move(entry));
}

bool RightsWatch::checkNow(std::chrono::milliseconds bound) {
  MutexLock lock(core_->mutex);
  const uint64_t round = core_->roundsBegun + 1;
  core_->checkNow = true;
  core_->wake.notify_one();
  return lock.waitFor(core_->roundDone, bound,
                      [&]() REQUIRES(core_->mutex) { return core_->stopping || core_->roundsDone >= round; }) &&
         !core_->stopping;
}

void RightsWatch::stop() {
  {
    MutexLock lock(core_->mutex);
    if (core_->stopping) return;
    core_->stopping = true;
  }
  core_->accounts.setChangeListener(nullptr);
  core_->wake.notify_one();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vigil::access
