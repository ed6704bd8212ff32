#include "access/test_db.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "access/postgres_store.h"
#include "access/sqlite_store.h"
#include "access/test_postgres.h"

namespace vigil::access {

std::string backendName(Backend backend) { return backend == Backend::kSqlite ? "SQLite" : "PostgreSQL"; }

std::string backendParamName(const ::testing::TestParamInfo<Backend>& info) { return backendName(info.param); }

TempAccessDb::TempAccessDb(Backend backend) : backend_(backend) {
  if (backend == Backend::kSqlite) {
    static int counter = 0;
    dir_ = (std::filesystem::temp_directory_path() /
            ("vigil-access-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
               .string();
    std::filesystem::create_directories(dir_);
    location_ = dir_ + "/access.db";
  } else {
    TestPostgres* server = TestPostgres::shared();
    if (server == nullptr) {
      status_ = Status::unavailable(TestPostgres::unavailableReason());
      return;
    }
    auto uri = server->createDatabase();
    if (!uri) {
      status_ = uri.status();
      return;
    }
    location_ = *uri;
  }
  auto store = openAnother();
  if (store) {
    store_ = std::move(*store);
  } else {
    status_ = store.status();
  }
}

TempAccessDb::~TempAccessDb() {
  store_.reset();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

Result<std::unique_ptr<AccessStore>> TempAccessDb::openAnother() const {
  if (backend_ == Backend::kSqlite) {
    auto s = SqliteAccessStore::open(location_);
    if (!s) return s.status();
    return std::unique_ptr<AccessStore>(std::move(*s));
  }
  auto s = PostgresAccessStore::open(location_);
  if (!s) return s.status();
  return std::unique_ptr<AccessStore>(std::move(*s));
}

void TempAccessDb::exec(const std::string& sql) const {
  if (backend_ == Backend::kSqlite) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(location_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return;
  }
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(location_.c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), sql.c_str()), &PQclear);
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn.get());
}

void AccessDbTest::SetUp() {
  if (GetParam() == Backend::kPostgres && !TestPostgres::installed()) {
    TestPostgres::shared();  // fills in the reason
    GTEST_SKIP() << TestPostgres::unavailableReason();
  }
  db_ = std::make_unique<TempAccessDb>(GetParam());
  ASSERT_TRUE(db_->status().isOk()) << db_->status().toString();
}

}  // namespace vigil::access
