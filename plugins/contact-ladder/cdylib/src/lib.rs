//! The contact-ladder plugin as a shared library: the C entry point `arrears_plugin_entry_v1` over
//! the descriptor of the `arrears-contact-ladder` crate. Kept apart so that a host binary linking
//! several first-party plugins as Rust libraries gets no duplicate entry symbols.

arrears_plugin_sdk::export_plugin_entry!(arrears_contact_ladder::ARREARS_PLUGIN_DESCRIPTOR);
