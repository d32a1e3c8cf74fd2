//! Generates the C header from src/ffi with cbindgen, into OUT_DIR. `make header` copies
//! it to include/tgauth.h, and a unit test fails when the committed header is stale.
//!
//! On ELF platforms the shared library gets a soname carrying the major version
//! (`libtgauth.so.0`): `make install` installs `libtgauth.so.X.Y.Z` with the symlinks, and
//! programs linked against it record the soname, not the unversioned name.

/// Targets whose shared libraries are ELF with a DT_SONAME (macOS and Windows name theirs otherwise).
const ELF_WITH_SONAME: &[&str] = &[
    "linux",
    "android",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "solaris",
    "illumos",
];

fn main() {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    let out_dir = std::env::var("OUT_DIR").expect("set by cargo");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if ELF_WITH_SONAME.contains(&target_os.as_str()) {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtgauth.so.{major}");
    }
    let config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(format!("{out_dir}/tgauth.h"));
        }
        Err(e) => panic!("cbindgen could not generate the header: {e}"),
    }
}
