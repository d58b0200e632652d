//! The one loopback HTTP/1.1 server of the tests, for the test suite and the library's unit
//! tests alike (src/images/fetch.rs includes this file, as a library cannot import from tests/).
//!
//! It listens on 127.0.0.1 only, answers each request with what the test's responder returns
//! for it, keeps connections alive as production servers do, and records what it was asked.
//! Dropping it stops it: the listener closes and every connection thread ends, including those
//! waiting out a delay or writing to a client that stopped reading.

// The library's unit tests and the test suite each use a part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// How many requests the server had read before this one, over all paths.
    pub count: usize,
    /// How many requests for this path came before this one.
    pub count_for_path: usize,
    /// The request target, query included.
    pub path: String,
    /// Names lowercased, in the order sent.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What to answer one request with.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    location: Option<String>,
    body: Body,
    /// Content-Length to announce when it is not the body's length.
    announced: Option<u64>,
    delay: Duration,
    /// Close the connection after answering, without saying so beforehand.
    hang_up: bool,
}

#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    /// This many filler bytes without Content-Length, ended by closing the connection; written
    /// until the client hangs up.
    Unannounced(u64),
    /// No answer at all: the connection stays open and silent until the client gives up.
    Silence,
}

impl Response {
    pub fn ok(body: impl Into<Vec<u8>>) -> Response {
        Response::with_status(200, body)
    }

    /// An answer with `status` and a short text body.
    pub fn status(status: u16) -> Response {
        Response::with_status(status, format!("status {status}"))
    }

    fn with_status(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            location: None,
            body: Body::Bytes(body.into()),
            announced: None,
            delay: Duration::ZERO,
            hang_up: false,
        }
    }

    pub fn redirect(location: &str) -> Response {
        Response {
            location: Some(location.to_owned()),
            ..Response::with_status(302, "")
        }
    }

    /// A `200 OK` whose `len` bytes come without Content-Length, so only reading tells how long
    /// it is.
    pub fn unannounced(len: u64) -> Response {
        Response {
            body: Body::Unannounced(len),
            ..Response::ok("")
        }
    }

    /// Never answers.
    pub fn silence() -> Response {
        Response {
            body: Body::Silence,
            ..Response::ok("")
        }
    }

    /// Announces `len` as Content-Length whatever the body's real length.
    pub fn content_length(self, len: u64) -> Response {
        Response {
            announced: Some(len),
            ..self
        }
    }

    /// Waits `delay` before answering, as a slow or far-away server does.
    pub fn delay(self, delay: Duration) -> Response {
        Response { delay, ..self }
    }

    /// Closes the connection after this answer without a `Connection: close`, as some servers do.
    pub fn hang_up(self) -> Response {
        Response {
            hang_up: true,
            ..self
        }
    }
}

type Responder = dyn Fn(&Request) -> Response + Send + Sync;

/// A running server; dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    respond: Box<Responder>,
    state: Mutex<State>,
    /// Signalled when the server stops, to cut delays short.
    stopped: Condvar,
}

#[derive(Default)]
struct State {
    stopping: bool,
    requests: Vec<Request>,
    connections: Vec<TcpStream>,
    threads: Vec<JoinHandle<()>>,
    body_bytes: u64,
}

impl Server {
    /// Starts a server on a free loopback port that answers every request with `respond(request)`.
    pub fn start(respond: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared {
            respond: Box::new(respond),
            state: Mutex::new(State::default()),
            stopped: Condvar::new(),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || accept(&listener, &shared))
        };
        Server {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// Every request read so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.state().requests.clone()
    }

    pub fn hits(&self) -> usize {
        self.shared.state().requests.len()
    }

    pub fn hits_by_path(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for request in &self.shared.state().requests {
            *counts.entry(request.path.clone()).or_default() += 1;
        }
        counts
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.state().connections.len()
    }

