#![no_main]

mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::lesson(data, lessonpub::parse::Format::Markdown));
