//! Checks of the container image that need no container engine (none runs where these tests
//! run, so `docker build` is never exercised here).
//!
//! What they establish:
//! * the controller binary links only glibc and libgcc_s, which the distroless `cc-debian12`
//!   runtime image ships, and no OpenSSL;
//! * the `Dockerfile` agrees with `deploy/base` (user, ports, flags the binary really accepts,
//!   security context), with `Cargo.toml` (toolchain version, license, the files the build
//!   needs) and with `.dockerignore` (nothing the build copies is left out of the context);
//! * the binary's CLI needs no writable HOME, temp directory or working directory.
//!
//! * the test image (`tests/image/Containerfile`, built from local parts) has the runtime
//!   image's shape: binary path, user, port, entrypoint and command.
//!
//! What they cannot establish: that the Dockerfile builds or that the base images still contain
//! what they contain today. That an image of this shape runs in a cluster (non-root, read-only
//! root, probes, API access) is the real-node test's part (`tests/real_node.rs`, with the test
//! image).
//!
//! The parsers below understand the subset of Dockerfile and `.dockerignore` syntax these files
//! use, and refuse what they do not understand (heredocs, `**`, glob sources) rather than guess;
//! each is tested on good and bad inputs.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The controller binary Cargo built for this test run (a debug build; see `elf_*` tests).
const BIN: &str = env!("CARGO_BIN_EXE_nodepool-controller");
/// The package and binary name.
const NAME: &str = "nodepool-controller";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let path = repo().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// ELF: dynamic dependencies and interpreter
// ---------------------------------------------------------------------------------------------

/// Shared objects the binary may need: glibc and libgcc_s, all in `gcr.io/distroless/cc-debian12`.
/// Narrower than that image on purpose: it also ships libssl/libcrypto and libstdc++, but this
/// project uses rustls only (one TLS stack), so linking OpenSSL is a bug even where it would run.
const ALLOWED_NEEDED: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    DYNAMIC_LOADER,
];

/// The dynamic loader's file name and the absolute path the kernel loads it from, as shipped by
/// Debian 12's libc6 (and so by distroless cc-debian12) on this architecture.
#[cfg(target_arch = "x86_64")]
const DYNAMIC_LOADER: &str = "ld-linux-x86-64.so.2";
#[cfg(target_arch = "x86_64")]
const INTERPRETER: &str = "/lib64/ld-linux-x86-64.so.2";
#[cfg(target_arch = "aarch64")]
const DYNAMIC_LOADER: &str = "ld-linux-aarch64.so.1";
#[cfg(target_arch = "aarch64")]
const INTERPRETER: &str = "/lib/ld-linux-aarch64.so.1";

/// `readelf` from binutils; the test fails (it does not skip) when it is missing.
fn readelf(flag: &str) -> String {
    let out = Command::new("readelf")
        .args([flag, "-W", BIN])
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("run readelf (install binutils): {e}"));
    assert!(
        out.status.success(),
        "readelf {flag} {BIN}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The DT_NEEDED entries of `readelf -d` output.
fn needed_libraries(readelf_dynamic: &str) -> Vec<String> {
    readelf_dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| {
            let start = l.find('[')? + 1;
            let end = l[start..].find(']')? + start;
            Some(l[start..end].to_string())
        })
        .collect()
}

/// The PT_INTERP path of `readelf -l` output, if the binary has one.
fn interpreter(readelf_program_headers: &str) -> Option<String> {
    const MARK: &str = "[Requesting program interpreter: ";
    readelf_program_headers.lines().find_map(|l| {
        let start = l.find(MARK)? + MARK.len();
        let end = l[start..].find(']')? + start;
        Some(l[start..end].to_string())
    })
}

/// Needed libraries outside [`ALLOWED_NEEDED`].
fn unexpected_libraries(needed: &[String]) -> Vec<String> {
    needed
        .iter()
        .filter(|n| !ALLOWED_NEEDED.contains(&n.as_str()))
        .cloned()
        .collect()
}

const READELF_D_GOOD: &str = "
Dynamic section at offset 0x1 contains 30 entries:
  Tag        Type                         Name/Value
 0x0000000000000001 (NEEDED)             Shared library: [libgcc_s.so.1]
 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]
 0x0000000000000001 (NEEDED)             Shared library: [ld-linux-x86-64.so.2]
 0x000000000000000c (INIT)               0x1000
";

#[test]
fn needed_libraries_are_parsed_and_openssl_is_refused() {
    let good = needed_libraries(READELF_D_GOOD);
    assert_eq!(
        good,
        ["libgcc_s.so.1", "libc.so.6", "ld-linux-x86-64.so.2"],
        "{good:?}"
    );
    let bad = format!(
        "{READELF_D_GOOD} 0x0000000000000001 (NEEDED)             Shared library: [libssl.so.3]\n \
         0x0000000000000001 (NEEDED)             Shared library: [libcrypto.so.3]\n"
    );
    assert_eq!(
        unexpected_libraries(&needed_libraries(&bad)),
        ["libssl.so.3", "libcrypto.so.3"]
    );
    let headers = "  INTERP  0x000318 0x318\n      [Requesting program interpreter: /lib/ld-musl-x86_64.so.1]\n";
    assert_eq!(
        interpreter(headers).as_deref(),
        Some("/lib/ld-musl-x86_64.so.1")
    );
    assert_eq!(interpreter("  LOAD 0x0 0x0\n"), None);
}

// The test binary is a debug build; its DT_NEEDED entries and interpreter are the release
// binary's too: both come from the same crates, features and link line (only optimisation and
// debug info differ). A crate that dlopen()s a library at run time would not show here.
#[test]
fn elf_needs_only_what_distroless_cc_ships() {
    let needed = needed_libraries(&readelf("-d"));
    assert!(
        needed.iter().any(|n| n == "libc.so.6"),
        "no libc.so.6 among {needed:?}: is the readelf output format unexpected?"
    );
    let unexpected = unexpected_libraries(&needed);
    assert!(
        unexpected.is_empty(),
        "{BIN} needs {unexpected:?}, which the image must not depend on (allowed: {ALLOWED_NEEDED:?})"
    );
}

#[test]
fn elf_interpreter_is_the_one_in_the_runtime_image() {
    let found = interpreter(&readelf("-l"));
    assert_eq!(
        found.as_deref(),
        Some(INTERPRETER),
        "{BIN}: program interpreter"
    );
}

// ---------------------------------------------------------------------------------------------
// Dockerfile parsing
// ---------------------------------------------------------------------------------------------

/// One instruction, its continuation lines joined by a space.
#[derive(Debug, Clone)]
struct Instruction {
    /// 1-based line of the keyword, for messages.
    line: usize,
    /// The keyword, upper-case.
    keyword: String,
    /// Everything after the keyword.
    args: String,
}

/// One build stage: its `FROM` and the instructions up to the next `FROM`.
#[derive(Debug, Clone)]
struct Stage {
    base: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

impl Stage {
    fn all<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Instruction> + 'a {
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
    }

