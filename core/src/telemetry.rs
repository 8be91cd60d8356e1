//! Structured logging. `RUST_LOG` overrides the default filter; `OCEAN_LOG_FORMAT=json` switches to
//! one JSON object per line for log shippers.

use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber once per process. Later calls are ignored (tests call it freely).
pub fn init(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("OCEAN_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Ends a binary: on error, one readable line per cause on stderr (no backtrace noise) and exit code 1.
pub fn exit_on_error(result: anyhow::Result<()>) {
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
