#include "http/media_response.h"

#include <fmt/format.h>

#include "http/body.h"
#include "link/looks.h"

namespace vigil::http {

Status auditLook(access::AuditLog* audit, const Request& req, std::string action, const nlohmann::json& detail) {
  if (!audit) return Status::ok();
  return audit->record({req.principal->user, std::move(action), req.params.at("id"), req.remoteAddress, detail.dump()});
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

std::function<Response(const Request&)> localCamerasOnly(std::function<Response(const Request&)> handler) {
  return [handler = std::move(handler)](const Request& req) {
    if (link::RemoteLooks::isRemote(req.params.at("id"))) {
      return Response::error(501, "not available for a camera of another node yet: live view and snapshots are");
    }
    return handler(req);
  };
}

}  // namespace vigil::http
