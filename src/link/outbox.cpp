#include "link/outbox.h"

#include <fmt/format.h>
#include <sodium.h>

#include <bit>
#include <condition_variable>
#include <deque>
#include <map>
#include <thread>

#include "base/log.h"
#include "base/mutex.h"
#include "link/sql.h"

namespace vigil::link {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
);
-- A message's type and bytes, stored once however many destinations it
-- goes to; deleted when no outgoing or acknowledged row refers to it.
CREATE TABLE IF NOT EXISTS body (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  bytes BLOB NOT NULL
);
-- What this node sends; a row goes when its destination acknowledges it.
-- peer: '' for the parent, else the child's id.
CREATE TABLE IF NOT EXISTS outgoing (
  peer TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body INTEGER NOT NULL REFERENCES body (id),
  PRIMARY KEY (peer, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outgoing_body ON outgoing (body);
-- Per destination: the last sequence number given out.
CREATE TABLE IF NOT EXISTS destination (
  peer TEXT PRIMARY KEY NOT NULL,
  last_seq INTEGER NOT NULL
);
-- Per destination and type: the last message it acknowledged.
CREATE TABLE IF NOT EXISTS acknowledged (
  peer TEXT NOT NULL,
  type TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body INTEGER NOT NULL REFERENCES body (id),
  PRIMARY KEY (peer, type)
);
CREATE INDEX IF NOT EXISTS acknowledged_body ON acknowledged (body);
-- Per sender: its outbox's stream and the last sequence number taken.
CREATE TABLE IF NOT EXISTS incoming (
  peer TEXT PRIMARY KEY NOT NULL,
  stream INTEGER NOT NULL,
  last_seq INTEGER NOT NULL
);
)sql";

Status createSchema(sqlite3* db) {
  char* err = nullptr;
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, &err) == SQLITE_OK) return Status::ok();
  Status s = Status::unavailable(fmt::format("outbox: schema: {}", err ? err : "out of memory"));
  sqlite3_free(err);
  return s;
}

// An outbox.db made before bodies were shared (its outgoing and
// acknowledged rows held their bytes) gets the schema above in one
// transaction: a kill -9 in the middle leaves it as it was, for the next
// open. Then (or for any other file) the schema is created if missing.
Status createOrMigrateSchema(sqlite3* db) {
  {
    SqlQuery old(db, "SELECT 1 FROM pragma_table_info('outgoing') WHERE name = 'type'");
    auto isOld = old.next();
    if (!isOld) return isOld.status();
    if (!*isOld) return createSchema(db);
  }
  log::info("outbox.migrating", {{"to", "shared bodies"}});
  VIGIL_RETURN_IF_ERROR(SqlQuery(db, "BEGIN IMMEDIATE").run());
  auto migrate = [&]() -> Status {
    for (const char* sql : {"ALTER TABLE outgoing RENAME TO outgoing_unshared",
                            "ALTER TABLE acknowledged RENAME TO acknowledged_unshared"}) {
      VIGIL_RETURN_IF_ERROR(SqlQuery(db, sql).run());
    }
    VIGIL_RETURN_IF_ERROR(createSchema(db));
    // One body per old row (nothing was shared), numbered by the row's
    // rank: outgoing's from 1, acknowledged's after them.
    for (const char* sql : {
             "INSERT INTO body (id, type, bytes) "
             "SELECT ROW_NUMBER() OVER (ORDER BY peer, seq), type, body FROM outgoing_unshared",
             "INSERT INTO outgoing (peer, seq, body) "
             "SELECT peer, seq, ROW_NUMBER() OVER (ORDER BY peer, seq) FROM outgoing_unshared",
             "INSERT INTO body (id, type, bytes) "
             "SELECT (SELECT COUNT(*) FROM outgoing_unshared) + ROW_NUMBER() OVER (ORDER BY peer, type), type, body "
             "FROM acknowledged_unshared",
             "INSERT INTO acknowledged (peer, type, seq, body) "
             "SELECT peer, type, seq, (SELECT COUNT(*) FROM outgoing_unshared) + ROW_NUMBER() OVER (ORDER BY peer, type) "
             "FROM acknowledged_unshared",
             "DROP TABLE outgoing_unshared",
             "DROP TABLE acknowledged_unshared",
         }) {
      VIGIL_RETURN_IF_ERROR(SqlQuery(db, sql).run());
    }
    return SqlQuery(db, "COMMIT").run();
  };
  if (Status s = migrate(); !s.isOk()) {
    (void)SqlQuery(db, "ROLLBACK").run();
    return s;
  }
  return Status::ok();
}

