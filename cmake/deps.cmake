# deps.cmake — find every dependency with pkg-config; a missing one stops the
# configure step with the Debian 12 package that provides it.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: install the Debian package 'pkg-config' "
                      "(or run scripts/setup-deps)")
endif()

# cc_require(<target-suffix> <pkg-config module> <debian package>)
function(cc_require name module debpkg)
  pkg_check_modules(${name} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "missing dependency '${module}': install the Debian package '${debpkg}' "
                        "(apt-get install ${debpkg}, or run scripts/setup-deps)")
  endif()
  add_library(cc::${name} ALIAS PkgConfig::${name})
endfunction()

cc_require(curl libcurl libcurl4-openssl-dev)
cc_require(cjson libcjson libcjson-dev)
cc_require(openssl openssl libssl-dev)
cc_require(jwt libjwt libjwt-dev)
cc_require(cares libcares libc-ares-dev)
cc_require(uv libuv libuv1-dev)
cc_require(yaml yaml-0.1 libyaml-dev)
cc_require(mhd libmicrohttpd libmicrohttpd-dev)
cc_require(gnutls gnutls libgnutls28-dev) # client certificates on the mock servers
cc_require(cmocka cmocka libcmocka-dev)

# curl must be the OpenSSL flavour: TLS options (CA file, client certs) rely on it.
execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --variable=supported_features libcurl
                OUTPUT_VARIABLE _curl_features OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_curl_features AND NOT _curl_features MATCHES "SSL")
  message(FATAL_ERROR "libcurl has no TLS support: install the Debian package 'libcurl4-openssl-dev'")
endif()
