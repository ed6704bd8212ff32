#include "http/media_response.h"

#include <fmt/format.h>

#include <strings.h>

#include <chrono>
#include <mutex>

#include "http/body.h"
#include "http/server_internal.h"

namespace vigil::http {

Status auditLook(access::AuditLog* audit, const Request& req, std::string action, const nlohmann::json& detail) {
  if (!audit) return Status::ok();
  nlohmann::json row = detail;
  if (!req.remoteLook.empty()) row.update(nlohmann::json::parse(req.remoteLook, nullptr, false));
  return audit->record({req.principal->user, std::move(action), req.params.at("id"), req.remoteAddress, row.dump()});
}

Status RecentLooks::audit(access::AuditLog* audit, const Request& req, std::string action,
                          const nlohmann::json& detail) {
  const std::string look = fmt::format("{}\n{}\n{}\n{}", req.sessionToken, req.params.at("id"), action, detail.dump());
  const auto now = std::chrono::steady_clock::now();
  {
    MutexLock lock(mutex_);
    std::erase_if(lastRequest_, [&](const auto& entry) { return now - entry.second > window_; });
    auto [it, added] = lastRequest_.try_emplace(look, now);
    it->second = now;
    if (!added) return Status::ok();
  }
  Status written = auditLook(audit, req, std::move(action), detail);
  if (!written.isOk()) {
    MutexLock lock(mutex_);
    lastRequest_.erase(look);
  }
  return written;
}

Response fileResponse(std::shared_ptr<const storage::VirtualFile> file, std::string contentType) {
  Response r;
  r.contentType = std::move(contentType);
  // Recorded video does not change: players may revalidate and resume.
  r.etag = file->entityTag();
  r.source = virtualFileBody(std::move(file));
  return r;
}

Response bytesResponse(const media::Bytes& bytes, std::string contentType) {
  Response r;
  r.contentType = std::move(contentType);
  r.body.assign(bytes.begin(), bytes.end());
  return r;
}

std::optional<SegmentName> parseSegmentName(std::string_view name) {
  SegmentName out;
  if (name.starts_with("init-") && name.ends_with(".mp4")) {
    out.init = true;
    name = name.substr(5, name.size() - 9);
  } else if (name.ends_with(".m4s")) {
    name = name.substr(0, name.size() - 4);
  } else {
    return std::nullopt;
  }
  if (name.empty() || name.size() > 18) return std::nullopt;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    out.number = out.number * 10 + static_cast<uint64_t>(c - '0');
  }
  return out;
}

namespace {

// How long the asking node's HTTP worker waits for the owner: for the
// reply's head, then for each chunk of its body (a body that stalls
// longer is cut).
constexpr auto kOwnerWait = std::chrono::seconds(5);
// An export's head comes later from an owner that masks all of it first
// (a camera with privacy masks: recording_routes.h, kMaxMaskedExport).
constexpr auto kExportOwnerWait = std::chrono::seconds(90);
// A reply without Range support (a list, a playlist, an init segment) is
// held whole before it is answered: at most this much.
constexpr uint64_t kMaxHeldReply = 4 << 20;
constexpr size_t kHeldChunk = link::RemoteMedia::kCreditStep;
// And whole, from the ask to its last byte, within this: else a child
// trickling chunks could keep a worker for kOwnerWait per chunk.
constexpr auto kHeldReplyLimit = std::chrono::seconds(15);

// At most this many of the server's HTTP workers (4) wait on other nodes
// at once, for a reply's head or a held reply: slow or stalled children
// cannot take the workers this node's own API needs. One more ask is
// answered 503 with Retry-After at once (waiting for a slot would itself
// hold a worker). A ranged body streams after its slot is given back; each
// of its reads waits at most kOwnerWait. An export may wait much longer
// for its head (kExportOwnerWait), as long for an owner that never
// answers: one slot at most waits so, the other stays for the short asks.
class LinkWaitSlot {
 public:
  static constexpr int kSlots = 2;
  static constexpr int kLongSlots = 1;
  explicit LinkWaitSlot(bool longWait) : long_(longWait) {
    std::lock_guard lock(mutex_);
    held_ = used_ < kSlots && (!long_ || usedLong_ < kLongSlots);
    used_ += held_;
    usedLong_ += held_ && long_;
  }
  ~LinkWaitSlot() {
    std::lock_guard lock(mutex_);
    used_ -= held_;
    usedLong_ -= held_ && long_;
  }
  LinkWaitSlot(const LinkWaitSlot&) = delete;
  LinkWaitSlot& operator=(const LinkWaitSlot&) = delete;
  bool held() const { return held_; }

 private:
  static inline std::mutex mutex_;
  static inline int used_ = 0;
  static inline int usedLong_ = 0;
  const bool long_;
  bool held_ = false;
};

// An owner's body as it streams up the link, read in order by the server.
class TransferBody final : public BodySource {
 public:
  explicit TransferBody(std::unique_ptr<link::RemoteMedia::Transfer> transfer) : transfer_(std::move(transfer)) {}
  uint64_t size() const override { return transfer_->head().length; }
  Result<std::vector<uint8_t>> read(uint64_t offset, size_t length) const override {
    MutexLock lock(mutex_);
    if (offset != next_) return Status::internal("a body from another node is read in order only");
    auto bytes = transfer_->read(length, kOwnerWait);
    if (!bytes) return bytes.status();
    if (bytes->size() != length) return Status::dataLoss("the owner's body ended early");
    next_ += length;
    return bytes;
  }