    /// The last instruction with this keyword (the one that takes effect).
    fn last(&self, keyword: &str) -> Option<&Instruction> {
        self.instructions.iter().rfind(|i| i.keyword == keyword)
    }
}

/// Splits a Dockerfile into instructions: comments dropped, `\` continuations joined (comment
/// and blank lines inside a continuation dropped, as Docker does). Refuses heredocs and a
/// changed escape character.
fn parse_instructions(dockerfile: &str) -> Result<Vec<Instruction>, String> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in dockerfile.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("# escape=") {
            return Err(format!(
                "line {}: escape directive not supported",
                index + 1
            ));
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.contains("<<") {
            return Err(format!("line {}: heredoc not supported", index + 1));
        }
        let (body, continues) = match line.strip_suffix('\\') {
            Some(body) => (body.trim_end(), true),
            None => (line, false),
        };
        let (_, joined) = pending.get_or_insert_with(|| (index + 1, String::new()));
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(body);
        if !continues && let Some((start, joined)) = pending.take() {
            out.push(split_instruction(start, &joined));
        }
    }
    if let Some((start, joined)) = pending {
        out.push(split_instruction(start, &joined));
    }
    Ok(out)
}

fn split_instruction(line: usize, joined: &str) -> Instruction {
    let (keyword, args) = joined
        .split_once(char::is_whitespace)
        .unwrap_or((joined, ""));
    Instruction {
        line,
        keyword: keyword.to_ascii_uppercase(),
        args: args.trim().to_string(),
    }
}

/// Groups instructions into stages. Instructions before the first `FROM` (global `ARG`s) are
/// not part of any stage.
fn parse_stages(dockerfile: &str) -> Result<Vec<Stage>, String> {
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in parse_instructions(dockerfile)? {
        if instruction.keyword == "FROM" {
            let words: Vec<&str> = instruction
                .args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let base = words
                .first()
                .ok_or(format!("line {}: FROM without an image", instruction.line))?;
            let name = match words.get(1..) {
                Some([as_, name]) if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                Some([]) => None,
                _ => return Err(format!("line {}: cannot read FROM", instruction.line)),
            };
            stages.push(Stage {
                base: base.to_string(),
                name,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push(instruction);
        }
    }
    Ok(stages)
}

/// An image reference split into repository, tag and digest.
#[derive(Debug, PartialEq)]
struct ImageRef {
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

fn parse_image(reference: &str) -> ImageRef {
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest.to_string())),
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].split_once(':') {
        Some((name, tag)) => ImageRef {
            repository: format!("{}{name}", &rest[..last_slash]),
            tag: Some(tag.to_string()),
            digest,
        },
        None => ImageRef {
            repository: rest.to_string(),
            tag: None,
            digest,
        },
    }
}

/// The exec (JSON) form of `CMD`/`ENTRYPOINT`. The shell form is refused: distroless has no
/// `/bin/sh` to run it.
fn exec_form(instruction: &Instruction) -> Result<Vec<String>, String> {
    if !instruction.args.starts_with('[') {
        return Err(format!(
            "line {}: {} in shell form, but the runtime image has no shell",
            instruction.line, instruction.keyword
        ));
    }
    serde_json::from_str(&instruction.args)
        .map_err(|e| format!("line {}: {}: {e}", instruction.line, instruction.keyword))
}

/// A `COPY` (or `ADD`) instruction.
#[derive(Debug, PartialEq)]
struct Copy {
    from: Option<String>,
    sources: Vec<String>,
    dest: String,
}

fn parse_copy(instruction: &Instruction) -> Result<Copy, String> {
    let at = |what: &str| format!("line {}: {what}", instruction.line);
    let mut from = None;
    let mut words = Vec::new();
    let mut rest = instruction.args.as_str();
    while let Some(flag) = rest.strip_prefix("--") {
        let (flag, after) = flag.split_once(char::is_whitespace).unwrap_or((flag, ""));
        if let Some(stage) = flag.strip_prefix("from=") {
            from = Some(stage.to_string());
        }
        rest = after.trim_start();
    }
    if rest.starts_with('[') {
        words = serde_json::from_str(rest).map_err(|e| at(&format!("COPY: {e}")))?;
    } else {
        words.extend(rest.split_whitespace().map(str::to_string));
    }
    let dest = words
        .pop()
        .ok_or_else(|| at("COPY without a destination"))?;
    if words.is_empty() {
        return Err(at("COPY without a source"));
    }
    if words.iter().any(|w| w.contains(['*', '?', '['])) {
        return Err(at("COPY with a glob source: not supported by these checks"));
    }
    Ok(Copy {
        from,
        sources: words,
        dest,
    })
}

/// `USER uid[:gid]`, numeric only (the kubelet cannot check `runAsNonRoot` for a user name).
fn parse_user(args: &str) -> Result<(u32, Option<u32>), String> {
    let number = |s: &str| {
        s.parse::<u32>()
            .map_err(|_| format!("USER {args}: {s:?} is not numeric"))
    };
    match args.split_once(':') {
        Some((uid, gid)) => Ok((number(uid)?, Some(number(gid)?))),
        None => Ok((number(args)?, None)),
    }
}

/// `EXPOSE 8080 9090/tcp`.
fn parse_expose(args: &str) -> Result<Vec<u16>, String> {
    args.split_whitespace()
        .map(|p| {
            let (port, proto) = p.split_once('/').unwrap_or((p, "tcp"));
            if proto != "tcp" {
                return Err(format!("EXPOSE {p}: only tcp is expected"));
            }
            port.parse().map_err(|_| format!("EXPOSE {p}: not a port"))
        })
        .collect()
}

/// `LABEL k="v" k2=v2`: whitespace-separated `key=value` words, values optionally in double
/// quotes (which may contain spaces).
fn parse_labels(args: &str) -> Result<Vec<(String, String)>, String> {
    let mut labels = Vec::new();
    let mut chars = args.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(labels);
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|&c| c != '=' && !c.is_whitespace())).collect();
        if chars.next() != Some('=') {
            return Err(format!("LABEL {args}: {key:?} has no '='"));
        }
        let value: String = if chars.next_if_eq(&'"').is_some() {
            let value = std::iter::from_fn(|| chars.next_if(|&c| c != '"')).collect();
            if chars.next() != Some('"') {
                return Err(format!("LABEL {args}: unterminated quote after {key}"));
            }
            value
        } else {
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect()
        };
        labels.push((key, value));
    }
}

/// The words after `cargo build` in a `RUN` command, if it runs one (commands joined with
/// `&&`, `||` or `;` are looked at one by one).
fn cargo_build_args(run: &str) -> Option<Vec<String>> {
    run.split("&&")
        .flat_map(|s| s.split("||"))
        .flat_map(|s| s.split(';'))
        .find_map(|command| {
            let words: Vec<&str> = command.split_whitespace().collect();
            let at = words.windows(2).position(|w| w == ["cargo", "build"])?;
            Some(words[at + 2..].iter().map(|w| w.to_string()).collect())
        })
}

