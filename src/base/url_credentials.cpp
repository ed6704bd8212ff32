#include "base/url_credentials.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace vigil {
namespace {

constexpr std::string_view kSchemeEnd = "://";
constexpr std::string_view kPasswordKey = "password=";

bool isSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool startsWithNoCase(std::string_view text, size_t at, std::string_view prefix) {
  if (text.size() - at < prefix.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin() + static_cast<std::ptrdiff_t>(at),
                    [](char lower, char c) { return std::tolower(static_cast<unsigned char>(c)) == lower; });
}

struct Span {
  size_t begin, end;
};

// The secrets of one URL as spans of it: the userinfo's password (or the
// whole userinfo when it has no ':') and every "password=" value (after
// '?', '&', ';' or '/', up to '&', ';' or the end). Both rules are applied
// to the raw URL and their union is hidden, so an '@' inside a parameter's
// value or a "password=" inside a password leaks nothing either way.
std::string redactOne(std::string_view url) {
  std::vector<Span> secrets;
  if (const auto info = findUrlUserinfo(url)) {
    secrets.push_back({info->password ? info->end - info->password->size() : info->begin, info->end});
  }
  for (size_t i = 0; i < url.size(); ++i) {
    const char c = url[i];
    if ((c == '?' || c == '&' || c == ';' || c == '/') && startsWithNoCase(url, i + 1, kPasswordKey)) {
      const size_t begin = i + 1 + kPasswordKey.size();
      size_t end = begin;
      while (end < url.size() && url[end] != '&' && url[end] != ';') ++end;
      secrets.push_back({begin, end});
    }
  }
  std::sort(secrets.begin(), secrets.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::string out;
  size_t done = 0;  // url[0, done) is in `out` or hidden
  for (const Span& s : secrets) {
    if (!out.empty() && s.begin <= done) {  // overlaps or touches the last one hidden
      done = std::max(done, s.end);
      continue;
    }
    out.append(url.substr(done, s.begin - done));
    out += "***";
    done = s.end;
  }
  out.append(url.substr(done));
  return out;
}

}  // namespace

std::optional<UrlUserinfo> findUrlUserinfo(std::string_view url) {
  const size_t scheme = url.find(kSchemeEnd);
  if (scheme == std::string_view::npos) return std::nullopt;
  const size_t begin = scheme + kSchemeEnd.size();
  const size_t at = url.rfind('@');
  if (at == std::string_view::npos || at < begin) return std::nullopt;
  UrlUserinfo out;
  out.begin = begin;
  out.end = at;
  const std::string_view userinfo = url.substr(begin, at - begin);
  const size_t colon = userinfo.find(':');
  out.user = userinfo.substr(0, colon);
  if (colon != std::string_view::npos) out.password = userinfo.substr(colon + 1);
  return out;
}

std::string redactWholeUrl(std::string_view url) { return redactOne(url); }

std::string redactUrlCredentials(std::string_view text) {
  std::string out;
  size_t done = 0;  // text[0, done) is in `out`
  for (size_t scheme = text.find(kSchemeEnd); scheme != std::string_view::npos;
       scheme = text.find(kSchemeEnd, done)) {
    size_t urlStart = scheme;  // back to the start of the scheme's word
    while (urlStart > done && !isSpace(text[urlStart - 1])) --urlStart;
    size_t urlEnd = scheme;
    while (urlEnd < text.size() && !isSpace(text[urlEnd])) ++urlEnd;
    out.append(text.substr(done, urlStart - done));
    out.append(redactOne(text.substr(urlStart, urlEnd - urlStart)));
    done = urlEnd;
  }
  out.append(text.substr(done));
  return out;
}

}  // namespace vigil
