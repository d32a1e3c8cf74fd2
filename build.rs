//! Generates the C header from src/ffi with cbindgen, into OUT_DIR. `make header` copies
//! it to include/tgauth.h, and a unit test fails when the committed header is stale.

fn main() {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    let out_dir = std::env::var("OUT_DIR").expect("set by cargo");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
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
