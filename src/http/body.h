#pragma once
// Response bodies too large to hold in memory (an export MP4, a static
// file): the server reads them in chunks as the client takes them, and
// serves Range requests from them.

#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"

namespace vigil::storage {
class VirtualFile;
}

namespace vigil::http {

class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual uint64_t size() const = 0;
  // The bytes [offset, offset + length); the server asks only inside
  // size(). Called on the server's reader threads, never on an event loop,
  // so it may block on the disk; calls for several requests may run at
  // once. An error after the first chunk cuts the response short (its
  // headers are sent), so a client sees a truncated body, never a wrong one.
  virtual Result<std::vector<uint8_t>> read(uint64_t offset, size_t length) const = 0;
};

// An export MP4 (or any VirtualFile) as a body.
std::shared_ptr<const BodySource> virtualFileBody(std::shared_ptr<const storage::VirtualFile> file);

// A regular file, opened now and read with pread: a later rename or
// deletion does not change what this body serves.
class FileBody final : public BodySource {
 public:
  // NotFound when `path` is not a regular file that can be opened.
  static Result<std::shared_ptr<const FileBody>> open(const std::string& path);
  ~FileBody() override;
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;

  uint64_t size() const override { return size_; }
  Result<std::vector<uint8_t>> read(uint64_t offset, size_t length) const override;
  int64_t modifiedUnixMicros() const { return modifiedMicros_; }

 private:
  FileBody(int fd, uint64_t size, int64_t modifiedMicros) : fd_(fd), size_(size), modifiedMicros_(modifiedMicros) {}
  int fd_;
  uint64_t size_;
  int64_t modifiedMicros_;
};

}  // namespace vigil::http
