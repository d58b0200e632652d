//! The TCP connections under the image fetcher: ureq's connector chain with one change, the
//! client acknowledges every response at once.
//!
//! Why: a server that writes a response's headers and its body in two calls, without
//! TCP_NODELAY (Python's `http.server`, many small servers), has the body held back by Nagle's
//! algorithm until the client acknowledges the headers. On a kept-alive connection Linux delays
//! that acknowledgement by 40 ms, so every image after the first on a connection waited 40 ms:
//! 4 of the 4.5 s of a cold build of an 800-image column through such a server. Setting
//! TCP_QUICKACK before each read makes the kernel acknowledge straight away (43 ms -> 0.6 ms
//! per request, measured). The option is not sticky (the kernel drops back to delayed
//! acknowledgements on its own), hence once per read.
//!
//! ureq keeps its own TCP transport private, so this module opens the socket and does timed
//! reads and writes itself; proxies (CONNECT), TLS (rustls) and connection pooling stay
//! ureq's. Elsewhere than Linux, ureq's default connector is used unchanged.

#[cfg(target_os = "linux")]
pub use linux::connector;

#[cfg(not(target_os = "linux"))]
pub fn connector() -> ureq::unversioned::transport::DefaultConnector {
    ureq::unversioned::transport::DefaultConnector::default()
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fmt;
    use std::io::{self, Read, Write};
    use std::net::TcpStream;
    use std::sync::{Arc, Weak};
    use std::time::Instant;

    use ureq::unversioned::transport::{
        Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, LazyBuffers,
        NextTimeout, RustlsConnector, ShutdownHandle, Transport,
    };
    use ureq::{Error, Timeout};

    /// The chain ureq's `DefaultConnector` builds for our features (no SOCKS, rustls only),
    /// with our TCP step in place of ureq's.
    pub fn connector() -> impl Connector {
        ().chain(ConnectProxyConnector::default())
            .chain(QuickAckConnector)
            .chain(RustlsConnector::default())
    }

    #[derive(Debug)]
    struct QuickAckConnector;

    impl<In: Transport> Connector<In> for QuickAckConnector {
        type Out = Either<In, QuickAckTransport>;

        fn connect(
            &self,
            details: &ConnectionDetails,
            chained: Option<In>,
        ) -> Result<Option<Self::Out>, Error> {
            // A proxy connector before us already holds the connection.
            if let Some(transport) = chained {
                return Ok(Some(Either::A(transport)));
            }
            let stream = Arc::new(open(details)?);
            (details.register_shutdown)(Arc::downgrade(&stream) as Weak<dyn ShutdownHandle>)?;
            let config = details.config;
            Ok(Some(Either::B(QuickAckTransport {
                stream,
                buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            })))
        }
    }

    /// Connects to the first of the resolved addresses that answers within the connect timeout
    /// (shared by all of them).
    fn open(details: &ConnectionDetails) -> Result<TcpStream, Error> {
        let started = Instant::now();
        let budget = details.timeout.not_zero().map(|t| *t);
        let mut last = None;
        for addr in &details.addrs {
            let attempt = match budget {
                Some(total) => match total.checked_sub(started.elapsed()) {
                    Some(left) if !left.is_zero() => TcpStream::connect_timeout(addr, left),
                    _ => return Err(Error::Timeout(Timeout::Connect)),
                },
                None => TcpStream::connect(addr),
            };
            match attempt {
                Ok(stream) => {
                    if details.config.no_delay() {
                        stream.set_nodelay(true)?;
                    }
                    return Ok(stream);
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    last = Some(Error::Timeout(Timeout::Connect));
                }
                Err(e) => last = Some(Error::Io(e)),
            }
        }
        Err(last.unwrap_or(Error::ConnectionFailed))
    }

    struct QuickAckTransport {
        /// Shared (weakly) with the agent, which shuts it down to interrupt blocked I/O.
        stream: Arc<TcpStream>,
        buffers: LazyBuffers,
    }

    impl fmt::Debug for QuickAckTransport {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("QuickAckTransport")
                .field("peer", &self.stream.peer_addr().ok())
                .finish()
        }
    }

    /// A timed-out socket call reads as ureq's timeout with the reason it was given.
    fn io_error(e: io::Error, timeout: &NextTimeout) -> Error {
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout(timeout.reason),
            _ => Error::Io(e),
        }
    }

    /// The socket timeout for a call; none left means the call has already timed out.
    fn remaining(timeout: &NextTimeout) -> Result<Option<std::time::Duration>, Error> {
        if timeout.after.is_zero() {
            return Err(Error::Timeout(timeout.reason));
        }
        Ok(timeout.not_zero().map(|t| *t))
    }

    impl Transport for QuickAckTransport {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }

        fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
            let timeout = timeout.for_write();
            self.stream.set_write_timeout(remaining(&timeout)?)?;
            let output = &self.buffers.output()[..amount];
            (&*self.stream)
                .write_all(output)
                .map_err(|e| io_error(e, &timeout))
        }

        fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
            let timeout = timeout.for_read();
            self.stream.set_read_timeout(remaining(&timeout)?)?;
            socket2::SockRef::from(&*self.stream).set_tcp_quickack(true)?;
            let input = self.buffers.input_append_buf();
            let amount = loop {
                match (&*self.stream).read(input) {
                    // A signal (Ctrl-C's handler) interrupted the read; the build decides
                    // whether to stop, the read goes on.
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    result => break result.map_err(|e| io_error(e, &timeout))?,
                }
            };
            self.buffers.input_appended(amount);
            Ok(amount > 0)
        }

        /// A pooled connection is reusable when the server has neither closed it nor sent
        /// anything unasked: a read that would block.
        fn is_open(&mut self) -> bool {
            let mut stream = &*self.stream;
            if stream.set_nonblocking(true).is_err() {
                return false;
            }
            let idle = matches!(
                stream.read(&mut [0u8]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock
            );
            idle && stream.set_nonblocking(false).is_ok()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::net::TcpListener;

        fn pair() -> (QuickAckTransport, TcpStream) {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (server, _) = listener.accept().unwrap();
            let transport = QuickAckTransport {
                stream: Arc::new(client),
                buffers: LazyBuffers::new(1024, 1024),
            };
            (transport, server)
        }

        #[test]
        fn only_an_idle_open_connection_is_reusable() {
            let (mut idle, _server) = pair();
            assert!(idle.is_open());
            assert!(idle.is_open(), "the probe leaves the socket usable");

            let (mut closed, server) = pair();
            drop(server);
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!closed.is_open());

            let (mut chatty, mut server) = pair();
            server.write_all(b"unasked").unwrap();
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!chatty.is_open());
        }
    }
}
