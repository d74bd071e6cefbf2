// The web page is compiled into the portal binary; rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=../web");
}
