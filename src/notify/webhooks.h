#pragma once
// Webhooks (design/NOTIFY.md): each event POSTed as JSON to every
// configured URL, signed ("X-Vigil-Signature: sha256=<hex HMAC-SHA256 of
// the body>") and named ("X-Vigil-Event: <event id>", the same on every
// try, so a receiver drops repeats). Durable: an event is queued in
// <data_dir>/notify.db before the first try and stays there until the URL
// answered 2xx, across restarts; one URL's events go in order (a failing
// one holds those behind it), retried with backoff (1 s doubling to 30 s;
// at once after a restart).

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/time.h"

namespace vigil::notify {

// "sha256=" and the lower-case hex HMAC-SHA256 of `body` keyed with `secret`.
std::string webhookSignature(std::string_view secret, std::string_view body);

// notify.db: the deliveries not yet answered 2xx. Thread-safe.
class WebhookQueue {
 public:
  struct Delivery {
    int64_t seq = 0;
    std::string event;
    std::string url;
    std::string body;
    int attempts = 0;
    WallTime nextTry;
  };

  static Result<std::unique_ptr<WebhookQueue>> open(const std::string& path);
  ~WebhookQueue();
  WebhookQueue(const WebhookQueue&) = delete;
  WebhookQueue& operator=(const WebhookQueue&) = delete;

  // One delivery per URL, in one transaction. An event id already queued
  // for a URL stays as it is (an event offered twice goes once).
  Status add(const std::string& event, const std::string& body, const std::vector<std::string>& urls)
      EXCLUDES(mutex_);
  // The oldest delivery to `url`.
  Result<std::optional<Delivery>> head(const std::string& url) EXCLUDES(mutex_);
  Status done(int64_t seq) EXCLUDES(mutex_);
  Status retryAt(int64_t seq, WallTime next) EXCLUDES(mutex_);
  // Deliveries to URLs no longer configured are dropped (how many: returned);
  // the others are due now.
  Result<int64_t> restart(const std::vector<std::string>& urls) EXCLUDES(mutex_);

 private:
  explicit WebhookQueue(sqlite3* db) : db_(db) {}
  Status exec(const char* sql, std::initializer_list<std::string_view> params) REQUIRES(mutex_);
  Mutex mutex_;
  sqlite3* db_;
};

// The delivery thread.
class Webhooks {
 public:
  Webhooks(WebhookQueue& queue, std::vector<std::string> urls, std::string secret);
  ~Webhooks();  // stop()s
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  void start();
  void stop() EXCLUDES(mutex_);
  // Queues `body` for every URL (stored when this returns) and wakes the thread.
  Status offer(const std::string& event, const std::string& body) EXCLUDES(mutex_);

 private:
  void run() EXCLUDES(mutex_);
  // Tries each URL's head once it is due; returns when the next one is.
  WallTime deliverDue();

  WebhookQueue& queue_;
  const std::vector<std::string> urls_;
  const std::string secret_;
  Mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  bool offered_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace vigil::notify
