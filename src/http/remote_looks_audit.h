#pragma once
// Looks from other tiers as the camera's owner reads them
// (GET /api/v1/audit?remote=true, design/AUDIT.md "Looks from other
// tiers"): the rows that the node owning a camera writes for a look asked
// from above (link/looks.cpp; detail "remote": true), each summed up as
// who, tier, what, how long, and whether it was refused.

#include <nlohmann/json.hpp>
#include <vector>

#include "access/store.h"

namespace vigil::http {

// Whether a row is a look from another tier, accepted or refused.
bool isRemoteLook(const access::AuditRow& row);
// Of `rows`, the looks from other tiers the owner let through: live views
// started, snapshots, playbacks and exports (not a list of recordings, a
// live view's stop or a refusal). The public register counts these.
int64_t countRemoteLooks(const std::vector<access::AuditRow>& rows);

// One "look" object per row of `rows` (remote looks, newest first, as
// queried), in the same order:
//   who       "desk@village1": the user at the node that asked
//   via       the node path from that node down to this one's parent
//   tier      the tier the look was asked as
//   what      live | snapshot | playback | export
//   refused   true for a `refused` row, with `reason`, the owner's answer,
//             and `count`, how many refusals the row stands for
//   start,end a playback or export's range, when the row holds one
//   seconds   how long a live look lasted (its live_stop's seconds), with
//             ended (why) and ended_at; absent while no stop is known
//   stop_seq  a live_start's live_stop; start_seq: a live_stop's live_start
// A live_stop is paired with the live_start among `rows` of the same who,
// camera, tier and via whose time is nearest its own minus its seconds:
// two looks of one user at one camera at once are told apart by length.
std::vector<nlohmann::json> lookSummaries(const std::vector<access::AuditRow>& rows);

}  // namespace vigil::http