    /// Body bytes written to the connections, over all answers.
    pub fn body_bytes_sent(&self) -> u64 {
        self.shared.state().body_bytes
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.state().stopping = true;
        self.shared.stopped.notify_all();
        // The acceptor is blocked in accept(); a connection wakes it to see that it must stop.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let threads = {
            let mut state = self.shared.state();
            for stream in &state.connections {
                // Wakes threads blocked reading or writing.
                let _ = stream.shutdown(Shutdown::Both);
            }
            std::mem::take(&mut state.threads)
        };
        for thread in threads {
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits `delay`, or less if the server stops meanwhile; false if it stopped.
    fn wait(&self, delay: Duration) -> bool {
        let state = self.state();
        let (state, _) = self
            .stopped
            .wait_timeout_while(state, delay, |s| !s.stopping)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        !state.stopping
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        let mut state = shared.state();
        if state.stopping {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        state.connections.push(handle);
        let shared = Arc::clone(shared);
        state
            .threads
            .push(std::thread::spawn(move || serve(stream, &shared)));
    }
}

/// Answers the requests of one connection until the client or the answer closes it.
fn serve(mut stream: TcpStream, shared: &Shared) {
    // Headers and body go out as written, as from a production server.
    let _ = stream.set_nodelay(true);
    if let Ok(read_half) = stream.try_clone() {
        let mut reader = BufReader::new(read_half);
        while let Some(request) = read_request(&mut reader, shared) {
            let response = (shared.respond)(&request);
            if !response.delay.is_zero() && !shared.wait(response.delay) {
                break;
            }
            if !matches!(answer(&mut stream, &response, shared), Ok(true)) {
                break;
            }
        }
    }
    // Closing this handle would not end the connection: the server keeps a clone of it.
    let _ = stream.shutdown(Shutdown::Both);
}

/// Reads one request's line and headers, and records it; None when the connection ends.
fn read_request(reader: &mut impl BufRead, shared: &Shared) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        if header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let mut state = shared.state();
    let request = Request {
        count: state.requests.len(),
        count_for_path: state.requests.iter().filter(|r| r.path == path).count(),
        path,
        headers,
    };
    state.requests.push(request.clone());
    Some(request)
}

/// Writes the answer; Ok(false) when the connection is to be closed after it.
fn answer(stream: &mut TcpStream, response: &Response, shared: &Shared) -> std::io::Result<bool> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    if let Some(location) = &response.location {
        head.push_str(&format!("Location: {location}\r\n"));
    }
    match (&response.body, response.announced) {
        (Body::Silence, _) => return Ok(true),
        (Body::Unannounced(_), _) => head.push_str("Connection: close\r\n"),
        (Body::Bytes(bytes), announced) => head.push_str(&format!(
            "Content-Length: {}\r\n",
            announced.unwrap_or(bytes.len() as u64)
        )),
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    match &response.body {
        Body::Bytes(bytes) => {
            stream.write_all(bytes)?;
            shared.state().body_bytes += bytes.len() as u64;
            Ok(!response.hang_up)
        }
        Body::Unannounced(len) => {
            let chunk = vec![0u8; 64 << 10];
            let mut left = *len;
            while left > 0 {
                let n = left.min(chunk.len() as u64);
                stream.write_all(&chunk[..n as usize])?;
                shared.state().body_bytes += n;
                left -= n;
            }
            Ok(false)
        }
        Body::Silence => Ok(true),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::time::Instant;

    #[test]
    fn dropping_the_server_cuts_its_connections_and_closes_its_port() {
        let server = Server::start(|_| Response::ok("late").delay(Duration::from_secs(60)));
        let addr = server.addr;
        let mut client = TcpStream::connect(addr).unwrap();
        client.write_all(b"GET /x HTTP/1.1\r\n\r\n").unwrap();
        while server.hits() == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let started = Instant::now();
        drop(server);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "drop waited out the delay"
        );
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "answered after all: {rest:?}");
        assert!(TcpStream::connect(addr).is_err(), "still listening");
    }
}
