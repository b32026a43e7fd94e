//! A TCP forwarder in front of a key endpoint that refuses connections, holds requests or cuts
//! answers off, on command.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// How long [`Gate`] tries to listen again on its port before it gives up (panics).
const REBIND_DEADLINE: Duration = Duration::from_secs(10);

/// A TCP forwarder on a fixed loopback port in front of an endpoint (a
/// [`JwksServer`](super::JwksServer)): open, holding requests, cutting every answer off mid-body
/// with a reset, or closed (connections refused), and back again on the same port. So "a fetch
/// is in flight" or "nothing listens" is a state a test sets, not a race it hopes to win.
///
/// ```
/// use cognito_verify::testing::{Gate, JwksServer, TestIssuer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let issuer = TestIssuer::new();
/// let server = JwksServer::start(issuer.jwks_json()).await?;
/// let mut gate = Gate::start(server.addr()).await;
/// // Point the verifier at `gate.url()` instead of `server.url()`, then:
/// gate.hold(); // requests wait at the gate until `release()`
/// gate.release();
/// gate.refuse().await; // connections are refused
/// gate.reopen().await; // and forwarded again, on the same port
/// # Ok(()) }
/// ```
///
/// While the gate is closed, a connection the client kept open from before may be found closed
/// by its next request (a failed request rather than a refused connection).
#[derive(Debug)]
pub struct Gate {
    addr: SocketAddr,
    upstream: SocketAddr,
    held: watch::Sender<bool>,
    task: Option<(JoinHandle<()>, Handler)>,
}

/// What the gate does with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handler {
    /// Forward it to the endpoint (holding requests while told to).
    Forward,
    /// Answer `200` with a `Content-Length`, part of the body, then reset the connection.
    CutOff,
}

/// Loopback ports below the kernel's ephemeral range, so that while the gate is closed no
/// outgoing connection can be given its port and it can be re-bound; distinct within a process.
fn candidate_ports() -> impl Iterator<Item = u16> {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768)
        .clamp(12_000, 32_768);
    let span = u32::from(low - 10_000);
    let seed = std::process::id();
    (0..500).map(move |_| {
        let n = u32::from(NEXT.fetch_add(1, Ordering::Relaxed));
        let offset = (seed
            .wrapping_mul(7919)
            .wrapping_add(n.wrapping_mul(104_729)))
            % span;
        // `offset < span <= 22_768`, so this never saturates.
        10_000u16.saturating_add(u16::try_from(offset).unwrap_or(0))
    })
}

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

impl Gate {
    /// A gate forwarding to `upstream`, open.
    ///
    /// Panics if no loopback port below the ephemeral range is free.
    pub async fn start(upstream: SocketAddr) -> Gate {
        let (listener, addr) = candidate_ports()
            .find_map(|port| {
                let addr = SocketAddr::from(([127, 0, 0, 1], port));
                listen(addr).ok().map(|l| (l, addr))
            })
            .expect("a free loopback port below the ephemeral range");
        let (held, _) = watch::channel(false);
        let mut gate = Gate {
            addr,
            upstream,
            held,
            task: None,
        };
        gate.serve(listener, Handler::Forward);
        gate
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The JWKS URL through the gate, `http://127.0.0.1:PORT/.well-known/jwks.json`.
    pub fn url(&self) -> String {
        format!("http://{}/.well-known/jwks.json", self.addr)
    }

    fn serve(&mut self, listener: TcpListener, handler: Handler) {
        let (upstream, held) = (self.upstream, self.held.subscribe());
        let task = tokio::spawn(async move {
            // Dropping this future (abort) drops the listener and every connection with it.
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                match handler {
                    Handler::Forward => connections.spawn(forward(client, upstream, held.clone())),
                    Handler::CutOff => connections.spawn(cut_off(client)),
                };
                while connections.try_join_next().is_some() {}
            }
        });
        self.task = Some((task, handler));
    }

    /// Closes the listener and every connection.
    async fn close(&mut self) {
        if let Some((task, _)) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port (waiting for the port to be free, up to a deadline).
    async fn rebind(&mut self, handler: Handler) {
        assert!(self.task.is_none(), "the gate is open");
        let started = Instant::now();
        loop {
            match listen(self.addr) {
                Ok(listener) => return self.serve(listener, handler),
                Err(error) => assert!(
                    started.elapsed() < REBIND_DEADLINE,
                    "could not listen on {} again: {error}",
                    self.addr
                ),
            }
            tokio::task::yield_now().await;
        }
    }

    /// From now on, new connections are refused (nothing listens on the port).
    pub async fn refuse(&mut self) {
        self.close().await;
        assert!(
            TcpStream::connect(self.addr).await.is_err(),
            "the gate is closed"
        );
    }

    /// From now on, every answer is `200` with a declared length, cut off mid-body by a reset.
    pub async fn cut_off(&mut self) {
        self.close().await;
        self.rebind(Handler::CutOff).await;
    }

    /// Forwards again (on the same port).
    pub async fn reopen(&mut self) {
        if self.task.as_ref().map(|(_, h)| *h) != Some(Handler::Forward) {
            self.close().await;
            self.rebind(Handler::Forward).await;
        }
    }

    /// From now on, requests reach the endpoint only after [`release`](Self::release).
    pub fn hold(&self) {
        self.held.send_replace(true);
    }

    /// Lets held requests (and every later one) through.
    pub fn release(&self) {
        self.held.send_replace(false);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some((task, _)) = self.task.take() {
            task.abort();
        }
    }
}

/// Reads a request head, answers `200` with a `Content-Length` of 4 KiB and the first bytes of
/// a key set, then resets the connection (zero linger).
async fn cut_off(mut client: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(buf.get(..n).unwrap_or_default()),
        }
    }
    let _ = client
        .write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{\"keys\":[{\"kty\":\"RSA\",",
        )
        .await;
    let _ = client.flush().await;
    let _ = client.set_zero_linger();
}

async fn forward(client: TcpStream, upstream: SocketAddr, mut held: watch::Receiver<bool>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if held.wait_for(|held| !*held).await.is_err() {
                break;
            }
            let read = buf.get(..n).unwrap_or_default();
            if server_write.write_all(read).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let responses = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(requests, responses);
}
