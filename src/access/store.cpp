#include "access/store.h"

namespace vigil::access {

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

std::optional<Role> parseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "operator") return Role::kOperator;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::string_view tokenScopeName(TokenScope scope) { return scope == TokenScope::kMetrics ? "metrics" : "alarm"; }

std::optional<TokenScope> parseTokenScope(std::string_view name) {
  if (name == "alarm") return TokenScope::kAlarm;
  if (name == "metrics") return TokenScope::kMetrics;
  return std::nullopt;
}

}  // namespace vigil::access
