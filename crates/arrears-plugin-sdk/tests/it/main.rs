//! Integration tests of the plugin SDK.
//!
//! Goal: the C header and the Rust ABI agree byte for byte, and the export glue turns
//! panics and errors into status codes. Method: compile C against the header with the system
//! compiler and compare; call the generated entry points directly.

mod glue;
mod layout;
mod tones;
