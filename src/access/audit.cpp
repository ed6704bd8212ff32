#include "access/audit.h"

#include <fmt/format.h>

#include "access/crypto.h"

namespace vigil::access {

namespace {

const std::string kGenesisHash(64, '0');
constexpr size_t kVerifyPage = 1000;

void appendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}

// Hex to raw bytes; the chain hashes raw digests, not their spelling.
bool hexToBytes(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
  }
  return true;
}

}  // namespace

std::string canonicalAuditContent(const AuditRow& row) {
  std::string out;
  appendField(out, std::to_string(row.seq));
  appendField(out, std::to_string(row.at.unixMicros()));
  appendField(out, row.user);
  appendField(out, row.action);
  appendField(out, row.camera);
  appendField(out, row.client);
  appendField(out, row.detail);
  return out;
}

std::string chainHash(std::string_view prevHashHex, const AuditRow& row) {
  std::string input;
  if (!hexToBytes(prevHashHex, input)) input = std::string(prevHashHex);  // a broken link stays broken
  return sha256Hex(input + canonicalAuditContent(row));
}

Status AuditLog::record(AuditEvent event) {
  const WallTime now = clock_.now();
  return store_.appendAudit([&](const AuditRow* last) {
    AuditRow row;
    row.seq = last ? last->seq + 1 : 1;
    row.at = now;
    row.user = std::move(event.user);
    row.action = std::move(event.action);
    row.camera = std::move(event.camera);
    row.client = std::move(event.client);
    row.detail = std::move(event.detail);
    row.prevHash = last ? last->hash : kGenesisHash;
    row.hash = chainHash(row.prevHash, row);
    return row;
  });
}

Result<int64_t> AuditLog::verify() {
  int64_t expectedSeq = 1;
  std::string prev = kGenesisHash;
  while (true) {
    auto page = store_.auditRows(expectedSeq - 1, kVerifyPage);
    if (!page) return page.status();
    if (page->empty()) break;
    for (const AuditRow& row : *page) {
      if (row.seq != expectedSeq) {
        return Status::dataLoss(fmt::format("audit row {}: missing (the next row is {})", expectedSeq, row.seq));
      }
      if (row.prevHash != prev) {
        return Status::dataLoss(fmt::format("audit row {}: does not link to row {}", row.seq, row.seq - 1));
      }
      if (chainHash(prev, row) != row.hash) {
        return Status::dataLoss(fmt::format("audit row {}: content does not match its hash", row.seq));
      }
      prev = row.hash;
      ++expectedSeq;
    }
  }
  return expectedSeq - 1;
}

}  // namespace vigil::access