// A flood of frames from a peer ends its link rather than growing this.
constexpr size_t kMaxQueuedTasks = 4096;

std::string peerKey(const Peer& p) { return p.parent ? std::string() : p.childId; }
Peer peerOf(const std::string& key) { return key.empty() ? Peer::theParent() : Peer::child(key); }
std::string describe(const Peer& p) { return p.parent ? "parent" : "child " + p.childId; }

}  // namespace

struct Outbox::State {
  State(sqlite3* db, Bus& bus, OutboxOptions options) : bus(bus), options(options), db_(db) {}
  ~State() { sqlite3_close(db_); }

  Bus& bus;
  const OutboxOptions options;
  uint64_t stream = 0;  // set by open()
  std::map<std::string, Receiver, std::less<>> receivers;  // written before start()

  // The database, for the callers' enqueue() and the thread alike.
  Mutex dbMutex;
  sqlite3* db() REQUIRES(dbMutex) { return db_; }

  // Work for the thread, from the bus handlers and enqueue().
  Mutex queueMutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> tasks GUARDED_BY(queueMutex);
  bool running GUARDED_BY(queueMutex) = false;
  bool stopping GUARDED_BY(queueMutex) = false;
  std::thread thread;

  // False when stopped or flooded. Tasks posted before start() wait for it.
  bool post(std::function<void()> task) EXCLUDES(queueMutex) {
    MutexLock lock(queueMutex);
    if (stopping || tasks.size() >= kMaxQueuedTasks) return false;
    tasks.push_back(std::move(task));
    wake.notify_one();
    return true;
  }
  void run() EXCLUDES(queueMutex);

  // The thread's own state, touched only on it.
  struct Destination {
    bool up = false;
    int64_t sentUpTo = 0;  // on the current connection
    size_t inFlight = 0;
  };
  std::map<std::string, Destination> destinations;

  // What the thread took and what was acknowledged to it, committed
  // together by settle(), which runs after the tasks queued before it: a
  // village hearing from 1,000 households commits once per batch, not once
  // per message. Acks go out only after the commit.
  struct Taken {
    uint64_t stream = 0;
    int64_t seq = 0;
  };
  std::map<std::string, Taken> takenUnsettled;          // per sender, the last taken
  std::map<std::string, int64_t> acknowledgedUnsettled;  // per destination, rows up to this go
  std::vector<std::pair<Peer, Ack>> acksToSend;
  bool settlePosted = false;

  void linkChanged(const Peer& peer, bool up);
  void pump(const std::string& peer);
  void acknowledged(const Peer& from, const Ack& ack);
  Status forget(const std::string& peer, int64_t upTo, size_t& deleted) REQUIRES(dbMutex);
  void delivered(const Peer& from, Delivery delivery);
  Status take(const Peer& from, const Delivery& d);
  void settleLater();
  // `send`: the acks too, and the destinations' next rows (not when stopped).
  void settle(bool send = true);

 private:
  sqlite3* db_ GUARDED_BY(dbMutex);
};

