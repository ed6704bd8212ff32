#include "notify/webhooks.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

#include "base/encoding.h"
#include "base/log.h"
#include "notify/http_post.h"

namespace vigil::notify {
namespace {

constexpr const char* kSchema = R"sql(
-- A delivery owed to a URL until it answers 2xx; seq: the order queued.
CREATE TABLE IF NOT EXISTS delivery (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try INTEGER NOT NULL DEFAULT 0,  -- Unix µs
  UNIQUE (event, url)
);
CREATE INDEX IF NOT EXISTS delivery_by_url ON delivery (url, seq);
)sql";

constexpr std::chrono::milliseconds kPostTimeout{10'000};
constexpr std::chrono::seconds kFirstRetry{1};
constexpr std::chrono::seconds kLastRetry{30};

Status dbError(sqlite3* db, std::string_view what) {
  return Status::internal(fmt::format("notify.db: {}: {}", what, sqlite3_errmsg(db)));
}

// A prepared statement, finalized when it goes.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

// "host:port" of a URL: what a log line may show (a path may hold a token).
std::string hostOf(const std::string& url) {
  auto parsed = parseWebhookUrl(url);
  return parsed ? fmt::format("{}:{}", parsed->host, parsed->port) : std::string("?");
}

}  // namespace

std::string webhookSignature(std::string_view secret, std::string_view body) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  uint8_t mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return "sha256=" + hexEncode(mac);
}

Result<std::unique_ptr<WebhookQueue>> WebhookQueue::open(const std::string& path) {
  sqlite3* db = nullptr;
  char* err = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr, &err) != SQLITE_OK ||
      sqlite3_exec(db, kSchema, nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = Status::unavailable(
        fmt::format("cannot open {}: {}", path, err ? err : (db ? sqlite3_errmsg(db) : "out of memory")));
    sqlite3_free(err);
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<WebhookQueue>(new WebhookQueue(db));
}

WebhookQueue::~WebhookQueue() { sqlite3_close(db_); }

Status WebhookQueue::exec(const char* sql, std::initializer_list<std::string_view> params) {
  Statement q;
  if (sqlite3_prepare_v2(db_, sql, -1, &q.stmt, nullptr) != SQLITE_OK) return dbError(db_, "prepare");
  int i = 0;
  for (std::string_view p : params) {
    sqlite3_bind_text(q.stmt, ++i, p.data(), static_cast<int>(p.size()), SQLITE_TRANSIENT);
  }
  return sqlite3_step(q.stmt) == SQLITE_DONE ? Status::ok() : dbError(db_, "step");
}

Status WebhookQueue::add(const std::string& event, const std::string& body, const std::vector<std::string>& urls) {
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE", {}));
  for (const std::string& url : urls) {
    if (Status s = exec("INSERT OR IGNORE INTO delivery (event, url, body) VALUES (?, ?, ?)", {event, url, body});
        !s.isOk()) {
      (void)exec("ROLLBACK", {});
      return s;
    }
  }
  return exec("COMMIT", {});
}

Result<std::optional<WebhookQueue::Delivery>> WebhookQueue::head(const std::string& url) {
  MutexLock lock(mutex_);
  Statement q;
  if (sqlite3_prepare_v2(db_, "SELECT seq, event, body, attempts, next_try FROM delivery WHERE url = ? ORDER BY seq LIMIT 1",
                         -1, &q.stmt, nullptr) != SQLITE_OK) {
    return dbError(db_, "prepare");
  }
  sqlite3_bind_text(q.stmt, 1, url.data(), static_cast<int>(url.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(q.stmt);
  if (rc == SQLITE_DONE) return std::optional<Delivery>();
  if (rc != SQLITE_ROW) return dbError(db_, "step");
  const auto text = [&](int col) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q.stmt, col)),
                       static_cast<size_t>(sqlite3_column_bytes(q.stmt, col)));
  };
  return std::optional(Delivery{.seq = sqlite3_column_int64(q.stmt, 0),
                                .event = text(1),
                                .url = url,
                                .body = text(2),
                                .attempts = sqlite3_column_int(q.stmt, 3),
                                .nextTry = WallTime::fromUnixMicros(sqlite3_column_int64(q.stmt, 4))});
}

Status WebhookQueue::done(int64_t seq) {
  MutexLock lock(mutex_);
  return exec("DELETE FROM delivery WHERE seq = ?", {std::to_string(seq)});
}

Status WebhookQueue::retryAt(int64_t seq, WallTime next) {
  MutexLock lock(mutex_);
  return exec("UPDATE delivery SET attempts = attempts + 1, next_try = ? WHERE seq = ?",
              {std::to_string(next.unixMicros()), std::to_string(seq)});
}