/// What is wrong with a `cargo build` for the image: it must use the lock file as is, build
/// the release profile and build the controller binary.
fn cargo_build_problems(args: &[String], bin: &str) -> Vec<String> {
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let mut problems = Vec::new();
    if !has("--locked") && !has("--frozen") {
        problems.push("no --locked: the image could build other versions than Cargo.lock".into());
    }
    if !has("--release") && !has("-r") {
        problems.push("no --release: the image would ship a debug build".into());
    }
    let builds_bin =
        args.windows(2).any(|w| w[0] == "--bin" && w[1] == bin) || has(&format!("--bin={bin}"));
    if !builds_bin {
        problems.push(format!("does not build --bin {bin}"));
    }
    problems
}

/// `(major, minor)` of a Rust version such as `1.89` or `1.95.0`.
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    match parts.next() {
        None => Some((major, minor)),
        Some(patch) => patch.parse::<u32>().ok().map(|_| (major, minor)),
    }
}

/// The Rust version of an official `rust` image tag (`1.95-bookworm`, `1.95.0-slim-bookworm`);
/// an error for a moving tag (`latest`, `bookworm`, `slim`).
fn rust_tag_version(tag: &str) -> Result<(u32, u32), String> {
    let version = tag.split('-').next().unwrap_or(tag);
    major_minor(version).ok_or_else(|| format!("rust:{tag} is not a concrete Rust version"))
}

/// The Debian release number of a `rust` image tag (by codename) or a distroless image name
/// (`cc-debian12`).
fn debian_release(image: &str) -> Option<u32> {
    const CODENAMES: &[(&str, u32)] = &[("bullseye", 11), ("bookworm", 12), ("trixie", 13)];
    if let Some((_, number)) = CODENAMES.iter().find(|(name, _)| image.contains(name)) {
        return Some(*number);
    }
    let digits = image.split("debian").nth(1)?;
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

const GOOD_DOCKERFILE: &str = r#"# syntax=docker/dockerfile:1
ARG UNUSED=1
FROM --platform=$BUILDPLATFORM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# a comment between instructions
RUN cargo build --release \
    # a comment inside a continuation
    --locked --bin nodepool-controller \
 && strip target/release/nodepool-controller
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL a="b c" \
      d=e
COPY --from=build /src/target/release/nodepool-controller /usr/local/bin/
USER 65532:65532
EXPOSE 8080/tcp
ENTRYPOINT ["/usr/local/bin/nodepool-controller"]
"#;

#[test]
fn dockerfile_parser_reads_stages_continuations_and_forms() {
    let stages = parse_stages(GOOD_DOCKERFILE).unwrap();
    assert_eq!(stages.len(), 2);
    assert_eq!(stages[0].base, "rust:1.95-bookworm");
    assert_eq!(stages[0].name.as_deref(), Some("build"));
    let run = stages[0].last("RUN").unwrap();
    assert_eq!(run.line, 7);
    let cargo = cargo_build_args(&run.args).unwrap();
    assert_eq!(
        cargo,
        ["--release", "--locked", "--bin", "nodepool-controller"]
    );
    assert!(cargo_build_problems(&cargo, NAME).is_empty());
    let runtime = &stages[1];
    assert_eq!(runtime.name, None);
    assert_eq!(
        parse_labels(&runtime.last("LABEL").unwrap().args).unwrap(),
        [("a".into(), "b c".into()), ("d".into(), "e".into())]
    );
    assert_eq!(
        parse_copy(runtime.last("COPY").unwrap()).unwrap(),
        Copy {
            from: Some("build".into()),
            sources: vec!["/src/target/release/nodepool-controller".into()],
            dest: "/usr/local/bin/".into(),
        }
    );
    assert_eq!(
        parse_user(&runtime.last("USER").unwrap().args).unwrap(),
        (65532, Some(65532))
    );
    assert_eq!(
        parse_expose(&runtime.last("EXPOSE").unwrap().args).unwrap(),
        [8080]
    );
    assert_eq!(
        exec_form(runtime.last("ENTRYPOINT").unwrap()).unwrap(),
        ["/usr/local/bin/nodepool-controller"]
    );
}

#[test]
fn dockerfile_parser_refuses_what_it_cannot_check() {
    assert!(parse_instructions("RUN <<EOF\necho\nEOF\n").is_err());
    assert!(parse_instructions("# escape=`\nFROM x\n").is_err());
    assert!(parse_stages("FROM\n").is_err());
    assert!(parse_stages("FROM a b c\n").is_err());
    let shell = parse_instructions("CMD run --leader-elect\n").unwrap();
    assert!(exec_form(&shell[0]).unwrap_err().contains("no shell"));
    let glob = parse_instructions("COPY Cargo.* ./\n").unwrap();
    assert!(parse_copy(&glob[0]).is_err());
    let lone = parse_instructions("COPY src\n").unwrap();
    assert!(parse_copy(&lone[0]).is_err());
    assert!(parse_user("nonroot").is_err());
    assert!(parse_user("65532:nonroot").is_err());
    assert!(parse_expose("8080/udp").is_err());
    assert!(parse_labels("a=\"open").is_err());
    assert!(parse_labels("novalue").is_err());
}

#[test]
fn cargo_build_problems_name_each_missing_flag() {
    let words = |s: &str| cargo_build_args(s).unwrap();
    let all = cargo_build_problems(&words("cargo build"), NAME);
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all[0].contains("--locked") && all[1].contains("--release") && all[2].contains(NAME));
    let other_bin = cargo_build_problems(
        &words("cd x && cargo build --release --locked --bin nodepool-cloudsim"),
        NAME,
    );
    assert_eq!(other_bin.len(), 1, "{other_bin:?}");
    assert!(
        cargo_build_problems(
            &words("cargo build -r --frozen --bin=nodepool-controller"),
            NAME
        )
        .is_empty()
    );
    assert_eq!(cargo_build_args("cargo fetch --locked"), None);
}

#[test]
fn image_references_and_versions_are_read() {
    assert_eq!(
        parse_image("gcr.io/distroless/cc-debian12:nonroot@sha256:abc"),
        ImageRef {
            repository: "gcr.io/distroless/cc-debian12".into(),
            tag: Some("nonroot".into()),
            digest: Some("sha256:abc".into()),
        }
    );
    assert_eq!(parse_image("localhost:5000/rust").tag, None);
    assert_eq!(rust_tag_version("1.95-bookworm"), Ok((1, 95)));
    assert_eq!(rust_tag_version("1.95.0-slim-bookworm"), Ok((1, 95)));
    assert!(rust_tag_version("latest").is_err());
    assert!(rust_tag_version("bookworm").is_err());
    assert!(rust_tag_version("1-bookworm").is_err());
    assert_eq!(debian_release("1.95-bookworm"), Some(12));
    assert_eq!(debian_release("1.95-slim-trixie"), Some(13));
    assert_eq!(debian_release("gcr.io/distroless/cc-debian12"), Some(12));
    assert_eq!(debian_release("1.95"), None);
}

// ---------------------------------------------------------------------------------------------
// Cargo.toml and the Deployment
// ---------------------------------------------------------------------------------------------

