#pragma once
// Emergency broadcasts and notices (design/ALARMS.md, "Broadcasts and
// notices"): an operator of a node above household sends a notice; it goes
// down the tree through the durable outbox to every household it names
// (or all), and each household's receipts (delivered, seen) come back up.
//
//   sender (township)      relay (village)              household
//   send(): stored,     -> notice.send (+ audio):     -> stored whole: delivered;
//     to its children      stored, to its households     a user's seen()
//   <- notice.receipt: --- <- notice.receipt: targeted -- notice.receipt up
//      counted                households, then theirs
//
// Targeting: a notice names nodes by their path from the sender, or none
// (all): "village1" (all below it) or "village1.house2". A node forwards it
// to each child named whole, told "all", and to each relaying child a path
// goes through, told the rest of those paths ("house2"); a child named by
// no path gets nothing.
//
// Durable: each notice and receipt is stored first, then queued in the
// outbox; what a kill -9 left unsent is queued at the next start (the
// receiver takes a notice once by its id, a receipt by merging). Expired
// notices are neither forwarded, stored nor listed; one received goes
// from notices.db kKeptAfterExpiry after it expired (late receipts still
// pass until then), its audio, whole or not, with it.
//
// Threads: the API's calls, the outbox's receivers and a thread that
// sends what is unsent (every 250 ms); one mutex orders them.

#include <condition_variable>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "alarm/notice_store.h"
#include "base/config.h"
#include "base/mutex.h"
#include "base/time.h"
#include "link/outbox.h"

namespace vigil::alarm {

struct NoticeChild {
  std::string id;
  bool relays = false;  // its tier (as enrolled here) is above household
};

struct NoticesContext {
  NoticeStore* store = nullptr;
  link::Outbox* outbox = nullptr;
  const Clock* clock = nullptr;
  std::string selfId;
  Tier selfTier = Tier::kHousehold;
  bool hasParent = false;  // receipts go up
  // The children enrolled here and not removed.
  std::function<Result<std::vector<NoticeChild>>()> children;
  // After a received notice is stored whole here (on the outbox's thread).
  std::function<void(const Notice&)> onReceived;
  // Households a relaying child may report per notice: it is believed for
  // the households below it, but cannot fill this node's disk with them.
  int64_t maxHouseholdsPerRelay = 100'000;
};

struct NewNotice {
  std::string user;  // who sends it, of this node
  std::string text;
  Priority priority = Priority::kNormal;
  std::vector<std::string> to;  // empty: all
  std::vector<uint8_t> audio;
  std::string audioType;             // with audio
  std::optional<WallTime> expiresAt;  // none: kDefaultLifetime after now
};

inline constexpr auto kDefaultNoticeLifetime = std::chrono::hours(24);
inline constexpr auto kKeptAfterExpiry = std::chrono::hours(24 * 7);

class Notices {
 public:
  // Registers the outbox's receivers: before the outbox starts.
  explicit Notices(NoticesContext context);
  ~Notices();  // stop()s
  Notices(const Notices&) = delete;
  Notices& operator=(const Notices&) = delete;

  void start();  // sends what a previous run left unsent; starts the thread
  void stop();

  bool canSend() const { return context_.selfTier != Tier::kHousehold; }
  // Stores a notice and queues it for the children it goes to.
  // PermissionDenied at a household; InvalidArgument naming the field at fault.
  Result<StoredNotice> send(const NewNotice& n) EXCLUDES(mutex_);
  // A user here saw a received notice: once; the receipt goes up. NotFound
  // for a notice not received here (or expired).
  Status seen(const std::string& id) EXCLUDES(mutex_);
  // What a node shows: sent here, and received here whole and not expired.
  // Newest first.
  Result<std::vector<StoredNotice>> list(size_t limit);
  // None for an unknown id or one not shown.
  Result<std::optional<StoredNotice>> find(const std::string& id);
  NoticeStore& store() { return *context_.store; }

  // A message from a neighbour, as the outbox gives it. A refused one is
  // logged and taken (OK); a store error is not taken.
  Status receive(const link::Peer& from, std::string_view type, std::span<const uint8_t> body) EXCLUDES(mutex_);
  // Queues what is unsent, and once a minute prunes what expired
  // kKeptAfterExpiry ago. The thread's work, public for tests.
  Status tick() EXCLUDES(mutex_);

 private:
  int64_t nowMillis() const;
  Result<std::vector<NoticeChild>> children() const;
  // The children of `children` a notice naming `to` goes on to from here.
  std::vector<Forward> forwardsFor(const std::vector<NoticeChild>& children, const std::vector<std::string>& to) const;
  Status receiveNotice(Notice n) REQUIRES(mutex_);
  Status receiveAudio(std::span<const uint8_t> body) REQUIRES(mutex_);
  Status receiveReceipts(const std::string& child, std::span<const uint8_t> body) REQUIRES(mutex_);
  Status flushUnsent() REQUIRES(mutex_);
  void flushOrLog() REQUIRES(mutex_);  // for the thread to retry
  void run();

  const NoticesContext context_;
  Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  int64_t nextPrune_ GUARDED_BY(mutex_) = 0;  // Unix ms
  std::thread thread_;
};

}  // namespace vigil::alarm
