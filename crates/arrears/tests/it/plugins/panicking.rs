//! A Rust plugin built on the SDK that panics when asked to score an account 13 days past
//! due; the host test builds it as a cdylib.

use arrears_plugin_sdk::{abi, export_plugin, Host, Plugin, PluginError, ScoreRecord, Scored};

struct Panicking;

impl Plugin for Panicking {
    fn init(_config: &str, _host: Host) -> Result<Panicking, PluginError> {
        Ok(Panicking)
    }

    fn score(&self, record: &ScoreRecord<'_>) -> Result<Scored, PluginError> {
        if record.raw.days_past_due == 13 {
            panic!("unlucky account");
        }
        Ok(Scored { points: 700.0, reasons: Vec::new() })
    }
}

export_plugin!(Panicking, name: "panicking", version: "0.0.1", capabilities: abi::CAPABILITY_SCORER);
