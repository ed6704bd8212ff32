#pragma once
// Emergency broadcasts and notices (design/ALARMS.md, "Broadcasts and
// notices"). Errors are {"error": "..."}.
//   POST /api/v1/broadcasts           operator, on a node above household (else 403):
//        {"text": 1..2000 characters, "priority": "normal"|"urgent",
//         "to": "all" | ["village1", "village1.house2", ...] (1..1000 paths from
//                a child of this node: design/ALARMS.md, "Targeting"),
//         "audio"?: base64 (<= 1 MiB decoded), "audio_type"?: "audio/webm"|"audio/ogg"|
//         "audio/mpeg"|"audio/wav"|"audio/mp4", "expires_at"?: RFC 3339 (default: 24 h on)}
//        -> 201 {"id"}; 400 naming the field at fault, nothing stored.
//        Each notice sent is an audit row (broadcast_send, design/AUDIT.md).
//   GET  /api/v1/broadcasts?limit=100 user: [newest first]: sent here, and received
//                                     here (whole, not expired)
//   GET  /api/v1/broadcasts/{id}      user: the same object; sent here, for an operator
//                                     and up with "households": [{"node" (its path from here:
//                                     "house1", "village1.house1"), "delivered_at", "seen_at"}]
//   GET  /api/v1/broadcasts/{id}/audio user: the audio with its Content-Type; 404 without
//   POST /api/v1/broadcasts/{id}/seen user, where it was received: 204 (again: 204)
//
// A notice: {"id", "from" (the sender node), "direction": "received"|"sent",
// "text", "priority", "sent_at", "expires_at", "has_audio", "audio_type"
// (with audio), received: "delivered_at", "seen_at" (here; null: not yet),
// sent: "receipts": {"targeted", "delivered", "seen"} (households)}.
// Times are RFC 3339 UTC.

#include "access/audit.h"
#include "alarm/notices.h"
#include "http/server.h"

namespace vigil::http {

// A body with 1 MiB of audio in base64, the text and 1000 ids: what the
// server must take in one request (HttpServerOptions::maxBodyBytes).
inline constexpr size_t kMaxBroadcastRequestBytes = 2 << 20;

// POST /api/v1/broadcasts's body, as `user` sends it: InvalidArgument
// naming the field at fault. (What Notices::send checks further, against
// the children and the clock, is not checked here.)
Result<alarm::NewNotice> parseBroadcastRequest(std::string_view body, const std::string& user);

void addBroadcastRoutes(HttpServer& server, alarm::Notices& notices, access::AuditLog& audit);

}  // namespace vigil::http
