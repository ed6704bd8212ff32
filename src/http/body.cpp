#include "http/body.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/mp4.h"

namespace vigil::http {

namespace {

class VirtualFileBody final : public BodySource {
 public:
  explicit VirtualFileBody(std::shared_ptr<const storage::VirtualFile> file) : file_(std::move(file)) {}
  uint64_t size() const override { return file_->size(); }
  Result<std::vector<uint8_t>> read(uint64_t offset, size_t length) const override {
    return file_->read(offset, length);
  }

 private:
  std::shared_ptr<const storage::VirtualFile> file_;
};

}  // namespace

std::shared_ptr<const BodySource> virtualFileBody(std::shared_ptr<const storage::VirtualFile> file) {
  return std::make_shared<VirtualFileBody>(std::move(file));
}

Result<std::shared_ptr<const FileBody>> FileBody::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::notFound(fmt::format("{}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::notFound(fmt::format("{}: not a regular file", path));
  }
  const int64_t modified = int64_t{st.st_mtim.tv_sec} * 1'000'000 + st.st_mtim.tv_nsec / 1000;
  return std::shared_ptr<const FileBody>(new FileBody(fd, static_cast<uint64_t>(st.st_size), modified));
}

FileBody::~FileBody() { ::close(fd_); }

Result<std::vector<uint8_t>> FileBody::read(uint64_t offset, size_t length) const {
  std::vector<uint8_t> out(length);
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::internal(fmt::format("reading a static file: {}", std::strerror(errno)));
    // The file shrank since it was opened: the response cannot be completed.
    if (n == 0) return Status::dataLoss("static file shrank while being served");
    done += static_cast<size_t>(n);
  }
  return out;
}

}  // namespace vigil::http