/// One `[table]` or `[[array]]` of Cargo.toml with its `key = value` lines (string values
/// unquoted). Enough for the flat tables read here; not a TOML parser.
#[derive(Debug)]
struct Table {
    header: String,
    entries: Vec<(String, String)>,
}

impl Table {
    fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_manifest(cargo_toml: &str) -> Vec<Table> {
    let mut tables = vec![Table {
        header: String::new(),
        entries: Vec::new(),
    }];
    for line in cargo_toml.lines().map(str::trim) {
        if line.starts_with('[') {
            tables.push(Table {
                header: line.to_string(),
                entries: Vec::new(),
            });
        } else if let Some((key, value)) = line.split_once('=')
            && !line.starts_with('#')
            && let Some(table) = tables.last_mut()
        {
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            table
                .entries
                .push((key.trim().to_string(), value.to_string()));
        }
    }
    tables
}

fn table<'a>(tables: &'a [Table], header: &str) -> Option<&'a Table> {
    tables.iter().find(|t| t.header == header)
}

fn package_field(tables: &[Table], key: &str) -> Option<String> {
    table(tables, "[package]")?.get(key).map(str::to_string)
}

/// The source files `cargo build --bin <bin>` compiles from the manifest: the library, the
/// binary and a build script (all relative to the package root).
fn build_inputs(tables: &[Table], bin: &str) -> Result<Vec<String>, String> {
    let mut inputs = vec![
        table(tables, "[lib]")
            .and_then(|t| t.get("path"))
            .unwrap_or("src/lib.rs")
            .to_string(),
    ];
    let bin_path = tables
        .iter()
        .filter(|t| t.header == "[[bin]]")
        .find(|t| t.get("name") == Some(bin))
        .and_then(|t| t.get("path"))
        .ok_or(format!("Cargo.toml: no [[bin]] {bin} with a path"))?;
    inputs.push(bin_path.to_string());
    match package_field(tables, "build").as_deref() {
        Some("false") => {}
        Some(script) => inputs.push(script.to_string()),
        None if repo().join("build.rs").exists() => inputs.push("build.rs".into()),
        None => {}
    }
    Ok(inputs)
}

/// What the image's runtime contract looks like from the Deployment's side.
#[derive(Debug, Default)]
struct PodFacts {
    run_as_user: Option<i64>,
    run_as_group: Option<i64>,
    run_as_non_root: Option<bool>,
    read_only_root_filesystem: Option<bool>,
    allow_privilege_escalation: Option<bool>,
    dropped_capabilities: Vec<String>,
    command: Option<Vec<String>>,
    args: Vec<String>,
    /// `(name, containerPort)`.
    ports: Vec<(Option<String>, u16)>,
    /// The `port` of each httpGet/tcpSocket probe (a name or a number).
    probe_ports: Vec<serde_yaml::Value>,
}

/// Reads the facts of the container running `image` from a Deployment. Container-level
/// security settings win over pod-level ones, as in Kubernetes.
fn deployment_facts(yaml: &str, image: &str) -> Result<PodFacts, String> {
    use serde_yaml::Value;
    let doc: Value = serde_yaml::from_str(yaml).map_err(|e| e.to_string())?;
    if doc["kind"] != "Deployment" {
        return Err(format!("kind is {:?}, not Deployment", doc["kind"]));
    }
    let pod = &doc["spec"]["template"]["spec"];
    let containers = pod["containers"]
        .as_sequence()
        .ok_or("no spec.template.spec.containers")?;
    let mut running = containers
        .iter()
        .filter(|c| c["image"].as_str().map(|i| parse_image(i).repository) == Some(image.into()));
    let container = running
        .next()
        .ok_or(format!("no container with image {image}"))?;
    if running.next().is_some() {
        return Err(format!("more than one container with image {image}"));
    }
    let (pod_sc, sc) = (&pod["securityContext"], &container["securityContext"]);
    let either = |key: &str| {
        if sc[key].is_null() {
            pod_sc[key].clone()
        } else {
            sc[key].clone()
        }
    };
    let strings = |v: &Value| -> Vec<String> {
        v.as_sequence()
            .map(|s| {
                s.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut ports = Vec::new();
    for port in container["ports"].as_sequence().into_iter().flatten() {
        let number = port["containerPort"]
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or(format!("bad containerPort in {port:?}"))?;
        ports.push((port["name"].as_str().map(str::to_string), number));
    }
    let probe_ports = ["livenessProbe", "readinessProbe", "startupProbe"]
        .iter()
        .flat_map(|probe| {
            ["httpGet", "tcpSocket", "grpc"]
                .iter()
                .map(move |kind| container[*probe][*kind]["port"].clone())
        })
        .filter(|p| !p.is_null())
        .collect();
    Ok(PodFacts {
        run_as_user: either("runAsUser").as_i64(),
        run_as_group: either("runAsGroup").as_i64(),
        run_as_non_root: either("runAsNonRoot").as_bool(),
        read_only_root_filesystem: sc["readOnlyRootFilesystem"].as_bool(),
        allow_privilege_escalation: sc["allowPrivilegeEscalation"].as_bool(),
        dropped_capabilities: strings(&sc["capabilities"]["drop"]),
        command: container["command"]
            .as_sequence()
            .map(|_| strings(&container["command"])),
        args: strings(&container["args"]),
        ports,
        probe_ports,
    })
}

/// Security settings the Deployment must keep for this image.
fn security_problems(facts: &PodFacts) -> Vec<String> {
    let mut problems = Vec::new();
    if facts.run_as_non_root != Some(true) {
        problems.push("runAsNonRoot is not true".to_string());
    }
    if facts.read_only_root_filesystem != Some(true) {
        problems.push("readOnlyRootFilesystem is not true".to_string());
    }
    if facts.allow_privilege_escalation != Some(false) {
        problems.push("allowPrivilegeEscalation is not false".to_string());
    }
    if !facts.dropped_capabilities.iter().any(|c| c == "ALL") {
        problems.push("capabilities.drop does not contain ALL".to_string());
    }
    problems
}

const GOOD_DEPLOYMENT: &str = "
kind: Deployment
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000}
      containers:
        - name: sidecar
          image: other:1
        - name: controller
          image: registry.example/nodepool-controller:0.1.0
          args: [run, --leader-elect]
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /readyz, port: http}}
          securityContext:
            runAsUser: 65532
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
";

