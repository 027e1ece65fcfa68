//! Issue 19, group 11: configuration values that used to pass validation or gave errors
//! without the field's name.

use super::target::tests::{parse, GOOD};
use super::target::Target;
use std::path::Path;

#[test]
fn a_wrong_type_value_names_its_field() {
    let e = parse(&GOOD.replace("clock_hz = 64_000_000", "clock_hz = \"fast\"")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("clock_hz"), "{e}");
    assert!(e.to_string().starts_with("targets/sim-x.toml:5:"), "{e}");
    assert!(e.to_string().contains(": field `clock_hz`: "), "{e}");
    // Inside an inline table of a [table].
    let e = parse(&GOOD.replace("size_kib = 256", "size_kib = \"lots\"")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("memory.ram.size_kib"), "{e}");
    let e = parse(&GOOD.replace("kind = \"emulator\"", "kind = 7")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("connection.kind"), "{e}");
}

#[test]
fn names_that_are_paths_are_refused() {
    // `..` wrote its firmware one directory up (work dir target/tinybench/<name>).
    for (file, name) in [("targets/...toml", ".."), ("targets/.x.toml", ".x")] {
        let text = GOOD.replace("name = \"sim-x\"", &format!("name = \"{name}\""));
        let e = Target::parse(Path::new(file), &text).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"), "{e}");
        assert!(e.message.contains("is not a plain name"), "{e}");
    }
    let text = GOOD.replace("name = \"sim-x\"", "name = \"a/b\"");
    let e = Target::parse(Path::new("targets/b.toml"), &text).unwrap_err();
    assert!(e.message.contains("`a/b` is not a plain name"), "{e}");
}

#[test]
fn memory_the_emulator_cannot_map_fails_validation_with_the_numbers() {
    // 3.5 GiB of RAM passed validation and failed at run time with `unicorn error MAP`.
    let text = GOOD.replace(
        "ram = { origin = 0x20000000, size_kib = 256 }",
        "ram = { origin = 0x20000000, size_kib = 3670016 }",
    );
    let e = parse(&text).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("memory"), "{e}");
    assert!(
        e.message.contains(
            "flash 1024 KiB + RAM 3670016 KiB = 3585 MiB is more than the 512 MiB the emulator maps"
        ),
        "{e}"
    );
    // A board target keeps whatever its part has.
    let board = text.replace(
        "kind = \"emulator\"",
        "kind = \"probe\"\nchip = \"nRF52840_xxAA\"",
    );
    assert!(parse(&board).is_ok() || !parse(&board).unwrap_err().message.contains("emulator maps"));
}
