#include "app/self_signed_cert.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace vigil::app {

namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

Status failed(const std::string& what) { return Status::internal("making a self-signed certificate: " + what); }

// Opens `path` for writing with `mode` (the key's 0600 from its creation on).
Result<FILE*> create(const std::filesystem::path& path, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::unavailable("cannot write " + path.string());
  FILE* f = ::fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    return Status::unavailable("cannot write " + path.string());
  }
  return f;
}

}  // namespace

Status writeSelfSignedCert(const std::filesystem::path& certPath, const std::filesystem::path& keyPath,
                           const std::string& commonName) {
  Key key(EVP_EC_gen("P-256"));
  Cert cert(X509_new());
  if (!key || !cert) return failed("out of memory");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return failed("no random bytes");
  serial[0] &= 0x7f;  // a positive serial
  std::unique_ptr<BIGNUM, Deleter<BN_free>> number(BN_bin2bn(serial, sizeof serial, nullptr));
  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool built =
      number && X509_set_version(cert.get(), 2) == 1 &&
      BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert.get())) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600) != nullptr &&
      X509_set_pubkey(cert.get(), key.get()) == 1 &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(commonName.c_str()),
                                 -1, -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1;
  if (!built) return failed("building it");
  Extension names(X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"));
  if (!names || X509_add_ext(cert.get(), names.get(), -1) != 1) return failed("adding its names");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return failed("signing it");

  auto keyFile = create(keyPath, 0600);
  if (!keyFile) return keyFile.status();
  const bool keyWritten = PEM_write_PrivateKey(*keyFile, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (std::fclose(*keyFile) != 0 || !keyWritten) return Status::unavailable("cannot write " + keyPath.string());
  auto certFile = create(certPath, 0644);
  if (!certFile) return certFile.status();
  const bool certWritten = PEM_write_X509(*certFile, cert.get()) == 1;
  if (std::fclose(*certFile) != 0 || !certWritten) return Status::unavailable("cannot write " + certPath.string());
  return Status::ok();
}

}  // namespace vigil::app
