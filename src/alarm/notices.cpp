#include "alarm/notices.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "alarm/alarm.h"
#include "base/log.h"
#include "link/wire.h"

namespace vigil::alarm {

namespace {

// How often the thread queues what a failed or interrupted flush left.
constexpr auto kTickEvery = std::chrono::milliseconds(250);
// How far ahead of this node's clock a child's receipt time may be.
constexpr int64_t kReceiptClockSlackMs = 5 * 60'000;

bool named(const std::vector<std::string>& to, const std::string& id) {
  return std::find(to.begin(), to.end(), id) != to.end();
}

// The paths of `to` below `child`, from the child ("village1.house2" is
// "house2" to village1); empty when `to` is (all) or names it whole.
std::vector<std::string> below(const std::vector<std::string>& to, const std::string& child) {
  std::vector<std::string> out;
  if (to.empty() || named(to, child)) return out;
  for (const std::string& path : to) {
    if (path.size() > child.size() + 1 && path.starts_with(child) && path[child.size()] == '.') {
      out.push_back(path.substr(child.size() + 1));
    }
  }
  return out;
}

// A receipt row "targeted" for each household child it goes on to.
std::vector<Receipt> targeted(const std::vector<NoticeChild>& children, const std::vector<Forward>& forwards) {
  std::vector<Receipt> out;
  for (const NoticeChild& c : children) {
    if (!c.relays && std::any_of(forwards.begin(), forwards.end(), [&](const Forward& f) { return f.child == c.id; })) {
      out.push_back({{c.id, 0, 0}, c.id});
    }
  }
  return out;
}

}  // namespace

Notices::Notices(NoticesContext context) : context_(std::move(context)) {
  for (std::string_view type : {kNoticeMessage, kAudioMessage, kReceiptMessage}) {
    context_.outbox->receive(std::string(type), [this, type](const link::Peer& from, std::span<const uint8_t> body) {
      return receive(from, type, body);
    });
  }
}

Notices::~Notices() { stop(); }

void Notices::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Notices::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notices::run() {
  MutexLock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    if (Status s = tick(); !s.isOk()) log::error("notice.tick_failed", {{"error", s}});
    lock.lock();
    lock.waitFor(wake_, kTickEvery, [&]() REQUIRES(mutex_) { return stopping_; });
  }
}

int64_t Notices::nowMillis() const { return context_.clock->now().unixMicros() / 1000; }

Result<std::vector<NoticeChild>> Notices::children() const {
  return context_.children ? context_.children() : std::vector<NoticeChild>{};
}

std::vector<Forward> Notices::forwardsFor(const std::vector<NoticeChild>& children,
                                          const std::vector<std::string>& to) const {
  std::vector<Forward> out;
  for (const NoticeChild& c : children) {
    // A household has nothing below it: a path through one names nobody.
    if (to.empty() || named(to, c.id) || (c.relays && !below(to, c.id).empty())) out.push_back({c.id});
  }
  return out;
}

