#pragma once
// AccessStore on PostgreSQL, for a county platform whose vigil instances
// share users, sessions and one audit chain ([access] database =
// "postgresql://..."). Same tables and behaviour as the SQLite store; the
// audit chain stays one chain with any number of instances appending, see
// appendAudit().

#include <memory>
#include <mutex>
#include <string>

#include "access/store.h"

struct pg_conn;

namespace vigil::access {

class PostgresAccessStore final : public AccessStore {
 public:
  // Connects (libpq URI: "postgresql://[user[:password]@][host][:port]/db?param=..."),
  // and creates the schema when missing. Unavailable when the server cannot be reached.
  static Result<std::unique_ptr<PostgresAccessStore>> open(const std::string& uri);
  ~PostgresAccessStore() override;
  PostgresAccessStore(const PostgresAccessStore&) = delete;
  PostgresAccessStore& operator=(const PostgresAccessStore&) = delete;

  Status insertUser(const User& user) override;
  Result<User> findUser(std::string_view id) override;
  Result<std::vector<User>> listUsers() override;
  Status setPasswordHash(std::string_view id, std::string_view hash) override;
  Status setCameras(std::string_view id, const std::vector<std::string>& cameras) override;
  Result<std::vector<std::string>> revokeCamera(std::string_view id, std::string_view camera) override;
  // Under an advisory lock, so nodes sharing the database leave an admin.
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

  // Holds a transaction-level advisory lock from reading the chain's head
  // to committing the new row, so appenders on every connection (every
  // node) queue up and each links to the row committed before it.
  Status appendAudit(const AuditRowBuilder& build) override;
  Result<std::vector<AuditRow>> auditRows(int64_t afterSeq, size_t limit) override;
  Result<std::vector<AuditRow>> queryAudit(const AuditFilter& filter) override;
  Result<std::optional<std::string>> configFingerprint(std::string_view node) override;
  Status setConfigFingerprint(std::string_view node, std::string_view fingerprint) override;

  Result<std::vector<Share>> shares(std::string_view camera) override;
  // Holds the audit chain's lock too (appendAudit()), for the change's row.
  Status replaceShares(std::string_view camera, const std::vector<Share>& shares, const AuditRowBuilder& auditRow) override;

 private:
  // A session by token_hash or id (a constant, never input).
  Result<SessionRecord> findSessionBy(std::string_view column, std::string_view value);
  explicit PostgresAccessStore(std::string uri) : uri_(std::move(uri)) {}
  // (Re)connects when there is no usable connection: a server restart costs
  // the calls made while it is down, not the store. mutex_ held.
  Status connected();
  // The audit lock, the chain's head and the new row, inside the caller's
  // transaction; the lock is held until it ends. mutex_ held.
  Status appendAuditRow(const AuditRowBuilder& build);

  std::mutex mutex_;  // one connection, used by one thread at a time
  const std::string uri_;
  pg_conn* conn_ = nullptr;
};

}  // namespace vigil::access
