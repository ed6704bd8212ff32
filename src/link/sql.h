#pragma once
// One SQLite statement for the link's databases (link.db, outbox.db):
// parameters bound in order, rows read by column, errors as Status.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace vigil::link {

Status dbError(sqlite3* db, std::string_view what);
// Opens `path` (created when missing) in WAL mode with synchronous=FULL
// (a commit survives kill -9 and power loss) and runs `schema` on it.
Result<sqlite3*> openDatabase(const std::string& path, const char* schema);

class SqlQuery {
 public:
  SqlQuery(sqlite3* db, const char* sql);
  ~SqlQuery();
  SqlQuery(const SqlQuery&) = delete;
  SqlQuery& operator=(const SqlQuery&) = delete;

  SqlQuery& bind(int64_t v);
  SqlQuery& bind(std::string_view v);
  SqlQuery& bind(std::span<const uint8_t> v);
  // True with a row to read, false when done.
  Result<bool> next();
  Status run();
  int64_t integer(int col) const;
  std::optional<WallTime> time(int col) const;
  std::string text(int col) const;
  std::vector<uint8_t> blob(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status error_;
  int param_ = 0;
};

// The rows `q` gives, each made by `row()` from q's columns (a Result),
// in order; the first error stops.
template <class T, class Row>
Result<std::vector<T>> readRows(SqlQuery& q, Row row) {
  std::vector<T> out;
  for (;;) {
    auto more = q.next();
    if (!more) return more.status();
    if (!*more) return out;
    Result<T> item = row();
    if (!item) return item.status();
    out.push_back(std::move(*item));
  }
}

}  // namespace vigil::link
