//! Compiles `proto/*.proto` into Rust with protox (a pure-Rust protobuf compiler) and
//! prost-build, so a fresh machine needs no `protoc` (spec/03-e2e-messages.md, E2E-38).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors =
        protox::compile(["proto/csp_e2e.proto", "proto/csp_e2e_fs.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
