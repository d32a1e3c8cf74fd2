{
  "targets": [
    {
      "target_name": "tgauth",
      "sources": ["src/addon.cc", "src/testdc.cc"],
      "include_dirs": [
        "<!(node scripts/locate.js node-addon-api-dir)",
        "<!(node scripts/locate.js include-dir)"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-Wall", "-Wextra", "-Werror"],
      # libtgauth.a linked in whole: no rpath, nothing to find at run time. Its symbols stay
      # private to the addon. The system libraries are what Rust's std needs.
      "libraries": [
        "<!(node scripts/locate.js static-lib)",
        "-lpthread", "-ldl", "-lm"
      ],
      "conditions": [
        ["OS=='linux'", { "ldflags": ["-Wl,--exclude-libs,ALL"] }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LIBRARY": "libc++",
            "MACOSX_DEPLOYMENT_TARGET": "10.15",
            "OTHER_LDFLAGS": ["-framework", "Security", "-framework", "CoreFoundation"]
          }
        }]
      ]
    }
  ]
}
