//! The local server: the same handlers the Lambdas run, behind one router,
//! plus the web page.

pub mod config;
pub mod help;
pub mod server;
pub mod web;
