#include "link/checkpoint_relay.h"

#include <algorithm>

#include "base/log.h"

namespace vigil::link {

Status CheckpointSender::offer(const access::AuditCheckpoint& c) {
  MutexLock lock(mutex_);
  if (c.seq <= lastSeq_) return Status::ok();
  const std::string text = c.encode();
  auto seq = outbox_.enqueue(Peer::theParent(), kCheckpointMessage,
                             std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  if (!seq) return seq.status();
  log::info("link.checkpoint_queued", {{"seq", c.seq}, {"message", *seq}});
  lastSeq_ = c.seq;
  return Status::ok();
}

Status keepChildCheckpoint(LinkStore& store, const Clock& clock, const std::string& childId,
                           std::span<const uint8_t> body) {
  const std::string text(body.begin(), body.end());
  auto c = access::AuditCheckpoint::parse(text);
  if (!c) {
    log::warn("link.checkpoint_refused", {{"child", childId}, {"error", c.status()}});
    return Status::ok();
  }
  auto children = store.listChildren();
  if (!children) return children.status();
  auto child = std::find_if(children->begin(), children->end(), [&](const ChildRecord& r) { return r.id == childId; });
  if (child == children->end() || child->key != c->key || !c->signatureValid()) {
    log::warn("link.checkpoint_refused", {{"child", childId}, {"seq", c->seq}, {"error", "not signed by the child's pinned key"}});
    return Status::ok();
  }
  auto kept = store.addChildCheckpoint(childId, {c->seq, c->head, c->at, clock.now(), text, ""});
  if (!kept) return kept.status();
  if (*kept && !(*kept)->problem.empty()) {
    log::error("link.checkpoint_cut_log", {{"child", childId}, {"seq", c->seq}, {"problem", (*kept)->problem}});
  }
  return Status::ok();
}

void receiveChildCheckpoints(Outbox& outbox, LinkStore& store, const Clock& clock) {
  outbox.receive(std::string(kCheckpointMessage), [&store, &clock](const Peer& from, std::span<const uint8_t> body) {
    // Only children send checkpoints; from a parent it is refused like junk.
    if (from.parent) return Status::ok();
    return keepChildCheckpoint(store, clock, from.childId, body);
  });
}

}  // namespace vigil::link
