#pragma once
// A node's notices, <data_dir>/notices.db (SQLite, WAL, synchronous=FULL;
// design/ALARMS.md "Broadcasts and notices"): the notices it sent and
// received, their audio, the children each went on to, and per household
// reached through this node its receipt. Two flags make sending durable:
// a notice stays `unsent` until it and its audio are in the outbox for
// every child it goes to, a receipt `unsent` until it is in the outbox
// for the parent (Notices flushes both, and again after a restart).
// Thread-safe (one connection under a mutex); each write is one transaction.

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alarm/notice.h"
#include "base/status.h"

namespace vigil::alarm {

struct StoredNotice {
  Notice notice;
  bool sent = false;        // sent from this node; else received from its parent
  int64_t storedAt = 0;     // Unix ms, this node's clock
  int64_t deliveredAt = 0;  // received: when it was whole here (its audio too); 0: not yet
  int64_t seenAt = 0;       // received: when a user here saw it
  bool unsent = false;      // not yet in the outbox for every child it goes to
};

// A child a notice goes on to, and what it is told to reach there.
// A child the notice goes on to, for every household below it (a sender
// names only its own children).
struct Forward {
  std::string child;
};

struct Receipt {
  HouseholdReceipt household;
  std::string via;  // the child it is reached through; empty: this node itself
};

struct ReceiptCounts {
  int64_t targeted = 0;
  int64_t delivered = 0;
  int64_t seen = 0;
};

class NoticeStore {
 public:
  static Result<std::unique_ptr<NoticeStore>> open(const std::string& path);
  ~NoticeStore();
  NoticeStore(const NoticeStore&) = delete;
  NoticeStore& operator=(const NoticeStore&) = delete;

  // Stores a new notice with its audio (whole or none yet), the children it
  // goes to and the receipts it starts with (unsent when `receiptsUp`).
  // AlreadyExists when its id is here.
  Status add(const StoredNotice& n, std::span<const uint8_t> audio, const std::vector<Forward>& forwards,
             const std::vector<Receipt>& receipts, bool receiptsUp);
  Result<std::optional<StoredNotice>> get(const std::string& id);
  // Newest first: sent ones, and received ones whole and not expired at `now` (Unix ms).
  Result<std::vector<StoredNotice>> list(int64_t now, size_t limit);
  Result<std::vector<Forward>> forwards(const std::string& id);

  // Stores one chunk of a received notice's audio (again: nothing). When
  // it completes the audio, the notice is delivered at `now` and unsent;
  // true then.
  Result<bool> addAudioChunk(const std::string& id, uint32_t index, std::span<const uint8_t> bytes, int64_t now,
                             const std::optional<Receipt>& self);
  // Whole or not: the chunks stored, in order.
  Result<std::vector<uint8_t>> audio(const std::string& id);
  Result<std::vector<std::vector<uint8_t>>> audioChunks(const std::string& id);

  Result<std::vector<StoredNotice>> unsent();
  Status markSent(const std::string& id);

  // Sets the notice's seen_at (once) and that of its receipt for `self`
  // (unsent when `up`). False when it was seen already.
  Result<bool> markSeen(const std::string& id, int64_t now, const std::string& self, bool up);
  // Merges `theirs` into the receipt of its household, which must be
  // reached through `via` (a new one is added when `mayAdd`); unsent when
  // `up` and it changed. PermissionDenied when the household is reached
  // through another child, or is new and not `mayAdd`.
  Result<bool> mergeReceipt(const std::string& id, const std::string& via, const HouseholdReceipt& theirs, bool up,
                            bool mayAdd);
  // How many households of the notice are reached through `via`.
  Result<int64_t> householdsVia(const std::string& id, const std::string& via);
  Result<std::vector<Receipt>> receipts(const std::string& id);
  Result<ReceiptCounts> counts(const std::string& id);
  // Deletes the notices received here that expired before `before` (Unix
  // ms), with their audio, forwards and receipts. How many went.
  Result<int64_t> pruneReceived(int64_t before);
  // Notices with receipts not yet in the outbox for the parent, and those receipts.
  Result<std::vector<Receipts>> unsentReceipts();
  Status markReceiptsSent(const Receipts& r);

 private:
  explicit NoticeStore(sqlite3* db) : db_(db) {}
  Result<std::optional<StoredNotice>> read(const std::string& id);
  // Runs `body` in one transaction (under mutex_).
  template <class T, class Body>
  Result<T> transaction(Body body);

  std::mutex mutex_;
  sqlite3* db_;
};

}  // namespace vigil::alarm
