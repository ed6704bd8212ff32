#pragma once
// One HTTP(S) POST for a webhook, blocking the calling thread. https
// checks the receiver's certificate against the system's CAs and its name
// (a receiver with a self-signed certificate: use http on a trusted
// network, or add its CA to the system's store; DECISIONS.md 65).

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "notify/config.h"

namespace vigil::notify {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The answer's status code. Unavailable or DeadlineExceeded (the whole
// exchange took longer than `timeout`) naming the host and the step that failed.
Result<unsigned> postJson(const WebhookUrl& url, const HttpHeaders& headers, const std::string& body,
                          std::chrono::milliseconds timeout);

}  // namespace vigil::notify
