//! Load-test server for `benches/load/run.sh`: the same axum app on two loopback ports, one
//! plain and one behind the cognito-verify-axum layer (verified-token cache on).
//!
//! It mints its own key and one valid access token (an hour long) at start, then writes a
//! shell-sourceable ready file: `PLAIN_PORT=…`, `AUTH_PORT=…`, `TOKEN=…`. It stops by itself
//! after `--max-seconds` or once both apps together answered `--max-requests`, and on
//! SIGINT/SIGTERM.
//!
//! ```text
//! load_server --ready-file PATH [--workers 1] [--max-seconds 300] [--max-requests 50000000]
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use cognito_verify::TokenUse;
use cognito_verify::defaults::DEFAULT_TOKEN_CACHE_MAX_BYTES;
use cognito_verify_benches::{Fixture, Served, SetupError, app, verify_now};
use tokio::net::TcpListener;
use tokio::sync::watch;

struct Options {
    ready_file: PathBuf,
    workers: usize,
    max_seconds: u64,
    max_requests: u64,
}

fn options() -> Result<Options, SetupError> {
    let mut options = Options {
        ready_file: PathBuf::new(),
        workers: 1,
        max_seconds: 300,
        max_requests: 50_000_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--ready-file" => options.ready_file = value.into(),
            "--workers" => options.workers = value.parse()?,
            "--max-seconds" => options.max_seconds = value.parse()?,
            "--max-requests" => options.max_requests = value.parse()?,
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    if options.ready_file.as_os_str().is_empty() {
        return Err("--ready-file is required".into());
    }
    if options.workers == 0 {
        return Err("--workers must be at least 1".into());
    }
    Ok(options)
}

fn main() -> Result<(), SetupError> {
    let options = options()?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.workers)
        .enable_all()
        .build()?
        .block_on(serve(options))
}

async fn serve(options: Options) -> Result<(), SetupError> {
    let fixture = Fixture::new();
    let verifier = fixture.verifier(TokenUse::Access, DEFAULT_TOKEN_CACHE_MAX_BYTES)?;
    // Fail fast on a broken setup, and leave the token cached: every request is a hit.
    if verify_now(&verifier, &fixture.access) != Some(true) {
        return Err("the minted token does not verify".into());
    }

    let (plain_served, auth_served) = (Served::default(), Served::default());
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let plain_listener = TcpListener::bind(loopback).await?;
    let auth_listener = TcpListener::bind(loopback).await?;
    let ready = format!(
        "PLAIN_PORT={}\nAUTH_PORT={}\nTOKEN={}\n",
        plain_listener.local_addr()?.port(),
        auth_listener.local_addr()?.port(),
        fixture.access
    );
    // Written whole, then renamed: the script never reads half a file.
    let partial = options.ready_file.with_extension("partial");
    std::fs::write(&partial, ready)?;
    std::fs::rename(&partial, &options.ready_file)?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        // Either a stop, or every sender gone: both mean stop.
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let plain = axum::serve(plain_listener, app(None, plain_served.clone()))
        .with_graceful_shutdown(stopped(stop_rx.clone()));
    let auth = axum::serve(auth_listener, app(Some(&verifier), auth_served.clone()))
        .with_graceful_shutdown(stopped(stop_rx.clone()));
    let servers =
        tokio::spawn(async move { tokio::try_join!(plain.into_future(), auth.into_future()) });

    let deadline = tokio::time::sleep(Duration::from_secs(options.max_seconds));
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let reason = loop {
        tokio::select! {
            () = &mut deadline => break "time limit",
            _ = tokio::signal::ctrl_c() => break "interrupted",
            _ = tick.tick() => {
                if plain_served.get() + auth_served.get() >= options.max_requests {
                    break "request limit";
                }
            }
        }
    };
    let _ = stop_tx.send(true);
    // Graceful shutdown waits for open connections; give them two seconds, then just exit.
    let _ = tokio::time::timeout(Duration::from_secs(2), servers).await;
    eprintln!(
        "load_server: stopped ({reason}); answered plain {} / layer {} requests; token cache {:?}",
        plain_served.get(),
        auth_served.get(),
        verifier.token_cache_stats()
    );
    Ok(())
}
