//! The floor of a cold build: the CPU time it takes to decode every distinct picture of a book
//! once and to encode what the book stores of it once, and nothing else (no download, no
//! resizing, no choice of colours, no packaging). `bench/compare.sh` runs it on the pictures
//! the mirror served to a cold build and states the build's time as a multiple of it.
//!
//!     cargo bench --bench floor -- LIST [--grayscale]
//!
//! LIST holds one picture a line: `article` or `avatar`, a tab, the file of its original bytes.

use std::time::{Duration, Instant};

use lessonpub::config::DEFAULT_MAX_WIDTH;
use lessonpub::images::Kind;
use lessonpub::images::convert::{self, Settings};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(list) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo bench --bench floor -- LIST [--grayscale]");
        std::process::exit(2);
    };
    let settings = Settings {
        max_width: DEFAULT_MAX_WIDTH,
        grayscale: args.iter().any(|a| a == "--grayscale"),
    };
    let list = std::fs::read_to_string(list).expect("the list of pictures is readable");
    let (mut decode, mut encode, mut convert) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut pictures, mut failed) = (0, 0);
    for line in list.lines().filter(|l| !l.trim().is_empty()) {
        let (kind, file) = line.split_once('\t').expect("KIND<TAB>FILE");
        let kind = if kind == "avatar" {
            Kind::Avatar
        } else {
            Kind::Article
        };
        let bytes = std::fs::read(file).expect("the picture is readable");
        let start = Instant::now();
        let decoded = image::load_from_memory(&bytes);
        decode += start.elapsed();
        if decoded.is_err() {
            failed += 1;
            continue;
        }
        let start = Instant::now();
        let parts = convert::process(&bytes, kind, &settings);
        convert += start.elapsed();
        let Ok(parts) = parts else {
            failed += 1;
            continue;
        };
        pictures += 1;
        for part in &parts {
            let start = Instant::now();
            std::hint::black_box(convert::reencode(part).expect("a part encodes again"));
            encode += start.elapsed();
        }
    }
    let floor = decode + encode;
    println!(
        "floor: {pictures} pictures ({failed} unreadable): decode {:.2} s + encode {:.2} s = {:.2} s \
         of CPU ({:.2} s on 2 cores); lessonpub's whole conversion of them: {:.2} s",
        decode.as_secs_f64(),
        encode.as_secs_f64(),
        floor.as_secs_f64(),
        floor.as_secs_f64() / 2.0,
        convert.as_secs_f64(),
    );
}
