#include "link/sql.h"

#include <fmt/format.h>

namespace vigil::link {

Status dbError(sqlite3* db, std::string_view what) {
  return Status::internal(fmt::format("link db: {}: {}", what, sqlite3_errmsg(db)));
}

Result<sqlite3*> openDatabase(const std::string& path, const char* schema) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    Status s = Status::unavailable(fmt::format("cannot open {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr, &err) != SQLITE_OK ||
      sqlite3_exec(db, schema, nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = Status::unavailable(fmt::format("cannot open {}: {}", path, err ? err : "schema"));
    sqlite3_free(err);
    sqlite3_close(db);
    return s;
  }
  return db;
}

SqlQuery::SqlQuery(sqlite3* db, const char* sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) error_ = dbError(db, "prepare");
}

SqlQuery::~SqlQuery() { sqlite3_finalize(stmt_); }

SqlQuery& SqlQuery::bind(int64_t v) {
  sqlite3_bind_int64(stmt_, ++param_, v);
  return *this;
}

SqlQuery& SqlQuery::bind(std::string_view v) {
  sqlite3_bind_text(stmt_, ++param_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

SqlQuery& SqlQuery::bind(std::span<const uint8_t> v) {
  // A zero-length blob, not NULL, for an empty span.
  static const uint8_t kEmpty = 0;
  sqlite3_bind_blob(stmt_, ++param_, v.empty() ? &kEmpty : v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Result<bool> SqlQuery::next() {
  if (!error_.isOk()) return error_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return dbError(db_, "step");
}

Status SqlQuery::run() {
  auto row = next();
  return row ? Status::ok() : row.status();
}

int64_t SqlQuery::integer(int col) const { return sqlite3_column_int64(stmt_, col); }

std::optional<WallTime> SqlQuery::time(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return WallTime::fromUnixMicros(integer(col));
}

std::string SqlQuery::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : "";
}

std::vector<uint8_t> SqlQuery::blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
  return p ? std::vector<uint8_t>(p, p + sqlite3_column_bytes(stmt_, col)) : std::vector<uint8_t>{};
}

}  // namespace vigil::link
