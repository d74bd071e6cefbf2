# shellcheck shell=bash
# The cargo flags of every Lambda build: infra/build (the zips) and
# tests/lambda/run (whose `cargo lambda watch` must pass the very same flags,
# so its `cargo run` finds the build fresh and runs the binaries the test
# checked). Sourced; defines the array `lambda_cargo_flags`.
#
# Why these (figures from bench/lambda and bench/login, December 2026):
#  - opt-level "s", fat LTO, one codegen unit, no debug info, stripped:
#    together with a lean SDK client and per-function handlers (see the
#    README) the zips are 3.4 to 3.9 MiB instead of 7.7 to 8.7 MiB (fat LTO
#    alone, at opt-level "z", took `login` from 8.7 to 5.3 MiB). The price:
#    argon2 runs about a third slower than at opt-level 3 (18.5 against
#    13.6 ms here), because LTO optimises every crate at the
#    final opt-level whatever a package override says. Lambda bills CPU
#    linearly, so that is a few milliseconds per login, not a cost.
#  - Fat LTO of one binary takes about a minute of one core here; with
#    opt-level 3 and the SDK's aws-lc it took 5 to 7 minutes (thin LTO).
#  - panic = "abort": a panicking Lambda ends its process and Lambda starts a
#    new one; unwinding would buy nothing but size.
#  - target-cpu=haswell: what Lambda's x86_64 hosts have (AVX2).
#  - x86_64 only: the aarch64 target cannot be installed on these machines.
#  - --target: `cargo lambda build` always passes one, so the artifacts live
#    in $CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release, apart from the
#    host build of the tests (whose release profile stays opt-level 3 with
#    incremental builds).
#  - their own target directory: flags and profile differ from the host
#    build's anyway, and cargo locks a target directory while it builds, so
#    sharing one would keep tests/run from building the Lambdas in the
#    background while the host's tests run.
lambda_target_dir=${PORTAL_LAMBDA_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/lambda-build}
lambda_cargo_flags=(
    --release --locked --package lambdas
    --target x86_64-unknown-linux-gnu
    --config 'profile.release.opt-level="s"'
    --config 'profile.release.lto="fat"'
    --config 'profile.release.codegen-units=1'
    --config 'profile.release.debug=false'
    --config 'profile.release.strip=true'
    --config 'profile.release.incremental=false'
    --config 'profile.release.panic="abort"'
    --config 'build.rustflags=["-C", "target-cpu=haswell"]'
)
