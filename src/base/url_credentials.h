#pragma once
// Credentials in URLs ("rtsp://user:pass@host/...", "postgresql://..."):
// where they are, and the one redactor for logs, messages and the config
// fingerprint. rtsp::parseRtspUrl splits them off by the same rule.
//
// The rule: the userinfo runs from "://" to the LAST '@' of the URL, so a
// password may hold '@', '/', ':' and %-escapes as people type them. The
// cost: an '@' in a path or query must be written %40. The user name ends
// at the first ':' of the userinfo.

#include <optional>
#include <string>
#include <string_view>

namespace vigil {

struct UrlUserinfo {
  std::string_view user;                     // as written (not percent-decoded)
  std::optional<std::string_view> password;  // nullopt without a ':'
  size_t begin = 0;  // the userinfo is url[begin, end); url[end] is its '@'
  size_t end = 0;
};

// nullopt when `url` (one URL, no surrounding text) has no "://" or no '@'.
std::optional<UrlUserinfo> findUrlUserinfo(std::string_view url);

// Every URL in `text` (from "://" to the next whitespace) with its secrets
// replaced by "***": the password of the userinfo ("user:***@": the user
// name is sent in clear by Digest and Basic alike, and says which account),
// a userinfo without ':' as a whole ("***@": a lone name may be a token),
// and the value of a "password=" parameter (cameras that take credentials
// in the path or query, libpq URIs). Text without "://" comes back unchanged.
std::string redactUrlCredentials(std::string_view text);

// The same for a value that is one URL as a whole, whitespace included (a
// config value: a password may hold spaces, which would end a URL in text).
std::string redactWholeUrl(std::string_view url);

}  // namespace vigil
