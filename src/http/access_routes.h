#pragma once
// The account and audit API:
//   POST /api/v1/login     {"user","password","device"?} -> {"token", and what /me gives}
//                          + cookie vigil_session; with "device" (a TV's name), a
//                          device session (device_routes.h)                             (public)
//   POST /api/v1/logout    ends the calling session                                    (user)
//   GET  /api/v1/me        who the session belongs to, and this node: {"user","role",
//                          "cameras","node" (its id, null when unset),"tier",
//                          "device" (a device session's name; absent otherwise)}; a device
//                          session's cookie is set again (its 400 days start anew)      (user)
//   POST /api/v1/password  {"current","new"}: change one's own password; ends every
//                          session of the user, this one included                      (user)
//   GET  /api/v1/users     [{"id","role","cameras","disabled","created_at",
//                          "last_login_at" (null before the first login)}]              (admin)
//   POST /api/v1/users     {"id","role","password","cameras"?}                         (admin)
//   POST /api/v1/users/cameras {"id","cameras"}: replace a viewer's cameras             (admin)
//   GET  /api/v1/users/{id}  one user, as in the list                                   (admin)
//   PUT  /api/v1/users/{id}  {"role"?,"disabled"?}: disabling ends the user's sessions
//                          at once; 409 when no enabled admin would be left; -> the user (admin)
//   DELETE /api/v1/users/{id}  with their sessions (ended at once), API tokens and
//                          grants: 204; 409 for the last enabled admin                   (admin)
//   POST /api/v1/users/{id}/password {"password"}: an admin resets it; every session
//                          of the user ends                                             (admin)
//   DELETE /api/v1/users/{id}/cameras/{camera}  revokes one grant -> the user           (admin)
//   GET  /api/v1/sessions?user=  [{"id","user","created_at","last_seen_at",
//                          "expires_at","client","user_agent","device","current"}], newest first:
//                          one's own; ?user= another's, for an admin. "id" is neither
//                          the token nor its hash                                       (user)
//   DELETE /api/v1/sessions/{id}  ends one (one's own, or any for an admin): 204; its
//                          next request is 401                                          (user)
//   GET  /api/v1/audit?start=&end=&user=&camera=&limit=&remote=true   newest rows first;
//        remote=true: only looks from other tiers, each with its "look" summary  (admin)
//   POST /api/v1/tokens    {"name","scope": "alarm"|"metrics","password" (the caller's),
//                          "user"? (an admin's, for another user)} -> 201 {"id","user",
//                          "name","scope","created_at","last_used_at","token"}: the
//                          token, shown this once (access/accounts.h, API tokens) (user)
//   GET  /api/v1/tokens    the same objects without "token": one's own; an admin's, all (user)
//   DELETE /api/v1/tokens/{id}  one's own, or any for an admin: 204; refused from its
//                          next request on                                             (user)

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "access/accounts.h"
#include "access/audit.h"
#include "base/config.h"
#include "http/server.h"

namespace vigil::http {

// `node`: this node's [node] id and tier, for GET /api/v1/me (the UI tells a
// household from a desk by it).
void addAccessRoutes(HttpServer& server, access::Accounts& accounts, access::AuditLog& audit, const NodeConfig& node);

// The vigil_session cookie for `token`. A login's lasts as long as the
// browser (the server ends the session); a device session's is kept
// across browser restarts, for 400 days (the most a browser keeps one):
// the server ends the session sooner when unused.
std::string sessionCookie(std::string_view token, bool secure, bool device);
// A session as GET /api/v1/sessions lists it ("current": `asker`'s).
nlohmann::json sessionJson(const access::SessionRecord& s, const access::Principal& asker);
// Who a session is, and on which node: GET /api/v1/me, and the login's answer.
nlohmann::json principalJson(const access::Principal& p, const NodeConfig& node);

}  // namespace vigil::http
