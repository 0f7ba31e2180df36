//! The stable C ABI of Arrears plugins (scorers and contact strategies) and a Rust SDK to
//! write them.
//!
//! A plugin is a shared library exporting one function, `arrears_plugin_entry_v1`, which
//! returns a [`abi::PluginDescriptor`]: magic, size, ABI version, capabilities, name, version,
//! build fingerprint and function pointers (appended only). Calls are batched over
//! `#[repr(C)]` arrays with explicit strides; outputs go into host-owned buffers; nothing is
//! freed across the boundary. `include/arrears_plugin.h` is the same ABI for C.
//!
//! In Rust, implement [`Plugin`] and export it:
//!
//! ```
//! use arrears_plugin_sdk::{abi, export_plugin, Host, Plugin, PluginError, ScoreRecord, Scored};
//!
//! struct Flat;
//!
//! impl Plugin for Flat {
//!     fn init(_config: &str, _host: Host) -> Result<Flat, PluginError> {
//!         Ok(Flat)
//!     }
//!     fn score(&self, _record: &ScoreRecord<'_>) -> Result<Scored, PluginError> {
//!         Ok(Scored { points: 500.0, reasons: Vec::new() })
//!     }
//! }
//!
//! export_plugin!(Flat, name: "flat", version: "1.0.0",
//!     capabilities: abi::CAPABILITY_SCORER | abi::CAPABILITY_THREAD_SAFE);
//! # fn main() {}
//! ```
//!
//! See docs/PLUGIN_ABI.md for every function's contract and the versioning rules.
#![deny(missing_docs)]

pub mod abi;
mod plugin;
pub mod runtime;

pub use plugin::{
    AttributeValue, ContactPointView, ContactRequestView, Host, Plugin, PluginError, Proposal,
    ScoreRecord, Scored,
};
pub use runtime::StaticPlugin;

/// A [`abi::ScoreInput`] with the given attributes and every fixed field zero (currency
/// `XXX`): for tests and benchmarks that call a plugin through the ABI. The input borrows
/// `attributes`.
pub fn score_input(attributes: &[abi::Attribute]) -> abi::ScoreInput {
    abi::ScoreInput {
        account_id: 0,
        debtor_id: 0,
        days_past_due: 0,
        total_outstanding_minor: 0,
        past_due_minor: 0,
        credit_limit_minor: 0,
        paid_90d_minor: 0,
        months_on_book: 0,
        as_of_days: 0,
        currency: *b"XXX",
        has_credit_limit: 0,
        payments_90d: 0,
        reversals_90d: 0,
        broken_promises: 0,
        kept_promises: 0,
        attempts_30d: 0,
        right_party_contacts_30d: 0,
        attributes: attributes.as_ptr(),
        attribute_count: attributes.len(),
    }
}

/// Exports a [`Plugin`] type from a shared library: [`declare_plugin!`] and
/// [`export_plugin_entry!`] in one crate. Use it in a plugin crate built as a `cdylib`.
///
/// ```text
/// export_plugin!(MyPlugin, name: "my-plugin", version: "1.0.0",
///     capabilities: abi::CAPABILITY_SCORER | abi::CAPABILITY_DETERMINISTIC);
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty, name: $name:expr, version: $version:expr, capabilities: $capabilities:expr $(,)?) => {
        $crate::declare_plugin!($plugin, name: $name, version: $version, capabilities: $capabilities);
        $crate::export_plugin_entry!(ARREARS_PLUGIN_DESCRIPTOR);
    };
}

/// Declares a [`Plugin`] type without the C entry point: defines the descriptor static
/// `ARREARS_PLUGIN_DESCRIPTOR` and `arrears_plugin_static()` (for linking the plugin into a
/// host binary). A library that several plugins are linked into must not define the entry
/// point more than once, so a plugin meant for both uses is two crates: an `rlib` that
/// declares it, and a `cdylib` that adds [`export_plugin_entry!`] (as the first-party plugins
/// in `plugins/` do).
///
/// ```text
/// declare_plugin!(MyPlugin, name: "my-plugin", version: "1.0.0",
///     capabilities: abi::CAPABILITY_SCORER | abi::CAPABILITY_DETERMINISTIC);
/// ```
#[macro_export]
macro_rules! declare_plugin {
    ($plugin:ty, name: $name:expr, version: $version:expr, capabilities: $capabilities:expr $(,)?) => {
        /// The plugin's ABI descriptor.
        pub static ARREARS_PLUGIN_DESCRIPTOR: $crate::runtime::StaticDescriptor =
            $crate::runtime::StaticDescriptor::new::<$plugin>(
                $name,
                $version,
                concat!(env!("CARGO_PKG_NAME"), "@", env!("CARGO_PKG_VERSION"), " abi 1.2"),
                $capabilities,
            );

        extern "C" fn __arrears_plugin_static_entry() -> *const $crate::abi::PluginDescriptor {
            ARREARS_PLUGIN_DESCRIPTOR.as_ptr()
        }

        /// The plugin's entry point for static linking.
        pub fn arrears_plugin_static() -> $crate::StaticPlugin {
            // SAFETY: the entry returns the SDK-built static descriptor.
            #[allow(unsafe_code)]
            unsafe {
                $crate::StaticPlugin::new_unchecked(__arrears_plugin_static_entry)
            }
        }
    };
}

/// Defines the exported C entry point `arrears_plugin_entry_v1` of a shared library, returning
/// the descriptor a [`declare_plugin!`] defined (`$descriptor` is its path).
///
/// ```text
/// arrears_plugin_sdk::export_plugin_entry!(my_plugin::ARREARS_PLUGIN_DESCRIPTOR);
/// ```
#[macro_export]
macro_rules! export_plugin_entry {
    ($descriptor:path) => {
        /// The exported C entry point: returns the descriptor.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn arrears_plugin_entry_v1() -> *const $crate::abi::PluginDescriptor {
            $descriptor.as_ptr()
        }
    };
}
