#pragma once
// Status and Result<T>: how every fallible call reports failure across a
// module boundary (design/DECISIONS.md, "Errors"). Exceptions never cross a
// module boundary; untrusted input yields a Status, an impossible internal
// state may abort.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace vigil {

// Kinds follow gRPC's, so one table (later in http) maps them to HTTP statuses.
enum class StatusCode {
  kOk,
  kInvalidArgument,   // the caller's input is bad (parse errors, bad config values)
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,  // queue full, disk full, too many sessions
  kFailedPrecondition,
  kUnavailable,        // a peer is unreachable or went away; retrying may help
  kDeadlineExceeded,
  kDataLoss,           // stored data is corrupt
  kUnimplemented,
  kInternal,
};

std::string_view statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  static Status invalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status notFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status alreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status permissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status resourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status failedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status deadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status dataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: message", or "ok".
  std::string toString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status saying why there is none. Accessing value() of a
// failed Result is a programming error (asserts).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).isOk() && "a Result needs a value or an error");
  }

  bool isOk() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return isOk(); }

  const Status& status() const {
    static const Status kOk;
    return isOk() ? kOk : std::get<Status>(data_);
  }
  T& value() & { assert(isOk()); return std::get<T>(data_); }
  const T& value() const& { assert(isOk()); return std::get<T>(data_); }
  T&& value() && { assert(isOk()); return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace vigil

// Returns early with the Status of a failed expression.
#define VIGIL_RETURN_IF_ERROR(expr)            \
  do {                                         \
    ::vigil::Status vigil_status_ = (expr);    \
    if (!vigil_status_.isOk()) return vigil_status_; \
  } while (0)