#[test]
fn deployment_facts_prefer_the_container_and_find_weakened_security() {
    let image = "registry.example/nodepool-controller";
    let facts = deployment_facts(GOOD_DEPLOYMENT, image).unwrap();
    assert_eq!(facts.run_as_user, Some(65532), "container level wins");
    assert_eq!(
        facts.run_as_group,
        Some(1000),
        "pod level when the container is silent"
    );
    assert_eq!(facts.args, ["run", "--leader-elect"]);
    assert_eq!(facts.command, None);
    assert_eq!(facts.ports, [(Some("http".to_string()), 8080)]);
    assert_eq!(facts.probe_ports, [serde_yaml::Value::from("http")]);
    assert!(security_problems(&facts).is_empty());

    let weak = GOOD_DEPLOYMENT
        .replace("runAsNonRoot: true", "runAsNonRoot: false")
        .replace(
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
        )
        .replace(
            "allowPrivilegeEscalation: false",
            "allowPrivilegeEscalation: true",
        )
        .replace("drop: [ALL]", "drop: [NET_RAW]");
    let problems = security_problems(&deployment_facts(&weak, image).unwrap());
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(deployment_facts(GOOD_DEPLOYMENT, "nodepool-controller").is_err());
    assert!(deployment_facts("kind: Service\n", image).is_err());
}

#[test]
fn manifest_tables_give_package_fields_and_build_inputs() {
    let tables = parse_manifest(
        "[package]\nname = \"x\"\nrust-version = \"1.89\"\n# c = 1\n[lib]\npath = \"src/lib.rs\"\n\
         [[bin]]\nname = \"other\"\npath = \"src/bin/other.rs\"\n[[bin]]\nname = \"x\"\npath = \"src/main.rs\"\n",
    );
    assert_eq!(
        package_field(&tables, "rust-version").as_deref(),
        Some("1.89")
    );
    assert_eq!(package_field(&tables, "c"), None);
    assert_eq!(
        build_inputs(&tables, "x").unwrap(),
        ["src/lib.rs", "src/main.rs"]
    );
    assert!(build_inputs(&tables, "missing").is_err());
}

// ---------------------------------------------------------------------------------------------
// Flags: what the Dockerfile and the Deployment pass must be accepted by the real binary
// ---------------------------------------------------------------------------------------------

/// The controller binary with an empty environment, so that no `NODEPOOL_*` variable of the
/// caller changes what it accepts or prints.
fn controller() -> Command {
    let mut command = Command::new(BIN);
    command.env_clear();
    command
}

fn run_ok(command: &mut Command) -> Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed ({}): {}",
        out.status,
        text(&out.stderr)
    );
    out
}

/// The `--name` of each flag in an argument list (`--a=b` gives `--a`).
fn flag_names(args: &[String]) -> Vec<String> {
    args.iter()
        .filter(|a| a.starts_with("--"))
        .map(|a| a.split('=').next().unwrap_or(a).to_string())
        .collect()
}

/// Whether help text lists `flag` as a flag of its own: `--leader-elect` must not count as
/// found because `--leader-election-namespace` is there.
fn help_mentions_flag(help: &str, flag: &str) -> bool {
    help.match_indices(flag).any(|(at, _)| {
        let before = help[..at].chars().next_back();
        let after = help[at + flag.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '-'));
        boundary(before) && boundary(after)
    })
}

/// The `[default: ...]` clap shows for a flag in long help.
fn help_default(help: &str, flag: &str) -> Option<String> {
    let start = help.find(&format!("{flag} <"))?;
    let block = &help[start..];
    let block = &block[..block[1..].find("\n      --").map_or(block.len(), |i| i + 1)];
    let value = block.split("[default: ").nth(1)?;
    Some(value[..value.find(']')?].to_string())
}

#[test]
fn help_flag_matching_needs_a_whole_flag() {
    let help = "      --leader-election-namespace <NS>\n          x [default: default]\n      \
                --http-addr <HTTP_ADDR>\n          Address [default: 0.0.0.0:8080]\n";
    assert!(!help_mentions_flag(help, "--leader-elect"));
    assert!(help_mentions_flag(help, "--leader-election-namespace"));
    assert!(help_mentions_flag(help, "--http-addr"));
    assert!(!help_mentions_flag(help, "--http"));
    assert_eq!(
        help_default(help, "--http-addr").as_deref(),
        Some("0.0.0.0:8080")
    );
    assert_eq!(help_default(help, "--missing"), None);
    assert_eq!(
        flag_names(&[
            "run".into(),
            "--log-format=json".into(),
            "--leader-elect".into()
        ]),
        ["--log-format", "--leader-elect"]
    );
}

// ---------------------------------------------------------------------------------------------
// .dockerignore and the build context
// ---------------------------------------------------------------------------------------------

/// One `.dockerignore` line.
#[derive(Debug)]
struct IgnoreRule {
    exclude: bool,
    pattern: String,
}

/// Parses `.dockerignore`: comments and blank lines dropped, `!` re-includes, leading and
/// trailing `/` dropped. Refuses `**` and character classes, which [`ignored`] does not
/// implement.
fn parse_dockerignore(text: &str) -> Result<Vec<IgnoreRule>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (exclude, pattern) = match line.strip_prefix('!') {
                Some(p) => (false, p.trim()),
                None => (true, line),
            };
            if pattern.contains("**") || pattern.contains('[') || pattern.contains('\\') {
                return Err(format!(
                    ".dockerignore {line:?}: pattern not supported here"
                ));
            }
            Ok(IgnoreRule {
                exclude,
                pattern: pattern.trim_matches('/').to_string(),
            })
        })
        .collect()
}

/// Whether the context path (relative, `/`-separated) is left out of the build context: as in
/// Docker, a rule matches a path or any of its parent directories, and the last matching rule
/// decides.
fn ignored(rules: &[IgnoreRule], path: &str) -> bool {
    let mut prefixes: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..i]).collect();
    prefixes.push(path);
    rules.iter().fold(false, |excluded, rule| {
        if prefixes.iter().any(|p| glob_match(&rule.pattern, p)) {
            rule.exclude
        } else {
            excluded
        }
    })
}

/// `*` (any run of characters but `/`) and `?` (one character but `/`), over the whole string.
fn glob_match(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), path.chars().collect());
    fn go(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len())
                .take_while(|&n| n == 0 || s[n - 1] != '/')
                .any(|n| go(rest, &s[n..])),
            Some(('?', rest)) => s.first().is_some_and(|&c| c != '/') && go(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(&p, &s)
}

#[test]
fn dockerignore_matcher_follows_docker_rules() {
    let allow = parse_dockerignore("# allow-list\n*\n!Cargo.toml\n!/src/\n").unwrap();
    assert!(!ignored(&allow, "Cargo.toml"));
    assert!(!ignored(&allow, "src"));
    assert!(!ignored(&allow, "src/bin/nodepool-cloudsim.rs"));
    assert!(ignored(&allow, "Cargo.lock"));
    assert!(ignored(&allow, "target/release/x"));
    assert!(ignored(&allow, ".git/HEAD"));

    let deny = parse_dockerignore("target/\n.git\n*.md\nsrc/*.orig\n").unwrap();
    assert!(ignored(&deny, "target/debug/x"));
    assert!(ignored(&deny, "README.md"));
    assert!(!ignored(&deny, "docs/README.md"), "`*` does not cross `/`");
    assert!(ignored(&deny, "src/main.rs.orig"));
    assert!(!ignored(&deny, "src/main.rs"));
    assert!(!ignored(&deny, "targets"), "a pattern matches whole names");

    let order = parse_dockerignore("!src\n*\n").unwrap();
    assert!(
        ignored(&order, "src/main.rs"),
        "the last matching rule wins"
    );
    let question = parse_dockerignore("Cargo.?ock\n").unwrap();
    assert!(ignored(&question, "Cargo.lock"));

    assert!(parse_dockerignore("**/*.rs\n").is_err());
    assert!(parse_dockerignore("[ab]\n").is_err());
}

