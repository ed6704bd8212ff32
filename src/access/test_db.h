#pragma once
// A fresh access database in a temporary directory, removed afterwards.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "access/sqlite_store.h"

namespace vigil::access {

class TempAccessDb {
 public:
  TempAccessDb() {
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-access-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    auto s = SqliteAccessStore::open(path());
    EXPECT_TRUE(s) << s.status().toString();
    if (s) store_ = std::move(*s);
  }
  ~TempAccessDb() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return (dir_ / "access.db").string(); }
  SqliteAccessStore& store() { return *store_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path dir_;
  std::unique_ptr<SqliteAccessStore> store_;
};

}  // namespace vigil::access