Result<StoredNotice> Notices::send(const NewNotice& n) {
  if (!canSend()) return Status::permissionDenied("a household sends no broadcasts: only a village or a tier above");
  if (n.text.empty() || !isValidText(n.text, kMaxNoticeChars)) {
    return Status::invalidArgument(fmt::format("text: must be text of 1 to {} characters", kMaxNoticeChars));
  }
  if (n.to.size() > kMaxNoticeTargets) {
    return Status::invalidArgument(fmt::format("to: at most {} node ids", kMaxNoticeTargets));
  }
  if (n.audio.size() > kMaxAudioBytes) return Status::invalidArgument("audio: at most 1 MiB");
  if (n.audio.empty() != n.audioType.empty() || (!n.audioType.empty() && !isAudioType(n.audioType))) {
    return Status::invalidArgument(
        "audio_type: goes with audio, one of audio/webm, audio/ogg, audio/mpeg, audio/wav, audio/mp4");
  }
  const WallTime now = context_.clock->now();
  const WallTime expires = n.expiresAt.value_or(now + std::chrono::microseconds(kDefaultNoticeLifetime));
  if (expires <= now) return Status::invalidArgument("expires_at: must be in the future");
  auto children = this->children();
  if (!children) return children.status();
  std::set<std::string> seenPaths;
  for (const std::string& path : n.to) {
    if (!isNoticeTarget(path)) return Status::invalidArgument("to: must hold node paths such as village1 or village1.house2");
    if (!seenPaths.insert(path).second) return Status::invalidArgument("to: " + path + " is named twice");
    // A path starts at one of this node's own children: ids are unique
    // among one parent's children, not across villages, so a bare id
    // further down could reach another family with the same id (DECISIONS 63).
    const std::string first = path.substr(0, path.find('.'));
    const auto child = std::find_if(children->begin(), children->end(), [&](const NoticeChild& c) { return c.id == first; });
    if (child == children->end()) {
      return Status::invalidArgument("to: " + path +
                                     " does not start at a node directly below this one: name a child, or a path "
                                     "through it such as village1.house2");
    }
    if (first != path && !child->relays) {
      return Status::invalidArgument("to: " + path + " goes below a household, which has no nodes below it");
    }
  }
  for (const std::string& path : n.to) {
    for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
      if (seenPaths.contains(path.substr(0, dot))) {
        return Status::invalidArgument("to: " + path + " is below " + path.substr(0, dot) + ", which is named whole");
      }
    }
  }
  const std::vector<Forward> forwards = forwardsFor(*children, n.to);
  if (forwards.empty()) return Status::failedPrecondition("no node below this one to send the notice to");
  StoredNotice s{.notice = {.id = newAlarmId(),
                            .from = context_.selfId,
                            .text = n.text,
                            .priority = n.priority,
                            .sentAt = now.unixMicros() / 1000,
                            .expiresAt = expires.unixMicros() / 1000,
                            .to = n.to,
                            .audioType = n.audioType,
                            .audioBytes = static_cast<int64_t>(n.audio.size())},
                 .sent = true,
                 .storedAt = now.unixMicros() / 1000,
                 .unsent = true};
  const std::vector<uint8_t> record = encode(s.notice);
  if (record.size() > link::kMaxMessageBodyBytes) {
    return Status::invalidArgument("to: the list is too long for one message");
  }
  // What every node will decode, this one first: a record that would not
  // (an expiry past the year 9999 given with an offset, or within the
  // millisecond it is sent) must not be stored.
  if (auto back = decodeNotice(record); !back) return back.status();
  MutexLock lock(mutex_);
  VIGIL_RETURN_IF_ERROR(context_.store->add(s, n.audio, forwards, targeted(*children, forwards), false));
  log::info("notice.sent", {{"id", s.notice.id},
                            {"user", n.user},
                            {"priority", priorityName(n.priority)},
                            {"children", forwards.size()},
                            {"audio_bytes", n.audio.size()}});
  // Stored: the notice stands even if the outbox fails now (the thread retries).
  if (Status st = flushUnsent(); !st.isOk()) log::error("notice.not_queued", {{"id", s.notice.id}, {"error", st}});
  auto stored = context_.store->get(s.notice.id);
  if (!stored) return stored.status();
  return **stored;
}

Result<std::vector<StoredNotice>> Notices::list(size_t limit) { return context_.store->list(nowMillis(), limit); }

Result<std::optional<StoredNotice>> Notices::find(const std::string& id) {
  if (!isValidAlarmId(id)) return std::optional<StoredNotice>();
  auto n = context_.store->get(id);
  if (!n) return n.status();
  if (*n && !(*n)->sent && ((*n)->deliveredAt == 0 || (*n)->notice.expiresAt <= nowMillis())) {
    return std::optional<StoredNotice>();
  }
  return n;
}

Status Notices::seen(const std::string& id) {
  auto n = find(id);
  if (!n) return n.status();
  if (!*n || (*n)->sent) return Status::notFound("no such notice received here");
  MutexLock lock(mutex_);
  auto changed = context_.store->markSeen(id, nowMillis(), context_.selfId,
                                          context_.hasParent && context_.selfTier == Tier::kHousehold);
  if (!changed) return changed.status();
  if (*changed) {
    log::info("notice.seen", {{"id", id}});
    if (Status s = flushUnsent(); !s.isOk()) log::error("notice.not_queued", {{"id", id}, {"error", s}});
  }
  return Status::ok();
}