/// Normalises a relative `/`-separated path (`./src/../Cargo.toml` → `Cargo.toml`); `None`
/// when it leaves its root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// For each source of the `COPY` lines of a stage that copy from the build context: where it
/// lands relative to the stage's WORKDIR, following Docker's rules (a directory's contents go
/// into the destination; a file goes into it when it ends in `/` or several sources are given).
/// Errors for a source landing outside the WORKDIR.
fn copied_layout(
    stage: &Stage,
    is_dir: impl Fn(&str) -> bool,
) -> Result<Vec<(String, String)>, String> {
    let mut workdir = "/".to_string();
    let mut layout = Vec::new();
    for instruction in &stage.instructions {
        match instruction.keyword.as_str() {
            "WORKDIR" if instruction.args.starts_with('/') => workdir = instruction.args.clone(),
            "WORKDIR" => workdir = format!("{workdir}/{}", instruction.args),
            "COPY" | "ADD" => {
                let copy = parse_copy(instruction)?;
                if copy.from.is_some() {
                    continue;
                }
                let dest = if copy.dest.starts_with('/') {
                    copy.dest.clone()
                } else {
                    format!("{workdir}/{}", copy.dest)
                };
                let into_dir = copy.dest.ends_with('/') || copy.sources.len() > 1;
                for source in &copy.sources {
                    let name = source
                        .trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or(source);
                    let landed = if !is_dir(source) && into_dir {
                        format!("{dest}/{name}")
                    } else {
                        dest.clone()
                    };
                    let relative = normalize(&landed)
                        .zip(normalize(&workdir))
                        .and_then(|(l, w)| match l.strip_prefix(&w) {
                            Some("") => Some(String::new()),
                            Some(rest) if w.is_empty() => Some(rest.to_string()),
                            Some(rest) => rest.strip_prefix('/').map(str::to_string),
                            None => None,
                        })
                        .ok_or(format!(
                            "line {}: {source} lands at {landed}, outside WORKDIR {workdir}",
                            instruction.line
                        ))?;
                    layout.push((source.clone(), relative));
                }
            }
            _ => {}
        }
    }
    Ok(layout)
}

/// Whether `path` (relative to the package root) is among or under the copied sources.
fn covered(copied: &[String], path: &str) -> bool {
    copied
        .iter()
        .any(|c| path == c || path.starts_with(&format!("{c}/")))
}

#[test]
fn copied_layout_follows_docker_rules() {
    let stage = |body: &str| parse_stages(&format!("FROM x\n{body}")).unwrap().remove(0);
    let is_dir = |s: &str| s == "src";
    let good =
        stage("WORKDIR /w\nCOPY Cargo.toml Cargo.lock ./\nCOPY src ./src\nCOPY --from=a /x /y\n");
    assert_eq!(
        copied_layout(&good, is_dir).unwrap(),
        [
            ("Cargo.toml".into(), "Cargo.toml".into()),
            ("Cargo.lock".into(), "Cargo.lock".into()),
            ("src".into(), "src".into()),
        ]
    );
    // A directory copied into `./` spills its contents: src/main.rs lands at main.rs.
    let spilled = stage("WORKDIR /w\nCOPY src ./\n");
    assert_eq!(
        copied_layout(&spilled, is_dir).unwrap(),
        [("src".into(), String::new())]
    );
    let renamed = stage("WORKDIR /w\nCOPY Cargo.toml /w/Manifest.toml\n");
    assert_eq!(
        copied_layout(&renamed, is_dir).unwrap(),
        [("Cargo.toml".into(), "Manifest.toml".into())]
    );
    assert!(copied_layout(&stage("WORKDIR /w\nCOPY src /elsewhere\n"), is_dir).is_err());
    assert!(covered(&["src".into()], "src/lib.rs"));
    assert!(!covered(&["src".into()], "srcx/lib.rs"));
    assert_eq!(
        normalize("./src/../Cargo.toml").as_deref(),
        Some("Cargo.toml")
    );
    assert_eq!(normalize("../x"), None);
}

/// `include_str!`/`include_bytes!`/`include!` targets in a Rust source file, with the 1-based
/// line and whether a `#[cfg(test)]` line comes before it in the file (a heuristic for "only in
/// test code", which holds for this crate's layout of tests at the end of a file).
fn compile_time_includes(source: &str) -> Vec<(usize, String, bool)> {
    let mut in_tests = false;
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            in_tests = true;
        }
        for mac in ["include_str!(\"", "include_bytes!(\"", "include!(\""] {
            for (at, _) in line.match_indices(mac) {
                let rest = &line[at + mac.len()..];
                if let Some(end) = rest.find('"') {
                    found.push((index + 1, rest[..end].to_string(), in_tests));
                }
            }
        }
    }
    found
}

