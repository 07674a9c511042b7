//! A real daytwo OFREP server (`daytwo_flags::serve`) on 127.0.0.1:0 in the
//! test process, serving one env's flags as `examples/shop/daytwo.toml`
//! declares them. Its own tokio runtime; stopped on Drop.

use daytwo_flags::{FlagsHandle, OfrepOptions, serve};
use std::path::Path;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The bearer token the test servers require.
pub const TOKEN: &str = "shop-test-token";
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

pub struct FlagServer {
    runtime: Option<tokio::runtime::Runtime>,
    /// Changes what the server serves, as `daytwo flags set` does.
    pub handle: FlagsHandle,
    url: String,
    shutdown: CancellationToken,
}

impl FlagServer {
    /// Serves env `env` of the shop's spec, requiring [`TOKEN`].
    pub fn start(env: &str) -> Self {
        Self::start_with(env, None)
    }

    /// [`Self::start`], advertising its event stream under `base_url`
    /// instead of its own address (a stream clients cannot reach).
    pub fn start_with(env: &str, base_url: Option<&str>) -> Self {
        let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("daytwo.toml");
        let loaded = daytwo_spec::load_with(&spec_path, &|_| None).expect("the shop spec loads");
        let flags = loaded.spec.env(env).expect("the env is declared").flags;
        assert!(flags.contains_key("analytics"), "{flags:?}");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let handle = FlagsHandle::new(env, flags.into_values());
        let shutdown = CancellationToken::new();
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the flags server");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let options = OfrepOptions {
            token: Some(TOKEN.to_string()),
            base_url: base_url.map(str::to_string),
            ..OfrepOptions::default()
        };
        runtime.spawn({
            let (handle, shutdown) = (handle.clone(), shutdown.clone());
            async move { serve(listener, handle, options, shutdown).await }
        });
        Self {
            runtime: Some(runtime),
            handle,
            url,
            shutdown,
        }
    }

    /// The OFREP base URL, as daytwo passes it in `DAYTWO_FLAGS_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sets the `analytics` flag's value, as `daytwo flags set` does.
    pub fn set_analytics(&self, value: bool) {
        self.handle
            .set_value("analytics", serde_json::Value::Bool(value))
            .expect("analytics is a served boolean flag");
    }
}

impl Drop for FlagServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(STOP_TIMEOUT);
        }
    }
}
