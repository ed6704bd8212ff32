#pragma once
// AccountStore, AuditStore and ShareStore on one SQLite database (<data_dir>/access.db)
// in WAL mode, so a running node and the CLI can use it together (readers
// never block the writer; writers wait up to a busy timeout).

#include <memory>
#include <mutex>
#include <string>

#include "access/store.h"

struct sqlite3;

namespace vigil::access {

class SqliteAccessStore final : public AccessStore {
 public:
  // Opens or creates the database and its schema.
  static Result<std::unique_ptr<SqliteAccessStore>> open(const std::string& path);
  ~SqliteAccessStore() override;
  SqliteAccessStore(const SqliteAccessStore&) = delete;
  SqliteAccessStore& operator=(const SqliteAccessStore&) = delete;

  Status insertUser(const User& user) override;
  Result<User> findUser(std::string_view id) override;
  Result<std::vector<User>> listUsers() override;
  Status setPasswordHash(std::string_view id, std::string_view hash) override;
  Status setCameras(std::string_view id, const std::vector<std::string>& cameras) override;
  Result<std::vector<std::string>> revokeCamera(std::string_view id, std::string_view camera) override;
  Status updateUser(std::string_view id, std::optional<Role> role, std::optional<bool> disabled) override;
  Status deleteUser(std::string_view id) override;
  Status insertSession(const SessionRecord& session) override;
  Result<SessionRecord> findSession(std::string_view tokenHash) override;
  Result<SessionRecord> findSessionById(std::string_view id) override;
  Result<std::vector<SessionRecord>> listSessions(std::string_view userId) override;
  Status touchSession(std::string_view tokenHash, WallTime lastSeenAt) override;
  Status deleteSession(std::string_view tokenHash) override;
  Status insertApiToken(const ApiTokenRecord& token) override;
  Result<ApiTokenRecord> findApiToken(std::string_view tokenHash) override;
  Result<std::vector<ApiTokenRecord>> listApiTokens() override;
  Status touchApiToken(std::string_view id, WallTime lastUsedAt) override;
  Status deleteApiToken(std::string_view id) override;

  Status appendAudit(const AuditRowBuilder& build) override;
  Result<std::vector<AuditRow>> auditRows(int64_t afterSeq, size_t limit) override;
  Result<std::vector<AuditRow>> queryAudit(const AuditFilter& filter) override;
  Result<std::optional<std::string>> configFingerprint(std::string_view node) override;
  Status setConfigFingerprint(std::string_view node, std::string_view fingerprint) override;

  Result<std::vector<Share>> shares(std::string_view camera) override;
  Status replaceShares(std::string_view camera, const std::vector<Share>& shares, const AuditRowBuilder& auditRow) override;

 private:
  explicit SqliteAccessStore(sqlite3* db) : db_(db) {}
  Result<std::vector<std::string>> camerasOf(std::string_view id);  // mutex_ held
  // A session by token_hash or id (a constant, never input).
  Result<SessionRecord> findSessionBy(std::string_view column, std::string_view value);
  Status appendAuditRow(const AuditRowBuilder& build);            // mutex_ held, in a transaction

  std::mutex mutex_;  // one connection, used by one thread at a time
  sqlite3* db_;
};

}  // namespace vigil::access
