// Fuzzes what a camera's answers feed to the client besides messages:
// WWW-Authenticate challenges (then an Authorization value is built from
// them) and Location URLs of redirects.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/url_credentials.h"
#include "rtsp/auth.h"
#include "rtsp/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::rtsp;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Several challenges, one per line, as several WWW-Authenticate headers.
  std::vector<std::string_view> headers;
  for (size_t pos = 0; pos <= text.size();) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    headers.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  if (auto challenge = strongestChallenge(headers)) {
    Authenticator auth("user", "pass");
    auth.setClientNonceForTest("0a4f113b");
    auth.setChallenge(*challenge);
    (void)auth.authorization("DESCRIBE", "rtsp://127.0.0.1/cam/0");
  }
  if (auto url = parseRtspUrl(text)) {
    // The userinfo ends at the last '@': nothing after it may hold one.
    if (url->withoutCredentials().find('@') != std::string::npos) __builtin_trap();
  }
  (void)vigil::redactUrlCredentials(text);
  return 0;
}