Status Notices::receive(const link::Peer& from, std::string_view type, std::span<const uint8_t> body) {
  const auto refuse = [&](std::string_view why) {
    log::warn("notice.refused",
              {{"from", from.parent ? "parent" : "child " + from.childId}, {"type", type}, {"error", why}});
    return Status::ok();  // sending it again changes nothing
  };
  if (from.parent != (type != kReceiptMessage)) return refuse("notices go down, receipts up");
  MutexLock lock(mutex_);
  // What a kill -9 left unsent goes before what this message adds. A
  // failure to queue is not the message's: it is logged and the thread
  // retries, as refusing the message would hold back every later one of
  // this neighbour's outbox stream (its alarms too).
  flushOrLog();
  Status s;
  if (type == kNoticeMessage) {
    auto n = decodeNotice(body);
    s = n ? receiveNotice(std::move(*n)) : n.status();
  } else if (type == kAudioMessage) {
    s = receiveAudio(body);
  } else {
    s = receiveReceipts(from.childId, body);
  }
  if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kPermissionDenied) return refuse(s.message());
  if (!s.isOk()) return s;
  flushOrLog();
  return Status::ok();
}

Status Notices::receiveNotice(Notice n) {
  const int64_t now = nowMillis();
  if (n.expiresAt <= now) {
    log::info("notice.expired", {{"id", n.id}, {"from", n.from}});
    return Status::ok();
  }
  auto existing = context_.store->get(n.id);
  if (!existing) return existing.status();
  if (*existing) return Status::ok();  // again after a restart: taken once
  const bool household = context_.selfTier == Tier::kHousehold;
  auto children = household ? std::vector<NoticeChild>{} : this->children();
  if (!children) return children.status();
  // `to` is relative to this node: the sender named paths from its own
  // children, and each node on the way took off its own id.
  const std::vector<Forward> forwards = forwardsFor(*children, n.to);
  std::vector<Receipt> receipts = targeted(*children, forwards);
  const bool whole = n.audioBytes == 0;
  if (household && whole) receipts.push_back({{context_.selfId, now, 0}, ""});
  StoredNotice s{.notice = std::move(n), .storedAt = now, .deliveredAt = whole ? now : 0, .unsent = whole};
  VIGIL_RETURN_IF_ERROR(context_.store->add(s, {}, forwards, receipts, context_.hasParent));
  log::info("notice.received", {{"id", s.notice.id}, {"from", s.notice.from}, {"children", forwards.size()}});
  if (whole && context_.onReceived) context_.onReceived(s.notice);
  return Status::ok();
}

Status Notices::receiveAudio(std::span<const uint8_t> body) {
  auto chunk = decodeAudioChunk(body);
  if (!chunk) return chunk.status();
  std::optional<Receipt> self;
  if (context_.selfTier == Tier::kHousehold) self = Receipt{{context_.selfId, nowMillis(), 0}, ""};
  auto whole = context_.store->addAudioChunk(chunk->id, chunk->index, chunk->bytes, nowMillis(), self);
  if (!whole) return whole.status();
  if (!*whole) return Status::ok();
  auto n = context_.store->get(chunk->id);
  if (!n) return n.status();
  log::info("notice.audio_whole", {{"id", chunk->id}});
  if (*n && context_.onReceived) context_.onReceived((*n)->notice);
  return Status::ok();
}

