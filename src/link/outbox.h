#pragma once
// The durable outbox (design/LINK.md, "Outbox"): messages that must arrive
// (audit checkpoints, health, alarms, notices; not the catalog, which is
// state resent whole) are written to <data_dir>/outbox.db before anything
// is sent, delivered over the bus at least once and in order per
// destination, and taken by the receiver exactly once: it keeps, per
// sender, the last sequence number it took, in the same database. Both
// directions: a child to its parent, a parent to each child.
//
//   sender                                 receiver
//   enqueue(): row (peer, seq) committed,
//     its body shared by the rows of an enqueueToMany()
//   link up: send rows from the first      kDeliver: seq <= last taken: ack again;
//     unacked, at most `window` in flight    else the type's receiver, then
//   kAck n: rows <= n deleted                last taken = seq, kAck seq
//   (each side commits its takes and deletions once per batch of queued
//   messages; an ack leaves only after the commit)
//
// Threads: enqueue() and the queries run on the caller's thread (a local
// SQLite commit, never the network: recording never waits for a link).
// Everything else (sending, acks, receivers) runs on the outbox's own
// thread; the bus handlers only hand frames to it.

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "link/bus.h"

namespace vigil::link {

struct OutboxOptions {
  // Messages sent and not yet acknowledged, per destination: this many of
  // the largest fill half of a link's control lane (SendQueueLimits).
  size_t window = 8;
};

class Outbox {
 public:
  // OK: the message is taken (acknowledged, never given again). An error:
  // not taken; neither is what follows from that sender until its next
  // connection gives them again. Runs on the outbox's thread.
  using Receiver = std::function<Status(const Peer& from, std::span<const uint8_t> body)>;

  // Opens (creates) the database and registers on the bus: before the links start.
  static Result<std::unique_ptr<Outbox>> open(const std::string& path, Bus& bus, OutboxOptions options = {});
  ~Outbox();  // stop()s
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Before start(). A message of a type nobody receives is logged and taken.
  void receive(const std::string& type, Receiver receiver);
  void start();
  // Sends and receives nothing more; enqueue() still stores.
  void stop();

  // Durable once it returns: the message's sequence number for `to`.
  // InvalidArgument for a bad type (wire.h) or a body over kMaxMessageBodyBytes.
  Result<int64_t> enqueue(const Peer& to, std::string_view type, std::span<const uint8_t> body);
  // The same message to each of `to`, in one transaction, its body stored
  // once (a notice to every household below): their sequence numbers, in
  // the order of `to`. Durable and ordered per destination as enqueue().
  Result<std::vector<int64_t>> enqueueToMany(std::span<const Peer> to, std::string_view type,
                                             std::span<const uint8_t> body);

  struct Acknowledged {
    int64_t seq = 0;
    std::vector<uint8_t> body;
  };
  // The last message of `type` that `to` acknowledged, if any.
  Result<std::optional<Acknowledged>> lastAcknowledged(const Peer& to, std::string_view type);
  // Messages for `to` not yet acknowledged.
  Result<int64_t> pending(const Peer& to);

 private:
  struct State;
  explicit Outbox(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;  // shared with the bus's handlers
};

}  // namespace vigil::link
