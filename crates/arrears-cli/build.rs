//! Link settings for the built-in plugins.
//!
//! Each first-party plugin crate is both a cdylib and an rlib, and exports the C entry point
//! `arrears_plugin_entry_v1` under that one name (the ABI says so). Linking two of them into
//! this binary as rlibs defines the symbol twice; the binary never calls it by that name (it
//! uses each crate's `arrears_plugin_static()`), so either definition is fine.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "android" || os.ends_with("bsd") {
        println!("cargo:rustc-link-arg=-Wl,--allow-multiple-definition");
    }
}
