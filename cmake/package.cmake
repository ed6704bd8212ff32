# The Debian package (design/PACKAGING.md): `cmake --build build/<preset>
# --target package` or `cpack -G DEB` in a build tree makes
# vigil_<version>_<arch>.deb from the install rules below. A package for
# people is built from the release preset (scripts/package); the tests
# package the debug build they run against (tests/deb_test.py).

include(GNUInstallDirs)
set(VIGIL_SHARE_DIR ${CMAKE_INSTALL_DATADIR}/vigil)

install(TARGETS vigil RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The built web UI (scripts/bootstrap builds web/dist); [http] web_root of
# the installed config points at it.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/dist/ DESTINATION ${VIGIL_SHARE_DIR}/web)
# The object model converted at build time; [detect] model points at it.
install(FILES ${PROJECT_BINARY_DIR}/models/nanodet.onnx DESTINATION ${VIGIL_SHARE_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Absolute: where Debian 12 looks for them, whatever the prefix.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/vigil.toml DESTINATION /etc/vigil)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/vigil.service DESTINATION /lib/systemd/system)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vigil)
set(CPACK_PACKAGE_VENDOR vigil)
set(CPACK_PACKAGE_CONTACT "vigil maintainers <vigil@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "community video network: IP cameras recorded at the edge, seen on phone, TV and PC")
set(CPACK_PACKAGE_DESCRIPTION "vigil records IP cameras (RTSP, ONVIF) on this machine and serves live view,\nplayback and export to browsers, with accounts, an audit log of every look and\nan optional link to a village, township or county that sees only what each\ncamera's owner shares. Installed as the service vigil (systemd).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Libraries found by dpkg-shlibdeps (dpkg-dev, which build-essential
# brings); what the maintainer scripts run is named here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, openssl, init-system-helpers (>= 1.54~), debconf (>= 0.5) | debconf-2.0")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/templates
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Symbols stay in the build tree, not on every install.
set(CPACK_STRIP_FILES ON)
include(CPack)
