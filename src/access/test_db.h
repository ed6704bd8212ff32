#pragma once
// A fresh access database for one test, on either backend: a SQLite file
// in a temporary directory (removed afterwards) or a new database on the
// test process's PostgreSQL server (test_postgres.h).

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "access/store.h"

namespace vigil::access {

enum class Backend { kSqlite, kPostgres };

// "SQLite" / "PostgreSQL": the suffix of parametrised test names, which is
// how CMake tells the PostgreSQL cases apart (vigil_test POSTGRES_CASES).
std::string backendName(Backend backend);
inline void PrintTo(Backend backend, std::ostream* out) { *out << backendName(backend); }

class TempAccessDb {
 public:
  // Check status() (or use AccessDbTest, which skips when PostgreSQL is not installed).
  explicit TempAccessDb(Backend backend);
  ~TempAccessDb();
  TempAccessDb(const TempAccessDb&) = delete;
  TempAccessDb& operator=(const TempAccessDb&) = delete;

  // OK, or why the backend cannot be used.
  const Status& status() const { return status_; }
  AccessStore& store() { return *store_; }
  // A second, independent connection to the same database: another
  // process, or another node sharing PostgreSQL.
  Result<std::unique_ptr<AccessStore>> openAnother() const;
  // Runs SQL behind the store's back, as someone with access to the
  // database itself would; fails the test when the statement fails.
  void exec(const std::string& sql) const;

 private:
  Backend backend_;
  std::string location_;  // file path or libpq URI
  std::string dir_;       // SQLite's temporary directory
  Status status_;
  std::unique_ptr<AccessStore> store_;
};

// Base of the tests run against both backends: db() is ready in the
// derived fixture's SetUp(); PostgreSQL cases skip when it is not installed.
class AccessDbTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  TempAccessDb& db() { return *db_; }

 private:
  std::unique_ptr<TempAccessDb> db_;
};

// INSTANTIATE_TEST_SUITE_P(Backends, Suite, kBothBackends, backendParamName)
inline const auto kBothBackends = ::testing::Values(Backend::kSqlite, Backend::kPostgres);
std::string backendParamName(const ::testing::TestParamInfo<Backend>& info);

}  // namespace vigil::access
