//! A TCP proxy a test can cut, to make a server (Postgres, Redis, the simulator) look down and come back
//! without touching the server itself.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    net::{TcpListener, TcpSocket, TcpStream},
    task::{JoinHandle, JoinSet},
};

/// Forwards every connection accepted on 127.0.0.1 to `target`. [`TcpProxy::cut`] closes the forwarded
/// connections and stops listening, so new ones are refused as by a server that is down;
/// [`TcpProxy::restore`] listens and forwards again on the same port. Stops when dropped.
pub struct TcpProxy {
    addr: SocketAddr,
    target: String,
    /// Bound to the port and never listening: it keeps the port ours while the proxy is cut (a connection
    /// to it is refused), so that `restore` can listen there again.
    _port: TcpSocket,
    accept: Mutex<Option<JoinHandle<()>>>,
    /// One task per forwarded connection; aborting a task drops (closes) both of its sockets.
    connections: Arc<Mutex<JoinSet<()>>>,
}

impl TcpProxy {
    /// Listens on an ephemeral port of 127.0.0.1 and forwards to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        let port = shared_socket();
        port.bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind proxy port");
        let proxy = Self {
            addr: port.local_addr().expect("proxy address"),
            target: target.to_owned(),
            _port: port,
            accept: Mutex::new(None),
            connections: Arc::default(),
        };
        proxy.restore();
        proxy
    }

    /// `127.0.0.1:port`, to connect to instead of the target.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// The server looks down: stops listening (new connections are refused) and closes every forwarded
    /// connection. Returns once all of that is done.
    pub async fn cut(&self) {
        let accept = self.accept.lock().unwrap().take();
        if let Some(accept) = accept {
            accept.abort();
            // Joined, an aborted task has dropped its future: the listener is closed and nothing more is
            // added to `connections`.
            let _ = accept.await;
        }
        let mut connections = std::mem::take(&mut *self.connections.lock().unwrap());
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }

    /// Listens and forwards again (nothing to do when not cut).
    pub fn restore(&self) {
        let mut accept = self.accept.lock().unwrap();
        if accept.is_none() {
            let socket = shared_socket();
            socket.bind(self.addr).expect("bind proxy port again");
            let listener = socket.listen(1024).expect("listen on proxy port");
            *accept = Some(tokio::spawn(accept_loop(
                listener,
                self.target.clone(),
                self.connections.clone(),
            )));
        }
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Some(accept) = self.accept.lock().ok().and_then(|mut a| a.take()) {
            accept.abort();
        }
        if let Ok(mut connections) = self.connections.lock() {
            connections.abort_all();
        }
    }
}

/// A socket that may share its port with the proxy's other sockets (`SO_REUSEPORT`; only listening ones
/// receive connections) and rebind it right after connections on it closed (`SO_REUSEADDR`).
fn shared_socket() -> TcpSocket {
    let socket = TcpSocket::new_v4().expect("proxy socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.set_reuseport(true).expect("SO_REUSEPORT");
    socket
}

async fn accept_loop(listener: TcpListener, target: String, connections: Arc<Mutex<JoinSet<()>>>) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            continue;
        };
        let mut connections = connections.lock().unwrap();
        // Forget finished connections.
        while connections.try_join_next().is_some() {}
        connections.spawn(forward(inbound, target.clone()));
    }
}

async fn forward(mut inbound: TcpStream, target: String) {
    // A target that does not answer looks the same to the client as a cut: the connection closes.
    let Ok(mut outbound) = TcpStream::connect(&target).await else {
        return;
    };
    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server that echoes every connection's bytes back.
    async fn echo_server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        addr
    }

    async fn round_trip(stream: &mut TcpStream, message: &[u8]) -> Vec<u8> {
        stream.write_all(message).await.unwrap();
        let mut answer = vec![0; message.len()];
        stream.read_exact(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn cut_closes_connections_and_refuses_new_ones_until_restored() {
        let proxy = TcpProxy::start(&echo_server().await).await;

        let mut before = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut before, b"hello").await, b"hello");

        proxy.cut().await;
        // Closed: the read ends (EOF) or fails (reset). Bounded, so a proxy that keeps the connection open
        // fails the test instead of hanging it.
        let mut buf = [0; 16];
        let read = tokio::time::timeout(Duration::from_secs(10), before.read(&mut buf))
            .await
            .expect("the connection must close");
        assert!(matches!(read, Ok(0) | Err(_)), "an open connection survived the cut");
        let refused = TcpStream::connect(proxy.addr()).await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        proxy.cut().await;

        proxy.restore();
        proxy.restore();
        let mut after = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut after, b"again").await, b"again");
    }
}
