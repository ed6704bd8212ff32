#pragma once
// Node keys for the link's tests, in a temporary directory.

#include <unistd.h>

#include <filesystem>
#include <string>

#include "access/node_key.h"

namespace vigil::link::testing {

class TestKeys {
 public:
  TestKeys() {
    dir_ = std::filesystem::temp_directory_path() / ("vigil-link-test-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
  }
  ~TestKeys() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  access::NodeKey key(const std::string& name) const { return *access::NodeKey::loadOrCreate(dir_ / (name + ".key")); }
  std::filesystem::path dir() const { return dir_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path dir_;
};

}  // namespace vigil::link::testing