Status Notices::receiveReceipts(const std::string& child, std::span<const uint8_t> body) {
  auto r = decodeReceipts(body);
  if (!r) return r.status();
  auto n = context_.store->get(r->id);
  if (!n) return n.status();
  auto forwards = context_.store->forwards(r->id);
  if (!forwards) return forwards.status();
  if (!*n || std::none_of(forwards->begin(), forwards->end(), [&](const Forward& f) { return f.child == child; })) {
    return Status::permissionDenied("a receipt for a notice not sent to " + child);
  }
  auto children = this->children();
  if (!children) return children.status();
  const auto c = std::find_if(children->begin(), children->end(), [&](const NoticeChild& c) { return c.id == child; });
  const bool relays = c != children->end() && c->relays;
  const bool up = context_.hasParent && !(*n)->sent;
  bool mayAdd = false;  // a household child's row is there from the start
  if (relays) {
    auto below = context_.store->householdsVia(r->id, child);
    if (!below) return below.status();
    mayAdd = *below + static_cast<int64_t>(r->households.size()) <= context_.maxHouseholdsPerRelay;
  }
  size_t refused = 0;
  std::string why;
  for (HouseholdReceipt h : r->households) {
    // A household speaks only for itself; a relay for the households below
    // it, named here by their path through it: ids are unique only among
    // one parent's children (two villages may each have a house1), and a
    // relay cannot touch another child's rows.
    if (relays) h.node = child + "." + h.node;
    // Times are the child's word: within [sent, now + 5 min] here, and
    // seen implies delivered.
    const int64_t sent = (*n)->notice.sentAt;
    for (int64_t* t : {&h.deliveredAt, &h.seenAt}) {
      if (*t != 0) *t = std::clamp(*t, sent, std::max(sent, nowMillis() + kReceiptClockSlackMs));
    }
    if (h.deliveredAt == 0) h.deliveredAt = h.seenAt;
    if (relays ? !isValidCameraRef(h.node) : h.node != child) {
      ++refused;
      why = relays ? "a path too deep below " + child : "a household speaks only for itself";
      continue;
    }
    auto merged = context_.store->mergeReceipt(r->id, child, h, up, mayAdd);
    if (!merged && merged.status().code() != StatusCode::kPermissionDenied) return merged.status();
    if (!merged) {
      ++refused;
      why = merged.status().message();
    }
  }
  // One line per message, not per row (400 rows a message).
  if (refused > 0) {
    log::warn("notice.refused",
              {{"from", "child " + child}, {"type", kReceiptMessage}, {"rows", refused}, {"error", why}});
  }
  return Status::ok();
}

Status Notices::flushUnsent() {
  auto unsent = context_.store->unsent();
  if (!unsent) return unsent.status();
  for (const StoredNotice& s : *unsent) {
    if (!s.sent && s.notice.expiresAt <= nowMillis()) {
      log::info("notice.expired", {{"id", s.notice.id}, {"from", s.notice.from}});  // not passed on
      VIGIL_RETURN_IF_ERROR(context_.store->markSent(s.notice.id));
      continue;
    }
    auto forwards = context_.store->forwards(s.notice.id);
    if (!forwards) return forwards.status();
    auto chunks = context_.store->audioChunks(s.notice.id);
    if (!chunks) return chunks.status();
    // One batch per message (DECISIONS 63): the notice, then each chunk, to
    // every child it goes on to. Each child is told the paths below it
    // (none: all); the children told the same share one stored body.
    std::vector<link::Peer> children;
    std::map<std::vector<std::string>, std::vector<link::Peer>> byTargets;
    for (const Forward& f : *forwards) {
      children.push_back(link::Peer::child(f.child));
      byTargets[below(s.notice.to, f.child)].push_back(children.back());
    }
    for (const auto& [to, peers] : byTargets) {
      Notice forwarded = s.notice;
      forwarded.to = to;
      VIGIL_RETURN_IF_ERROR(context_.outbox->enqueueToMany(peers, kNoticeMessage, encode(forwarded)).status());
    }
    for (size_t i = 0; i < chunks->size(); ++i) {
      VIGIL_RETURN_IF_ERROR(
          context_.outbox
              ->enqueueToMany(children, kAudioMessage, encodeAudioChunk(s.notice.id, static_cast<uint32_t>(i), (*chunks)[i]))
              .status());
    }
    VIGIL_RETURN_IF_ERROR(context_.store->markSent(s.notice.id));
  }
  if (!context_.hasParent) return Status::ok();
  auto receipts = context_.store->unsentReceipts();
  if (!receipts) return receipts.status();
  for (const Receipts& r : *receipts) {
    VIGIL_RETURN_IF_ERROR(context_.outbox->enqueue(link::Peer::theParent(), kReceiptMessage, encode(r)).status());
    VIGIL_RETURN_IF_ERROR(context_.store->markReceiptsSent(r));
  }
  return Status::ok();
}

void Notices::flushOrLog() {
  if (Status s = flushUnsent(); !s.isOk()) log::error("notice.not_queued", {{"error", s}});
}

Status Notices::tick() {
  MutexLock lock(mutex_);
  if (const int64_t now = nowMillis(); now >= nextPrune_) {
    auto pruned = context_.store->pruneReceived(now - std::chrono::milliseconds(kKeptAfterExpiry).count());
    if (!pruned) return pruned.status();
    if (*pruned > 0) log::info("notice.pruned", {{"notices", *pruned}});
    nextPrune_ = now + 60'000;
  }
  return flushUnsent();
}

}  // namespace vigil::alarm
