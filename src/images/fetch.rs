//! An image URL -> the bytes its server sends, over HTTP(S) with ureq and rustls, written to a
//! temporary file as they arrive (`Original`).
//!
//! Bounded in every direction: connect and total timeouts, a few redirects, a size cap (checked
//! against Content-Length before reading and enforced while reading, so a huge body is never read
//! to the end), and at most `TRIES` tries, retrying only what may succeed later (timeouts, 429 and
//! 5xx). Requests look like the browser that saved the page: a browser User-Agent and the
//! GeekTime Referer, which its image host checks. Caching and concurrency are the caller's.

use std::time::Duration;

use ureq::Agent;

use super::original::{Failed, Original};

/// GeekTime's image host refuses requests whose Referer is not a GeekTime page.
const REFERER: &str = "https://time.geekbang.org/";

/// Some image hosts answer unknown clients with an error page; this is a current desktop Chrome.
const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

const ACCEPT: &str = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8";

/// The most of an error page read only to keep its connection for the next request.
const ERROR_PAGE_DRAIN: u64 = 64 << 10;

/// Tries per URL, the first included.
pub const TRIES: u32 = 3;

/// The limits of one download.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// For the whole request: redirects, headers and body.
    pub total_timeout: Duration,
    pub max_redirects: u32,
    pub max_bytes: u64,
    /// Wait before the second try; doubled before each later one.
    pub backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_redirects: 5,
            max_bytes: 20 << 20,
            backoff: Duration::from_millis(500),
        }
    }
}

/// Why a download failed, said for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    pub reason: String,
    /// Asking again will not help: the server said the image does not exist (404, 410), or it
    /// is over the size cap.
    pub permanent: bool,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl FetchError {
    fn new(reason: String) -> FetchError {
        FetchError {
            reason,
            permanent: false,
        }
    }

    fn permanent(reason: String) -> FetchError {
        FetchError {
            reason,
            permanent: true,
        }
    }
}

/// One client for a whole build, shared by the download threads (it pools connections).
pub struct Fetcher {
    agent: Agent,
    limits: Limits,
}

/// The outcome of one try: what to do next.
enum Try {
    Done(Original),
    /// Will fail again, however often asked.
    Permanent(String),
    /// May work later; an optional server-requested wait (Retry-After).
    Retry(String, Option<Duration>),
    Fail(String),
}

impl Fetcher {
    pub fn new(limits: Limits) -> Fetcher {
        let config = Agent::config_builder()
            .timeout_connect(Some(limits.connect_timeout))
            .timeout_global(Some(limits.total_timeout))
            .max_redirects(limits.max_redirects)
            .http_status_as_error(false)
            .user_agent(USER_AGENT)
            .build();
        Fetcher {
            agent: config.new_agent(),
            limits,
        }
    }

    /// The body of a `200 OK` answer to GET `url`, after at most `TRIES` tries.
    pub fn get(&self, url: &str) -> Result<Original, FetchError> {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(FetchError::new(
                "only http and https URLs are downloaded".to_owned(),
            ));
        }
        let mut wait = self.limits.backoff;
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_once(url) {
                Try::Done(original) => return Ok(original),
                Try::Fail(reason) => return Err(FetchError::new(reason)),
                Try::Permanent(reason) => return Err(FetchError::permanent(reason)),
                Try::Retry(reason, _) if tries >= TRIES => {
                    return Err(FetchError::new(format!("{reason} (after {tries} tries)")));
                }
                Try::Retry(_, asked) => {
                    // Honour Retry-After, but never let one server stall the build for long.
                    std::thread::sleep(asked.map_or(wait, |a| a.min(Duration::from_secs(10))));
                    wait *= 2;
                }
            }
        }
    }

    fn try_once(&self, url: &str) -> Try {
        let response = self
            .agent
            .get(url)
            .header("Referer", REFERER)
            .header("Accept", ACCEPT)
            .call();
        let mut response = match response {
            Ok(r) => r,
            Err(e) => return classify_error(e),
        };
        let status = response.status().as_u16();
        if status != 200 {
            // Reading a short error page to its end lets the connection go back to the pool;
            // closing it with the page unread would make the kernel reset it instead.
            let _ = response
                .body_mut()
                .with_config()
                .limit(ERROR_PAGE_DRAIN)
                .read_to_vec();
        }
        match status {
            200 => {}
            429 | 500..=599 => {
                let asked = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                return Try::Retry(format!("HTTP {status}"), asked);
            }
            404 | 410 => return Try::Permanent(format!("HTTP {status}")),
            _ => return Try::Fail(format!("HTTP {status}")),
        }
        let max = self.limits.max_bytes;
        let length = response.body().content_length();
        if length.is_some_and(|length| length > max) {
            return Try::Permanent(too_large(max));
        }
        let mut reader = response.body_mut().with_config().limit(max).reader();
        match Original::read(&mut reader, length) {
            Ok(original) => Try::Done(original),
            Err(Failed::Read(e)) => match ureq::Error::from(e) {
                ureq::Error::BodyExceedsLimit(_) => Try::Permanent(too_large(max)),
                e => classify_error(e),
            },
            Err(Failed::Keep(e)) => Try::Fail(format!(
                "cannot write the download to a temporary file: {e}"
            )),
        }
    }
}

fn too_large(max: u64) -> String {
    format!("larger than the {} MiB allowed per image", max >> 20)
}