void Outbox::State::run() {
  MutexLock lock(queueMutex);
  for (;;) {
    lock.wait(wake, [&]() REQUIRES(queueMutex) { return stopping || !tasks.empty(); });
    if (stopping) return;
    auto task = std::move(tasks.front());
    tasks.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

void Outbox::State::linkChanged(const Peer& peer, bool up) {
  const std::string key = peerKey(peer);
  // What the old connection acknowledged goes before its window is reset.
  if (acknowledgedUnsettled.contains(key)) settle();
  // Up (maybe replacing a connection): what was in flight is gone with it.
  destinations[key] = Destination{.up = up};
  if (up) pump(key);
}

// Sends the destination's next rows while the window has room.
void Outbox::State::pump(const std::string& peer) {
  Destination& d = destinations[peer];
  if (!d.up || d.inFlight >= options.window) return;
  std::vector<Delivery> next;
  {
    MutexLock lock(dbMutex);
    SqlQuery q(db(),
               "SELECT o.seq, b.type, b.bytes FROM outgoing o JOIN body b ON b.id = o.body "
               "WHERE o.peer = ? AND o.seq > ? ORDER BY o.seq LIMIT ?");
    q.bind(peer).bind(d.sentUpTo).bind(static_cast<int64_t>(options.window - d.inFlight));
    for (;;) {
      auto row = q.next();
      if (!row) {
        log::error("outbox.read_failed", {{"error", row.status()}});
        return;
      }
      if (!*row) break;
      next.push_back(Delivery{stream, static_cast<uint64_t>(q.integer(0)), q.text(1), q.blob(2)});
    }
  }
  for (const Delivery& m : next) {
    if (!bus.send(peerOf(peer), Kind::kDeliver, 0, encode(m))) {
      d.up = false;  // the link went; its watcher's down follows
      return;
    }
    d.sentUpTo = static_cast<int64_t>(m.seq);
    ++d.inFlight;
  }
}

void Outbox::State::acknowledged(const Peer& from, const Ack& ack) {
  const std::string key = peerKey(from);
  Destination& d = destinations[key];
  if (ack.stream != stream) return;  // for an outbox this node no longer has
  // An ack past what was sent on this connection is ignored: only what the
  // peer provably received may go.
  const int64_t upTo = std::min(static_cast<int64_t>(ack.seq), d.sentUpTo);
  int64_t& mark = acknowledgedUnsettled[key];
  mark = std::max(mark, upTo);
  settleLater();
}

void Outbox::State::settleLater() {
  if (settlePosted) return;
  settlePosted = post([this] { settle(); });
  if (!settlePosted) settle();  // flooded or stopping: now
}

void Outbox::State::settle(bool send) {
  settlePosted = false;
  std::vector<std::pair<std::string, size_t>> forgotten;
  if (!takenUnsettled.empty() || !acknowledgedUnsettled.empty()) {
    MutexLock lock(dbMutex);
    Status s = SqlQuery(db(), "BEGIN IMMEDIATE").run();
    for (const auto& [key, taken] : takenUnsettled) {
      if (s.isOk()) s = SqlQuery(db(), "UPDATE incoming SET last_seq = ? WHERE peer = ?").bind(taken.seq).bind(key).run();
    }
    for (const auto& [key, upTo] : acknowledgedUnsettled) {
      size_t deleted = 0;
      if (s.isOk()) s = forget(key, upTo, deleted);
      forgotten.emplace_back(key, deleted);
    }
    if (s.isOk()) s = SqlQuery(db(), "COMMIT").run();
    takenUnsettled.clear();
    acknowledgedUnsettled.clear();
    if (!s.isOk()) {
      // Neither side loses anything: what was taken comes again on the
      // next connection (receivers are idempotent), what was acknowledged is sent again.
      (void)SqlQuery(db(), "ROLLBACK").run();
      log::error("outbox.write_failed", {{"error", s}});
      acksToSend.clear();
      return;
    }
  }
  if (!send) return;
  for (const auto& [peer, ack] : acksToSend) (void)bus.send(peer, Kind::kAck, 0, encode(ack));
  acksToSend.clear();
  for (const auto& [key, deleted] : forgotten) {
    Destination& d = destinations[key];
    d.inFlight -= std::min(d.inFlight, deleted);
    pump(key);
  }
}

// Deletes `peer`'s rows up to `upTo`, keeping the last of each type as
// acknowledged, and the bodies nothing refers to any more.
Status Outbox::State::forget(const std::string& peer, int64_t upTo, size_t& deleted) {
  // The bodies that may be left unreferenced: those of the rows going, and
  // those the acknowledged rows replaced below refer to now.
  std::vector<int64_t> bodies;
  {
    SqlQuery q(db(),
               "SELECT body FROM outgoing WHERE peer = ?1 AND seq <= ?2 "
               "UNION SELECT body FROM acknowledged WHERE peer = ?1");
    q.bind(peer).bind(upTo);
    auto rows = readRows<int64_t>(q, [&]() -> Result<int64_t> { return q.integer(0); });
    if (!rows) return rows.status();
    bodies = std::move(*rows);
  }
  // SQLite takes the bare columns from the row where MAX(seq) is.
  VIGIL_RETURN_IF_ERROR(SqlQuery(db(),
                                 "INSERT OR REPLACE INTO acknowledged (peer, type, seq, body) "
                                 "SELECT o.peer, b.type, MAX(o.seq), o.body FROM outgoing o JOIN body b ON b.id = o.body "
                                 "WHERE o.peer = ? AND o.seq <= ? GROUP BY b.type")
                            .bind(peer)
                            .bind(upTo)
                            .run());
  VIGIL_RETURN_IF_ERROR(SqlQuery(db(), "DELETE FROM outgoing WHERE peer = ? AND seq <= ?").bind(peer).bind(upTo).run());
  deleted = static_cast<size_t>(sqlite3_changes(db()));
  for (int64_t id : bodies) {
    VIGIL_RETURN_IF_ERROR(SqlQuery(db(),
                                   "DELETE FROM body WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM outgoing WHERE body = ?1) "
                                   "AND NOT EXISTS (SELECT 1 FROM acknowledged WHERE body = ?1)")
                              .bind(id)
                              .run());
  }
  return Status::ok();
}

void Outbox::State::delivered(const Peer& from, Delivery m) {
  const std::string key = peerKey(from);
  const auto seq = static_cast<int64_t>(m.seq);
  int64_t lastTaken = 0;
  if (auto t = takenUnsettled.find(key); t != takenUnsettled.end() && t->second.stream == m.stream) {
    lastTaken = t->second.seq;
  } else {
    if (t != takenUnsettled.end()) settle();  // the sender's stream changed
    MutexLock lock(dbMutex);
    SqlQuery q(db(), "SELECT last_seq FROM incoming WHERE peer = ? AND stream = ?");
    q.bind(key).bind(std::bit_cast<int64_t>(m.stream));
    auto row = q.next();
    Status s = row.status();
    if (s.isOk() && *row) {
      lastTaken = q.integer(0);
    } else if (s.isOk()) {
      // A stream not seen before (the sender's outbox is new, or this
      // node's database is): it starts here.
      if (seq != 1) log::warn("outbox.new_stream", {{"peer", describe(from)}, {"seq", seq}});
      lastTaken = seq - 1;
      s = SqlQuery(db(), "INSERT OR REPLACE INTO incoming (peer, stream, last_seq) VALUES (?, ?, ?)")
              .bind(key)
              .bind(std::bit_cast<int64_t>(m.stream))
              .bind(lastTaken)
              .run();
    }
    if (!s.isOk()) {
      log::error("outbox.read_failed", {{"error", s}});
      return;
    }
  }
  // After a receiver failed on lastTaken + 1: what follows waits for the
  // sender to give it again, from there, on its next connection.
  if (seq > lastTaken + 1) return;
  if (seq == lastTaken + 1) {
    if (Status s = take(from, m); !s.isOk()) {
      log::error("outbox.receive_failed", {{"peer", describe(from)}, {"type", m.type}, {"seq", seq}, {"error", s}});
      return;
    }
    takenUnsettled[key] = Taken{m.stream, seq};
  }
  // Taken now or before (a resend after a lost ack): acknowledge either
  // way, once what was taken is committed.
  acksToSend.emplace_back(from, Ack{m.stream, m.seq});
  settleLater();
}

Status Outbox::State::take(const Peer& from, const Delivery& d) {
  auto it = receivers.find(d.type);
  if (it == receivers.end()) {
    log::error("outbox.no_receiver", {{"peer", describe(from)}, {"type", d.type}, {"seq", d.seq}});
    return Status::ok();
  }
  return it->second(from, d.body);
}

Result<std::unique_ptr<Outbox>> Outbox::open(const std::string& path, Bus& bus, OutboxOptions options) {
  auto db = openDatabase(path, "");
  if (!db) return db.status();
  auto state = std::make_shared<State>(*db, bus, options);
  {
    MutexLock lock(state->dbMutex);
    VIGIL_RETURN_IF_ERROR(createOrMigrateSchema(state->db()));
    int64_t stream = 0;
    randombytes_buf(&stream, sizeof stream);
    stream |= 1;  // never 0
    // The first open's stream stays.
    VIGIL_RETURN_IF_ERROR(
        SqlQuery(state->db(), "INSERT OR IGNORE INTO meta (key, value) VALUES ('stream', ?)").bind(stream).run());
    SqlQuery q(state->db(), "SELECT value FROM meta WHERE key = 'stream'");
    auto row = q.next();
    if (!row) return row.status();
    state->stream = std::bit_cast<uint64_t>(q.integer(0));
  }
  // The handlers hold the state: the bus may outlive the outbox. Tasks,
  // held by the state, point to it.
  const Bus::Handler deliver = [state](const Peer& from, Frame frame) -> Status {
    auto m = decodeDelivery(frame.payload);
    if (!m) return m.status();
    if (!state->post([s = state.get(), from, m = std::move(*m)]() mutable { s->delivered(from, std::move(m)); })) {
      return Status::resourceExhausted("outbox: too many messages waiting");
    }
    return Status::ok();
  };
  const Bus::Handler ack = [state](const Peer& from, Frame frame) -> Status {
    auto m = decodeAck(frame.payload);
    if (!m) return m.status();
    if (!state->post([s = state.get(), from, m = *m] { s->acknowledged(from, m); })) {
      return Status::resourceExhausted("outbox: too many messages waiting");
    }
    return Status::ok();
  };
  bus.handleFromParent(Kind::kDeliver, deliver);
  bus.handleFromChildren(Kind::kDeliver, deliver);
  bus.handleFromParent(Kind::kAck, ack);
  bus.handleFromChildren(Kind::kAck, ack);
  bus.watchLinks([state](const Peer& peer, bool up) { state->post([s = state.get(), peer, up] { s->linkChanged(peer, up); }); });
  return std::unique_ptr<Outbox>(new Outbox(std::move(state)));
}

Outbox::Outbox(std::shared_ptr<State> state) : state_(std::move(state)) {}

Outbox::~Outbox() { stop(); }

void Outbox::receive(const std::string& type, Receiver receiver) { state_->receivers[type] = std::move(receiver); }

void Outbox::start() {
  MutexLock lock(state_->queueMutex);
  if (state_->running || state_->stopping) return;
  state_->running = true;
  state_->thread = std::thread([state = state_.get()] { state->run(); });
}

void Outbox::stop() {
  {
    MutexLock lock(state_->queueMutex);
    state_->stopping = true;
    state_->wake.notify_one();
  }
  if (state_->thread.joinable()) state_->thread.join();
  {
    MutexLock lock(state_->queueMutex);
    state_->tasks.clear();
  }
  // The thread is gone: its state is this one's. What it took is kept.
  state_->settle(false);
}

Result<int64_t> Outbox::enqueue(const Peer& to, std::string_view type, std::span<const uint8_t> body) {
  auto seqs = enqueueToMany(std::span<const Peer>(&to, 1), type, body);
  if (!seqs) return seqs.status();
  return seqs->front();
}

Result<std::vector<int64_t>> Outbox::enqueueToMany(std::span<const Peer> to, std::string_view type,
                                                   std::span<const uint8_t> body) {
  if (!isValidMessageType(type)) return Status::invalidArgument(fmt::format("outbox: bad message type \"{}\"", type));
  if (body.size() > kMaxMessageBodyBytes) {
    return Status::invalidArgument(fmt::format("outbox: {} bytes, more than {}", body.size(), kMaxMessageBodyBytes));
  }
  std::vector<int64_t> seqs;
  if (to.empty()) return seqs;
  std::vector<std::string> keys;
  keys.reserve(to.size());
  for (const Peer& p : to) keys.push_back(peerKey(p));
  {
    MutexLock lock(state_->dbMutex);
    sqlite3* db = state_->db();
    VIGIL_RETURN_IF_ERROR(SqlQuery(db, "BEGIN IMMEDIATE").run());
    auto insert = [&]() -> Status {
      VIGIL_RETURN_IF_ERROR(SqlQuery(db, "INSERT INTO body (type, bytes) VALUES (?, ?)").bind(type).bind(body).run());
      const int64_t bodyId = sqlite3_last_insert_rowid(db);
      for (const std::string& key : keys) {
        {
          SqlQuery next(db,
                        "INSERT INTO destination (peer, last_seq) VALUES (?, 1) "
                        "ON CONFLICT (peer) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq");
          next.bind(key);
          auto row = next.next();
          if (!row) return row.status();
          seqs.push_back(next.integer(0));
        }
        VIGIL_RETURN_IF_ERROR(SqlQuery(db, "INSERT INTO outgoing (peer, seq, body) VALUES (?, ?, ?)")
                                  .bind(key)
                                  .bind(seqs.back())
                                  .bind(bodyId)
                                  .run());
      }
      return SqlQuery(db, "COMMIT").run();
    };
    if (Status s = insert(); !s.isOk()) {
      (void)SqlQuery(db, "ROLLBACK").run();
      return s;
    }
  }
  // One task for all: a fan-out to thousands must not fill the thread's queue.
  state_->post([state = state_.get(), keys = std::move(keys)] {
    for (const std::string& key : keys) state->pump(key);
  });
  return seqs;
}

Result<std::optional<Outbox::Acknowledged>> Outbox::lastAcknowledged(const Peer& to, std::string_view type) {
  MutexLock lock(state_->dbMutex);
  SqlQuery q(state_->db(),
             "SELECT a.seq, b.bytes FROM acknowledged a JOIN body b ON b.id = a.body WHERE a.peer = ? AND a.type = ?");
  q.bind(peerKey(to)).bind(type);
  auto row = q.next();
  if (!row) return row.status();
  if (!*row) return std::optional<Acknowledged>();
  return std::optional<Acknowledged>(Acknowledged{q.integer(0), q.blob(1)});
}

Result<int64_t> Outbox::pending(const Peer& to) {
  MutexLock lock(state_->dbMutex);
  SqlQuery q(state_->db(), "SELECT COUNT(*) FROM outgoing WHERE peer = ?");
  q.bind(peerKey(to));
  auto row = q.next();
  if (!row) return row.status();
  return *row ? q.integer(0) : 0;
}

}  // namespace vigil::link
