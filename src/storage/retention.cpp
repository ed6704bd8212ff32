#include "storage/retention.h"

#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace vigil::storage {

Status unlinkSampleFiles(int dirFd, std::span<const int64_t> ids) {
  for (int64_t id : ids) {
    if (::unlinkat(dirFd, sampleFileName(id).c_str(), 0) != 0 && errno != ENOENT) {
      return Status::unavailable(fmt::format("unlink {}: {}", sampleFileName(id), std::strerror(errno)));
    }
  }
  return Status::ok();
}

Status syncDirectory(int dirFd) {
  if (::fsync(dirFd) != 0) return Status::unavailable(fmt::format("fsync directory: {}", std::strerror(errno)));
  return Status::ok();
}

Status deleteRecordings(IndexDb& db, int dirFd, std::span<const int64_t> ids) {
  if (ids.empty()) return Status::ok();
  VIGIL_RETURN_IF_ERROR(markForDeletion(db, ids));
  VIGIL_RETURN_IF_ERROR(unlinkSampleFiles(dirFd, ids));
  VIGIL_RETURN_IF_ERROR(syncDirectory(dirFd));
  return forgetDeleted(db, ids);
}

Result<std::vector<int64_t>> collectGarbage(IndexDb& db, int dirFd) {
  auto ids = db.garbage();
  if (!ids) return ids.status();
  if (ids->empty()) return ids;
  VIGIL_RETURN_IF_ERROR(unlinkSampleFiles(dirFd, *ids));
  VIGIL_RETURN_IF_ERROR(syncDirectory(dirFd));
  VIGIL_RETURN_IF_ERROR(forgetDeleted(db, *ids));
  return ids;
}

}  // namespace vigil::storage
