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
-- What this node sends; a row goes when its destination acknowledges it.
-- peer: '' for the parent, else the child's id.
CREATE TABLE IF NOT EXISTS outgoing (
  peer TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (peer, seq)
) WITHOUT ROWID;
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
  body BLOB NOT NULL,
  PRIMARY KEY (peer, type)
);
-- Per sender: its outbox's stream and the last sequence number taken.
CREATE TABLE IF NOT EXISTS incoming (
  peer TEXT PRIMARY KEY NOT NULL,
  stream INTEGER NOT NULL,
  last_seq INTEGER NOT NULL
);
)sql";

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

  void linkChanged(const Peer& peer, bool up);
  void pump(const std::string& peer);
  void acknowledged(const Peer& from, const Ack& ack);
  void delivered(const Peer& from, Delivery delivery);
  Status take(const Peer& from, const Delivery& d);

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
    SqlQuery q(db(), "SELECT seq, type, body FROM outgoing WHERE peer = ? AND seq > ? ORDER BY seq LIMIT ?");
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
  {
    MutexLock lock(dbMutex);
    Status s = SqlQuery(db(), "BEGIN IMMEDIATE").run();
    if (s.isOk()) {
      s = SqlQuery(db(),
                   "INSERT OR REPLACE INTO acknowledged (peer, type, seq, body) "
                   "SELECT peer, type, seq, body FROM outgoing o WHERE peer = ?1 AND seq <= ?2 AND seq = "
                   "(SELECT MAX(seq) FROM outgoing WHERE peer = ?1 AND type = o.type AND seq <= ?2)")
              .bind(key)
              .bind(upTo)
              .run();
    }
    if (s.isOk()) s = SqlQuery(db(), "DELETE FROM outgoing WHERE peer = ? AND seq <= ?").bind(key).bind(upTo).run();
    const auto deleted = static_cast<size_t>(sqlite3_changes(db()));
    if (s.isOk()) s = SqlQuery(db(), "COMMIT").run();
    if (!s.isOk()) {
      (void)SqlQuery(db(), "ROLLBACK").run();
      log::error("outbox.ack_failed", {{"peer", describe(from)}, {"error", s}});
      return;
    }
    d.inFlight -= std::min(d.inFlight, deleted);
  }
  pump(key);
}

void Outbox::State::delivered(const Peer& from, Delivery m) {
  const std::string key = peerKey(from);
  const auto seq = static_cast<int64_t>(m.seq);
  int64_t lastTaken = 0;
  {
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
    MutexLock lock(dbMutex);
    Status s = SqlQuery(db(), "UPDATE incoming SET last_seq = ? WHERE peer = ?").bind(seq).bind(key).run();
    if (!s.isOk()) {
      log::error("outbox.write_failed", {{"error", s}});
      return;
    }
  }
  // Taken now or before (a resend after a lost ack): acknowledge either way.
  (void)bus.send(from, Kind::kAck, 0, encode(Ack{m.stream, m.seq}));
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
  auto db = openDatabase(path, kSchema);
  if (!db) return db.status();
  auto state = std::make_shared<State>(*db, bus, options);
  {
    MutexLock lock(state->dbMutex);
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
  MutexLock lock(state_->queueMutex);
  state_->tasks.clear();
}

Result<int64_t> Outbox::enqueue(const Peer& to, std::string_view type, std::span<const uint8_t> body) {
  if (!isValidMessageType(type)) return Status::invalidArgument(fmt::format("outbox: bad message type \"{}\"", type));
  if (body.size() > kMaxMessageBodyBytes) {
    return Status::invalidArgument(fmt::format("outbox: {} bytes, more than {}", body.size(), kMaxMessageBodyBytes));
  }
  const std::string key = peerKey(to);
  int64_t seq = 0;
  {
    MutexLock lock(state_->dbMutex);
    sqlite3* db = state_->db();
    VIGIL_RETURN_IF_ERROR(SqlQuery(db, "BEGIN IMMEDIATE").run());
    auto insert = [&]() -> Status {
      VIGIL_RETURN_IF_ERROR(SqlQuery(db,
                                     "INSERT INTO destination (peer, last_seq) VALUES (?, 1) "
                                     "ON CONFLICT (peer) DO UPDATE SET last_seq = last_seq + 1")
                                .bind(key)
                                .run());
      SqlQuery q(db, "SELECT last_seq FROM destination WHERE peer = ?");
      q.bind(key);
      auto row = q.next();
      if (!row) return row.status();
      seq = q.integer(0);
      VIGIL_RETURN_IF_ERROR(SqlQuery(db, "INSERT INTO outgoing (peer, seq, type, body) VALUES (?, ?, ?, ?)")
                                .bind(key)
                                .bind(seq)
                                .bind(type)
                                .bind(body)
                                .run());
      return SqlQuery(db, "COMMIT").run();
    };
    if (Status s = insert(); !s.isOk()) {
      (void)SqlQuery(db, "ROLLBACK").run();
      return s;
    }
  }
  state_->post([state = state_.get(), key] { state->pump(key); });
  return seq;
}

Result<std::optional<Outbox::Acknowledged>> Outbox::lastAcknowledged(const Peer& to, std::string_view type) {
  MutexLock lock(state_->dbMutex);
  SqlQuery q(state_->db(), "SELECT seq, body FROM acknowledged WHERE peer = ? AND type = ?");
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