#[test]
fn compile_time_includes_are_found_and_placed() {
    let source = "const A: &str = include_str!(\"../../crds/x.yaml\");\n#[cfg(test)]\nmod tests {\n    \
                  const B: &[u8] = include_bytes!(\"data.bin\");\n}\n";
    assert_eq!(
        compile_time_includes(source),
        [
            (1, "../../crds/x.yaml".to_string(), false),
            (4, "data.bin".to_string(), true),
        ]
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

// ---------------------------------------------------------------------------------------------
// The real files
// ---------------------------------------------------------------------------------------------

/// The Dockerfile's two stages: the one building the controller and the final one.
fn real_stages() -> (Stage, Stage) {
    let stages = parse_stages(&read("Dockerfile")).unwrap_or_else(|e| panic!("Dockerfile: {e}"));
    assert!(
        stages.len() >= 2,
        "Dockerfile: {} stage(s); a build stage and a runtime stage are expected",
        stages.len()
    );
    let build = stages
        .iter()
        .find(|s| s.all("RUN").any(|r| cargo_build_args(&r.args).is_some()))
        .expect("Dockerfile: no stage runs `cargo build`")
        .clone();
    (build, stages.last().unwrap().clone())
}

fn real_deployment() -> PodFacts {
    deployment_facts(&read("deploy/base/deployment.yaml"), NAME)
        .unwrap_or_else(|e| panic!("deploy/base/deployment.yaml: {e}"))
}

#[test]
fn dockerfile_builds_the_controller_with_the_lock_file() {
    let (build, runtime) = real_stages();
    let run = build
        .all("RUN")
        .find_map(|r| cargo_build_args(&r.args))
        .unwrap();
    let problems = cargo_build_problems(&run, NAME);
    assert!(problems.is_empty(), "Dockerfile cargo build: {problems:?}");

    // The runtime stage copies the binary that stage built, to the path ENTRYPOINT runs.
    let copy = runtime
        .all("COPY")
        .map(|c| parse_copy(c).unwrap())
        .find(|c| c.from.is_some())
        .expect("Dockerfile: the runtime stage copies nothing from the build stage");
    assert_eq!(copy.from, build.name, "COPY --from names the build stage");
    let workdir = build.last("WORKDIR").map_or("/", |w| w.args.as_str());
    assert_eq!(
        copy.sources,
        [format!("{workdir}/target/release/{NAME}")],
        "COPY --from copies the release binary of the build stage"
    );
    let installed = if copy.dest.ends_with('/') {
        format!("{}{NAME}", copy.dest)
    } else {
        copy.dest.clone()
    };
    let entrypoint = exec_form(runtime.last("ENTRYPOINT").expect("no ENTRYPOINT")).unwrap();
    assert_eq!(
        entrypoint.first(),
        Some(&installed),
        "ENTRYPOINT runs the copied binary"
    );
    assert_eq!(
        runtime.all("RUN").count(),
        0,
        "RUN in the runtime stage: it has no shell"
    );
}

#[test]
fn dockerfile_base_images_are_pinned_and_compatible() {
    let (build, runtime) = real_stages();
    let final_image = parse_image(&runtime.base);
    assert!(
        final_image.repository.starts_with("gcr.io/distroless/"),
        "runtime base {} is not distroless",
        runtime.base
    );
    assert_eq!(
        final_image.tag.as_deref(),
        Some("nonroot"),
        "runtime base {} is not a :nonroot tag",
        runtime.base
    );

    let rust = parse_image(&build.base);
    assert!(
        rust.repository == "rust" || rust.repository.ends_with("/rust"),
        "build base {} is not the official rust image",
        build.base
    );
    let tag = rust.tag.as_deref().unwrap_or("latest");
    let image_rust = rust_tag_version(tag).unwrap_or_else(|e| panic!("Dockerfile: {e}"));
    let manifest = parse_manifest(&read("Cargo.toml"));
    let required = match package_field(&manifest, "rust-version") {
        Some(v) => major_minor(&v).unwrap_or_else(|| panic!("Cargo.toml rust-version {v}")),
        // Without a declared minimum, the toolchain these tests run on is the one known to work.
        None => {
            let out = run_ok(Command::new("rustc").arg("--version"));
            let version = text(&out.stdout);
            let number = version.split_whitespace().nth(1).unwrap_or_default();
            major_minor(number.split('-').next().unwrap_or_default())
                .unwrap_or_else(|| panic!("rustc --version: {version}"))
        }
    };
    assert!(
        image_rust >= required,
        "rust:{tag} is older than the required Rust {}.{}",
        required.0,
        required.1
    );

    // glibc: a binary linked on a newer Debian may need symbol versions the runtime lacks.
    let build_debian = debian_release(tag);
    let runtime_debian = debian_release(&final_image.repository);
    assert!(
        build_debian.is_some() && build_debian == runtime_debian,
        "build image rust:{tag} (Debian {build_debian:?}) and runtime {} (Debian {runtime_debian:?}) \
         must be the same Debian release (name the codename in the rust tag)",
        runtime.base
    );
}

#[test]
fn dockerfile_user_ports_and_security_match_the_deployment() {
    let (_, runtime) = real_stages();
    let deployment = real_deployment();

    let (uid, gid) = parse_user(&runtime.last("USER").expect("no USER").args)
        .unwrap_or_else(|e| panic!("Dockerfile: {e}"));
    assert_ne!(uid, 0, "Dockerfile USER is root");
    assert_eq!(
        deployment.run_as_user,
        Some(i64::from(uid)),
        "Deployment runAsUser vs Dockerfile USER"
    );
    if let Some(gid) = gid {
        assert_eq!(
            deployment.run_as_group,
            Some(i64::from(gid)),
            "Deployment runAsGroup vs Dockerfile USER"
        );
    }
    let problems = security_problems(&deployment);
    assert!(
        problems.is_empty(),
        "deploy/base/deployment.yaml: {problems:?}"
    );

    let exposed: BTreeSet<u16> = runtime
        .all("EXPOSE")
        .flat_map(|e| parse_expose(&e.args).unwrap_or_else(|e| panic!("Dockerfile: {e}")))
        .collect();
    let declared: BTreeSet<u16> = deployment.ports.iter().map(|(_, p)| *p).collect();
    assert_eq!(
        exposed, declared,
        "Dockerfile EXPOSE vs Deployment containerPorts"
    );
    for probe in &deployment.probe_ports {
        let known = deployment.ports.iter().any(|(name, number)| {
            probe.as_str().is_some_and(|p| name.as_deref() == Some(p))
                || probe.as_u64() == Some(u64::from(*number))
        });
        assert!(known, "probe port {probe:?} is not a container port");
    }
}

#[test]
fn dockerfile_labels_match_the_manifest() {
    let (_, runtime) = real_stages();
    let labels: Vec<(String, String)> = runtime
        .all("LABEL")
        .flat_map(|l| parse_labels(&l.args).unwrap_or_else(|e| panic!("Dockerfile: {e}")))
        .collect();
    let label = |key: &str| {
        labels
            .iter()
            .rev()
            .find(|(k, _)| k == &format!("org.opencontainers.image.{key}"))
            .map(|(_, v)| v.clone())
    };
    let manifest = parse_manifest(&read("Cargo.toml"));
    for (key, field) in [
        ("title", "name"),
        ("licenses", "license"),
        ("version", "version"),
    ] {
        if let Some(value) = label(key) {
            assert_eq!(
                Some(value),
                package_field(&manifest, field),
                "LABEL org.opencontainers.image.{key} vs Cargo.toml {field}"
            );
        }
    }
}

// Every flag the image is started with (ENTRYPOINT + CMD, and ENTRYPOINT + the Deployment's
// args, which replace CMD) must be accepted by the binary. Two ways: each `--flag` is listed in
// `run --help` as a whole flag, and the exact argument vector with `--help` appended parses
// (clap parses and validates every argument before acting on `--help`, so a renamed flag or a
// bad value fails here).
#[test]
fn flags_in_dockerfile_and_deployment_are_accepted_by_the_binary() {
    let (_, runtime) = real_stages();
    let deployment = real_deployment();
    let entrypoint = exec_form(runtime.last("ENTRYPOINT").expect("no ENTRYPOINT")).unwrap();
    let cmd = runtime
        .last("CMD")
        .map(|c| exec_form(c).unwrap())
        .unwrap_or_default();
    assert_eq!(
        deployment.command, None,
        "the Deployment sets command, replacing the ENTRYPOINT these checks rely on"
    );
    assert!(
        !deployment.args.is_empty() || !cmd.is_empty(),
        "neither CMD nor Deployment args: the binary would start without a subcommand"
    );

    let help = text(&run_ok(controller().args(["run", "--help"])).stdout);
    for (origin, args) in [
        ("Dockerfile CMD", &cmd),
        ("Deployment args", &deployment.args),
    ] {
        if args.is_empty() {
            continue;
        }
        assert_eq!(
            args.first().map(String::as_str),
            Some("run"),
            "{origin}: {args:?}"
        );
        for flag in flag_names(args) {
            assert!(
                help_mentions_flag(&help, &flag),
                "{origin} passes {flag}, which `{NAME} run --help` does not list"
            );
        }
        let mut vector: Vec<String> = entrypoint[1..].to_vec();
        vector.extend(args.iter().cloned());
        vector.push("--help".into());
        run_ok(controller().args(&vector));

        // The HTTP port the binary listens on must be the one exposed and declared.
        let addr = args
            .iter()
            .find_map(|a| a.strip_prefix("--http-addr=").map(str::to_string))
            .or_else(|| help_default(&help, "--http-addr"))
            .expect("no --http-addr in args and no default in `run --help`");
        let port: u16 = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("--http-addr {addr}"));
        let exposed: Vec<u16> = runtime
            .all("EXPOSE")
            .flat_map(|e| parse_expose(&e.args).unwrap())
            .collect();
        assert!(
            exposed.contains(&port),
            "{origin}: the binary listens on {port}, the Dockerfile exposes {exposed:?}"
        );
    }
}

#[test]
fn build_context_holds_what_the_build_stage_copies() {
    let (build, _) = real_stages();
    let layout = copied_layout(&build, |s| repo().join(s).is_dir())
        .unwrap_or_else(|e| panic!("Dockerfile: {e}"));
    let rules =
        parse_dockerignore(&read(".dockerignore")).unwrap_or_else(|e| panic!(".dockerignore: {e}"));
    let mut copied = Vec::new();
    for (source, landed) in &layout {
        let path = repo().join(source);
        assert!(
            path.exists(),
            "Dockerfile copies {source}, which does not exist"
        );
        let source = normalize(source).unwrap_or_else(|| panic!("COPY {source}"));
        assert_eq!(
            landed, &source,
            "COPY {source} lands at {landed:?}, not at the same path under WORKDIR"
        );
        assert!(!ignored(&rules, &source), ".dockerignore excludes {source}");
        if path.is_dir() {
            let mut files = Vec::new();
            rust_files(&path, &mut files);
            for file in files.iter().map(|f| relative(f)) {
                assert!(!ignored(&rules, &file), ".dockerignore excludes {file}");
            }
        }
        copied.push(source);
    }

    // Everything `cargo build --bin nodepool-controller` reads must be copied: the manifest and
    // lock file, the library and binary roots, a build script, and compile-time includes
    // outside test code.
    let manifest = parse_manifest(&read("Cargo.toml"));
    let mut needed = vec!["Cargo.toml".to_string(), "Cargo.lock".to_string()];
    needed.extend(build_inputs(&manifest, NAME).unwrap_or_else(|e| panic!("{e}")));
    let mut sources = Vec::new();
    rust_files(&repo().join("src"), &mut sources);
    for file in &sources {
        let dir = relative(file.parent().unwrap());
        for (line, target, in_tests) in
            compile_time_includes(&std::fs::read_to_string(file).unwrap())
        {
            if !in_tests {
                let path = normalize(&format!("{dir}/{target}"))
                    .unwrap_or_else(|| panic!("{}:{line}: {target}", relative(file)));
                needed.push(path);
            }
        }
    }
    for path in needed {
        assert!(
            covered(&copied, &path),
            "the image build needs {path}, which the Dockerfile does not copy (copies {copied:?})"
        );
    }

    // What the context is for: keeping the target directory, the git history and the rest of
    // the repository out of it.
    for kept_out in [
        "target/release/x",
        ".git/HEAD",
        "tests/image.rs",
        "docs",
        "deploy/base",
    ] {
        assert!(
            ignored(&rules, kept_out),
            ".dockerignore lets {kept_out} in"
        );
    }
}

// What this proves: the CLI (argument parsing, `--help`, rendering the CRD) starts without HOME,
// without a usable temp directory and from `/`, as in the image (read-only root, no HOME for
// uid 65532 there). What it does not prove: that `run` writes nothing. It runs as this test's
// user on a writable filesystem, and `run` needs a cluster to get past start-up.
#[test]
fn cli_needs_no_writable_home_temp_or_cwd() {
    for args in [&["--help"][..], &["run", "--help"], &["crd"]] {
        let out = run_ok(
            controller()
                .args(args)
                .env("TMPDIR", "/nonexistent/tmp")
                .current_dir("/"),
        );
        assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
    }
    let crd = text(&run_ok(controller().arg("crd").current_dir("/")).stdout);
    assert!(
        crd.contains("kind: CustomResourceDefinition"),
        "`crd` printed no CRD"
    );
}

// The test image (tests/image/Containerfile) stands in for the Dockerfile's runtime image where
// base images cannot be pulled; the real-node test runs it in Pods. It must be the same shape:
// the binary at the same path, the same user, port, entrypoint and command. (Its runtime files,
// copied from the host by tests/image/build.sh, are what the ELF checks above allow.)
#[test]
fn test_image_has_the_shape_of_the_runtime_image() {
    let (_, runtime) = real_stages();
    let stages = parse_stages(&read("tests/image/Containerfile"))
        .unwrap_or_else(|e| panic!("tests/image/Containerfile: {e}"));
    assert_eq!(stages.len(), 1, "tests/image/Containerfile: one stage");
    let test = &stages[0];
    assert_eq!(
        test.base, "scratch",
        "the test image is built from local parts only"
    );
    for keyword in ["USER", "ENTRYPOINT", "CMD"] {
        let theirs = runtime.last(keyword).map(|i| i.args.clone());
        let ours = test.last(keyword).map(|i| i.args.clone());
        assert!(theirs.is_some(), "Dockerfile: no {keyword}");
        assert_eq!(
            ours, theirs,
            "{keyword}: tests/image/Containerfile vs Dockerfile"
        );
    }
    let ports = |stage: &Stage| -> BTreeSet<u16> {
        stage
            .all("EXPOSE")
            .flat_map(|e| parse_expose(&e.args).unwrap_or_else(|e| panic!("EXPOSE: {e}")))
            .collect()
    };
    assert_eq!(
        ports(test),
        ports(&runtime),
        "EXPOSE: Containerfile vs Dockerfile"
    );
    let binary_dest = |stage: &Stage| -> Vec<String> {
        stage
            .all("COPY")
            .map(|c| parse_copy(c).unwrap_or_else(|e| panic!("COPY: {e}")))
            .filter(|c| c.sources.iter().any(|s| s.ends_with(NAME)))
            .map(|c| c.dest)
            .collect()
    };
    let dest = binary_dest(&runtime);
    assert_eq!(
        dest.len(),
        1,
        "Dockerfile: the binary is copied once: {dest:?}"
    );
    assert_eq!(
        binary_dest(test),
        dest,
        "the binary's path: Containerfile vs Dockerfile"
    );
    let entrypoint = exec_form(runtime.last("ENTRYPOINT").expect("ENTRYPOINT")).expect("exec form");
    assert_eq!(
        entrypoint,
        [dest[0].clone()],
        "ENTRYPOINT runs the copied binary"
    );
}