fn classify_error(error: ureq::Error) -> Try {
    match error {
        ureq::Error::Timeout(_) => Try::Retry("timed out".to_owned(), None),
        // A connection cut mid-way is usually a busy server or network; worth another try.
        ureq::Error::Io(e) => Try::Retry(format!("connection error: {e}"), None),
        ureq::Error::TooManyRedirects => Try::Fail("too many redirects".to_owned()),
        ureq::Error::HostNotFound => Try::Fail("host not found".to_owned()),
        ureq::Error::ConnectionFailed => Try::Fail("cannot connect".to_owned()),
        ureq::Error::BodyExceedsLimit(max) => Try::Permanent(too_large(max)),
        other => Try::Fail(other.to_string()),
    }
}

// The test suite's loopback server: a library's unit tests cannot import from tests/.
#[cfg(test)]
#[path = "../../tests/testsuite/common/server.rs"]
mod server;

#[cfg(test)]
mod tests {
    use super::server::{Response, Server};
    use super::*;

    fn quick() -> Limits {
        Limits {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_millis(600),
            max_redirects: 2,
            max_bytes: 1 << 20,
            backoff: Duration::from_millis(10),
        }
    }

    #[test]
    fn ok_body_is_returned_and_the_referer_sent() {
        let server = Server::start(|_| Response::ok("image bytes"));
        let got = Fetcher::new(quick()).get(&server.url("/a.png"));
        assert_eq!(got.unwrap().bytes().unwrap(), b"image bytes");
        let request = &server.requests()[0];
        assert_eq!(
            (request.path.as_str(), request.header("referer")),
            ("/a.png", Some(REFERER))
        );
    }

    #[test]
    fn server_errors_are_retried_then_succeed() {
        let server = Server::start(|r| match r.count {
            0 => Response::status(503),
            _ => Response::ok("ok"),
        });
        let got = Fetcher::new(quick()).get(&server.url("/x"));
        assert_eq!(got.unwrap().bytes().unwrap(), b"ok");
        assert_eq!(server.hits(), 2);
    }

    #[test]
    fn not_found_is_not_retried() {
        let server = Server::start(|_| Response::status(404));
        let err = Fetcher::new(quick()).get(&server.url("/x")).unwrap_err();
        assert_eq!(err.reason, "HTTP 404");
        assert!(err.permanent);
        assert_eq!(server.hits(), 1);
    }

    #[test]
    fn persistent_failures_stop_after_three_tries() {
        let server = Server::start(|_| Response::status(429));
        let err = Fetcher::new(quick()).get(&server.url("/x")).unwrap_err();
        assert!(
            err.reason.contains("HTTP 429") && err.reason.contains("3 tries"),
            "{err}"
        );
        assert_eq!(server.hits(), 3);
    }

    #[test]
    fn a_server_that_never_answers_times_out() {
        let server = Server::start(|_| Response::silence());
        let err = Fetcher::new(quick()).get(&server.url("/x")).unwrap_err();
        assert!(err.reason.contains("timed out"), "{err}");
        assert_eq!(server.hits(), TRIES as usize);
    }

    #[test]
    fn announced_oversized_bodies_are_refused_unread() {
        let server = Server::start(|_| Response::ok("").content_length(999_999_999));
        let err = Fetcher::new(quick()).get(&server.url("/x")).unwrap_err();
        assert!(err.reason.contains("larger than"), "{err}");
    }

    #[test]
    fn unannounced_oversized_bodies_stop_at_the_cap() {
        let server = Server::start(|_| Response::unannounced(64 << 20));
        let err = Fetcher::new(quick()).get(&server.url("/x")).unwrap_err();
        assert!(err.reason.contains("larger than"), "{err}");
        std::thread::sleep(Duration::from_millis(200));
        assert!(server.body_bytes_sent() < 32 << 20);
    }

    #[test]
    fn redirect_loops_end() {
        let server = Server::start(|_| Response::redirect("/again"));
        let err = Fetcher::new(quick()).get(&server.url("/x")).unwrap_err();
        assert!(err.reason.contains("redirect"), "{err}");
        assert_eq!(server.hits(), 3);
    }

    #[test]
    fn other_schemes_are_refused_without_a_request() {
        let fetcher = Fetcher::new(quick());
        for url in ["file:///etc/passwd", "ftp://127.0.0.1/x"] {
            assert!(fetcher.get(url).unwrap_err().reason.contains("only http"));
        }
    }

    #[test]
    fn one_kept_alive_connection_serves_request_after_request() {
        let server = Server::start(|r| Response::ok(r.path.repeat(1000)));
        let fetcher = Fetcher::new(Limits::default());
        for i in 0..5 {
            let path = format!("/image-{i}.png");
            let body = fetcher.get(&server.url(&path)).unwrap().bytes().unwrap();
            assert_eq!(body, path.repeat(1000).into_bytes());
        }
        assert_eq!(server.connections(), 1, "the pooled connection was reused");
    }

    #[test]
    fn an_error_page_does_not_cost_the_connection() {
        let server = Server::start(|r| match r.path.as_str() {
            "/missing" => Response::status(404),
            _ => Response::ok("image"),
        });
        let fetcher = Fetcher::new(Limits::default());
        assert!(fetcher.get(&server.url("/missing")).unwrap_err().permanent);
        fetcher.get(&server.url("/after.png")).unwrap();
        assert_eq!(server.connections(), 1, "the 404's connection was reused");
    }

    #[test]
    fn a_server_closing_after_each_answer_gets_a_new_connection_each_time() {
        let server = Server::start(|r| Response::ok(r.path.repeat(1000)).hang_up());
        let fetcher = Fetcher::new(Limits::default());
        for i in 0..3 {
            let path = format!("/avatar-{i}.jpg");
            let body = fetcher.get(&server.url(&path)).unwrap().bytes().unwrap();
            assert_eq!(body, path.repeat(1000).into_bytes());
        }
        assert_eq!(server.connections(), 3);
    }
}