 private:
  mutable Mutex mutex_;
  std::unique_ptr<link::RemoteMedia::Transfer> transfer_;
  mutable uint64_t next_ GUARDED_BY(mutex_) = 0;
};

std::string headerOf(const Request& req, const char* name) {
  auto it = req.headers.find(name);
  return it == req.headers.end() ? std::string() : it->second;
}

std::string responseHeader(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), name.size()) == 0) return v;
  }
  return {};
}

// What this node serves of an owner's reply is decided here: the type
// from the route asked and a status the recording routes give. The owner,
// or any node on the way, could otherwise serve a page and a script on
// this node's origin, to its users' sessions.
std::string typeOfRoute(std::string_view tail, int status) {
  if (status / 100 != 2 || tail == "recordings") return "application/json";
  if (tail == "playback.m3u8") return "application/vnd.apple.mpegurl";
  return "video/mp4";  // playback/{segment}, export.mp4
}

bool isRouteStatus(int status) {
  switch (status) {
    case 200: case 206: case 400: case 403: case 404: case 416: case 429: case 500: case 503: return true;
    default: return false;
  }
}

// An export is always a download, named by the owner within safe characters.
std::string exportDisposition(std::string_view owners, const std::string& camera) {
  constexpr std::string_view kName = "filename=\"";
  const size_t at = owners.find(kName);
  if (at == std::string_view::npos) return attachmentDisposition(camera + ".mp4");
  std::string_view name = owners.substr(at + kName.size());
  return attachmentDisposition(name.substr(0, name.find('"')));
}

}  // namespace

Response askOwner(link::RemoteMedia* media, const Request& req) {
  const std::string& id = req.params.at("id");
  if (!media) return errorResponse(Status::unavailable("this node has no tier link"));
  const std::string prefix = "/api/v1/cameras/" + id + "/";
  if (!req.path.starts_with(prefix)) return Response::error(404, "not found");
  const std::string tail = req.path.substr(prefix.size());
  const LinkWaitSlot slot(tail == "export.mp4");
  if (!slot.held()) {
    Response busy = Response::error(503, "this node is waiting on other nodes for as many requests as it can; try again");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  }
  const auto deadline = std::chrono::steady_clock::now() + kHeldReplyLimit;
  auto transfer = media->fetch({id, tail, req.query, headerOf(req, "range"), headerOf(req, "if-range"), req.principal->user},
                               tail == "export.mp4" ? kExportOwnerWait : kOwnerWait);
  if (!transfer) return errorResponse(transfer.status());
  const link::MediaHead& head = (*transfer)->head();
  if (!isRouteStatus(head.status)) return Response::error(502, "the owner's reply has an unexpected status");
  Response r;
  r.status = head.status;
  r.contentType = typeOfRoute(tail, head.status);
  if (!head.contentRange.empty()) r.headers.emplace_back("Content-Range", head.contentRange);
  if (tail == "export.mp4" && r.status / 100 == 2) {
    r.headers.emplace_back("Content-Disposition", exportDisposition(head.disposition, id));
  }
  if (head.ranges) {
    r.source = std::make_shared<TransferBody>(std::move(*transfer));
    return r;
  }
  if (head.length > kMaxHeldReply) return Response::error(502, "the owner's reply is too large");
  while (r.body.size() < head.length) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return errorResponse(Status::deadlineExceeded("the owner's reply took too long"));
    auto bytes = (*transfer)->read(std::min<size_t>(kHeldChunk, head.length - r.body.size()),
                                   std::min<std::chrono::milliseconds>(kOwnerWait, left));
    if (!bytes) return errorResponse(bytes.status());
    if (bytes->empty()) return errorResponse(Status::unavailable("the owner's reply ended early"));
    r.body.append(bytes->begin(), bytes->end());
  }
  return r;
}

Request requestFromAbove(const link::MediaAsk& ask, std::string segment) {
  Request req;
  req.method = "GET";
  req.path = fmt::format("/api/v1/cameras/{}/{}", ask.camera, ask.path);
  req.query = ask.query;
  req.params["id"] = ask.camera;
  if (!segment.empty()) req.params["segment"] = std::move(segment);
  if (!ask.range.empty()) req.headers["range"] = ask.range;
  if (!ask.ifRange.empty()) req.headers["if-range"] = ask.ifRange;
  req.remoteAddress = "link";
  req.principal = access::Principal{ask.user, access::Role::kViewer, {}, std::nullopt, "", ""};
  // One look per remote user, tier and path of nodes (RecentLooks).
  req.sessionToken = "link\n" + ask.user + "\n" + ask.look;
  req.remoteLook = ask.look;
  return req;
}

link::MediaAnswer answerUp(const Request& req, Response response) {
  Response r = internal::applyPreconditions(req, std::move(response));
  link::MediaAnswer answer;
  answer.head.status = r.status;
  answer.head.type = r.contentType;
  answer.head.ranges = r.source != nullptr;
  answer.head.contentRange = responseHeader(r, "Content-Range");
  answer.head.disposition = responseHeader(r, "Content-Disposition");
  if (r.source) {
    answer.head.length = r.source->size();
    answer.read = [source = r.source](uint64_t offset, size_t length) { return source->read(offset, length); };
  } else {
    answer.head.length = r.body.size();
    answer.read = [body = std::make_shared<const std::string>(std::move(r.body))](uint64_t offset, size_t length)
        -> Result<std::vector<uint8_t>> {
      return std::vector<uint8_t>(body->begin() + static_cast<std::ptrdiff_t>(offset),
                                  body->begin() + static_cast<std::ptrdiff_t>(offset + length));
    };
  }
  return answer;
}

}  // namespace vigil::http
