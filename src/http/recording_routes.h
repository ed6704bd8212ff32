#pragma once
// Recorded video of a camera (BRIEF §3), built on the fly from the
// recording index (design/STORAGE.md, "Read path"):
//   GET /api/v1/cameras/{id}/recordings?start=&end=     [{"start","end","bytes"}] contiguous runs   (user)
//   GET /api/v1/cameras/{id}/playback.m3u8?start=&end=  HLS VOD, fMP4 segments, one per GOP        (user)
//   GET /api/v1/cameras/{id}/playback/{segment}?start=&end=   init.mp4 or N.m4s of that playlist   (user)
//   GET /api/v1/cameras/{id}/export.mp4?start=&end=     progressive MP4, Range requests           (operator)
// Every route names its camera ({id}): the server's gate lets through only
// users who may see it. Playback and export are written to the audit log.
// An export or a playback fragment still streaming is cut off when the
// right to it ends (the server does it: server.h).
// For a camera of a node below, each route is asked of the camera's owner
// (link/remote_media.h), which answers with these same routes, decided by
// its shares (right playback; export for export.mp4) and audited there.
// A camera with privacy masks goes up masked: each playback fragment
// masked when asked, an export (at most kMaxMaskedExport) before its first
// byte (storage/transformed.h).

#include <functional>
#include <string>

#include "access/audit.h"
#include "http/server.h"
#include "link/remote_media.h"
#include "storage/store.h"
#include "storage/transformed.h"

namespace vigil::http {

struct RecordingRoutesContext {
  storage::Store* store = nullptr;  // null: nothing is recorded on this node (404s)
  access::AuditLog* audit = nullptr;
  // Cameras of nodes below, asked of their owners; this node's cameras
  // served to nodes above. Null: no tier link.
  link::RemoteMedia* remote = nullptr;
  // The transform that masks a camera's recorded video for nodes above;
  // null for a camera without privacy masks (and for all when unset).
  std::function<storage::SampleTransform(const std::string& camera)> maskedAbove;
};

// The longest range of a masked camera exported to a node above: all of
// it is masked before the first byte goes (the asker waits that long).
constexpr std::chrono::minutes kMaxMaskedExport{10};
// And what masked exports may hold in memory at once, all together (each
// is held whole until its file is sent: the encoder may make several times
// the camera's bytes of a noisy picture, ~1 GB for 10 minutes of 1080p),
// and the longest the masking of one may take (within the asker's wait for
// its head, media_response.cpp kExportOwnerWait: 10 minutes of 1080p take
// longer than that on one core). An export that would pass either is
// refused, with why, once its masking reaches it.
constexpr uint64_t kMaxMaskedExportBytes = uint64_t{256} << 20;
constexpr std::chrono::seconds kMaxMaskedExportMasking{75};
// One masked export at a time per node (another is refused "try again"):
// masking runs on the threads that answer every ask from above, which two
// at once would stall. And a playback fragment (a GOP) of more pictures
// than this is not masked (refused, with why): it would hold one of those
// threads, and the asker waits 5 s for it.
constexpr size_t kMaxMaskedFragmentFrames = 300;

void addRecordingRoutes(HttpServer& server, RecordingRoutesContext context);

// Recordings that follow each other within `maxGap` as one run.
struct RecordedRun {
  WallTime start;
  WallTime end;
  uint64_t bytes = 0;
};
std::vector<RecordedRun> contiguousRuns(const std::vector<storage::RecordingInfo>& recordings,
                                        std::chrono::microseconds maxGap);

}  // namespace vigil::http