Result<int64_t> WebhookQueue::restart(const std::vector<std::string>& urls) {
  MutexLock lock(mutex_);
  // The configured URLs go in a temporary table: the list has no fixed length.
  VIGIL_RETURN_IF_ERROR(exec("CREATE TEMP TABLE IF NOT EXISTS configured (url TEXT PRIMARY KEY)", {}));
  VIGIL_RETURN_IF_ERROR(exec("DELETE FROM configured", {}));
  for (const std::string& url : urls) VIGIL_RETURN_IF_ERROR(exec("INSERT OR IGNORE INTO configured VALUES (?)", {url}));
  VIGIL_RETURN_IF_ERROR(exec("DELETE FROM delivery WHERE url NOT IN (SELECT url FROM configured)", {}));
  const int64_t dropped = sqlite3_changes(db_);
  VIGIL_RETURN_IF_ERROR(exec("UPDATE delivery SET next_try = 0", {}));
  return dropped;
}

Webhooks::Webhooks(WebhookQueue& queue, std::vector<std::string> urls, std::string secret)
    : queue_(queue), urls_(std::move(urls)), secret_(std::move(secret)) {}

Webhooks::~Webhooks() { stop(); }

void Webhooks::start() {
  auto dropped = queue_.restart(urls_);
  if (!dropped) {
    log::error("notify.webhook_queue_failed", {{"error", dropped.status()}});
  } else if (*dropped > 0) {
    log::warn("notify.webhook_dropped", {{"deliveries", *dropped}, {"why", "their URL is no longer configured"}});
  }
  thread_ = std::thread([this] { run(); });
}

void Webhooks::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Webhooks::offer(const std::string& event, const std::string& body) {
  VIGIL_RETURN_IF_ERROR(queue_.add(event, body, urls_));
  {
    MutexLock lock(mutex_);
    offered_ = true;
  }
  wake_.notify_all();
  return Status::ok();
}

void Webhooks::run() {
  for (;;) {
    const WallTime next = deliverDue();
    MutexLock lock(mutex_);
    const auto wait = std::clamp<std::chrono::microseconds>(next - SystemClock::instance().now(),
                                                            std::chrono::microseconds(0), kLastRetry);
    lock.waitFor(wake_, wait, [&]() REQUIRES(mutex_) { return stopping_ || offered_; });
    if (stopping_) return;
    offered_ = false;
  }
}

WallTime Webhooks::deliverDue() {
  WallTime next = SystemClock::instance().now() + std::chrono::microseconds(kLastRetry);
  for (size_t i = 0; i < urls_.size(); ++i) {
    const std::string& url = urls_[i];
    auto parsed = parseWebhookUrl(url);  // checked when the config was read
    for (;;) {
      {
        MutexLock lock(mutex_);
        if (stopping_) return next;
      }
      auto head = queue_.head(url);
      if (!head) {
        log::error("notify.webhook_queue_failed", {{"error", head.status()}});
        break;
      }
      if (!*head) break;
      const WebhookQueue::Delivery& d = **head;
      const WallTime now = SystemClock::instance().now();
      if (d.nextTry > now) {
        next = std::min(next, d.nextTry);
        break;
      }
      const HttpHeaders headers = {{"X-Vigil-Event", d.event}, {"X-Vigil-Signature", webhookSignature(secret_, d.body)}};
      Result<unsigned> answer = parsed ? postJson(*parsed, headers, d.body, kPostTimeout) : Result<unsigned>(parsed.status());
      if (answer && *answer >= 200 && *answer < 300) {
        if (Status s = queue_.done(d.seq); !s.isOk()) log::error("notify.webhook_queue_failed", {{"error", s}});
        log::info("notify.webhook_delivered", {{"webhook", i + 1}, {"host", hostOf(url)}, {"event", d.event}});
        continue;
      }
      const auto delay = std::min<std::chrono::seconds>(kFirstRetry * (1 << std::min(d.attempts, 5)), kLastRetry);
      log::warn("notify.webhook_failed",
                {{"webhook", i + 1},
                 {"host", hostOf(url)},
                 {"event", d.event},
                 {"attempt", d.attempts + 1},
                 {"retry_in_s", delay.count()},
                 {"error", answer ? fmt::format("HTTP {}", *answer) : answer.status().message()}});
      const WallTime retry = now + std::chrono::microseconds(delay);
      if (Status s = queue_.retryAt(d.seq, retry); !s.isOk()) log::error("notify.webhook_queue_failed", {{"error", s}});
      next = std::min(next, retry);
      break;
    }
  }
  return next;
}

}  // namespace vigil::notify
