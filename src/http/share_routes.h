#pragma once
// What a camera's owner shares with the tiers above (access/shares.h):
//   GET /api/v1/cameras/{id}/shares   [{"tier","rights","only_during_alarm","hours","expires_at"}]
//   PUT /api/v1/cameras/{id}/shares   the same list, a key left out being no such
//                                     restriction; [] shares the camera with no one
// Admins only. PUT replaces the whole list in one transaction with its
// share_change audit row and answers the list stored; 400 naming the field
// of a bad list ("shares[1].hours: ..."), 413 for a body over 16 KiB, 404
// for a camera that does not exist.

#include "access/camera_shares.h"
#include "http/server.h"

namespace vigil::http {

void addShareRoutes(HttpServer& server, access::CameraShares& shares);

}  // namespace vigil::http
