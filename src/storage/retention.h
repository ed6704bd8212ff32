#pragma once
// Crash-safe deletion of recordings (design/STORAGE.md, "Retention"). The
// four steps are separate functions so that tests can stop after any of
// them, as a crash would, and check what recovery makes of it.

#include <span>

#include "base/status.h"
#include "storage/index_db.h"

namespace vigil::storage {

// Step 1: the rows go and their ids enter `garbage`, in one synced
// transaction (IndexDb::markGarbage). From here on nothing reads them.
inline Status markForDeletion(IndexDb& db, std::span<const int64_t> ids) { return db.markGarbage(ids); }
// Step 2: unlinks each sample file; one already gone is not an error.
Status unlinkSampleFiles(int dirFd, std::span<const int64_t> ids);
// Step 3: fsync of the directory, so the unlinks survive a power cut.
Status syncDirectory(int dirFd);
// Step 4: the ids leave `garbage`.
inline Status forgetDeleted(IndexDb& db, std::span<const int64_t> ids) { return db.forgetGarbage(ids); }

// Steps 1-4. On failure the ids stay in `garbage` (or their rows stay),
// and recovery finishes the job at the next start.
Status deleteRecordings(IndexDb& db, int dirFd, std::span<const int64_t> ids);

// Steps 2-4 for every id in `garbage`: what a crash left half done.
// Returns the ids collected. Recovery runs it first.
Result<std::vector<int64_t>> collectGarbage(IndexDb& db, int dirFd);

}  // namespace vigil::storage
